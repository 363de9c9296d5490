package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// The sentinel errors every store returns, possibly wrapped (test with
// errors.Is). storetest checks each one.
var (
	// ErrNotFound: the process, version, input set, release, group or lease
	// does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a release or group with that id (or a release of
	// that group for that occurrence) already exists.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: the caller's expected sequence number, version or
	// revision is stale, or a lease is held by another owner. Nothing was
	// written.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid: the arguments break the contract (a missing id, events
	// that do not continue the release's chain). Nothing was written.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrCorrupt: what the store holds contradicts a release's event log,
	// or cannot be read: a snapshot or summary that does not match the
	// event it was built from or its own digest, events missing, altered
	// or out of chain, a log that ends before the release's recorded head.
	// The error names the release (see CorruptError). Nothing is repaired
	// and no partial answer is returned.
	ErrCorrupt = errors.New("store: stored data is corrupt")
	// ErrClaimed: CreateRelease was given a group's occurrence that the
	// group's history decided without a release (a record that
	// release.GroupRecord.Claims: skipped or missed). It matches
	// ErrAlreadyExists too: the occurrence is taken.
	ErrClaimed = fmt.Errorf("%w: the occurrence is decided without a release", ErrAlreadyExists)
)

// CorruptError reports stored data of a release that contradicts its event
// log. It matches ErrCorrupt (errors.Is); errors.As reaches the detail
// (a *release.ChainError, say) through Unwrap.
type CorruptError struct {
	// Store names the implementation ("memstore", "sqlite").
	Store string
	// Release is the release whose data is corrupt.
	Release release.ID
	// What is the part found corrupt: "snapshot", "summary", "event",
	// "head" (the release's recorded last sequence number and hash) or
	// "digest" (a DigestStore's kept digest).
	What string
	// Seq is the sequence number concerned (the event's, or the one the
	// snapshot or summary was built from); 0 when unknown.
	Seq int64
	// Err says what does not match.
	Err error
}

