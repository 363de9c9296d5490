package executor

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/schedule"
	"github.com/batonhq/baton/store"
)

// Labels the scheduler sets on the releases it makes.
const (
	// LabelGroupSequence is the release's number in its group, 1 for the
	// group's first release.
	LabelGroupSequence = "baton.group-sequence"
	// LabelLate is "true" on a release created after its occurrence (after
	// downtime, inside the group's catch-up window).
	LabelLate = "baton.late"
	// LabelStart says who starts a Scheduled release: "manual" (a person,
	// with Start: the group does not auto-execute) or "group" (the group's
	// scheduler, at the occurrence, under its overlap policy). Without it
	// a release starts itself at its ScheduledFor.
	LabelStart = "baton.start"
)

// The values of LabelStart.
const (
	StartManual = "manual"
	StartGroup  = "group"
)

// MinCatchUp is the least catch-up window of every group: an occurrence
// is created late when the scheduler reaches it after its time, and
// recorded missed only when it is more than max(Group.CatchUp, MinCatchUp)
// past, so that a timer that fires a little late misses nothing.
const MinCatchUp = time.Minute

// maxOccurrencesPerFire bounds the occurrences one firing handles (after
// a long downtime); the rest are handled by the next firing, at once.
const maxOccurrencesPerFire = 1000

// scheduler holds the groups of an executor. A group costs a groupState
// and one or two timer entries on the executor's timer structure; no
// goroutine.
type scheduler struct {
	mu     sync.Mutex
	groups map[release.GroupID]*groupState
	// revs is the newest revision of each group seen, kept after a group
	// is paused, so that a listing read before a change cannot bring back
	// what the change replaced.
	revs map[release.GroupID]int64
	gen  uint64 // counts puts; see groupState.gen
}

// groupState is one group. mu serialises the handling of the
// group's timers and its replacement.
type groupState struct {
	mu      sync.Mutex
	g       *release.Group
	s       schedule.Schedule
	next    time.Time      // the next occurrence to handle; zero when none
	pending []pendingStart // releases this scheduler starts (LabelStart group), by occurrence
	gone    bool           // replaced or removed
	gen     uint64         // scheduler.gen when it was put
	fresh   bool           // begins at the time it was put, not after its history (see putMode)
	armed   bool           // armGroup succeeded
	// seq is the sequence number of the group's latest release this
	// executor made or found made, 0 until it knows (then it asks the
	// store: groupSequence). Every occurrence passes through occur in
	// order, so it stays right while the state lives.
	seq int
	// queued is set while a release waits for the previous one to end
	// (OverlapQueue): the end of a release of the group on this executor
	// wakes the start timer at once (groupEnded); the poll is the fallback
	// for releases that end elsewhere. Read without mu.
	queued atomic.Bool
}

// pendingStart is a release waiting for the scheduler to start it: at
// its ScheduledFor, the occurrence unless it was rescheduled.
type pendingStart struct {
	occ time.Time
	at  time.Time
	id  release.ID
}

// sortPending orders pending starts by time, then occurrence.
func sortPending(ps []pendingStart) {
	slices.SortFunc(ps, func(a, b pendingStart) int {
		if n := a.at.Compare(b.at); n != 0 {
			return n
		}
		return a.occ.Compare(b.occ)
	})
}

func groupKey(id release.GroupID) timerKey      { return timerKey{kind: timerGroup, grp: id} }
func groupStartKey(id release.GroupID) timerKey { return timerKey{kind: timerGroupStart, grp: id} }

func (s *scheduler) get(id release.GroupID) *groupState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groups[id]
}

// putMode says where the group given to put comes from.
type putMode uint8

const (
	// putStored: this executor just stored it (PutGroup, PauseGroup,
	// ResumeGroup). It begins at the current time, with no catch-up.
	putStored putMode = iota + 1
	// putInitial: the listing of Run's start. It continues after the last
	// occurrence of its history, catching up.
	putInitial
	// putRescan: a rescan's listing, which may be older than a change
	// this executor made meanwhile; a group changed, resumed or created
	// elsewhere begins at the current time.
	putRescan
)

// lock returns the group's state with its mu held, or nil when the
// group is not scheduled (any more).
func (s *scheduler) lock(id release.GroupID) *groupState {
	st := s.get(id)
	if st == nil {
		return nil
	}
	st.mu.Lock()
	if st.gone {
		st.mu.Unlock()
		return nil
	}
	return st
}

