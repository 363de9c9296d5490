package sqlite

import "github.com/batonhq/baton/release"

// BatchStats returns how many batches (transactions) the store's writer
// has run and how many write requests they held.
func BatchStats(s *Store) (batches, requests int64) { return s.batches.Load(), s.batched.Load() }

// HeadCheck is the digest a release's head row keeps of its fields.
func HeadCheck(rid, seq int64, hash release.Hash, done int64, waiting bool) release.Hash {
	return digester{}.head(rid, seq, hash, done, waiting)
}

// Path returns the store's database file.
func Path(s *Store) string { return s.path }
