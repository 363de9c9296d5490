package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/schedule"
	"github.com/batonhq/baton/store"
)

// Labels the executor sets on child releases so that freezes hold them as
// they hold their parent (see Freezes in the package documentation).
const (
	// LabelFreezeGroup is the group of a child release's top-level
	// release: a freeze of that group holds the child too.
	LabelFreezeGroup = "baton.freeze-group"
	// LabelFreezeOverrides lists, comma-separated, the freezes the child's
	// parent release was let through (OverrideFreeze) when the child was
	// made: they let the child through too.
	LabelFreezeOverrides = "baton.freeze-overrides"
)

// Actions on freezes, each checked by Config.Authorize.
const (
	// ActionPutFreeze creates or replaces a freeze (PutFreeze);
	// Action.NewFreeze is the freeze as it would be stored.
	ActionPutFreeze ActionKind = "put-freeze"
	// ActionDeleteFreeze deletes a freeze (DeleteFreeze).
	ActionDeleteFreeze ActionKind = "delete-freeze"
	// ActionOverrideFreeze lets one release, or one activity of it,
	// through a freeze (OverrideFreeze). It is its own kind so that an
	// authorizer that allows starting or retrying does not allow it by
	// accident.
	ActionOverrideFreeze ActionKind = "override-freeze"
)

// ErrFrozen is matched (errors.Is) by every *FrozenError.
var ErrFrozen = errors.New("executor: frozen")

// ErrNoFreezeStore: the executor's store does not implement
// store.FreezeStore, so it keeps no freezes.
var ErrNoFreezeStore = errors.New("executor: the store keeps no freezes (it does not implement store.FreezeStore)")

// FrozenError refuses a start, on demand, that a freeze holds back: it
// names the freeze and the first instant the release or activity may
// start. It matches ErrFrozen.
//
//	executor: start: release 0190… is frozen by "Year end" (year-end: holidays) until 2027-01-04T00:00:00Z
type FrozenError struct {
	Action   ActionKind
	Release  release.ID
	Activity release.ActivityKey // empty for the release itself
	// Freeze, Name and Reason describe the freeze holding at the time.
	Freeze release.FreezeID
	Name   string
	Reason string
	// Until is when no freeze holds the target any more, following
	// freezes that chain into each other; zero when it could not be
	// found within a thousand windows.
	Until time.Time
}

func (e *FrozenError) Error() string {
	var b strings.Builder
	b.WriteString("executor: ")
	if e.Action != "" {
		b.WriteString(string(e.Action) + ": ")
	}
	if e.Activity != "" {
		b.WriteString("activity " + string(e.Activity) + " of ")
	}
	b.WriteString("release ")
	if e.Release != "" {
		b.WriteString(string(e.Release) + " ")
	}
	fmt.Fprintf(&b, "is frozen by %q (%s", e.Name, e.Freeze)
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	b.WriteString(")")
	if e.Until.IsZero() {
		b.WriteString(" with no end in sight")
	} else {
		b.WriteString(" until " + e.Until.UTC().Format(time.RFC3339))
	}
	b.WriteString("; an authorized operator may override it")
	return b.String()
}

// Is reports whether target is ErrFrozen.
func (e *FrozenError) Is(target error) bool { return target == ErrFrozen }

// compiledFreeze is a stored, enabled freeze with its windows read.
type compiledFreeze struct {
	f *release.Freeze
	w *schedule.Freezes
}

// freezeCache holds the enabled freezes of the store, read at most every
// RescanInterval (and at once after this executor changes one), and the
// timers that wait for a freeze to end, which are fired again when the
// freezes change.
type freezeCache struct {
	mu     sync.Mutex
	loaded time.Time // zero: never (or invalidated)
	sig    string    // ids and revisions of list
	list   []compiledFreeze
	waits  map[timerKey]bool
	holds  map[release.GroupID]time.Time // the groups' scheduled starts held, by end of hold
	// started numbers the reads of the freezes in the order they began,
	// applied is the number of the read whose list is kept: a read that
	// began before the kept one (and may have missed a PutFreeze that
	// one saw) is dropped when it ends, never kept over it.
	started, applied uint64
	// gen counts the changes of list (release.PolicyCheck.Freezes).
	gen uint64
}

// freezeStore returns the store's FreezeStore, if it has one.
func (e *Executor) freezeStore() (store.FreezeStore, bool) {
	return e.freezes, e.freezes != nil
}