// put installs g as the scheduler's state of its group. An unchanged
// revision changes nothing, nor does an older one from a listing.
func (s *scheduler) put(ctx context.Context, e *Executor, g *release.Group, mode putMode) {
	s.mu.Lock()
	old := s.groups[g.ID]
	if (mode != putStored && g.Revision < s.revs[g.ID]) || (old != nil && old.g.Revision == g.Revision) {
		s.mu.Unlock()
		return
	}
	if s.groups == nil {
		s.groups = map[release.GroupID]*groupState{}
		s.revs = map[release.GroupID]int64{}
	}
	s.revs[g.ID] = g.Revision
	s.gen++
	var st *groupState
	// A paused group keeps its state: the releases it made and starts
	// itself (LabelStart group) still start; it makes no new ones.
	st = &groupState{g: g.Clone(), gen: s.gen, fresh: mode != putInitial}
	st.mu.Lock() // held until armed: a firing waits for it
	defer st.mu.Unlock()
	s.groups[g.ID] = st
	s.mu.Unlock()
	if old != nil {
		old.mu.Lock()
		old.gone = true
		old.mu.Unlock()
	}
	e.timers.stop(groupKey(g.ID))
	e.timers.stop(groupStartKey(g.ID))
	e.tryArmGroup(ctx, st)
}

// tryArmGroup arms the group, or tries again after StoreRetry (the
// group's timer finds it unarmed). st.mu is held.
func (e *Executor) tryArmGroup(ctx context.Context, st *groupState) bool {
	if err := e.armGroup(ctx, st); err != nil {
		if ctx.Err() == nil {
			e.log.Warn("executor: scheduling group", "group", st.g.ID, "err", err)
			e.timers.set(groupKey(st.g.ID), e.clock.Now().Add(e.cfg.StoreRetry))
		}
		return false
	}
	return true
}

// armGroup computes the group's next occurrence (none while it is
// paused) and the releases it is to start, and sets its timers: from the
// current time when st.fresh, else after the last occurrence of its
// history. st.mu is held.
func (e *Executor) armGroup(ctx context.Context, st *groupState) error {
	g := st.g
	sched, err := g.Schedule()
	if err != nil {
		return fmt.Errorf("cadence: %w", err)
	}
	st.s = sched
	now := e.clock.Now()
	if err := e.loadPending(ctx, st); err != nil {
		return err
	}
	if !g.Enabled {
		st.next, st.armed = time.Time{}, true
		e.armGroupTimers(st, now)
		return nil
	}
	last, err := e.lastOccurrence(ctx, g.ID)
	if err != nil {
		return err
	}
	var from time.Time
	switch {
	case st.fresh:
		from = now
		if last.After(from) {
			from = last
		}
	case !last.IsZero():
		from = last
	default: // no history: look back over the catch-up window, its start included
		from = now.Add(-max(g.CatchUp.D(), MinCatchUp) - time.Nanosecond)
	}
	st.next, st.armed = g.NextOccurrence(sched, from), true
	e.armGroupTimers(st, now)
	return nil
}

// armGroupTimers sets the group's timers from st. st.mu is held.
func (e *Executor) armGroupTimers(st *groupState, now time.Time) {
	if !st.next.IsZero() {
		e.timers.set(groupKey(st.g.ID), st.next.Add(-st.g.LeadTime.D()))
	} else {
		e.timers.stop(groupKey(st.g.ID))
	}
	if len(st.pending) > 0 {
		e.timers.set(groupStartKey(st.g.ID), st.pending[0].at)
	} else {
		e.timers.stop(groupStartKey(st.g.ID))
	}
}

