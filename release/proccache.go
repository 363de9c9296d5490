package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/batonhq/baton/process"
)

// Every release pins a copy of its process, in its release.created event
// and in its snapshots, and every fold or snapshot load decodes it again:
// for a process of a hundred activities that costs far more than all the
// other events of the release together. The releases of one process
// version carry the same bytes, so decoded processes are kept in a small
// cache keyed by those bytes and shared: Release.Process is read-only
// (see Release), as the cache requires.

const (
	processCacheEntries = 128
	processCacheBytes   = 32 << 20
)

var processCache struct {
	sync.Mutex
	m     map[string]*process.Process
	raw   map[*process.Process][]byte // the canonical JSON of each cached process
	bytes int
}

// Pin returns the shared, read-only copy of p that releases pin: the
// process decoded from p's canonical JSON, as Release.Process holds it
// after a fold. Creating releases (Create) with the returned pointer skips
// encoding the process again; a host or executor that creates many
// releases of one process version pins it once. The result must not be
// modified.
func Pin(p *process.Process) (*process.Process, error) {
	if p == nil {
		return nil, errors.New("release: pin: nil process")
	}
	_, pinned, err := pinnedJSON(p)
	return pinned, err
}

// pinnedJSON returns p's canonical JSON and its shared decoded copy.
func pinnedJSON(p *process.Process) ([]byte, *process.Process, error) {
	processCache.Lock()
	raw, ok := processCache.raw[p]
	processCache.Unlock()
	if ok {
		return raw, p, nil
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, nil, fmt.Errorf("release: encoding process: %w", err)
	}
	canon, err := canonicalJSON(make([]byte, 0, len(data)), data)
	if err != nil {
		return nil, nil, fmt.Errorf("release: encoding process: %w", err)
	}
	pinned, err := decodeProcess(canon)
	if err != nil {
		return nil, nil, fmt.Errorf("release: decoding the encoded process: %w", err)
	}
	return canon, pinned, nil
}

// decodeProcess decodes a pinned process (JSON), or returns the process
// already decoded from the same bytes. null or nothing decodes to nil.
func decodeProcess(raw json.RawMessage) (*process.Process, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	processCache.Lock()
	p := processCache.m[string(raw)]
	processCache.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := process.Decode(raw)
	if err != nil {
		return nil, err
	}
	processCache.Lock()
	defer processCache.Unlock()
	if len(raw) > processCacheBytes/4 {
		return p, nil
	}
	if q := processCache.m[string(raw)]; q != nil {
		return q, nil // decoded meanwhile by another caller
	}
	if len(processCache.m) >= processCacheEntries || processCache.bytes+len(raw) > processCacheBytes {
		processCache.m, processCache.raw, processCache.bytes = nil, nil, 0
	}
	if processCache.m == nil {
		processCache.m = make(map[string]*process.Process, processCacheEntries)
		processCache.raw = make(map[*process.Process][]byte, processCacheEntries)
	}
	key := string(raw)
	processCache.m[key] = p
	processCache.raw[p] = []byte(key)
	processCache.bytes += len(raw)
	return p, nil
}
