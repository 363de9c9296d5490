package store

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// ErrNotFinished: the release is Scheduled, Running or Paused, so it may
// not be deleted. Errors matching it are *NotFinishedError.
var ErrNotFinished = errors.New("store: release not finished")

// NotFinishedError refuses to delete a release that has not ended. It
// matches ErrNotFinished.
type NotFinishedError struct {
	Release release.ID
	Status  release.Status
	// Parent, when set, is the unfinished release that started this one as
	// a subprocess (the release itself may have ended): its parent still
	// needs it. Stores leave it empty; executors set it.
	Parent release.ID
}

// Error says which release is not finished.
func (e *NotFinishedError) Error() string {
	if e.Parent != "" {
		return "store: release " + string(e.Release) + " is kept: its parent release " + string(e.Parent) + " has not ended"
	}
	return "store: release " + string(e.Release) + " is " + string(e.Status) + ": only a finished release may be deleted"
}

// Is reports whether target is ErrNotFinished.
func (e *NotFinishedError) Is(target error) bool { return target == ErrNotFinished }

// Deletion is the durable record of a deleted release, kept by a
// RetentionStore after every other row of the release is gone: which
// release it was, the head its log ended at (so that an archived audit
// bundle can be matched to it), who or what deleted it, when, and where
// its bundle went.
type Deletion struct {
	// Seq numbers the deletions of a store from 1, in the order they were
	// made; set by the store.
	Seq int64 `json:"seq"`

	// What the release was, from its summary.
	Release        release.ID      `json:"release"`
	Name           string          `json:"name,omitempty"`
	Process        process.ID      `json:"process"`
	ProcessVersion int             `json:"process-version"`
	Group          release.GroupID `json:"group,omitempty"`
	Occurrence     time.Time       `json:"occurrence"`
	Status         release.Status  `json:"status"`
	CreatedAt      time.Time       `json:"created-at"`
	EndedAt        time.Time       `json:"ended-at"`
	// Labels are the release's labels, so that a reader's right to see
	// the deletion (and the deployment links the release left) can be
	// judged as its right to see the release was.
	Labels map[string]string `json:"labels,omitempty"`
	// Head is the release's last event (seq and hash) when it was deleted.
	Head release.Head `json:"head"`
	// Anchor is the release's last anchor when the store keeps anchors
	// (AnchorStore) and the release had one; nil otherwise.
	Anchor *release.Anchor `json:"anchor,omitempty"`

	// Who deleted it, why and where its record went
	// (DeleteReleaseParams).
	DeletedAt time.Time `json:"deleted-at"`
	Actor     string    `json:"actor"`
	Rule      string    `json:"rule,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Archive   string    `json:"archive,omitempty"`
}

// Clone returns a copy of d that shares no memory with it.
func (d Deletion) Clone() Deletion {
	d.Labels = maps.Clone(d.Labels)
	if d.Anchor != nil {
		a := d.Anchor.Clone()
		d.Anchor = &a
	}
	return d
}

// DeleteReleaseParams are the arguments of DeleteRelease.
type DeleteReleaseParams struct {
	// Release is the release to delete; required.
	Release release.ID
	// ExpectedSeq is the release's last sequence number as the caller read
	// it (the last event of the bundle it archived); required. An event
	// appended since makes DeleteRelease return ErrConflict, so that
	// nothing the caller did not see is deleted.
	ExpectedSeq int64
	// Actor is who deletes: a person, or the executor instance that
	// applies a retention rule; required.
	Actor string
	// Rule names the retention rule applied; empty for a person's
	// deletion.
	Rule string
	// Reason says why, in words. Defaults to empty.
	Reason string
	// Archive says where the release's audit bundle was stored (a URL, a
	// path); empty when it was deleted without one.
	Archive string
	// Now is the time of the deletion (Deletion.DeletedAt); required.
	Now time.Time
}

// ListEndedParams are the arguments of ListEnded.
type ListEndedParams struct {
	// EndedBefore selects the finished releases whose EndedAt is before
	// it; required.
	EndedBefore time.Time
	// Process and Group, when set, select the releases of that process or
	// group.
	Process process.ID
	Group   release.GroupID
	// ExcludeProcesses and ExcludeGroups leave out the releases of these
	// processes and groups (those another rule governs).
	ExcludeProcesses []process.ID
	ExcludeGroups    []release.GroupID
	Cursor           string
	Limit            int
}

// ListDeletionsParams are the arguments of ListDeletions.
type ListDeletionsParams struct {
	// Release, when set, selects the deletion of that release (at most
	// one).
	Release release.ID
	Cursor  string
	Limit   int
}

// DeletionPage is one page of ListDeletions.
type DeletionPage struct {
	Deletions []Deletion
	Next      string
}

// RetentionStore is an optional capability: a store that deletes finished
// releases and keeps an audit log of the deletions. Find it by type
// assertion; without it an executor keeps every release (its retention
// rules and DeleteRelease return an error).
//
// A deleted release leaves nothing but its Deletion and the deployments it
// made: its events, summary, snapshot, anchors, the lease on "release/" +
// its id, its entries in the feed (FeedStore) and its links in the link
// index (LinkStore) go, except its deployment links on activities that
// succeeded, which stay in the index as the record of what ran where:
// ListDeployments still answers what runs now when the release that
// deployed it has expired, and ListDeploymentHistory and
// ListDeploymentConflicts still count it (FindLinks finds them too). Their
// Release names a release that is gone: see ListDeletions. Its id and,
// for a release a group made, its (Group, Occurrence) stay taken:
// CreateRelease returns ErrAlreadyExists for them, so that a scheduler
// never makes a deleted occurrence again, and a subprocess child (whose id
// its parent derives) is never made twice. Other records that name the
// release are kept: a group's history (GroupHistoryStore) and the events
// of other releases (a parent's subprocess activity names its child).
//
// The store knows nothing of parents: an executor keeps a child whose
// parent has not ended (see NotFinishedError.Parent).
type RetentionStore interface {
	// ListEnded returns the summaries of the finished releases (a
	// terminal status) whose EndedAt is before p.EndedBefore, ordered by
	// (EndedAt, ID), checked as GetReleaseSummary checks them (ErrCorrupt).
	// Paging is as in ListReleases. ErrInvalid when EndedBefore is zero.
	ListEnded(ctx context.Context, p *ListEndedParams) (*ReleasePage, error)
	// DeleteRelease deletes a finished release and every row it has, and
	// appends its Deletion to the log, atomically; it returns the
	// Deletion. ErrNotFound when the release does not exist (a release
	// already deleted: see ListDeletions); a *NotFinishedError when it has
	// not ended; ErrConflict when its last sequence number is not
	// ExpectedSeq; ErrInvalid when Release, Actor or Now is missing.
	// Nothing is deleted on error.
	DeleteRelease(ctx context.Context, p *DeleteReleaseParams) (*Deletion, error)
	// ListDeletions returns the deletion log in Seq order. An empty store
	// gives an empty page.
	ListDeletions(ctx context.Context, p *ListDeletionsParams) (*DeletionPage, error)
}
