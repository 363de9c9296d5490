package memstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Config tunes a Store. A nil *Config is valid.
type Config struct {
	// SnapshotEvery, when positive, snapshots a release every SnapshotEvery
	// events instead of following store.SnapshotDue (tests use small values
	// to exercise loading from snapshots). Defaults to 0: store.SnapshotDue.
	SnapshotEvery int64
}

// Store is an in-memory store.Store and store.Leaser. The zero value is not
// usable; call New.
type Store struct {
	cfg Config

	mu        sync.RWMutex // guards the maps below (not the releases' contents)
	processes map[process.ID][]storedProcess
	inputSets map[string][]byte
	releases  map[release.ID]*storedRelease
	order     []*storedRelease // the releases by (CreatedAt, ID): ListReleases pages through it
	occurs    map[occurrence]release.ID
	claims    map[occurrence]release.GroupDecision // occurrences a group's history decided without a release; made on first use
	groups    map[release.GroupID]*release.Group
	leases    map[string]*store.Lease
	leaseSeq  int64 // the last lease token handed out, for any key
	history   map[release.GroupID]*groupHistory
	freezes   map[release.FreezeID]*release.Freeze   // made on first use
	policies  map[release.PolicyID][]*release.Policy // every version, oldest first; made on first use
	notifier  subscribers                            // of SubscribeReleases
	deletions []store.Deletion                       // the deletion log (RetentionStore)
	deleted   map[release.ID]bool                    // the ids of deleted releases; made on first use
	feed      feedLog                                // store.FeedStore, store.CursorStore
	links     linkIndex                              // store.LinkStore

	// procs decodes the processes of the releases loaded: they share one
	// read-only copy per process version.
	procs release.ProcessCache
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.Leaser      = (*Store)(nil)
	_ store.AnchorStore = (*Store)(nil)

	_ store.GroupHistoryStore = (*Store)(nil)
	_ store.UnfinishedLister  = (*Store)(nil)
	_ store.RetentionStore    = (*Store)(nil)
)

type storedProcess struct {
	info store.ProcessVersion
	doc  []byte // JSON of the process
}

type occurrence struct {
	group release.GroupID
	at    int64 // UnixNano of the occurrence
}

// storedRelease is one release: its log, its head, its summary and its
// latest snapshot. Its own mutex lets appends to different releases run in
// parallel.
//
// The summary and the snapshot are caches of the events: each is checked
// on read against its digest and the event it was built from, and the log
// against head, kept apart from it (see check and load).
type storedRelease struct {
	key    releaseCursor // its place in Store.order; never changes
	mu     sync.Mutex
	events []release.Event
	// head is the release's last sequence number and hash, set with each
	// append: a log that ends before it was cut short.
	head    release.Head
	summary release.Summary // built at summary.Seq, summary.Hash
	// summaryCopy is a private copy of summary as written: in memory, a copy
	// is the cheapest digest (no encoding on the append path), and reads
	// compare the two.
	summaryCopy  release.Summary
	snapshot     []byte // JSON of the release at snapshotSeq; nil for none
	snapshotSeq  int64
	snapshotHash release.Hash // the hash of the event at snapshotSeq
	// snapshotDigest is the SHA-256 of snapshot.
	snapshotDigest release.Hash
	anchors        []release.Anchor // in Seq order
	resume         release.Resume   // Release.Resume at the last append
	digest         keptDigest       // see digests.go
	// gone is set when the release is deleted: an append that found it
	// before must not write to it.
	gone bool
}

// setSummary records r's summary, its copy and r's head.
func (rec *storedRelease) setSummary(r *release.Release) {
	sum := r.Summary()
	rec.summary, rec.summaryCopy, rec.head = sum, sum.Clone(), release.Head{Release: r.ID, Seq: r.Seq, Hash: r.Hash}
	rec.resume = r.Resume()
}

// setSnapshot records snap, r's snapshot.
func (rec *storedRelease) setSnapshot(r *release.Release, snap []byte) {
	rec.snapshot, rec.snapshotSeq, rec.snapshotHash = snap, r.Seq, r.Hash
	rec.snapshotDigest = sha256.Sum256(snap)
}

// corrupt returns a *store.CorruptError about release id.
func corrupt(id release.ID, what string, seq int64, format string, args ...any) error {
	return &store.CorruptError{Store: "memstore", Release: id, What: what, Seq: seq, Err: fmt.Errorf(format, args...)}
}