// lastOccurrence returns the occurrence to go on after, from the group's
// history: its latest occurrence, or zero when there is none (or no history
// store). When the records just before the latest occurrence's are a
// shifted occurrence moved to it or past it (FreezeShift), the latest
// records are those of the shifted release, made for the freeze's end
// ahead of the occurrences between: it goes on after the shifted
// occurrence instead, so that each of those is placed, and recorded
// shifted, too (their release is the one already made).
func (e *Executor) lastOccurrence(ctx context.Context, id release.GroupID) (time.Time, error) {
	hs, ok := e.history, e.history != nil
	if !ok {
		return time.Time{}, nil
	}
	p := &store.ListGroupHistoryParams{Group: id, Newest: true, Limit: 4}
	var last, prev time.Time // the latest occurrence, the one before it
	for {
		page, err := hs.ListGroupHistory(ctx, p)
		if err != nil {
			return time.Time{}, fmt.Errorf("group history: %w", err)
		}
		for _, r := range page.Records {
			switch {
			case last.IsZero():
				last = r.Occurrence
			case r.Occurrence.Equal(last):
			case prev.IsZero() || r.Occurrence.Equal(prev):
				prev = r.Occurrence
				if r.Decision == release.DecisionShifted && !r.ShiftedTo.Before(last) {
					return prev, nil
				}
			default:
				return last, nil
			}
		}
		if page.Next == "" {
			return last, nil
		}
		p.Cursor = page.Next
		p.Limit = store.MaxLimit
	}
}

// loadPending finds the group's Scheduled releases that its scheduler is
// to start. st.mu is held.
func (e *Executor) loadPending(ctx context.Context, st *groupState) error {
	st.pending = st.pending[:0]
	p := &store.ListReleasesParams{Group: st.g.ID, Statuses: []release.Status{release.Scheduled}, Limit: store.MaxLimit}
	for {
		page, err := e.store.ListReleases(ctx, p)
		if err != nil {
			return fmt.Errorf("listing the group's scheduled releases: %w", err)
		}
		for _, s := range page.Releases {
			if s.Labels[LabelStart] == StartGroup && !s.Occurrence.IsZero() {
				st.pending = append(st.pending, pendingStart{occ: s.Occurrence, at: s.ScheduledFor, id: s.ID})
			}
		}
		if page.Next == "" {
			break
		}
		p.Cursor = page.Next
	}
	sortPending(st.pending)
	return nil
}

// loadGroups puts every group of the store on the scheduler: at the start
// of Run (initial: each catches up from its history) and at every rescan
// (to see the groups other executors stored, paused, resumed or deleted).
func (e *Executor) loadGroups(ctx context.Context, initial bool) {
	e.sched.mu.Lock()
	gen := e.sched.gen
	e.sched.mu.Unlock()
	mode := putRescan
	if initial {
		mode = putInitial
	}
	p := &store.ListGroupsParams{Limit: store.MaxLimit}
	seen := map[release.GroupID]bool{}
	for {
		page, err := e.store.ListGroups(ctx, p)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("executor: listing groups", "err", err)
			}
			return
		}
		for _, g := range page.Groups {
			seen[g.ID] = true
			e.sched.put(ctx, e, g, mode)
		}
		if page.Next == "" {
			break
		}
		p.Cursor = page.Next
	}
	// Groups deleted elsewhere (not those put since the listing began).
	e.sched.mu.Lock()
	var gone []release.GroupID
	for id, st := range e.sched.groups {
		if !seen[id] && st.gen <= gen {
			gone = append(gone, id)
		}
	}
	for id := range e.sched.revs {
		if !seen[id] {
			delete(e.sched.revs, id) // a group made again under its id starts from revision 1
		}
	}
	e.sched.mu.Unlock()
	for _, id := range gone {
		e.sched.remove(e, id)
	}
}

// remove forgets a group and stops its timers.
func (s *scheduler) remove(e *Executor, id release.GroupID) {
	s.mu.Lock()
	st := s.groups[id]
	delete(s.groups, id)
	s.mu.Unlock()
	if st != nil {
		st.mu.Lock()
		st.gone = true
		st.mu.Unlock()
	}
	e.timers.stop(groupKey(id))
	e.timers.stop(groupStartKey(id))
}

// stopAll forgets every group (Run ends); the next Run loads them again.
func (s *scheduler) stopAll(e *Executor) {
	s.mu.Lock()
	ids := slices.Collect(maps.Keys(s.groups))
	s.mu.Unlock()
	for _, id := range ids {
		s.remove(e, id)
	}
	s.mu.Lock()
	clear(s.revs)
	s.mu.Unlock()
}

