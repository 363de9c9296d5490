package postgres

import (
	"errors"
	"strconv"
	"testing"

	"github.com/batonhq/baton/store"
)

// FuzzFeedCursor: a cursor the store did not make is refused with
// store.ErrInvalid, never a panic, and never reaches the database as
// anything but numbers; one it made round-trips.
func FuzzFeedCursor(f *testing.F) {
	for _, s := range []string{"", "p0.0.0", "p745.12.3", "p18446744073709551615.1.1", "p18446744073709551616.1.1", "p1.-1.0", "p1.1", "s1.1", "p1.1.1.1", "p'.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, c string) {
		xid, pos, seq, err := parseFeedCursor(c)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("cursor %q: %v, want store.ErrInvalid", c, err)
			}
			return
		}
		if _, err := strconv.ParseUint(xid, 10, 64); err != nil || pos < 0 || seq < 0 {
			t.Fatalf("cursor %q gave xid %q, pos %d, seq %d", c, xid, pos, seq)
		}
		x2, p2, s2, err := parseFeedCursor(feedCursor(xid, pos, seq))
		if err != nil || x2 != xid || p2 != pos || s2 != seq {
			t.Fatalf("cursor %q does not round-trip: %q %d %d %v", c, x2, p2, s2, err)
		}
	})
}
