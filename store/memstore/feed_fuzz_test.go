package memstore

import (
	"context"
	"errors"
	"testing"

	"github.com/batonhq/baton/store"
)

// FuzzFeedCursor: a cursor ListAllEvents did not make is refused with
// store.ErrInvalid, never a panic or a page from elsewhere; one it made
// round-trips.
func FuzzFeedCursor(f *testing.F) {
	for _, s := range []string{"", "m0.0", "m1.1", "m1.99", "m2.0", "m9999999999999999999.1", "m1.-1", "m-1.0", "m1", "x1.1", "m1.1.1"} {
		f.Add(s)
	}
	st := New(nil)
	f.Fuzz(func(t *testing.T, c string) {
		page, err := st.ListAllEvents(context.Background(), &store.ListAllEventsParams{After: c})
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("cursor %q: %v, want store.ErrInvalid", c, err)
			}
			return
		}
		if len(page.Events) != 0 || page.Next != c {
			t.Fatalf("cursor %q on an empty store: %d events, next %q", c, len(page.Events), page.Next)
		}
		if entry, seq, err := parseFeedCursor(c); err != nil || entry < 0 || seq < 0 {
			t.Fatalf("cursor %q accepted by ListAllEvents, not by the parser: %d, %d, %v", c, entry, seq, err)
		}
	})
}