// fireGroup handles the group's occurrences whose creation time (the
// occurrence minus the lead time) has come, then arms the next.
func (e *Executor) fireGroup(ctx context.Context, id release.GroupID) {
	st := e.sched.lock(id)
	if st == nil {
		return
	}
	defer st.mu.Unlock()
	if !st.armed && !e.tryArmGroup(ctx, st) {
		return
	}
	now := e.clock.Now()
	lead := st.g.LeadTime.D()
	for n := 0; !st.next.IsZero() && !st.next.Add(-lead).After(now); n++ {
		if n == maxOccurrencesPerFire {
			e.timers.set(groupKey(id), now)
			return
		}
		if err := e.occur(ctx, st, st.next, now); err != nil {
			if ctx.Err() == nil {
				e.log.Warn("executor: group occurrence", "group", id, "occurrence", st.next, "err", err)
				e.timers.set(groupKey(id), now.Add(e.cfg.StoreRetry))
			}
			return
		}
		st.next = st.g.NextOccurrence(st.s, st.next)
	}
	e.armGroupTimers(st, now)
}

// occur handles one occurrence: records it missed when it is past the
// catch-up window, else creates its release (exactly once across
// executors: the store refuses a second release for the occurrence). An
// error is a store failure: the occurrence is tried again.
func (e *Executor) occur(ctx context.Context, st *groupState, occ, now time.Time) error {
	g := st.g
	occ, skip, err := e.placeOccurrence(ctx, g, occ) // freezes: skip, or shift occ
	if err != nil {
		return err
	}
	id, err := groupReleaseID(g.ID, occ)
	if err != nil {
		return err
	}
	start := groupStart(g)
	if skip != nil {
		// Unless another executor, which saw no freeze, made the release.
		return e.decideWithout(ctx, st, id, start, skip)
	}
	if window := max(g.CatchUp.D(), MinCatchUp); now.Sub(occ) > window {
		// Unless it was made in time (by another executor, or by one that
		// stopped before recording it): then the claim fails and what was
		// made is recorded.
		return e.decideWithout(ctx, st, id, start, &release.GroupRecord{Group: g.ID, Occurrence: occ, Decision: release.DecisionMissed,
			Reason: fmt.Sprintf("reached %s after the occurrence, beyond the catch-up window of %s", now.Sub(occ), window)})
	}
	late := now.After(occ)
	if g.Overlap == release.OverlapForbid && !occ.After(now) {
		// Made at its occurrence (no lead time, or late): under forbid a
		// release of the group still running means no release at all.
		busy, err := e.groupBusy(ctx, g.ID, id)
		if err != nil {
			return err
		}
		if busy != "" {
			return e.decideWithout(ctx, st, id, start, &release.GroupRecord{Group: g.ID, Occurrence: occ, Decision: release.DecisionSkipped,
				Reason: fmt.Sprintf("release %s of the group is still running (overlap: forbid); no release made", busy)})
		}
	}
	seq := st.seq
	if seq == 0 {
		if seq, err = e.groupSequence(ctx, g.ID); err != nil {
			return err
		}
	}
	seq++
	name, version, err := g.Names(occ, seq)
	if err != nil {
		return e.decideWithout(ctx, st, id, start, &release.GroupRecord{Group: g.ID, Occurrence: occ, Decision: release.DecisionSkipped, Reason: err.Error()})
	}
	labels := maps.Clone(g.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelGroupSequence] = strconv.Itoa(seq)
	if late {
		labels[LabelLate] = "true"
	}
	if start != "" {
		labels[LabelStart] = start
	}
	sum, err := e.create(ctx, id, &CreateParams{
		Process: g.Process, ProcessVersion: g.ProcessVersion, InputSet: g.InputSet, Inputs: g.Inputs,
		Name: name, Version: version, By: By{Actor: e.cfg.InstanceID, Reason: fmt.Sprintf("group %s: occurrence %s", g.ID, occ.UTC().Format(time.RFC3339))},

		ScheduledFor: occ, Labels: labels, Group: g.ID, Occurrence: occ, ExpectedDuration: g.ReleaseDuration.D(),
	}, "")
	switch {
	case err == nil || sum.ID != "": // stored (perhaps not started yet: its timers and rescans see to it)
	case errors.Is(err, store.ErrClaimed):
		// Another executor decided the occurrence without a release
		// (skipped or missed): its record is the decision.
		return nil
	case errors.Is(err, store.ErrAlreadyExists):
		// Another executor made it (or one did, and stopped before
		// recording it): record what was made.
		if found, err := e.adopt(ctx, st, occ, id, start); found || err != nil {
			return err
		}
		id, seq = "", 0 // made for the occurrence under another id
	case errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound):
		// The group no longer fits its process: a decision, not a failure.
		return e.decideWithout(ctx, st, id, start, &release.GroupRecord{Group: g.ID, Occurrence: occ, Decision: release.DecisionSkipped, Reason: err.Error()})
	default:
		return err
	}
	rec := &release.GroupRecord{Group: g.ID, Occurrence: occ, Decision: release.DecisionCreated, Release: id, Sequence: seq}
	if late {
		rec.Decision = release.DecisionLate
		rec.Reason = fmt.Sprintf("created %s after the occurrence", now.Sub(occ))
	}
	if err := e.record(ctx, rec); err != nil {
		return err
	}
	st.seq = max(st.seq, seq)
	if start == StartGroup && id != "" {
		st.pending = append(st.pending, pendingStart{occ: occ, at: occ, id: id})
	}
	return nil
}