// checkLog checks that the log ends at the release's head. rec.mu is held.
func (rec *storedRelease) checkLog(id release.ID) error {
	n := int64(len(rec.events))
	if n != rec.head.Seq || n == 0 || rec.events[n-1].Seq != n || rec.events[n-1].Hash != rec.head.Hash {
		return corrupt(id, "head", rec.head.Seq, "the log holds %d events and does not end at the recorded head (seq %d, hash %s)",
			n, rec.head.Seq, rec.head.Hash)
	}
	return nil
}

// eventHash returns the stored hash of the event at seq. rec.mu is held.
func (rec *storedRelease) eventHash(seq int64) (release.Hash, bool) {
	if seq < 1 || seq > int64(len(rec.events)) || rec.events[seq-1].Seq != seq {
		return release.Hash{}, false
	}
	return rec.events[seq-1].Hash, true
}

// checkSummary checks the summary against its copy, the event it
// was built from and the head. rec.mu is held.
func (rec *storedRelease) checkSummary(id release.ID) error {
	if err := rec.checkLog(id); err != nil {
		return err
	}
	sum := &rec.summary
	if !sameSummary(sum, &rec.summaryCopy) {
		return corrupt(id, "summary", sum.Seq, "the summary does not match its copy")
	}
	if h, ok := rec.eventHash(sum.Seq); sum.ID != id || !ok || h != sum.Hash || sum.Head() != rec.head {
		return corrupt(id, "summary", sum.Seq, "the summary was not built from the stored head (seq %d, hash %s)", rec.head.Seq, rec.head.Hash)
	}
	return nil
}

// sameSummary reports whether a and b are equal, as reflect.DeepEqual
// would (nil and empty labels differ), without its allocations: a list
// checks every summary it returns.
// (TestSameSummaryComparesEveryField keeps it in step with Summary.)
func sameSummary(a, b *release.Summary) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Version == b.Version &&
		a.ProcessID == b.ProcessID && a.ProcessVersion == b.ProcessVersion &&
		a.Group == b.Group && a.Occurrence == b.Occurrence && a.CreatedBy == b.CreatedBy &&
		(a.Labels == nil) == (b.Labels == nil) && maps.Equal(a.Labels, b.Labels) &&
		a.ScheduledFor == b.ScheduledFor && a.ExpectedStart == b.ExpectedStart && a.ExpectedEnd == b.ExpectedEnd &&
		a.Status == b.Status && a.CreatedAt == b.CreatedAt && a.StartedAt == b.StartedAt && a.EndedAt == b.EndedAt &&
		a.ActivitiesDone == b.ActivitiesDone && a.ActivitiesTotal == b.ActivitiesTotal && a.WaitingForInput == b.WaitingForInput &&
		a.Seq == b.Seq && a.Hash == b.Hash
}

// New returns an empty store.
func New(cfg *Config) *Store {
	s := &Store{
		processes: map[process.ID][]storedProcess{},
		inputSets: map[string][]byte{},
		releases:  map[release.ID]*storedRelease{},
		occurs:    map[occurrence]release.ID{},
		groups:    map[release.GroupID]*release.Group{},
		history:   map[release.GroupID]*groupHistory{},
		leases:    map[string]*store.Lease{},
	}
	if cfg != nil {
		s.cfg = *cfg
	}
	return s
}

func errf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("memstore: "+format+": %w", append(args, sentinel)...)
}

// ---- processes ----

// PutProcess implements store.ProcessStore.
func (s *Store) PutProcess(ctx context.Context, p *store.PutProcessParams) (*process.Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.Process == nil || p.Process.ID == "" {
		return nil, errf(store.ErrInvalid, "put process: a process with an id is required")
	}
	if p.Now.IsZero() {
		return nil, errf(store.ErrInvalid, "put process %s: Now is required (stores never read the clock)", p.Process.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	versions := s.processes[p.Process.ID]
	next := len(versions) + 1
	if p.Process.Version != 0 && p.Process.Version != next {
		return nil, errf(store.ErrConflict, "put process %s: version %d given, next is %d", p.Process.ID, p.Process.Version, next)
	}
	c := *p.Process
	c.Version = next
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "put process %s: encoding: %v", p.Process.ID, err)
	}
	s.processes[c.ID] = append(versions, storedProcess{
		info: store.ProcessVersion{ID: c.ID, Version: next, Name: c.Name, CreatedAt: p.Now, CreatedBy: p.CreatedBy},
		doc:  doc,
	})
	return decodeProcess(doc)
}

func decodeProcess(doc []byte) (*process.Process, error) {
	p := new(process.Process)
	if err := json.Unmarshal(doc, p); err != nil {
		return nil, fmt.Errorf("memstore: decoding process: %w", err)
	}
	return p, nil
}

