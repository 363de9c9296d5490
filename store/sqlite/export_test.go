package sqlite

import (
	"database/sql"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// BatchStats returns how many batches (transactions) the store's writer
// has run and how many write requests they held.
func BatchStats(s *Store) (batches, requests int64) { return s.batches.Load(), s.batched.Load() }

// HeadCheck is the digest a release's head row keeps of its fields.
func HeadCheck(rid, seq int64, hash release.Hash, done int64, waiting bool) release.Hash {
	return digester{}.head(rid, seq, hash, done, waiting)
}

// Path returns the store's database file.
func Path(s *Store) string { return s.path }

// ListReleasesSQL returns the query ListReleases runs for p, and its
// arguments.
func ListReleasesSQL(p *store.ListReleasesParams) (string, []any, error) {
	q, args, _, err := listReleasesQuery(p)
	return q, args, err
}

// UnfinishedSQL returns the queries ListUnfinished runs: the first page's
// and the next pages'.
func UnfinishedSQL() (first, next string) { return qUnfinished, qUnfinishedAfter }

// ReadDB returns the store's read pool.
func ReadDB(s *Store) *sql.DB { return s.rdb }

// WALTruncations returns how many times the writer truncated the log.
func WALTruncations(s *Store) int64 { return s.truncations.Load() }

// ListEndedSQL returns the query ListEnded runs for p, and its arguments.
func ListEndedSQL(p *store.ListEndedParams) (string, []any, error) {
	q, args, _, err := listEndedQuery(p)
	return q, args, err
}

// LinkQueries returns the queries of the store.LinkStore methods, by name.
func LinkQueries() map[string]string { return linkQueries() }

// ListDigestsSQL returns ListReleaseDigests' query and arguments for p.
func ListDigestsSQL(p *store.ListReleaseDigestsParams) (string, []any, error) {
	q, args, _, err := listDigestsQuery(p)
	return q, args, err
}
