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
// A cache belongs to whoever creates or loads releases for as long as it
// lives (an executor holds one for the releases it creates, a store one
// for the releases it loads: Fold, FoldFrom, Apply, UnmarshalSnapshot);
// nothing in this package keeps one. The zero value is
// ready to use, a ProcessCache is safe for concurrent use, and a nil
// *ProcessCache is valid and caches nothing. It holds at most 128
// processes and 32 MiB of their JSON, and starts afresh when full.
type ProcessCache struct {
	mu    sync.Mutex
	m     map[string]*process.Process // decoded processes by their canonical JSON
	raw   map[*process.Process][]byte // the canonical JSON of each cached process
	bytes int

	// decoders keeps JSON decoding state (*payloadDecoder) for reuse by
	// the payloads decoded through the cache (RecordPayload, Apply,
	// Fold...).
	decoders sync.Pool
}

// payloadDecoder is a json.Decoder over a resettable reader: decoding a
// payload with it allocates only the decoded values.
type payloadDecoder struct {
	r bytes.Reader
	d *json.Decoder
}

// unmarshal is json.Unmarshal(raw, v), reusing c's decoding state when c
// is not nil.
func (c *ProcessCache) unmarshal(raw []byte, v any) error {
	if c == nil {
		return json.Unmarshal(raw, v)
	}
	x, _ := c.decoders.Get().(*payloadDecoder)
	if x == nil {
		x = &payloadDecoder{}
		x.d = json.NewDecoder(&x.r)
	}
	x.r.Reset(raw)
	start := x.d.InputOffset() // the decoder counts across every payload it read
	if err := x.d.Decode(v); err != nil || x.d.InputOffset()-start != int64(len(raw)) || x.r.Len() != 0 {
		// A bad payload, or one with more after its value: json.Unmarshal
		// says what is wrong, as without a cache. The decoder may hold
		// part of the data; it is dropped.
		return json.Unmarshal(raw, v)
	}
	if len(raw) <= maxPooledPayload { // a decoder keeps a buffer as large as the largest payload it read
		c.decoders.Put(x)
	}
	return nil
}

// maxPooledPayload is the size of payload above which a decoder is not
// kept for reuse.
const maxPooledPayload = 64 << 10

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

// Apply is the package-level Apply, sharing the processes c holds: a
// release.created event of a process c has decoded before gets c's copy.
func (c *ProcessCache) Apply(r *Release, e Event) error { return applyWith(r, e, nil, c) }

// Fold is the package-level Fold, sharing the processes c holds.
func (c *ProcessCache) Fold(events []Event) (*Release, error) {
	if len(events) == 0 {
		return nil, errors.New("release: fold: no events")
	}
	r := new(Release)
	return r, c.FoldFrom(r, events)
}

// FoldFrom is the package-level FoldFrom, sharing the processes c holds.
func (c *ProcessCache) FoldFrom(r *Release, events []Event) error {
	for _, e := range events {
		if err := c.Apply(r, e); err != nil {
			return err
		}
	}
	return nil
}

// UnmarshalSnapshot is the package-level UnmarshalSnapshot, sharing the
// processes c holds: a store that keeps one ProcessCache hands out one
// read-only copy of each process however many of its releases it loads.
func (c *ProcessCache) UnmarshalSnapshot(data []byte) (*Release, error) {
	return unmarshalSnapshot(data, c)
}

// decodePayload is DecodePayload, decoding a release.created payload's
// process through c.
func (c *ProcessCache) decodePayload(e Event) (Payload, error) {
	if c == nil || e.Kind != KindReleaseCreated {
		return c.decodeKnown(e)
	}
	type plain ReleaseCreatedPayload
	var x struct {
		plain
		Process json.RawMessage `json:"process"`
	}
	raw := e.Payload
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := json.Unmarshal(raw, &x); err != nil {
		return nil, &EventError{Seq: e.Seq, Kind: e.Kind, Err: fmt.Errorf("payload: %w", describeJSONError(err))}
	}
	p := ReleaseCreatedPayload(x.plain)
	proc, err := c.decode(bytes.TrimSpace(x.Process))
	if err != nil {
		return nil, &EventError{Seq: e.Seq, Kind: e.Kind, Err: fmt.Errorf("payload: %w", err)}
	}
	p.Process = proc
	if err := validatePayload(&p); err != nil {
		return nil, &EventError{Seq: e.Seq, Kind: e.Kind, Err: err}
	}
	return &p, nil
}
