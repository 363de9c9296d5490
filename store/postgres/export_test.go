package postgres

import (
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ListReleasesSQL returns the query ListReleases runs for p, and its
// arguments.
func ListReleasesSQL(s *Store, p *store.ListReleasesParams) (string, []any, error) {
	q, args, _, err := s.listReleasesQuery(p)
	return q, args, err
}

// SQL returns q with the store's schema for "_s.".
func SQL(s *Store, q string) string { return s.q(q) }

// HeadDigest returns the digest s keeps of a release's head.
func HeadDigest(s *Store, h release.Head) []byte {
	d := s.headDigest(h)
	return d[:]
}

// UnfinishedSQL returns the queries ListUnfinished runs: the first page's
// and the next pages'.
func UnfinishedSQL(s *Store) (first, next string) { return s.q(qUnfinished), s.q(qUnfinishedAfter) }

// ListDigestsSQL returns ListReleaseDigests' query (in s's schema) and
// arguments for p.
func ListDigestsSQL(s *Store, p *store.ListReleaseDigestsParams) (string, []any, error) {
	q, args, _, err := listDigestsQuery(p)
	return s.q(q), args, err
}