// decideWithout records r, a decision that its occurrence has no release
// (missed or skipped: r.Claims), as the occurrence's claim: the store
// refuses it when a release of the occurrence was made (by another
// executor, which saw the occurrence otherwise, or by one that stopped
// before recording it), and then that release is recorded instead (and
// started by this scheduler when start says so). Of executors racing for
// one occurrence, either every one records it without a release or every
// one records its release: never both.
func (e *Executor) decideWithout(ctx context.Context, st *groupState, id release.ID, start string, r *release.GroupRecord) error {
	err := e.record(ctx, r)
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	if _, err := e.adopt(ctx, st, r.Occurrence, id, start); err != nil {
		return err
	}
	return nil // found, or made under another id, or deleted since: decided either way
}

// adopt records the release made for an occurrence by another executor
// (or by one that stopped before recording it), and queues its start when
// this scheduler starts the group's releases. found is false when no
// release has the id the occurrence's release is given.
func (e *Executor) adopt(ctx context.Context, st *groupState, occ time.Time, id release.ID, start string) (found bool, err error) {
	s, err := e.store.GetReleaseSummary(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	if err := e.recordMade(ctx, st.g.ID, occ, s); err != nil {
		return true, err
	}
	st.seq = max(st.seq, labelSequence(s))
	if start == StartGroup && s.Status == release.Scheduled {
		st.pending = append(st.pending, pendingStart{occ: occ, at: s.ScheduledFor, id: id})
		sortPending(st.pending)
	}
	return true, nil
}

// recordMade records the release s made for an occurrence, as created or
// late as its labels say.
func (e *Executor) recordMade(ctx context.Context, g release.GroupID, occ time.Time, s *release.Summary) error {
	seq := labelSequence(s)
	rec := &release.GroupRecord{Group: g, Occurrence: occ, Decision: release.DecisionCreated, Release: s.ID, Sequence: seq}
	if s.Labels[LabelLate] != "" {
		rec.Decision, rec.Reason = release.DecisionLate, fmt.Sprintf("created %s after the occurrence", s.CreatedAt.Sub(occ))
	}
	return e.record(ctx, rec)
}

// labelSequence returns the release's LabelGroupSequence, 0 when it has
// none.
func labelSequence(s *release.Summary) int {
	n, _ := strconv.Atoi(s.Labels[LabelGroupSequence])
	return n
}

// expectedDuration returns given when positive, else the critical path.
func expectedDuration(given, critical time.Duration) time.Duration {
	if given > 0 {
		return given
	}
	return critical
}

// groupStart returns the LabelStart of g's releases.
func groupStart(g *release.Group) string {
	switch {
	case !g.AutoExecute:
		return StartManual
	case g.Overlap == release.OverlapForbid || g.Overlap == release.OverlapQueue:
		return StartGroup
	}
	return ""
}

// groupReleaseID derives the id of the release of a group's occurrence:
// a UUIDv7 with the occurrence's time and bits from a hash of the group
// and occurrence, so every executor names it alike.
func groupReleaseID(g release.GroupID, occ time.Time) (release.ID, error) {
	h := sha256.Sum256([]byte(string(g) + "\x00" + occ.UTC().Format(time.RFC3339Nano)))
	return release.NewID(occ, &fixedReader{b: h[:]})
}

type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// groupSequence returns the sequence number of the group's latest release
// (0 when it has none): the larger of the newest one in its history and
// those of the group's stored releases scheduled from that record's
// occurrence on. The releases cover an executor that stopped between
// making a release and recording it: its number is taken, though the
// history does not say so (a release rescheduled before its own record
// was made, to before the newest record, is the one case not covered).
func (e *Executor) groupSequence(ctx context.Context, id release.GroupID) (int, error) {
	seq, from, err := e.historySequence(ctx, id)
	if err != nil {
		return 0, err
	}
	p := &store.ListReleasesParams{Group: id, ScheduledFrom: from, Limit: store.MaxLimit}
	for {
		page, err := e.store.ListReleases(ctx, p)
		if err != nil {
			return 0, fmt.Errorf("listing the group's releases: %w", err)
		}
		for _, s := range page.Releases {
			if n, err := strconv.Atoi(s.Labels[LabelGroupSequence]); err == nil && n > seq {
				seq = n
			}
		}
		if page.Next == "" {
			return seq, nil
		}
		p.Cursor = page.Next
	}
}

// historySequence returns the newest sequence number in the group's
// history and the occurrence it was recorded for (zeros when none, or no
// history store).
func (e *Executor) historySequence(ctx context.Context, id release.GroupID) (int, time.Time, error) {
	hs, ok := e.history, e.history != nil
	if !ok {
		return 0, time.Time{}, nil
	}
	p := &store.ListGroupHistoryParams{Group: id, Newest: true, Limit: 8}
	for {
		page, err := hs.ListGroupHistory(ctx, p)
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("group history: %w", err)
		}
		for _, r := range page.Records {
			if r.Sequence > 0 {
				return r.Sequence, r.Occurrence, nil
			}
		}
		if page.Next == "" {
			return 0, time.Time{}, nil
		}
		p.Cursor = page.Next
		p.Limit = store.MaxLimit // past a run of missed or skipped occurrences
	}
}

