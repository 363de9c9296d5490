// Package storetest is the conformance suite every implementation of the
// store contract must pass: Baton's own stores and a host's.
//
//	func TestMyStore(t *testing.T) {
//		storetest.TestStore(t, func(t *testing.T) store.Store { return mystore.New(t.TempDir()) }, nil)
//	}
//
// Subtests are named Method/Behavior (PutProcess/AssignsVersionsFromOne,
// AppendEvents/ConcurrentAppendsHaveOneWinner, ...), each runs on a fresh
// store, most in parallel. They cover round trips of every record, the
// sentinel errors through wrapping, optimistic concurrency (a stale expected
// sequence appends nothing; of 50 concurrent appends at one expected
// sequence exactly one wins), event order and the hash chain over a long log
// (crossing snapshots), loading equal to folding the stored events, list
// filters and cursor pagination that stays stable under concurrent inserts,
// returned values being copies, cancelled contexts, and, when the store
// implements store.Leaser, leases (acquire, renew, expire, steal after
// expiry, release, fencing tokens), and when it implements
// store.AnchorStore, anchors kept with their heads.
//
// With Options.Tamperer, which edits the store's data behind its back (a
// store's own test provides it), the Tamper subtests check that an edited
// snapshot or summary, a removed or edited event and a log cut short are
// each an error matching store.ErrCorrupt that names the release, never a
// silent answer.
package storetest