// activeFreezes returns the enabled freezes, reading them from the store
// when they were never read or are older than RescanInterval. On a store
// error it keeps what it has.
func (e *Executor) activeFreezes(ctx context.Context) []compiledFreeze {
	fs, ok := e.freezeStore()
	if !ok {
		return nil
	}
	c := &e.fz
	c.mu.Lock()
	fresh := !c.loaded.IsZero() && (!e.cfg.rescans() || e.clock.Now().Sub(c.loaded) < e.cfg.RescanInterval)
	list := c.list
	c.mu.Unlock()
	if fresh {
		return list
	}
	list, _ = e.loadFreezes(ctx, fs, false)
	return list
}

// loadFreezes reads the enabled freezes and reports whether they changed
// since the last read; when they did (or force is set), every timer
// waiting for a freeze to end fires now, to look again.
func (e *Executor) loadFreezes(ctx context.Context, fs store.FreezeStore, force bool) ([]compiledFreeze, bool) {
	e.fz.mu.Lock()
	e.fz.started++
	read := e.fz.started
	e.fz.mu.Unlock()
	on := true
	p := &store.ListFreezesParams{Enabled: &on, Limit: store.MaxLimit}
	var list []compiledFreeze
	var sig strings.Builder
	for {
		page, err := fs.ListFreezes(ctx, p)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("executor: listing freezes", "err", err)
			}
			e.fz.mu.Lock()
			defer e.fz.mu.Unlock()
			return e.fz.list, false
		}
		for _, f := range page.Freezes {
			w, err := f.Compile()
			if err != nil {
				e.log.Error("executor: a stored freeze cannot be read; it holds nothing", "freeze", f.ID, "err", err)
				continue
			}
			list = append(list, compiledFreeze{f: f, w: w})
			fmt.Fprintf(&sig, "%s@%d,", f.ID, f.Revision)
		}
		if page.Next == "" {
			break
		}
		p.Cursor = page.Next
	}
	c := &e.fz
	c.mu.Lock()
	if read < c.applied { // a read that began later has been kept: it is newer
		defer c.mu.Unlock()
		return c.list, false
	}
	c.applied = read
	changed := force || (!c.loaded.IsZero() && c.sig != sig.String())
	if changed || c.sig != sig.String() {
		c.gen++
	}
	c.list, c.sig, c.loaded = list, sig.String(), e.clock.Now()
	var waits []timerKey
	if changed {
		waits = slices.Collect(maps.Keys(c.waits))
		clear(c.waits)
	}
	c.mu.Unlock()
	now := e.clock.Now()
	for _, k := range waits {
		if e.timers.has(k) {
			e.timers.set(k, now)
		}
	}
	return list, changed
}

// freezesChanged makes the next check read the freezes again and fires
// the timers waiting for a freeze to end, after this executor changed
// one.
func (e *Executor) freezesChanged(ctx context.Context) {
	fs, ok := e.freezeStore()
	if !ok {
		return
	}
	e.loadFreezes(ctx, fs, true)
}

// refreshFreezes reads the freezes again (the timerFreezes timer, every
// RescanInterval while Run runs), so that freezes stored, changed or
// deleted by other executors take effect here.
func (e *Executor) refreshFreezes(ctx context.Context) {
	fs, ok := e.freezeStore()
	if ok {
		e.loadFreezes(ctx, fs, false)
	}
	e.refreshPolicies(ctx)
	if (ok || e.policies != nil) && e.cfg.rescans() {
		e.timers.set(timerKey{kind: timerFreezes}, e.clock.Now().Add(e.cfg.RescanInterval))
	}
}

// waitGen is what a hold saw of the freezes and policies (their change
// counts) before it judged.
type waitGen struct{ freezes, policies uint64 }

// waitGen returns the change counts of the freezes and policies now.
func (e *Executor) waitGen() waitGen {
	e.fz.mu.Lock()
	defer e.fz.mu.Unlock()
	return waitGen{e.fz.gen, e.pol.gen.Load()}
}

// waitForFreeze arms timer k at until (or sooner: see loadFreezes) and
// notes it as waiting for a freeze or a policy. seen is what the hold saw
// before it judged: when the freezes or policies changed since, the change
// may have fired the waits before this one was noted, so k fires now, to
// look again.
func (e *Executor) waitForFreeze(k timerKey, until time.Time, seen waitGen) {
	e.fz.mu.Lock()
	if e.fz.waits == nil {
		e.fz.waits = map[timerKey]bool{}
	}
	e.fz.waits[k] = true
	if e.fz.gen != seen.freezes || e.pol.gen.Load() != seen.policies {
		until = e.clock.Now()
	}
	e.fz.mu.Unlock()
	e.timers.set(k, until)
}