// GetProcess implements store.ProcessStore.
func (s *Store) GetProcess(ctx context.Context, id process.ID, version int) (*process.Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	versions := s.processes[id]
	var doc []byte
	switch {
	case version == 0 && len(versions) > 0:
		doc = versions[len(versions)-1].doc
	case version > 0 && version <= len(versions):
		doc = versions[version-1].doc
	}
	s.mu.RUnlock()
	if doc == nil {
		return nil, errf(store.ErrNotFound, "process %s version %d", id, version)
	}
	return decodeProcess(doc)
}

// ListProcesses implements store.ProcessStore.
func (s *Store) ListProcesses(ctx context.Context, p *store.ListProcessesParams) (*store.ProcessPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListProcessesParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	var all []store.ProcessVersion
	for id, vs := range s.processes {
		if string(id) > after {
			all = append(all, vs[len(vs)-1].info)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b store.ProcessVersion) int { return strings.Compare(string(a.ID), string(b.ID)) })
	page := &store.ProcessPage{}
	page.Processes, page.Next = pageOf(all, store.ClampLimit(p.Limit), func(v store.ProcessVersion) string { return encodeKeyCursor(string(v.ID)) })
	return page, nil
}

// ListProcessVersions implements store.ProcessStore.
func (s *Store) ListProcessVersions(ctx context.Context, p *store.ListProcessVersionsParams) (*store.ProcessVersionPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.ID == "" {
		return nil, errf(store.ErrInvalid, "list process versions: an id is required")
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	afterVersion := 0
	if after != "" {
		if _, err := fmt.Sscanf(after, "%d", &afterVersion); err != nil {
			return nil, errf(store.ErrInvalid, "cursor %q", p.Cursor)
		}
	}
	s.mu.RLock()
	vs := s.processes[p.ID]
	var all []store.ProcessVersion
	for _, v := range vs {
		if v.info.Version > afterVersion {
			all = append(all, v.info)
		}
	}
	s.mu.RUnlock()
	if len(vs) == 0 {
		return nil, errf(store.ErrNotFound, "process %s", p.ID)
	}
	page := &store.ProcessVersionPage{}
	page.Versions, page.Next = pageOf(all, store.ClampLimit(p.Limit), func(v store.ProcessVersion) string {
		return encodeKeyCursor(fmt.Sprint(v.Version))
	})
	return page, nil
}

// ---- input sets ----

// PutInputSet implements store.InputSetStore.
func (s *Store) PutInputSet(ctx context.Context, set *process.InputSet) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if set == nil || set.ID == "" || set.Process == "" {
		return errf(store.ErrInvalid, "put input set: an input set with an id and a process is required")
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return errf(store.ErrInvalid, "put input set %s: encoding: %v", set.ID, err)
	}
	s.mu.Lock()
	s.inputSets[set.ID] = doc
	s.mu.Unlock()
	return nil
}

func decodeInputSet(doc []byte) (*process.InputSet, error) {
	set := new(process.InputSet)
	if err := json.Unmarshal(doc, set); err != nil {
		return nil, fmt.Errorf("memstore: decoding input set: %w", err)
	}
	return set, nil
}

// GetInputSet implements store.InputSetStore.
func (s *Store) GetInputSet(ctx context.Context, id string) (*process.InputSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	doc := s.inputSets[id]
	s.mu.RUnlock()
	if doc == nil {
		return nil, errf(store.ErrNotFound, "input set %s", id)
	}
	return decodeInputSet(doc)
}

// ListInputSets implements store.InputSetStore.
func (s *Store) ListInputSets(ctx context.Context, p *store.ListInputSetsParams) (*store.InputSetPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListInputSetsParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	var all []*process.InputSet
	for id, doc := range s.inputSets {
		if id <= after {
			continue
		}
		set, err := decodeInputSet(doc)
		if err != nil {
			s.mu.RUnlock()
			return nil, err
		}
		if p.Process == "" || set.Process == p.Process {
			all = append(all, set)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b *process.InputSet) int { return strings.Compare(a.ID, b.ID) })
	page := &store.InputSetPage{}
	page.InputSets, page.Next = pageOf(all, store.ClampLimit(p.Limit), func(v *process.InputSet) string { return encodeKeyCursor(v.ID) })
	return page, nil
}

// DeleteInputSet implements store.InputSetStore.
func (s *Store) DeleteInputSet(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.inputSets[id]; !ok {
		return errf(store.ErrNotFound, "input set %s", id)
	}
	delete(s.inputSets, id)
	return nil
}

// ---- releases ----

