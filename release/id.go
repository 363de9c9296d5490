package release

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/google/uuid"
)

// ID identifies a release. It holds a UUID in its canonical text form,
// normally a UUIDv7 made by NewID, whose leading 48 bits are the creation
// time in Unix milliseconds, so IDs sort roughly by creation time.
type ID string

// NewID returns a new UUIDv7 for a release created at now, drawing its 74
// random bits from entropy (crypto/rand when entropy is nil).
//
// Unlike uuid.NewV7, NewID takes the time as an argument: this package never
// reads the clock. The executor passes its clock's Now.
func NewID(now time.Time, entropy io.Reader) (ID, error) {
	if entropy == nil {
		entropy = rand.Reader
	}
	var u uuid.UUID
	if _, err := io.ReadFull(entropy, u[6:]); err != nil {
		return "", fmt.Errorf("release: new id: reading entropy: %w", err)
	}
	ms := now.UnixMilli()
	if ms < 0 {
		return "", fmt.Errorf("release: new id: time %s is before 1970", now.UTC().Format(time.RFC3339))
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(ms))
	copy(u[0:6], ts[2:8])
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return ID(u.String()), nil
}

// ParseID checks that s is a UUID (any version) and returns it as an ID in
// canonical lower-case form.
func ParseID(s string) (ID, error) {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return "", fmt.Errorf("release: id %q: not a UUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", s)
	}
	return ID(u.String()), nil
}

// String returns the ID as text.
func (id ID) String() string { return string(id) }

// ActivityKey names one activity in a release as "phase.activity", the form
// process documents use to reach an activity across phases.
type ActivityKey string

// Key returns the key of activity a in phase p.
func Key(p process.PhaseID, a process.ActivityID) ActivityKey {
	return ActivityKey(string(p) + "." + string(a))
}

// Phase returns the phase part of the key ("" when the key has no dot).
func (k ActivityKey) Phase() process.PhaseID {
	p, _, ok := strings.Cut(string(k), ".")
	if !ok {
		return ""
	}
	return process.PhaseID(p)
}

// Activity returns the activity part of the key.
func (k ActivityKey) Activity() process.ActivityID {
	_, a, ok := strings.Cut(string(k), ".")
	if !ok {
		return process.ActivityID(k)
	}
	return process.ActivityID(a)
}

// String returns the key as text.
func (k ActivityKey) String() string { return string(k) }