// holding returns the first freeze in fs, by ID, that holds subj at t and
// is not passed, and the window holding it; nil when none does.
func holding(fs []compiledFreeze, subj release.FreezeSubject, t time.Time, passed func(release.FreezeID) bool) (*release.Freeze, schedule.Window) {
	for _, cf := range fs {
		if !cf.f.Scope.Matches(subj) || passed(cf.f.ID) {
			continue
		}
		if frozen, w := cf.w.Frozen(t); frozen {
			return cf.f, w
		}
	}
	return nil, schedule.Window{}
}

// frozenAt returns a *FrozenError when a freeze of fs holds subj at t: the
// first that holds, and when the last of the freezes chained from it
// ends. passed says which freezes an override lets through.
func frozenAt(fs []compiledFreeze, subj release.FreezeSubject, t time.Time, passed func(release.FreezeID) bool) *FrozenError {
	if len(fs) == 0 {
		return nil
	}
	f, w := holding(fs, subj, t, passed)
	if f == nil {
		return nil
	}
	fe := &FrozenError{Freeze: f.ID, Name: f.DisplayName(), Reason: f.Reason}
	until := w.End
	for range 1000 {
		g, w := holding(fs, subj, until, passed)
		if g == nil {
			fe.Until = until
			return fe
		}
		until = w.End
	}
	return fe
}

// overrides returns the freezes an override lets the release (k empty)
// or its activity k through: its own freeze.overridden events and, for a
// child release, those its parent had when the child was made.
func overrides(rel *release.Release, k release.ActivityKey) func(release.FreezeID) bool {
	inherited := rel.Labels[LabelFreezeOverrides]
	return func(id release.FreezeID) bool {
		if rel.FreezeOverridden(id, k) {
			return true
		}
		for s := range strings.SplitSeq(inherited, ",") {
			if s == string(id) {
				return true
			}
		}
		return false
	}
}

// releaseSubject is what freezes match a release against.
func releaseSubject(rel *release.Release) release.FreezeSubject {
	g := rel.Group
	if g == "" {
		g = release.GroupID(rel.Labels[LabelFreezeGroup])
	}
	return release.FreezeSubject{Group: g, Process: rel.ProcessID, Labels: rel.Labels}
}

// releaseFrozen returns a *FrozenError when a freeze holds the release's
// start now.
func (r *run) releaseFrozen(action ActionKind) *FrozenError {
	fs := r.e.activeFreezes(r.e.background())
	fe := frozenAt(fs, releaseSubject(r.rel), r.now(), overrides(r.rel, ""))
	if fe != nil {
		fe.Action, fe.Release = action, r.id
	}
	return fe
}

// activityFrozen returns a *FrozenError when a freeze holds the start of
// activity i now: the release is in its scope, or the activity's
// effective labels are.
func (r *run) activityFrozen(action ActionKind, i int32) *FrozenError {
	fs := r.e.activeFreezes(r.e.background())
	if len(fs) == 0 {
		return nil
	}
	ai := &r.p.acts[i]
	subj := releaseSubject(r.rel)
	subj.Activity = true
	subj.ActivityLabels = r.p.compiled.EffectiveLabels(ai.ref)
	fe := frozenAt(fs, subj, r.now(), overrides(r.rel, ai.key))
	if fe != nil {
		fe.Action, fe.Release, fe.Activity = action, r.id, ai.key
	}
	return fe
}

// freezeRecheck bounds a wait for a freeze with no end found.
const freezeRecheck = time.Hour

// holdActivity keeps activity i from starting while a freeze holds it:
// it stays Pending and a timer on the executor's timer structure looks
// again when the freeze ends (or when the freezes change). It reports
// whether it held the activity.
func (r *run) holdActivity(i int32) bool {
	seen := r.e.waitGen()
	fe := r.activityFrozen("", i)
	if fe == nil {
		return false
	}
	until := fe.Until
	if until.IsZero() {
		until = r.now().Add(freezeRecheck)
	}
	k := timerKey{rel: r.id, kind: timerFreezeWait, act: i}
	e := r.e
	r.onCommit = append(r.onCommit, func() { e.waitForFreeze(k, until, seen) })
	e.log.Info("executor: activity held by a freeze", "release", r.id, "activity", fe.Activity, "freeze", fe.Freeze, "until", until)
	return true
}

// holdRetry keeps the automatic next attempt of activity i from starting
// while a freeze holds it: its retry timer moves to the freeze's end. It
// reports whether it held the attempt.
func (r *run) holdRetry(i int32) bool {
	seen := r.e.waitGen()
	fe := r.activityFrozen("", i)
	if fe == nil {
		return r.holdRetryPolicy(i)
	}
	until := fe.Until
	if until.IsZero() {
		until = r.now().Add(freezeRecheck)
	}
	k := timerKey{rel: r.id, kind: timerRetry, act: i, attempt: int32(len(r.state(i).Attempts) + 1)}
	e := r.e
	r.onCommit = append(r.onCommit, func() { e.waitForFreeze(k, until, seen) })
	return true
}