// record appends r to the group's history, once: a record another
// executor made first is fine. Without a history store it does nothing.
func (e *Executor) record(ctx context.Context, r *release.GroupRecord) error {
	hs, ok := e.history, e.history != nil
	if !ok {
		return nil
	}
	r.At, r.By = e.clock.Now(), e.cfg.InstanceID
	if err := hs.AppendGroupHistory(ctx, r); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("group history: %w", err)
	}
	return nil
}

// fireGroupStart starts the group's releases whose occurrence has come
// (those its scheduler starts: LabelStart group), under its overlap
// policy: while another release of the group is Running or Paused,
// OverlapForbid aborts the new one (made ahead by the lead time) and
// records the occurrence skipped; OverlapQueue records it queued and
// starts it when the running one ends (groupEnded; every PollInterval as
// the fallback for a release that ends on another executor).
func (e *Executor) fireGroupStart(ctx context.Context, id release.GroupID) {
	st := e.sched.lock(id)
	if st == nil {
		return
	}
	defer st.mu.Unlock()
	now := e.clock.Now()
	kept := st.pending[:0]
	wait := false
	for i, p := range st.pending {
		if p.at.After(now) || wait {
			kept = append(kept, p)
			continue
		}
		done, err := e.startPending(ctx, st.g, &p)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			e.log.Warn("executor: group start", "group", id, "release", p.id, "err", err)
			kept = append(kept, st.pending[i:]...)
			st.pending = kept
			e.timers.set(groupStartKey(id), now.Add(e.cfg.StoreRetry))
			return
		}
		switch {
		case !done && p.at.After(now): // rescheduled to later
			kept = append(kept, p)
		case !done:
			kept = append(kept, p)
			wait = true // later occurrences queue behind it
		}
	}
	st.pending = kept
	sortPending(st.pending)
	st.queued.Store(wait)
	switch {
	case wait:
		e.timers.set(groupStartKey(id), e.groupWaitUntil(id, now))
	case len(st.pending) > 0:
		e.timers.set(groupStartKey(id), st.pending[0].at)
	default:
		e.timers.stop(groupStartKey(id))
	}
}