// Error says which release and part are corrupt, and how.
func (e *CorruptError) Error() string {
	msg := e.Store + ": release " + string(e.Release) + ": " + e.What
	if e.Seq != 0 {
		msg += " at seq " + strconv.FormatInt(e.Seq, 10)
	}
	msg += ": corrupt"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap returns the detail.
func (e *CorruptError) Unwrap() error { return e.Err }

// Page sizes for the List methods.
const (
	// DefaultLimit is the page size when a Limit is zero or negative.
	DefaultLimit = 100
	// MaxLimit caps every Limit; larger values are treated as MaxLimit.
	MaxLimit = 1000
)

// Store combines the roles a store plays for the executor. Implementations
// may also implement Leaser (found by type assertion) when several executors
// share the store.
//
// Every method of every role:
//   - is safe for concurrent use;
//   - returns the context's error (errors.Is(err, context.Canceled)) and
//     changes nothing when ctx is already done;
//   - never reads the clock: times travel in the params (Now);
//   - does not keep the values passed in, and returns values the caller
//     owns: mutating them never changes what is stored;
//   - returns values as encoding/json decodes them (numbers in
//     map[string]any come back as float64), since durable stores keep JSON;
//   - in List methods, pages with an opaque Cursor (the previous page's
//     Next; empty for the first page) and returns ErrInvalid for a cursor it
//     did not make; Next is empty exactly when no more results follow.
type Store interface {
	ProcessStore
	InputSetStore
	ReleaseStore
	GroupStore
}

// ProcessVersion describes one stored version of a process.
type ProcessVersion struct {
	ID        process.ID
	Version   int
	Name      string
	CreatedAt time.Time // PutProcessParams.Now
	CreatedBy string
}

// PutProcessParams are the arguments of PutProcess.
type PutProcessParams struct {
	// Process is the process to store; its ID is required. Its Version is 0
	// (store as the next version) or the next version exactly (so that two
	// writers who read the same latest version cannot both store).
	Process   *process.Process
	CreatedBy string
	// Now is the time the version is stored at (ProcessVersion.CreatedAt);
	// required: a zero Now returns ErrInvalid, since stores never read the
	// clock.
	Now time.Time
}

// ListProcessesParams are the arguments of ListProcesses.
type ListProcessesParams struct {
	Cursor string // from ProcessPage.Next; empty for the first page
	Limit  int    // see DefaultLimit and MaxLimit
}

// ProcessPage is one page of ListProcesses.
type ProcessPage struct {
	Processes []ProcessVersion
	// Next is the cursor of the next page; empty when there are no more.
	Next string
}

// ListProcessVersionsParams are the arguments of ListProcessVersions.
type ListProcessVersionsParams struct {
	ID     process.ID // required
	Cursor string
	Limit  int
}

// ProcessVersionPage is one page of ListProcessVersions.
type ProcessVersionPage struct {
	Versions []ProcessVersion
	Next     string
}

// ProcessStore keeps processes, each as a sequence of immutable versions
// numbered from 1.
type ProcessStore interface {
	// PutProcess stores p.Process as a new version of its process: version
	// 1 for a new id, else the latest plus one. It returns a copy of the
	// stored process with Version set. A non-zero Process.Version other than
	// the next version returns ErrConflict; a nil process, an empty ID or a
	// zero Now returns ErrInvalid.
	PutProcess(ctx context.Context, p *PutProcessParams) (*process.Process, error)
	// GetProcess returns the given version of a process, or its latest when
	// version is 0. ErrNotFound when the process or version does not exist.
	GetProcess(ctx context.Context, id process.ID, version int) (*process.Process, error)
	// ListProcesses returns the latest version of every process, ordered by
	// process ID. An empty store gives an empty page, not an error.
	ListProcesses(ctx context.Context, p *ListProcessesParams) (*ProcessPage, error)
	// ListProcessVersions returns the versions of one process, oldest first.
	// ErrNotFound when the process does not exist.
	ListProcessVersions(ctx context.Context, p *ListProcessVersionsParams) (*ProcessVersionPage, error)
}

// ListInputSetsParams are the arguments of ListInputSets.
type ListInputSetsParams struct {
	Process process.ID // when set, only input sets of this process
	Cursor  string
	Limit   int
}

// InputSetPage is one page of ListInputSets.
type InputSetPage struct {
	InputSets []*process.InputSet
	Next      string
}

// InputSetStore keeps named input sets. An input set is replaced as a whole;
// it has no versions.
type InputSetStore interface {
	// PutInputSet creates or replaces the input set with s.ID. ErrInvalid
	// when s is nil or its ID or Process is empty.
	PutInputSet(ctx context.Context, s *process.InputSet) error
	// GetInputSet returns the input set with that id, or ErrNotFound.
	GetInputSet(ctx context.Context, id string) (*process.InputSet, error)
	// ListInputSets returns input sets ordered by ID.
	ListInputSets(ctx context.Context, p *ListInputSetsParams) (*InputSetPage, error)
	// DeleteInputSet deletes the input set with that id, or returns
	// ErrNotFound.
	DeleteInputSet(ctx context.Context, id string) error
}

// CreateReleaseParams are the arguments of CreateRelease.
type CreateReleaseParams struct {
	// Events are the release's first events, sealed: Seq 1 is its
	// release.created (release.Create makes it).
	Events []release.Event
	// Release is the release after Events (release.Create and
	// Release.Record keep it). The store takes its summary and may
	// snapshot it; it does not keep the pointer.
	Release *release.Release
	// Anchor, optional, seals the release's head after Events (see
	// AnchorStore). Defaults to nil: no anchor.
	Anchor *release.Anchor
	// Notify asks a store that implements ReleaseNotifier to tell its
	// subscribers about the release once it is committed. Defaults to
	// false: subscribers are not told.
	Notify bool
}

// AppendEventsParams are the arguments of AppendEvents.
type AppendEventsParams struct {
	// ExpectedSeq is the release's last sequence number as the caller read
	// it: the Seq of its head before Events.
	ExpectedSeq int64
	// Events are sealed events continuing the chain after ExpectedSeq
	// (Release.Record seals them). At least one.
	Events []release.Event
	// Release is the release after Events; its ID names the release to
	// append to. The store refreshes the summary from it and, when
	// SnapshotDue says so, snapshots it; it does not keep the pointer.
	Release *release.Release
	// Anchor, optional, seals the release's head after Events (see
	// AnchorStore). Defaults to nil: no anchor.
	Anchor *release.Anchor
	// Notify asks a store that implements ReleaseNotifier to tell its
	// subscribers about the change once it is committed (an executor sets
	// it when it records a change it will not act on itself). Defaults to
	// false: subscribers are not told.
	Notify bool
}

// ListReleasesParams are the arguments of ListReleases. Zero fields do not
// filter; set fields must all match.
type ListReleasesParams struct {
	Statuses []release.Status // any of these
	Group    release.GroupID
	Process  process.ID
	// ScheduledFrom and ScheduledTo select releases whose ScheduledFor is in
	// [ScheduledFrom, ScheduledTo): the window of a calendar or report.
	ScheduledFrom time.Time
	ScheduledTo   time.Time
	Cursor        string
	Limit         int
}

// ReleasePage is one page of ListReleases.
type ReleasePage struct {
	Releases []release.Summary
	Next     string
}

// ListEventsParams are the arguments of ListEvents.
type ListEventsParams struct {
	Release  release.ID
	AfterSeq int64 // events with Seq > AfterSeq; 0 from the first
	Limit    int
}

// ReleaseStore keeps releases. A release's truth is its event log; next to
// it the store keeps the release's summary (for lists) and, now and then, a
// snapshot of the folded release (for loading). An append costs in
// proportion to its events, never to the size of the release, apart from a
// snapshot when one is due, which SnapshotDue spaces so that its cost per
// event stays constant.
type ReleaseStore interface {
	// CreateRelease stores a new release: its first events and its summary,
	// atomically. ErrAlreadyExists when a release with that ID exists, or
	// when Release.Occurrence is set and a release of the same Group for the
	// same Occurrence exists (so a scheduler never makes one twice); a
	// RetentionStore also when such a release existed and was deleted; a
	// GroupHistoryStore also, with an error matching ErrClaimed, when the
	// group's history holds a record that claims the occurrence
	// (release.GroupRecord.Claims), checked atomically with the insert.
	// ErrInvalid when Events is empty, does not start with release.created
	// at Seq 1, does not verify (release.VerifyChain), or Release is nil or
	// not at the last event (Release.ID and Release.Seq).
	CreateRelease(ctx context.Context, p *CreateReleaseParams) error
	// AppendEvents appends events to a release iff its last sequence number
	// is p.ExpectedSeq, and in the same atomic step refreshes its summary
	// and, when due, its snapshot. Otherwise nothing is written and it
	// returns: ErrNotFound when the release does not exist; ErrConflict when
	// its last sequence number is not ExpectedSeq (another writer won);
	// ErrInvalid when Events is empty or does not continue the stored chain
	// (release.VerifyChainFrom the stored head), or Release is nil or not at
	// the last event.
	AppendEvents(ctx context.Context, p *AppendEventsParams) error
	// GetRelease loads a release: its latest snapshot with the events after
	// it folded in (release.FoldFrom), equal to folding all its events.
	// ErrNotFound when it does not exist. A snapshot or summary is a cache
	// of the events, never trusted beyond them: the snapshot must match its
	// digest and the hash of the event at its sequence number, the events
	// after it must continue the chain from there
	// (release.VerifyChainFrom, hashes recomputed), and the last one must
	// be the release's recorded head. Anything else returns an error
	// matching ErrCorrupt that names the release, never a partial release.
	GetRelease(ctx context.Context, id release.ID) (*release.Release, error)
	// GetReleaseSummary returns a release's summary as of its last append,
	// without loading the release. ErrNotFound when it does not exist;
	// ErrCorrupt when the summary does not match its digest, the event it
	// was built from, or the release's head (a log cut short).
	GetReleaseSummary(ctx context.Context, id release.ID) (*release.Summary, error)
	// ListReleases returns the summaries of the releases that match,
	// ordered by (CreatedAt, ID), each checked as GetReleaseSummary checks
	// it (ErrCorrupt). Paging is stable: a release that matched
	// when the listing began is returned exactly once across the pages,
	// whatever is created meanwhile.
	ListReleases(ctx context.Context, p *ListReleasesParams) (*ReleasePage, error)
	// ListEvents returns up to Limit events of a release with Seq > AfterSeq,
	// in Seq order, each equal to the event appended (Payload byte for
	// byte). An empty slice once there are no more. ErrNotFound when the
	// release does not exist.
	ListEvents(ctx context.Context, p *ListEventsParams) ([]release.Event, error)
}

// ListGroupsParams are the arguments of ListGroups.
type ListGroupsParams struct {
	Process process.ID // when set, only groups of this process
	Enabled *bool      // when set, only groups with this Enabled
	Cursor  string
	Limit   int
}

// GroupPage is one page of ListGroups.
type GroupPage struct {
	Groups []*release.Group
	Next   string
}

// GroupStore keeps release groups. Revision gives optimistic concurrency.
type GroupStore interface {
	// CreateGroup stores a new group and returns a copy with Revision 1
	// (the Revision passed is ignored). ErrAlreadyExists when the ID is
	// taken; ErrInvalid when g is nil or its ID is empty.
	CreateGroup(ctx context.Context, g *release.Group) (*release.Group, error)
	// UpdateGroup replaces a group iff its stored Revision is g.Revision,
	// and returns a copy with Revision incremented. ErrNotFound when it does
	// not exist; ErrConflict when the revision is stale.
	UpdateGroup(ctx context.Context, g *release.Group) (*release.Group, error)
	// GetGroup returns the group, or ErrNotFound.
	GetGroup(ctx context.Context, id release.GroupID) (*release.Group, error)
	// ListGroups returns groups ordered by ID.
	ListGroups(ctx context.Context, p *ListGroupsParams) (*GroupPage, error)
	// DeleteGroup deletes the group, or returns ErrNotFound. Releases made
	// by the group are kept.
	DeleteGroup(ctx context.Context, id release.GroupID) error
}

// ListGroupHistoryParams are the arguments of ListGroupHistory.
type ListGroupHistoryParams struct {
	Group release.GroupID // required
	// Newest lists the newest occurrences first. Defaults to false: oldest
	// first.
	Newest bool
	Cursor string
	Limit  int
}

// GroupHistoryPage is one page of ListGroupHistory.
type GroupHistoryPage struct {
	Records []release.GroupRecord
	Next    string
}

// GroupHistoryStore is an optional capability: a store that keeps the
// decisions a group's scheduler made (release.GroupRecord). Find it by type
// assertion. Without it the scheduler keeps no history: it cannot tell how
// long it was down, so after a restart it looks back only over each
// group's catch-up window and records nothing as missed.
type GroupHistoryStore interface {
	// AppendGroupHistory stores r. A record with the same Group, Occurrence
	// and Decision returns ErrAlreadyExists and changes nothing, so that
	// executors racing for one occurrence record it once. A record that
	// claims its occurrence (r.Claims: skipped or missed, no release) is
	// the arbiter of the occurrence as a release of it is: it returns
	// ErrConflict and changes nothing when a release of the group for
	// that occurrence exists (or existed, on a RetentionStore), checked
	// atomically with the append, and once it is stored CreateRelease
	// refuses the occurrence (ErrClaimed). So of executors that decide
	// one occurrence differently (one skips it, one makes its release)
	// exactly one wins. ErrInvalid when
	// r is nil or its Group, Decision or Occurrence is missing. The group
	// need not exist (its history outlives it).
	AppendGroupHistory(ctx context.Context, r *release.GroupRecord) error
	// ListGroupHistory returns a group's records ordered by Occurrence, then
	// by the order they were appended (both reversed when Newest). An
	// unknown group gives an empty page. ErrInvalid when Group is empty.
	ListGroupHistory(ctx context.Context, p *ListGroupHistoryParams) (*GroupHistoryPage, error)
}

// Unfinished is what an executor needs to resume an unfinished release
// (Scheduled, Running or Paused) without loading it.
type Unfinished struct {
	ID        release.ID
	CreatedAt time.Time
	Status    release.Status
	// Seq is the release's last sequence number.
	Seq int64
	// Resume is Release.Resume of the release as of its last append: a
	// hint, never a second truth (the events decide once the release is
	// loaded). A release stored before its store kept the hint has
	// Resume.Load set.
	Resume release.Resume
}

// ListUnfinishedParams are the arguments of ListUnfinished.
type ListUnfinishedParams struct {
	Cursor string // from UnfinishedPage.Next; empty for the first page
	Limit  int    // see DefaultLimit and MaxLimit
}

// UnfinishedPage is one page of ListUnfinished.
type UnfinishedPage struct {
	Releases []Unfinished
	Next     string
}

// UnfinishedLister is an optional capability: a store that keeps, beside
// each release's summary, the Resume hint of its last append, and lists
// the unfinished releases with it cheaply (an index that holds only the
// unfinished releases, in order: no sort, no summary decoded). An executor
// uses it to resume after a restart at the cost of a timer per waiting
// release, loading only those with work to drive now. Find it by type
// assertion; without it the executor lists unfinished releases with
// ListReleases and loads every one.
type UnfinishedLister interface {
	// ListUnfinished returns the releases whose status is Scheduled,
	// Running or Paused, ordered by (CreatedAt, ID), with the hint stored
	// at their last append. Paging is as in ListReleases. An empty store
	// gives an empty page.
	ListUnfinished(ctx context.Context, p *ListUnfinishedParams) (*UnfinishedPage, error)
}

// LeaseParams are the arguments of the Leaser methods.
type LeaseParams struct {
	Key   string // what is leased, e.g. "release/" + release id; required
	Owner string // the executor instance; required
	Now   time.Time
	TTL   time.Duration // how long the lease lasts from Now; required for Acquire and Renew
}

// Lease is a held lease.
type Lease struct {
	Key     string
	Owner   string
	Expires time.Time // Now + TTL of the last acquire or renew
	// Token increases every time the lease changes hands (never repeats for
	// a key, even after the lease was released), so a former owner's writes
	// can be fenced off. Stores may take tokens from one counter for every
	// key: they need not be consecutive.
	Token int64
}

// Leaser is an optional capability of a store shared by many executors: it
// makes sure one instance drives a release at a time. Find it by type
// assertion (l, ok := s.(store.Leaser)); a store without it serves a single
// executor. A lease is live while Now < Expires.
type Leaser interface {
	// AcquireLease takes the lease on Key for Owner until Now+TTL when it is
	// free, expired, or already Owner's (then it is extended and keeps its
	// Token). ErrConflict when another owner holds it live; ErrInvalid when
	// Key or Owner is empty or TTL is not positive.
	AcquireLease(ctx context.Context, p *LeaseParams) (*Lease, error)
	// RenewLease extends Owner's live lease to Now+TTL, keeping its Token.
	// ErrConflict when the lease is not Owner's or has expired (the owner
	// must acquire it again, and gets a new Token); ErrNotFound when the key
	// is not leased (never, or released since).
	RenewLease(ctx context.Context, p *LeaseParams) (*Lease, error)
	// ReleaseLease frees Owner's lease (TTL is ignored), and forgets it: the
	// store keeps nothing of a released lease, so that a store shared for
	// years holds a row per lease held, not per key ever leased; the key's
	// next Token is still above every one before. Releasing a lease that is
	// free is not an error; ErrConflict when another owner holds it.
	ReleaseLease(ctx context.Context, p *LeaseParams) error
}

// ListAnchorsParams are the arguments of ListAnchors.
type ListAnchorsParams struct {
	Release  release.ID
	AfterSeq int64 // anchors with Seq > AfterSeq; 0 from the first
	Limit    int
}

// AnchorStore is an optional capability: a store that keeps the anchors a
// host's key sealed release heads with (release.Anchor), so that a rewrite
// of a whole chain, hashes recomputed, is detected by whoever holds the
// key (release.VerifyBundle). Find it by type assertion; an executor with
// a sealer requires it. A store without it ignores the Anchor params.
//
// CreateRelease and AppendEvents keep the Anchor of their params, when
// set, in the same atomic step as the events. It must seal the release's
// head after the events (Release.ID, Release.Seq and Release.Hash) and
// carry a signature, else they return ErrInvalid and write nothing. The
// store checks no signature: it holds no key.
type AnchorStore interface {
	// ListAnchors returns up to Limit anchors of a release with Seq >
	// AfterSeq, in Seq order, each as it was given. An empty slice once
	// there are no more. ErrNotFound when the release does not exist.
	ListAnchors(ctx context.Context, p *ListAnchorsParams) ([]release.Anchor, error)
}

// CheckAnchor returns nil when a, given with events that bring a release
// to head, seals that head and carries a signature; else an error saying
// why (stores wrap it in ErrInvalid). A nil anchor is fine.
func CheckAnchor(a *release.Anchor, head release.Head) error {
	switch {
	case a == nil:
		return nil
	case a.Head() != head:
		return fmt.Errorf("anchor: it seals release %s at seq %d (hash %s), not the head after the events (seq %d, hash %s)",
			a.Release, a.Seq, a.Hash, head.Seq, head.Hash)
	case len(a.Sig) == 0 || a.Alg == "":
		return errors.New("anchor: no algorithm or signature")
	}
	return nil
}

// ReleaseChange tells a subscriber of a ReleaseNotifier that a release was
// created or appended to.
type ReleaseChange struct {
	// Release is the release that changed. Empty means that changes may
	// have been missed (the store lost its connection, or the subscriber
	// did not keep up): the subscriber should look at every release it
	// cares about.
	Release release.ID
	// Seq is the release's last sequence number after the change.
	Seq int64
}

// ReleaseNotifier is an optional capability of a store shared by many
// executors, in one process or many: it tells them, soon after the fact,
// that a release was created or appended to with Notify set, so that the
// executor that drives the release acts at once on what another one
// recorded (an approval given through another replica). Find it by type
// assertion. Without it, executors notice such changes when they next look
// at the release (a rescan).
type ReleaseNotifier interface {
	// SubscribeReleases returns a channel that receives a ReleaseChange for
	// every CreateRelease and AppendEvents with Notify set that commits
	// after it returns, made through this store value or any other over
	// the same data, until ctx is done; then the channel is closed.
	// Delivery is prompt but not guaranteed: a change is told only once it
	// is committed, and never for a write that failed, but it may be lost;
	// when the store knows it may have lost some it sends a ReleaseChange
	// with an empty Release. Changes of one release arrive in order; a
	// change may be told more than once. The caller must keep receiving:
	// a full channel loses changes. It returns the context's error when
	// ctx is already done.
	SubscribeReleases(ctx context.Context) (<-chan ReleaseChange, error)
}

// The snapshot policy of SnapshotDue.
const (
	// MinSnapshotInterval is the fewest events between two snapshots.
	MinSnapshotInterval = 256
	// SnapshotEventsPerActivity scales the interval with the release's
	// size. Encoding a snapshot costs a few microseconds per activity, so
	// one every 16 events per activity adds a fraction of a microsecond to
	// each append, whatever the size (see SnapshotDue).
	SnapshotEventsPerActivity = 16
)

// SnapshotDue reports whether a store should snapshot r, whose latest
// snapshot is at sequence number lastSnapshotSeq (0 for none). It is the
// policy memstore and sqlite follow.
//
// A snapshot is due once the events since the last one reach
// max(MinSnapshotInterval, SnapshotEventsPerActivity × the number of
// activities). Encoding a snapshot costs O(size of the release), so spacing
// snapshots in proportion to that size keeps the snapshot cost per appended
// event constant: the per-append cost of a 10,000-activity release stays
// that of a small one (measured in BENCHMARKS-release.md). Loading then
// folds at most that many events after a snapshot: O(size of the release),
// the order of decoding the snapshot itself.
//
// A finished release (a terminal status) is read, seldom appended to: once
// MinSnapshotInterval events have followed the last snapshot, a snapshot is
// due at once, so that loading a finished 10,000-activity release decodes
// one snapshot instead of folding its 20,000 events.
func SnapshotDue(r *release.Release, lastSnapshotSeq int64) bool {
	interval := int64(SnapshotEventsPerActivity * len(r.Activities))
	if interval < MinSnapshotInterval || r.Status.Terminal() {
		interval = MinSnapshotInterval
	}
	return r.Seq-lastSnapshotSeq >= interval
}

// ClampLimit returns the page size a List method uses for limit: DefaultLimit
// when limit <= 0, MaxLimit when limit > MaxLimit.
func ClampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultLimit
	case limit > MaxLimit:
		return MaxLimit
	}
	return limit
}