// holdStart keeps a Scheduled release from starting by itself (its
// ScheduledFor, a subprocess's child) while a freeze holds it: the release
// is rescheduled to the freeze's end (release.rescheduled, naming the
// freeze) and its start timer moves there. It reports whether it held the
// release.
func (r *run) holdStart() bool {
	seen := r.e.waitGen()
	fe := r.releaseFrozen("")
	if fe == nil {
		return r.holdStartPolicy(true)
	}
	until := fe.Until
	if until.IsZero() {
		until = r.now().Add(freezeRecheck)
	}
	if !r.rel.ScheduledFor.Equal(until) {
		p := &release.ReleaseRescheduledPayload{ScheduledFor: until, ExpectedStart: until}
		if d := r.rel.ExpectedEnd.Sub(r.rel.ExpectedStart); d > 0 {
			p.ExpectedEnd = until.Add(d)
		}
		reason := fmt.Sprintf("frozen by %q (%s) until %s", fe.Name, fe.Freeze, until.UTC().Format(time.RFC3339))
		r.emit(r.actor(), reason, p)
		if g, occ := r.rel.Group, r.rel.Occurrence; g != "" && !occ.IsZero() {
			// A group's release: its history says the start waited.
			rec := &release.GroupRecord{Group: g, Occurrence: occ, Decision: release.DecisionWaited, Release: r.id, Freeze: fe.Freeze, Reason: reason}
			e := r.e
			r.effects = append(r.effects, func() {
				if err := e.record(e.background(), rec); err != nil {
					e.log.Warn("executor: recording a held start", "group", g, "release", rec.Release, "err", err)
				}
			})
		}
	}
	k := timerKey{rel: r.id, kind: timerStart}
	e := r.e
	r.onCommit = append(r.onCommit, func() { e.waitForFreeze(k, until, seen) })
	return true
}

// holdGroupStart notes that the scheduler's start of a group's release
// waits for a freeze to end; fireGroupStart looks again then (see
// groupWaitUntil).
func (e *Executor) holdGroupStart(ctx context.Context, g release.GroupID, occ time.Time, id release.ID, fe *FrozenError) error {
	until := fe.Until
	if until.IsZero() {
		until = e.clock.Now().Add(freezeRecheck)
	}
	e.fz.mu.Lock()
	if e.fz.holds == nil {
		e.fz.holds = map[release.GroupID]time.Time{}
	}
	if old, ok := e.fz.holds[g]; !ok || until.Before(old) {
		e.fz.holds[g] = until
	}
	if e.fz.waits == nil {
		e.fz.waits = map[timerKey]bool{}
	}
	e.fz.waits[groupStartKey(g)] = true
	e.fz.mu.Unlock()
	return e.record(ctx, &release.GroupRecord{Group: g, Occurrence: occ, Decision: release.DecisionWaited, Release: id, Freeze: fe.Freeze,
		Reason: fmt.Sprintf("frozen by %q (%s) until %s", fe.Name, fe.Freeze, until.UTC().Format(time.RFC3339))})
}

// groupWaitUntil returns when fireGroupStart looks again at a group whose
// next start waits: after PollInterval, or when the freeze holding it
// ends if one does.
func (e *Executor) groupWaitUntil(g release.GroupID, now time.Time) time.Time {
	at := now.Add(e.cfg.PollInterval)
	e.fz.mu.Lock()
	defer e.fz.mu.Unlock()
	if until, ok := e.fz.holds[g]; ok {
		delete(e.fz.holds, g)
		if until.After(at) {
			at = until
		}
	}
	return at
}

// placeOccurrence applies the freezes to an occurrence the scheduler is
// about to create: when one holds the group's release at occ, it returns
// the record that skips the occurrence (FreezeSkip), for the caller to
// claim the occurrence with, or records the occurrence shifted and
// returns its new instant (FreezeShift): the release is made for that
// instant, so occurrences shifted to the same instant make one release.
func (e *Executor) placeOccurrence(ctx context.Context, g *release.Group, occ time.Time) (at time.Time, skip *release.GroupRecord, err error) {
	fs := e.activeFreezes(ctx)
	subj := release.FreezeSubject{Group: g.ID, Process: g.Process, Labels: g.Labels}
	fe := frozenAt(fs, subj, occ, func(release.FreezeID) bool { return false })
	if fe == nil {
		return occ, nil, nil
	}
	if g.FreezePolicy != release.FreezeShift || fe.Until.IsZero() {
		reason := fmt.Sprintf("frozen by %q (%s)", fe.Name, fe.Freeze)
		if fe.Reason != "" {
			reason += ": " + fe.Reason
		}
		return occ, &release.GroupRecord{Group: g.ID, Occurrence: occ, Decision: release.DecisionSkipped, Freeze: fe.Freeze, Reason: reason}, nil
	}
	err = e.record(ctx, &release.GroupRecord{Group: g.ID, Occurrence: occ, Decision: release.DecisionShifted, Freeze: fe.Freeze, ShiftedTo: fe.Until,
		Reason: fmt.Sprintf("frozen by %q (%s); shifted to %s", fe.Name, fe.Freeze, fe.Until.UTC().Format(time.RFC3339))})
	return fe.Until, nil, err
}