// groupEnded is called when a release of group g reached a terminal
// status on this executor: a release of the group queued behind it starts
// now rather than at the next poll. It takes no group lock (the caller may
// be the scheduler itself, inside fireGroupStart).
func (e *Executor) groupEnded(g release.GroupID) {
	if st := e.sched.get(g); st != nil && st.queued.Load() {
		e.timers.set(groupStartKey(g), e.clock.Now())
	}
}

// startPending starts, skips or queues one release at its occurrence;
// done is false when it stays queued, or was rescheduled to later (p.at
// is then its new time).
func (e *Executor) startPending(ctx context.Context, g *release.Group, p *pendingStart) (done bool, err error) {
	// Rescheduled (perhaps on another executor) or already decided?
	sum, err := e.store.GetReleaseSummary(ctx, p.id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return true, nil
	case err != nil:
		return false, err
	case sum.Status != release.Scheduled:
		return true, nil
	case sum.ScheduledFor.After(e.clock.Now()):
		p.at = sum.ScheduledFor
		return false, nil
	}
	busy, err := e.groupBusy(ctx, g.ID, p.id)
	if err != nil {
		return false, err
	}
	actor := e.cfg.InstanceID
	if busy != "" {
		reason := fmt.Sprintf("release %s of the group is still running (overlap: %s)", busy, g.Overlap)
		if g.Overlap == release.OverlapQueue {
			return false, e.record(ctx, &release.GroupRecord{Group: g.ID, Occurrence: p.occ, Decision: release.DecisionQueued, Release: p.id, Reason: reason})
		}
		err := e.groupAct(ctx, p.id, func(r *run) error {
			if r.rel.Status != release.Scheduled {
				return releaseState(ActionAbort, p.id, r.rel.Status, release.Scheduled)
			}
			r.emit(actor, "skipped: "+reason, &release.ReleaseAbortedPayload{})
			return nil
		})
		if err != nil && !errors.Is(err, ErrIllegal) {
			return false, err
		}
		if err != nil {
			return true, nil // someone else decided first
		}
		return true, e.record(ctx, &release.GroupRecord{Group: g.ID, Occurrence: p.occ, Decision: release.DecisionSkipped, Release: p.id, Reason: reason})
	}
	var frozen *FrozenError
	var held bool
	err = e.groupAct(ctx, p.id, func(r *run) error {
		if r.rel.Status != release.Scheduled {
			return releaseState(ActionStart, p.id, r.rel.Status, release.Scheduled)
		}
		if frozen = r.releaseFrozen(""); frozen != nil {
			return nil // waits for the freeze to end
		}
		if held = r.holdStartPolicy(false); held {
			return nil // waits for the policy to pass: looked at again after PollInterval
		}
		r.emit(actor, "group "+string(g.ID)+": occurrence", &release.ReleaseStartedPayload{})
		return nil
	})
	if err == nil && frozen != nil {
		return false, e.holdGroupStart(ctx, g.ID, p.occ, p.id, frozen)
	}
	if err == nil && held {
		return false, nil
	}
	switch {
	case errors.Is(err, ErrIllegal) || errors.Is(err, ErrNotFound):
		return true, nil // started, aborted or gone meanwhile
	case err != nil:
		return false, err
	}
	return true, e.record(ctx, &release.GroupRecord{Group: g.ID, Occurrence: p.occ, Decision: release.DecisionStarted, Release: p.id})
}

// groupBusy returns a Running or Paused release of the group other than
// id, or "" when there is none.
func (e *Executor) groupBusy(ctx context.Context, g release.GroupID, id release.ID) (release.ID, error) {
	page, err := e.store.ListReleases(ctx, &store.ListReleasesParams{
		Group: g, Statuses: []release.Status{release.Running, release.Paused}, Limit: 2,
	})
	if err != nil {
		return "", err
	}
	for _, s := range page.Releases {
		if s.ID != id {
			return s.ID, nil
		}
	}
	return "", nil
}

// groupAct runs fn on a release for the scheduler (no authorizer: the
// executor acts on its own), retrying when another writer got there first.
func (e *Executor) groupAct(ctx context.Context, id release.ID, fn func(r *run) error) error {
	for try := 0; ; try++ {
		err := e.with(ctx, id, fn)
		if errors.Is(err, store.ErrConflict) && try < 3 {
			continue
		}
		return err
	}
}
