package releasetest

import (
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// runStore is the store of a run: the in-memory store with every optional
// capability it has (freezes, policies, links, the feed, digests,
// retention, notifications, ...) except store.Leaser. One executor needs
// no leases, and their renewal timers would only add steps to a run.
type runStore struct {
	*memstore.Store
	noLeasing
}

// noLeasing knocks store.Leaser out of runStore's method set: its methods
// and memstore's are at the same depth of runStore, so neither is
// promoted. Nothing calls them.
type noLeasing struct{}

func (noLeasing) AcquireLease() {}
func (noLeasing) RenewLease()   {}
func (noLeasing) ReleaseLease() {}

// Unwrap implements store.Unwrapper: nil says that the store hides what it
// lacks (leasing) on purpose, so store.Find does not look further.
func (runStore) Unwrap() store.Store { return nil }

var _ store.Store = runStore{}

func newRunStore() runStore { return runStore{Store: memstore.New(nil)} }