// createFrozen checks a release about to be created and started at once:
// it returns a *FrozenError when a freeze holds it.
func (e *Executor) createFrozen(ctx context.Context, subj release.FreezeSubject) *FrozenError {
	fe := frozenAt(e.activeFreezes(ctx), subj, e.clock.Now(), func(release.FreezeID) bool { return false })
	if fe != nil {
		fe.Action = ActionCreate
	}
	return fe
}

// childLabels adds to a child release's labels what freezes need: its
// parent's own labels and the effective labels of its subprocess activity
// k over them (a freeze of env=prod holds the child of a prod release or
// activity), the group of the release tree, and the freezes the parent, or
// its activity k, was let through.
func childLabels(labels map[string]string, parent *release.Release, k release.ActivityKey, actLabels map[string]string) {
	for _, m := range []map[string]string{parent.Labels, actLabels} {
		for k, v := range m {
			if !strings.HasPrefix(k, ReservedLabelPrefix) {
				labels[k] = v
			}
		}
	}
	if g := releaseSubject(parent).Group; g != "" {
		labels[LabelFreezeGroup] = string(g)
	}
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for s := range strings.SplitSeq(parent.Labels[LabelFreezeOverrides], ",") {
		add(s)
	}
	for _, o := range parent.FreezeOverrides {
		if o.Activity == "" || o.Activity == k {
			add(string(o.Freeze))
		}
	}
	if len(ids) > 0 {
		labels[LabelFreezeOverrides] = strings.Join(ids, ",")
	}
}

// PutFreezeParams are the arguments of PutFreeze.
type PutFreezeParams struct {
	// By names who stores the freeze (Actor, required) and why (Reason, passed
	// to the authorizer).
	By
	// Freeze is the freeze to store. Revision 0 creates it (the id must be
	// free); otherwise it replaces the stored freeze iff its revision is
	// still Revision (else an error matching store.ErrConflict).
	Freeze *release.Freeze
}

// PutFreeze validates a freeze (every field at once: release.Freeze.Validate,
// an error matching ErrInvalid with the *release.FreezeError in the chain)
// and stores it, after Config.Authorize allowed ActionPutFreeze on the new
// freeze (Action.NewFreeze, and its scope in Action.Scope and the labels)
// and, when it replaces one, on the stored freeze: a right over the scope
// of one does not re-scope the other. CreatedBy and CreatedAt are set on
// creation (the actor and the executor's clock) and kept on replacement.
// It takes effect on this executor at once (activities waiting for a
// freeze look again), on others within their RescanInterval. It returns
// the stored freeze with its new Revision.
func (e *Executor) PutFreeze(ctx context.Context, p *PutFreezeParams) (*release.Freeze, error) {
	if p == nil || p.Freeze == nil {
		return nil, invalidf(ActionPutFreeze, "freeze: required")
	}
	fs, ok := e.freezeStore()
	if !ok {
		return nil, fmt.Errorf("executor: %s: %w", ActionPutFreeze, ErrNoFreezeStore)
	}
	f := p.Freeze.Clone()
	a := freezeAction(ActionPutFreeze, p.By, f.ID, f)
	a.NewFreeze = f.Clone()
	if err := e.authorize(ctx, a); err != nil {
		return nil, err
	}
	var old *release.Freeze
	if f.Revision != 0 {
		// Replacing a freeze is judged on what it is too (see PutGroup).
		// The update below fails unless the stored revision is still the
		// one judged here.
		var err error
		if old, err = fs.GetFreeze(ctx, f.ID); err != nil {
			return nil, fmt.Errorf("executor: %s: freeze %s: %w", ActionPutFreeze, f.ID, err)
		}
		if old.Revision != f.Revision {
			return nil, fmt.Errorf("executor: %s: freeze %s: revision %d, stored %d: %w", ActionPutFreeze, f.ID, f.Revision, old.Revision, store.ErrConflict)
		}
		a := freezeAction(ActionPutFreeze, p.By, f.ID, old)
		a.NewFreeze = f.Clone()
		if err := e.authorize(ctx, a); err != nil {
			return nil, err
		}
	}
	if err := f.Validate(); err != nil {
		return nil, invalid(ActionPutFreeze, err)
	}
	var stored *release.Freeze
	var err error
	if old == nil {
		f.CreatedBy, f.CreatedAt = p.Actor, e.clock.Now()
		stored, err = fs.CreateFreeze(ctx, f)
	} else {
		f.CreatedBy, f.CreatedAt = old.CreatedBy, old.CreatedAt
		stored, err = fs.UpdateFreeze(ctx, f)
	}
	if err != nil {
		return nil, fmt.Errorf("executor: %s: freeze %s: %w", ActionPutFreeze, f.ID, err)
	}
	e.freezesChanged(ctx)
	return stored, nil
}

