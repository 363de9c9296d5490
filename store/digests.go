package store

import (
	"context"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// MaxDigestSize caps ReleaseDigest data: a digest is a compact record,
// never a copy of the release.
const MaxDigestSize = 64 << 10

// PutReleaseDigestParams are the arguments of PutReleaseDigest.
type PutReleaseDigestParams struct {
	// Release is the release the digest is of; required.
	Release release.ID
	// Seq and Hash are the head of the release the digest was computed
	// at (the last event it covers); required.
	Seq  int64
	Hash release.Hash
	// Data is the digest, opaque to the store: 1 to MaxDigestSize bytes.
	Data []byte
}

// ListReleaseDigestsParams are the arguments of ListReleaseDigests. Zero
// fields do not filter; set fields must all match (as in ListReleases).
type ListReleaseDigestsParams struct {
	Group   release.GroupID
	Process process.ID
	// ScheduledFrom and ScheduledTo select releases whose ScheduledFor is
	// in [ScheduledFrom, ScheduledTo).
	ScheduledFrom time.Time
	ScheduledTo   time.Time
	Cursor        string
	Limit         int
}

// ReleaseDigestEntry is one release of ListReleaseDigests: its status and
// the digest kept for it, if any.
type ReleaseDigestEntry struct {
	Release release.ID
	Status  release.Status
	// Data is the digest kept for the release's current head; nil when
	// none was put, or when the release has had events appended since (a
	// stale digest is never returned).
	Data []byte
	// Seq and Hash are the head Data was computed at (the release's
	// current head); zero when Data is nil.
	Seq  int64
	Hash release.Hash
}

// ReleaseDigestPage is one page of ListReleaseDigests.
type ReleaseDigestPage struct {
	Releases []ReleaseDigestEntry
	Next     string
}

// DigestStore is an optional capability: a store that keeps, next to each
// ended release, one digest computed by a reader from the release's events
// (a report's per-release figures), and lists the releases with their
// digests in one cheap pass, so that figures over many releases need not
// read every event of every release. A digest is a cache of the event log
// like the summary, never a second truth: it names the head it was
// computed at, and the store returns it only while that is still the
// release's head (an ended release can still get a link or a comment).
// Only ended releases (a terminal status) keep one: a running release
// changes with every step. Find it by type assertion (or Find); without it
// readers compute the figures from the events each time.
//
// Deleting a release deletes its digest.
type DigestStore interface {
	// PutReleaseDigest keeps p.Data as the digest of release p.Release at
	// head (p.Seq, p.Hash), replacing any digest kept before. It returns
	// ErrNotFound when the release does not exist; ErrConflict when
	// (p.Seq, p.Hash) is not the release's head (events were appended
	// since the digest was computed, or the hash is wrong) or the release
	// has not ended; and ErrInvalid when Release is empty, Seq is below 1,
	// or Data is empty or larger than MaxDigestSize. Nothing is written on
	// error.
	PutReleaseDigest(ctx context.Context, p *PutReleaseDigestParams) error
	// ListReleaseDigests returns the releases that match, ordered by
	// (ScheduledFor, ID), the order of the window it filters on, and
	// paged as ListReleases pages (Limit, Cursor, Next), each with its
	// status and the digest kept for its current head (nil when none).
	// An empty store gives an empty page. A kept digest that does not
	// match what the store recorded of it returns ErrCorrupt.
	ListReleaseDigests(ctx context.Context, p *ListReleaseDigestsParams) (*ReleaseDigestPage, error)
}