func checkState(r *release.Release, events []release.Event) error {
	if r == nil {
		return errf(store.ErrInvalid, "the release after the events is required")
	}
	if len(events) == 0 {
		return errf(store.ErrInvalid, "release %s: no events", r.ID)
	}
	last := events[len(events)-1]
	if r.ID != last.Release || r.Seq != last.Seq || r.Hash != last.Hash {
		return errf(store.ErrInvalid, "release %s: the release given is at event %d, not at the last event given (%d)", r.ID, r.Seq, last.Seq)
	}
	return nil
}

func cloneEvents(events []release.Event) []release.Event {
	out := make([]release.Event, len(events))
	for i, e := range events {
		out[i] = e.Clone()
	}
	return out
}

func (s *Store) snapshotDue(r *release.Release, last int64) bool {
	if s.cfg.SnapshotEvery > 0 {
		return r.Seq-last >= s.cfg.SnapshotEvery
	}
	return store.SnapshotDue(r, last)
}

// CreateRelease implements store.ReleaseStore.
func (s *Store) CreateRelease(ctx context.Context, p *store.CreateReleaseParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p == nil {
		return errf(store.ErrInvalid, "create release: params are required")
	}
	if err := checkState(p.Release, p.Events); err != nil {
		return err
	}
	id := p.Release.ID
	if p.Events[0].Kind != release.KindReleaseCreated {
		return errf(store.ErrInvalid, "create release %s: the first event is %s, not %s", id, p.Events[0].Kind, release.KindReleaseCreated)
	}
	if err := release.VerifyChain(p.Events); err != nil {
		return fmt.Errorf("memstore: create release %s: %w: %w", id, store.ErrInvalid, err)
	}
	if err := store.CheckAnchor(p.Anchor, release.Head{Release: id, Seq: p.Release.Seq, Hash: p.Release.Hash}); err != nil {
		return fmt.Errorf("memstore: create release %s: %w: %w", id, store.ErrInvalid, err)
	}
	links, err := store.LinkChangesOf(p.Release, p.Events)
	if err != nil {
		return fmt.Errorf("memstore: create release %s: %w", id, err)
	}
	// Room for about two events per activity, so that appends seldom copy
	// the log.
	events := make([]release.Event, 0, len(p.Events)+2*len(p.Release.Activities)+8)
	for _, e := range p.Events {
		events = append(events, e.Clone())
	}
	rec := &storedRelease{events: events}
	rec.setSummary(p.Release)
	if p.Anchor != nil {
		rec.anchors = []release.Anchor{p.Anchor.Clone()}
	}
	rec.key = releaseCursor{rec.summary.CreatedAt, id}
	if s.snapshotDue(p.Release, 0) {
		snap, err := p.Release.MarshalSnapshot()
		if err != nil {
			return errf(store.ErrInvalid, "create release %s: encoding snapshot: %v", id, err)
		}
		rec.setSnapshot(p.Release, snap)
	}
	occ := occurrence{group: p.Release.Group, at: p.Release.Occurrence.UnixNano()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, ok := s.releases[id]; ok {
		return errf(store.ErrAlreadyExists, "create release %s", id)
	}
	if s.deleted[id] {
		return errf(store.ErrAlreadyExists, "create release %s: a release with that id was deleted", id)
	}
	if !p.Release.Occurrence.IsZero() {
		if other, ok := s.occurs[occ]; ok {
			return errf(store.ErrAlreadyExists, "create release %s: release %s of group %q exists for occurrence %s",
				id, other, occ.group, p.Release.Occurrence.UTC().Format(time.RFC3339))
		}
		if d, ok := s.claims[occ]; ok {
			return errf(store.ErrClaimed, "create release %s: group %q recorded occurrence %s %s",
				id, occ.group, p.Release.Occurrence.UTC().Format(time.RFC3339), d)
		}
		s.occurs[occ] = id
	}
	s.releases[id] = rec
	s.links.apply(id, &links)
	// IDs are time-ordered, so a new release nearly always goes last.
	if n := len(s.order); n == 0 || releaseBefore(s.order[n-1].key, rec.key) < 0 {
		s.order = append(s.order, rec)
	} else {
		i, _ := slices.BinarySearchFunc(s.order, rec.key, func(r *storedRelease, k releaseCursor) int { return releaseBefore(r.key, k) })
		s.order = slices.Insert(s.order, i, rec)
	}
	s.feed.add(rec, id, 1, p.Release.Seq)
	if p.Notify {
		s.notifier.notify(id, p.Release.Seq)
	}
	return nil
}

func (s *Store) release(id release.ID) *storedRelease {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.releases[id]
}

// AppendEvents implements store.ReleaseStore.
func (s *Store) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p == nil {
		return errf(store.ErrInvalid, "append events: params are required")
	}
	if err := checkState(p.Release, p.Events); err != nil {
		return err
	}
	id := p.Release.ID
	rec := s.release(id)
	if rec == nil {
		return errf(store.ErrNotFound, "release %s", id)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if rec.gone {
		return errf(store.ErrNotFound, "release %s", id)
	}
	head := rec.head
	if head.Seq != p.ExpectedSeq {
		return errf(store.ErrConflict, "append to release %s: expected seq %d, stored %d", id, p.ExpectedSeq, head.Seq)
	}
	if err := release.VerifyChainFrom(head, p.Events); err != nil {
		return fmt.Errorf("memstore: append to release %s: %w: %w", id, store.ErrInvalid, err)
	}
	if err := store.CheckAnchor(p.Anchor, release.Head{Release: id, Seq: p.Release.Seq, Hash: p.Release.Hash}); err != nil {
		return fmt.Errorf("memstore: append to release %s: %w: %w", id, store.ErrInvalid, err)
	}
	links, err := store.LinkChangesOf(p.Release, p.Events)
	if err != nil {
		return fmt.Errorf("memstore: append to release %s: %w", id, err)
	}
	if err := rec.checkLog(id); err != nil {
		return err // never append after a log cut short
	}
	var snap []byte
	if s.snapshotDue(p.Release, rec.snapshotSeq) {
		var err error
		if snap, err = p.Release.MarshalSnapshot(); err != nil {
			return errf(store.ErrInvalid, "append to release %s: encoding snapshot: %v", id, err)
		}
	}
	rec.setSummary(p.Release)
	for _, e := range p.Events {
		rec.events = append(rec.events, e.Clone())
	}
	if snap != nil {
		rec.setSnapshot(p.Release, snap)
	}
	if p.Anchor != nil {
		rec.anchors = append(rec.anchors, p.Anchor.Clone())
	}
	s.feed.add(rec, id, p.Events[0].Seq, p.Release.Seq)
	s.links.apply(id, &links)
	if p.Notify {
		s.notifier.notify(id, p.Release.Seq)
	}
	return nil
}

// ListAnchors implements store.AnchorStore.
func (s *Store) ListAnchors(ctx context.Context, p *store.ListAnchorsParams) ([]release.Anchor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list anchors: params are required")
	}
	rec := s.release(p.Release)
	if rec == nil {
		return nil, errf(store.ErrNotFound, "release %s", p.Release)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	i, _ := slices.BinarySearchFunc(rec.anchors, p.AfterSeq+1, func(a release.Anchor, seq int64) int { return cmp.Compare(a.Seq, seq) })
	out := []release.Anchor{}
	for _, a := range rec.anchors[i:min(len(rec.anchors), i+store.ClampLimit(p.Limit))] {
		out = append(out, a.Clone())
	}
	return out, nil
}

// GetRelease implements store.ReleaseStore.
func (s *Store) GetRelease(ctx context.Context, id release.ID) (*release.Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec := s.release(id)
	if rec == nil {
		return nil, errf(store.ErrNotFound, "release %s", id)
	}
	rec.mu.Lock()
	if err := rec.checkLog(id); err != nil {
		rec.mu.Unlock()
		return nil, err
	}
	snap, snapSeq, snapHash, snapDigest := rec.snapshot, rec.snapshotSeq, rec.snapshotHash, rec.snapshotDigest
	stored, ok := rec.eventHash(snapSeq)
	if snap == nil {
		snapSeq, snapHash, stored, ok = 0, release.Hash{}, release.Hash{}, true
	}
	after := rec.events[min(snapSeq, int64(len(rec.events))):] // events are never rewritten: safe to read after unlock
	rec.mu.Unlock()
	return load(&s.procs, id, snap, snapSeq, snapHash, snapDigest, stored, ok, after)
}

// load folds a release from its snapshot (nil for none) at snapSeq and the
// events after it, checking each against the others: the snapshot against
// its digest and the hash stored of the event at snapSeq, the events
// against the chain from the snapshot's head.
func load(procs *release.ProcessCache, id release.ID, snap []byte, snapSeq int64, snapHash, snapDigest, stored release.Hash, found bool, after []release.Event) (*release.Release, error) {
	var r *release.Release
	if snap != nil {
		if sha256.Sum256(snap) != snapDigest {
			return nil, corrupt(id, "snapshot", snapSeq, "the snapshot does not match its digest")
		}
		if !found || stored != snapHash {
			return nil, corrupt(id, "snapshot", snapSeq, "the event at the snapshot's seq is not the one it was built from")
		}
		var err error
		if r, err = procs.UnmarshalSnapshot(snap); err != nil {
			return nil, corrupt(id, "snapshot", snapSeq, "%w", err)
		}
		if r.ID != id || r.Seq != snapSeq || r.Hash != snapHash {
			return nil, corrupt(id, "snapshot", snapSeq, "it holds release %s at seq %d", r.ID, r.Seq)
		}
	}
	if err := release.VerifyChainFrom(release.Head{Release: id, Seq: snapSeq, Hash: snapHash}, after); err != nil {
		var seq int64
		if ce := (*release.ChainError)(nil); errors.As(err, &ce) {
			seq = ce.Seq
		}
		return nil, corrupt(id, "event", seq, "%w", err)
	}
	var err error
	if r != nil {
		err = procs.FoldFrom(r, after)
	} else {
		r, err = procs.Fold(after)
	}
	if err != nil {
		return nil, fmt.Errorf("memstore: loading release %s: %w", id, err)
	}
	return r, nil
}

// GetReleaseSummary implements store.ReleaseStore.
func (s *Store) GetReleaseSummary(ctx context.Context, id release.ID) (*release.Summary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec := s.release(id)
	if rec == nil {
		return nil, errf(store.ErrNotFound, "release %s", id)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err := rec.checkSummary(id); err != nil {
		return nil, err
	}
	sum := rec.summary.Clone()
	return &sum, nil
}

type releaseCursor struct {
	CreatedAt time.Time  `json:"t"`
	ID        release.ID `json:"id"`
}

func releaseBefore(a, b releaseCursor) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(string(a.ID), string(b.ID))
}

// ListReleases implements store.ReleaseStore.
func (s *Store) ListReleases(ctx context.Context, p *store.ListReleasesParams) (*store.ReleasePage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListReleasesParams{}
	}
	var after *releaseCursor
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		after = new(releaseCursor)
		if err != nil || json.Unmarshal(raw, after) != nil || after.ID == "" {
			return nil, errf(store.ErrInvalid, "list releases: cursor %q", p.Cursor)
		}
	}
	// Walk the releases in order from the cursor, up to one match past the
	// page: a page costs what it skips and returns, not a sort of them all.
	limit := store.ClampLimit(p.Limit)
	s.mu.RLock()
	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(s.order, *after, func(r *storedRelease, k releaseCursor) int { return releaseBefore(r.key, k) })
		if start < len(s.order) && releaseBefore(s.order[start].key, *after) == 0 {
			start++
		}
	}
	var all []release.Summary
	var err error
	for _, rec := range s.order[start:] {
		rec.mu.Lock()
		if matches(p, &rec.summary) {
			if err = rec.checkSummary(rec.key.ID); err == nil {
				all = append(all, rec.summary.Clone())
			}
		}
		rec.mu.Unlock()
		if err != nil || len(all) > limit {
			break
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	page := &store.ReleasePage{}
	page.Releases, page.Next = pageOf(all, limit, func(v release.Summary) string {
		raw, _ := json.Marshal(releaseCursor{v.CreatedAt, v.ID})
		return base64.RawURLEncoding.EncodeToString(raw)
	})
	return page, nil
}

func matches(p *store.ListReleasesParams, s *release.Summary) bool {
	if len(p.Statuses) > 0 && !slices.Contains(p.Statuses, s.Status) {
		return false
	}
	if p.Group != "" && s.Group != p.Group {
		return false
	}
	if p.Process != "" && s.ProcessID != p.Process {
		return false
	}
	if !p.ScheduledFrom.IsZero() && s.ScheduledFor.Before(p.ScheduledFrom) {
		return false
	}
	if !p.ScheduledTo.IsZero() && !s.ScheduledFor.Before(p.ScheduledTo) {
		return false
	}
	return true
}

// ListEvents implements store.ReleaseStore.
func (s *Store) ListEvents(ctx context.Context, p *store.ListEventsParams) ([]release.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list events: params are required")
	}
	rec := s.release(p.Release)
	if rec == nil {
		return nil, errf(store.ErrNotFound, "release %s", p.Release)
	}
	rec.mu.Lock()
	events := rec.events
	rec.mu.Unlock()
	from := max(p.AfterSeq, 0)
	if from >= int64(len(events)) {
		return []release.Event{}, nil
	}
	to := min(int64(len(events)), from+int64(store.ClampLimit(p.Limit)))
	return cloneEvents(events[from:to]), nil
}