// GetFreeze returns a stored freeze; the authorizer sees ActionView of it
// by who (nil: anonymous). The caller owns the copy.
func (e *Executor) GetFreeze(ctx context.Context, id release.FreezeID, who *By) (*release.Freeze, error) {
	by := who.value()
	fs, ok := e.freezeStore()
	if !ok {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, ErrNoFreezeStore)
	}
	f, err := fs.GetFreeze(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: freeze %s: %w", ActionView, id, err)
	}
	if err := e.authorize(ctx, freezeView(by, f)); err != nil {
		return nil, err
	}
	return f, nil
}

// ListFreezesParams are the arguments of ListFreezes.
type ListFreezesParams struct {
	// By names the reader; freezes the authorizer refuses to show (ActionView)
	// are left out of the page.
	By
	store.ListFreezesParams
}

// ListFreezes returns a page of the stored freezes (see
// store.ListFreezesParams), leaving out those the reader may not view
// (ActionView).
func (e *Executor) ListFreezes(ctx context.Context, p *ListFreezesParams) (*store.FreezePage, error) {
	if p == nil {
		return nil, invalidf(ActionView, "params: required")
	}
	fs, ok := e.freezeStore()
	if !ok {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, ErrNoFreezeStore)
	}
	lp := p.ListFreezesParams
	page, err := fs.ListFreezes(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, err)
	}
	page.Freezes = viewable(ctx, e, page.Freezes, func(f *release.Freeze) *Action { return freezeView(p.By, f) })
	return page, nil
}

// DeleteFreeze deletes a freeze, after Config.Authorize allowed
// ActionDeleteFreeze on the stored freeze (Action.Scope). Activities and
// releases it held look again at once on this executor (on others within
// their RescanInterval); overrides recorded against it stay in the
// releases' events. ErrNotFound when the freeze does not exist;
// store.ErrConflict when it changed between being read for the authorizer
// and being deleted (then nothing is deleted: call again to be judged on
// the freeze as it is now).
func (e *Executor) DeleteFreeze(ctx context.Context, id release.FreezeID, p *By) error {
	by := p.value()
	fs, ok := e.freezeStore()
	if !ok {
		return fmt.Errorf("executor: %s: %w", ActionDeleteFreeze, ErrNoFreezeStore)
	}
	// Judged on the stored freeze's scope; one that is not stored only by
	// a right over every freeze (then the store says it is not found).
	f, err := fs.GetFreeze(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("executor: %s: freeze %s: %w", ActionDeleteFreeze, id, err)
	}
	if aerr := e.authorize(ctx, freezeAction(ActionDeleteFreeze, by, id, f)); aerr != nil {
		return aerr
	}
	if err == nil {
		// Only the freeze that was judged: one changed since (re-scoped,
		// say) is refused with ErrConflict, to be read and judged again.
		err = fs.DeleteFreeze(ctx, id, f.Revision)
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("executor: %s: freeze %s: %w: %w", ActionDeleteFreeze, id, ErrNotFound, err)
	} else if err != nil {
		return fmt.Errorf("executor: %s: freeze %s: %w", ActionDeleteFreeze, id, err)
	}
	e.freezesChanged(ctx)
	return nil
}

// OverrideFreezeParams are the arguments of OverrideFreeze.
type OverrideFreezeParams struct {
	// By names who overrides (Actor) and why (Reason); both required and
	// recorded.
	By
	// Freeze is the freeze to let the target through (required).
	Freeze release.FreezeID
}

