package sqlite

import (
	"errors"
	"testing"

	"github.com/batonhq/baton/store"
)

// FuzzFeedCursor: a cursor the store did not make is refused with
// store.ErrInvalid, never a panic; one it made round-trips.
func FuzzFeedCursor(f *testing.F) {
	for _, s := range []string{"", "s0.0", "s1.1", "s12.4294967294", "s1.4294967295", "s-1.0", "s1", "p1.1.1", "s1.1.1", "s+1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, c string) {
		pos, seq, err := parseSQLiteFeedCursor(c)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("cursor %q: %v, want store.ErrInvalid", c, err)
			}
			return
		}
		if pos < 0 || seq < 0 || seq > maxSeq {
			t.Fatalf("cursor %q gave pos %d, seq %d", c, pos, seq)
		}
		again, seq2, err := parseSQLiteFeedCursor(sqliteFeedCursor(pos, seq))
		if err != nil || again != pos || seq2 != seq {
			t.Fatalf("cursor %q: (%d, %d) does not round-trip: (%d, %d, %v)", c, pos, seq, again, seq2, err)
		}
	})
}