// ---- groups ----

// CreateGroup implements store.GroupStore.
func (s *Store) CreateGroup(ctx context.Context, g *release.Group) (*release.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if g == nil || g.ID == "" {
		return nil, errf(store.ErrInvalid, "create group: a group with an id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[g.ID]; ok {
		return nil, errf(store.ErrAlreadyExists, "create group %s", g.ID)
	}
	c := g.Clone()
	c.Revision = 1
	s.groups[g.ID] = c
	return c.Clone(), nil
}

// UpdateGroup implements store.GroupStore.
func (s *Store) UpdateGroup(ctx context.Context, g *release.Group) (*release.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if g == nil || g.ID == "" {
		return nil, errf(store.ErrInvalid, "update group: a group with an id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.groups[g.ID]
	if !ok {
		return nil, errf(store.ErrNotFound, "group %s", g.ID)
	}
	if old.Revision != g.Revision {
		return nil, errf(store.ErrConflict, "update group %s: revision %d given, stored %d", g.ID, g.Revision, old.Revision)
	}
	c := g.Clone()
	c.Revision++
	s.groups[g.ID] = c
	return c.Clone(), nil
}

// GetGroup implements store.GroupStore.
func (s *Store) GetGroup(ctx context.Context, id release.GroupID) (*release.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.groups[id]
	if !ok {
		return nil, errf(store.ErrNotFound, "group %s", id)
	}
	return g.Clone(), nil
}

// ListGroups implements store.GroupStore.
func (s *Store) ListGroups(ctx context.Context, p *store.ListGroupsParams) (*store.GroupPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListGroupsParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	var all []*release.Group
	for id, g := range s.groups {
		if string(id) <= after {
			continue
		}
		if p.Process != "" && g.Process != p.Process {
			continue
		}
		if p.Enabled != nil && g.Enabled != *p.Enabled {
			continue
		}
		all = append(all, g.Clone())
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b *release.Group) int { return strings.Compare(string(a.ID), string(b.ID)) })
	page := &store.GroupPage{}
	page.Groups, page.Next = pageOf(all, store.ClampLimit(p.Limit), func(g *release.Group) string { return encodeKeyCursor(string(g.ID)) })
	return page, nil
}

// DeleteGroup implements store.GroupStore.
func (s *Store) DeleteGroup(ctx context.Context, id release.GroupID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[id]; !ok {
		return errf(store.ErrNotFound, "group %s", id)
	}
	delete(s.groups, id)
	return nil
}

// ---- group history ----

// groupHistory is one group's records, ordered by key.
type groupHistory struct {
	records []historyRecord
	seen    map[historySeen]bool
	n       int64 // records appended
}

type historyKey struct{ occ, n int64 }

func (a historyKey) cmp(b historyKey) int {
	if a.occ != b.occ {
		return cmp.Compare(a.occ, b.occ)
	}
	return cmp.Compare(a.n, b.n)
}

type historySeen struct {
	occ      int64
	decision release.GroupDecision
}

type historyRecord struct {
	key historyKey
	doc []byte // JSON of the release.GroupRecord
}

// AppendGroupHistory implements store.GroupHistoryStore.
func (s *Store) AppendGroupHistory(ctx context.Context, r *release.GroupRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r == nil || r.Group == "" || r.Decision == "" || r.Occurrence.IsZero() {
		return errf(store.ErrInvalid, "append group history: a record with a group, an occurrence and a decision is required")
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return errf(store.ErrInvalid, "append group history %s: encoding: %v", r.Group, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.history[r.Group]
	if h == nil {
		h = &groupHistory{seen: map[historySeen]bool{}}
		s.history[r.Group] = h
	}
	seen := historySeen{occ: r.Occurrence.UnixNano(), decision: r.Decision}
	if h.seen[seen] {
		return errf(store.ErrAlreadyExists, "group %s: occurrence %s: %s is recorded", r.Group, r.Occurrence.UTC().Format(time.RFC3339Nano), r.Decision)
	}
	occ := occurrence{group: r.Group, at: seen.occ}
	if r.Claims() {
		if id, ok := s.occurs[occ]; ok {
			return errf(store.ErrConflict, "group %s: occurrence %s: %s: release %s is made for it", r.Group, r.Occurrence.UTC().Format(time.RFC3339Nano), r.Decision, id)
		}
		if s.claims == nil {
			s.claims = map[occurrence]release.GroupDecision{}
		}
		s.claims[occ] = r.Decision
	}
	h.n++
	k := historyKey{occ: seen.occ, n: h.n}
	i, _ := slices.BinarySearchFunc(h.records, k, func(e historyRecord, k historyKey) int { return e.key.cmp(k) })
	h.records = slices.Insert(h.records, i, historyRecord{key: k, doc: doc})
	h.seen[seen] = true
	return nil
}

// ListGroupHistory implements store.GroupHistoryStore.
func (s *Store) ListGroupHistory(ctx context.Context, p *store.ListGroupHistoryParams) (*store.GroupHistoryPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.Group == "" {
		return nil, errf(store.ErrInvalid, "list group history: a group is required")
	}
	var after *historyKey
	if p.Cursor != "" {
		raw, err := decodeKeyCursor(p.Cursor)
		var k historyKey
		if err == nil {
			_, err = fmt.Sscanf(raw, "%d/%d", &k.occ, &k.n)
		}
		if err != nil {
			return nil, errf(store.ErrInvalid, "cursor %q", p.Cursor)
		}
		after = &k
	}
	limit := store.ClampLimit(p.Limit)
	page := &store.GroupHistoryPage{Records: []release.GroupRecord{}}
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := s.history[p.Group]
	if h == nil {
		return page, nil
	}
	n := len(h.records)
	var last historyKey
	for j := 0; j < n; j++ {
		i := j
		if p.Newest {
			i = n - 1 - j
		}
		e := h.records[i]
		if after != nil && ((!p.Newest && e.key.cmp(*after) <= 0) || (p.Newest && e.key.cmp(*after) >= 0)) {
			continue
		}
		if len(page.Records) == limit {
			page.Next = encodeKeyCursor(fmt.Sprintf("%d/%d", last.occ, last.n))
			break
		}
		last = e.key
		var r release.GroupRecord
		if err := json.Unmarshal(e.doc, &r); err != nil {
			return nil, fmt.Errorf("memstore: group %s history: %w", p.Group, err)
		}
		page.Records = append(page.Records, r)
	}
	return page, nil
}

// ---- leases ----

func checkLease(p *store.LeaseParams, needTTL bool) error {
	if p == nil || p.Key == "" || p.Owner == "" {
		return errf(store.ErrInvalid, "lease: a key and an owner are required")
	}
	if needTTL && p.TTL <= 0 {
		return errf(store.ErrInvalid, "lease %s: ttl must be positive, got %s", p.Key, p.TTL)
	}
	return nil
}

// AcquireLease implements store.Leaser.
func (s *Store) AcquireLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkLease(p, true); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.leases[p.Key]
	if l == nil {
		l = &store.Lease{Key: p.Key}
		s.leases[p.Key] = l
	}
	live := l.Owner != "" && p.Now.Before(l.Expires)
	switch {
	case live && l.Owner != p.Owner:
		return nil, errf(store.ErrConflict, "lease %s: held by %s until %s", p.Key, l.Owner, l.Expires.UTC().Format(time.RFC3339Nano))
	case !live || l.Owner != p.Owner:
		// A new holder: tokens come from one counter for every key, so a
		// key's token never repeats though a released lease is deleted.
		s.leaseSeq++
		l.Token = s.leaseSeq
		l.Owner = p.Owner
	}
	l.Expires = p.Now.Add(p.TTL)
	c := *l
	return &c, nil
}

// RenewLease implements store.Leaser.
func (s *Store) RenewLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkLease(p, true); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.leases[p.Key]
	if l == nil {
		return nil, errf(store.ErrNotFound, "lease %s", p.Key)
	}
	if l.Owner != p.Owner || !p.Now.Before(l.Expires) {
		return nil, errf(store.ErrConflict, "renew lease %s: not held by %s", p.Key, p.Owner)
	}
	l.Expires = p.Now.Add(p.TTL)
	c := *l
	return &c, nil
}

// ReleaseLease implements store.Leaser.
func (s *Store) ReleaseLease(ctx context.Context, p *store.LeaseParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkLease(p, false); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.leases[p.Key]
	if l == nil || l.Owner == "" {
		return nil
	}
	if l.Owner != p.Owner {
		return errf(store.ErrConflict, "release lease %s: held by %s", p.Key, l.Owner)
	}
	delete(s.leases, p.Key) // the lease goes with the work
	return nil
}

// ---- paging ----

func encodeKeyCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

func decodeKeyCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) == 0 || bytes.ContainsRune(raw, 0) {
		return "", errf(store.ErrInvalid, "cursor %q", c)
	}
	return string(raw), nil
}

// pageOf returns the first limit items and the cursor after the last one
// when more follow.
func pageOf[T any](all []T, limit int, cursor func(T) string) ([]T, string) {
	if all == nil {
		all = []T{}
	}
	if len(all) <= limit {
		return all, ""
	}
	return all[:limit], cursor(all[limit-1])
}