// OverrideFreeze lets one release (activity k empty) or one activity of it
// through a freeze: it records freeze.overridden with the actor and reason,
// after Config.Authorize allowed ActionOverrideFreeze (Action.Freeze names
// the freeze and Action.Scope its scope, Action.Release and
// Action.Activity the target, with its labels). An override
// of the release covers its activities and the child releases it makes
// afterwards; an override of an activity covers that activity only (its
// retries too). Activities of the release that waited for the freeze start
// at once. A Scheduled release held at its start starts at its (moved)
// time, or when someone starts it.
//
// The freeze must exist (else ErrNotFound); the release must not have
// ended (ErrIllegal).
func (e *Executor) OverrideFreeze(ctx context.Context, id release.ID, k release.ActivityKey, p *OverrideFreezeParams) error {
	if p == nil || p.Freeze == "" {
		return invalidf(ActionOverrideFreeze, "freeze: required")
	}
	if strings.TrimSpace(p.Reason) == "" {
		return invalidf(ActionOverrideFreeze, "reason: required to override a freeze")
	}
	fs, ok := e.freezeStore()
	if !ok {
		return fmt.Errorf("executor: %s: %w", ActionOverrideFreeze, ErrNoFreezeStore)
	}
	f, err := fs.GetFreeze(ctx, p.Freeze)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("executor: %s: freeze %s: %w: %w", ActionOverrideFreeze, p.Freeze, ErrNotFound, err)
		}
		return fmt.Errorf("executor: %s: freeze %s: %w", ActionOverrideFreeze, p.Freeze, err)
	}
	sc := f.Scope.Clone()
	a := &Action{Kind: ActionOverrideFreeze, Release: id, Activity: k, Actor: p.Actor, Reason: p.Reason, Freeze: p.Freeze, Scope: &sc}
	return e.act(ctx, a, func(r *run) error {
		if r.rel.Status.Terminal() {
			return releaseState(ActionOverrideFreeze, id, r.rel.Status, release.Scheduled, release.Running, release.Paused)
		}
		if k != "" {
			if _, _, err := r.activity(ActionOverrideFreeze, k); err != nil {
				return err
			}
		}
		if !r.emit(p.Actor, p.Reason, &release.FreezeOverriddenPayload{Freeze: p.Freeze, Activity: k}) {
			return nil
		}
		r.lookAgain(k) // drive runs next
		return nil
	})
}

// lookAgain makes what waits in the release for a freeze or a policy to
// let it through look again now (an override was recorded): activity k,
// or every activity when k is empty, if it is Pending and held, or the
// automatic retry it waits to make. drive runs next.
func (r *run) lookAgain(k release.ActivityKey) {
	e := r.e
	for i := range r.p.acts {
		i := int32(i)
		if k != "" && r.p.acts[i].key != k {
			continue
		}
		st := r.state(i)
		wk := timerKey{rel: r.id, kind: timerFreezeWait, act: i}
		if st.Status == release.ActivityPending && e.timers.has(wk) {
			e.timers.stop(wk)
			e.forgetWait(wk)
			delete(r.policyHeld, i)
			r.ready = append(r.ready, i)
		}
		if st.Status == release.ActivityFailed {
			rk := timerKey{rel: r.id, kind: timerRetry, act: i, attempt: int32(len(st.Attempts) + 1)}
			if at, ok := e.timers.when(rk); ok && at.After(r.now()) && e.isFreezeWait(rk) {
				r.onCommit = append(r.onCommit, func() { e.timers.set(rk, r.now()) })
			}
		}
	}
}

// forgetWait notes that timer k fired: it waits for no freeze any more
// (unless held again).
func (e *Executor) forgetWait(k timerKey) {
	e.fz.mu.Lock()
	delete(e.fz.waits, k)
	e.fz.mu.Unlock()
}

// isFreezeWait reports whether timer k waits for a freeze to end.
func (e *Executor) isFreezeWait(k timerKey) bool {
	e.fz.mu.Lock()
	defer e.fz.mu.Unlock()
	return e.fz.waits[k]
}

// FreezeWindowsParams are the arguments of FreezeWindows.
type FreezeWindowsParams struct {
	// By names the reader; windows of freezes the authorizer refuses to show
	// (ActionView) are left out.
	By
	// From and To bound the windows returned: those overlapping
	// [From, To). Both are required.
	From, To time.Time
	// Subject, when set, keeps the freezes whose scope holds it (a
	// release of a group, a process, labels); nil keeps every freeze.
	Subject *release.FreezeSubject
	// Disabled includes disabled freezes too. Defaults to false.
	Disabled bool
}

// FreezeWindow is one window of a stored freeze, as FreezeWindows gives
// it: a calendar draws it.
type FreezeWindow struct {
	Freeze  release.FreezeID
	Name    string
	Reason  string
	Start   time.Time
	End     time.Time
	Scope   release.FreezeScope
	Enabled bool
}

// maxFreezeWindows bounds what one FreezeWindows call returns.
const maxFreezeWindows = 100000

