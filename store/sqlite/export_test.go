package sqlite

// BatchStats returns how many batches (transactions) the store's writer
// has run and how many write requests they held.
func BatchStats(s *Store) (batches, requests int64) { return s.batches.Load(), s.batched.Load() }
