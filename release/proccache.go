package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/batonhq/baton/process"
)

// ProcessCache holds the processes that releases pin, each with its
// canonical JSON, so that the releases of one process version share one
// read-only decoded copy and creating one does not encode the process
// again. For a process of a hundred activities that encoding and decoding
// costs far more than all the other events of a release together.
//
// A cache belongs to whoever creates releases for as long as it lives (an
// executor holds one); nothing in this package keeps one. The zero value is
// ready to use, a ProcessCache is safe for concurrent use, and a nil
// *ProcessCache is valid and caches nothing. It holds at most 128
// processes and 32 MiB of their JSON, and starts afresh when full.
type ProcessCache struct {
	mu    sync.Mutex
	m     map[string]*process.Process // decoded processes by their canonical JSON
	raw   map[*process.Process][]byte // the canonical JSON of each cached process
	bytes int
}

const (
	processCacheEntries = 128
	processCacheBytes   = 32 << 20
)

// Pin returns the shared, read-only copy of p that releases pin: the
// process decoded from p's canonical JSON, as Release.Process holds it
// after a fold. Equal processes pin to the same copy, and pinning the copy
// returns it. Creating releases through the same cache (c.Create) with the
// returned pointer skips encoding the process again. The result must not be
// modified.
func (c *ProcessCache) Pin(p *process.Process) (*process.Process, error) {
	if p == nil {
		return nil, errors.New("release: pin: nil process")
	}
	_, pinned, err := c.pinnedJSON(p)
	return pinned, err
}

// Create is the package-level Create with c's pinned processes: a release of
// a process pinned by c (c.Pin) is created without encoding the process
// again, and shares c's decoded copy. With a nil c it is Create.
func (c *ProcessCache) Create(id ID, at time.Time, actor, reason string, p ReleaseCreatedPayload) (*Release, Event, error) {
	return create(c, id, at, actor, reason, p)
}

// pinnedJSON returns p's canonical JSON and its shared decoded copy.
func (c *ProcessCache) pinnedJSON(p *process.Process) ([]byte, *process.Process, error) {
	if c != nil {
		c.mu.Lock()
		raw, ok := c.raw[p]
		c.mu.Unlock()
		if ok {
			return raw, p, nil
		}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, nil, fmt.Errorf("release: encoding process: %w", err)
	}
	canon, err := canonicalJSON(make([]byte, 0, len(data)), data)
	if err != nil {
		return nil, nil, fmt.Errorf("release: encoding process: %w", err)
	}
	pinned, err := c.decode(canon)
	if err != nil {
		return nil, nil, fmt.Errorf("release: decoding the encoded process: %w", err)
	}
	return canon, pinned, nil
}

// decode decodes a pinned process (canonical JSON), or returns the process
// c already decoded from the same bytes.
func (c *ProcessCache) decode(raw []byte) (*process.Process, error) {
	if c == nil {
		return decodeProcess(raw)
	}
	c.mu.Lock()
	p := c.m[string(raw)]
	c.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := decodeProcess(raw)
	if err != nil || p == nil {
		return p, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(raw) > processCacheBytes/4 {
		return p, nil
	}
	if q := c.m[string(raw)]; q != nil {
		return q, nil // decoded meanwhile by another caller
	}
	if len(c.m) >= processCacheEntries || c.bytes+len(raw) > processCacheBytes {
		c.m, c.raw, c.bytes = nil, nil, 0
	}
	if c.m == nil {
		c.m = make(map[string]*process.Process, processCacheEntries)
		c.raw = make(map[*process.Process][]byte, processCacheEntries)
	}
	key := string(raw)
	c.m[key] = p
	c.raw[p] = []byte(key)
	c.bytes += len(raw)
	return p, nil
}

// decodeProcess decodes a pinned process (JSON). null or nothing decodes
// to nil.
func decodeProcess(raw json.RawMessage) (*process.Process, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	return process.Decode(raw)
}