// FreezeWindows returns the windows of the stored freezes that overlap
// [From, To), ordered by start then freeze id: one-off windows, each
// opening of a recurring window and the events of iCalendar text. It is
// what a release calendar shows. At most 100,000 windows are returned.
func (e *Executor) FreezeWindows(ctx context.Context, p *FreezeWindowsParams) ([]FreezeWindow, error) {
	if p == nil || p.From.IsZero() || p.To.IsZero() || !p.To.After(p.From) {
		return nil, invalidf(ActionView, "from and to: required, to after from")
	}
	fs, ok := e.freezeStore()
	if !ok {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, ErrNoFreezeStore)
	}
	out, err := e.freezeWindows(ctx, fs, p)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, err)
	}
	return out, nil
}

// freezeWindows is FreezeWindows without the checks: the windows of the
// freezes of fs that p selects, ordered by start then freeze id.
//
// With Config.Authorize set, freezes the reader p.By may not view are left
// out.
func (e *Executor) freezeWindows(ctx context.Context, fs store.FreezeStore, p *FreezeWindowsParams) ([]FreezeWindow, error) {
	lp := &store.ListFreezesParams{Limit: store.MaxLimit}
	if !p.Disabled {
		on := true
		lp.Enabled = &on
	}
	var out []FreezeWindow
	for {
		page, err := fs.ListFreezes(ctx, lp)
		if err != nil {
			return nil, err
		}
		for _, f := range page.Freezes {
			if p.Subject != nil && !f.Scope.Matches(*p.Subject) {
				continue
			}
			if e.cfg.Authorize != nil && !e.mayView(ctx, freezeView(p.By, f)) {
				continue
			}
			w, err := f.Compile()
			if err != nil {
				e.log.Error("executor: a stored freeze cannot be read", "freeze", f.ID, "err", err)
				continue
			}
			for _, win := range windowsIn(w, p.From, p.To) {
				if len(out) == maxFreezeWindows {
					break
				}
				out = append(out, FreezeWindow{Freeze: f.ID, Name: f.DisplayName(), Reason: f.Reason,
					Start: win.Start, End: win.End, Scope: f.Scope, Enabled: f.Enabled})
			}
		}
		if page.Next == "" {
			break
		}
		lp.Cursor = page.Next
	}
	slices.SortStableFunc(out, func(a, b FreezeWindow) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(string(a.Freeze), string(b.Freeze))
	})
	return out, nil
}

// windowsIn returns the windows of f that overlap [from, to).
func windowsIn(f *schedule.Freezes, from, to time.Time) []schedule.Window {
	var out []schedule.Window
	for _, w := range f.Windows {
		if w.End.After(from) && w.Start.Before(to) {
			out = append(out, w)
		}
	}
	for _, r := range f.Recurring {
		if r.Schedule == nil {
			continue
		}
		reach := time.Duration(r.Months)*31*24*time.Hour + time.Duration(r.Days)*25*time.Hour + r.Duration + time.Hour
		for s := range schedule.Between(r.Schedule, from.Add(-reach), to) {
			end := s.AddDate(0, r.Months, r.Days).Add(r.Duration)
			if end.After(from) {
				out = append(out, schedule.Window{Name: r.Name, Start: s, End: end})
			}
			if len(out) >= maxFreezeWindows {
				return out
			}
		}
	}
	return out
}

// withLabels returns base with over's labels added (over wins).
func withLabels(base, over map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}

// freezeReason says, for Why, which freeze holds the release (i < 0) or
// its activity i now, and until when; nil when none does.
func (e *Executor) freezeReason(ctx context.Context, rel *release.Release, p *plan, i int32) *Reason {
	fs := e.activeFreezes(ctx)
	if len(fs) == 0 {
		return nil
	}
	subj := releaseSubject(rel)
	var k release.ActivityKey
	if i >= 0 {
		subj.Activity = true
		subj.ActivityLabels = p.compiled.EffectiveLabels(p.acts[i].ref)
		k = p.acts[i].key
	}
	fe := frozenAt(fs, subj, e.clock.Now(), overrides(rel, k))
	if fe == nil {
		return nil
	}
	text := fmt.Sprintf("frozen by %q (%s", fe.Name, fe.Freeze)
	if fe.Reason != "" {
		text += ": " + fe.Reason
	}
	text += ")"
	if fe.Until.IsZero() {
		text += " with no end in sight"
	} else {
		text += " until " + fe.Until.UTC().Format(time.RFC3339)
	}
	return &Reason{Kind: ReasonFreeze, Freeze: fe.Freeze, Until: fe.Until, Text: text + "; an authorized operator may override it"}
}
