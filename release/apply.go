package release

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/batonhq/baton/process"
)

// ErrIllegal is matched (errors.Is) by every error Apply returns for an event
// that is well formed but not legal in the release's current state: an
// illegal status transition (*TransitionError), a second approval by the
// same person, an activity event while the release is not running.
var ErrIllegal = errors.New("release: illegal event")

// TransitionError reports an event that would move a release, phase,
// activity or task along a transition its table does not have. It matches
// ErrIllegal.
type TransitionError struct {
	Seq     int64
	Kind    EventKind
	Subject string // "release", "phase build", "activity build.compile", "task build.compile/run-suite"
	From    string
	To      string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("release: event %d (%s): %s: %s -> %s is not a legal transition",
		e.Seq, e.Kind, e.Subject, e.From, e.To)
}

// Is reports whether target is ErrIllegal.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegal }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// illegalError is a broken rule other than a transition; it matches
// ErrIllegal and reads well inside an *EventError.
type illegalError struct{ msg string }

func (e *illegalError) Error() string        { return "illegal: " + e.msg }
func (e *illegalError) Is(target error) bool { return target == ErrIllegal }

func illegalf(format string, args ...any) error {
	return &illegalError{msg: fmt.Sprintf(format, args...)}
}

// New returns the release a sealed release.created event creates.
func New(created Event) (*Release, error) {
	r := new(Release)
	if err := Apply(r, created); err != nil {
		return nil, err
	}
	return r, nil
}

// Create makes a release: it seals a release.created event for a release
// with the given id (see NewID) and returns the release and the event, to be
// stored with store.ReleaseStore.CreateRelease.
//
// Create encodes p.Process for every release; an executor creating many
// releases of one process version uses a ProcessCache (ProcessCache.Create).
func Create(id ID, at time.Time, actor, reason string, p ReleaseCreatedPayload) (*Release, Event, error) {
	return create(nil, id, at, actor, reason, p)
}

func create(c *ProcessCache, id ID, at time.Time, actor, reason string, p ReleaseCreatedPayload) (*Release, Event, error) {
	if c != nil && id != "" && p.Process != nil {
		if r, e, ok, err := c.createPinned(id, at, actor, reason, &p); ok {
			return r, e, err
		}
	}
	e, err := NewEvent(at, actor, reason, p)
	if err != nil {
		return nil, Event{}, err
	}
	sealed, err := Seal(Head{Release: id}, []Event{e})
	if err != nil {
		return nil, Event{}, err
	}
	r, err := New(sealed[0])
	if err != nil {
		return nil, Event{}, err
	}
	return r, sealed[0], nil
}

// Fold rebuilds a release from its events, from release.created on. It
// checks that the events chain (sequence numbers and prev hashes) but not
// their hashes; VerifyChain does.
func Fold(events []Event) (*Release, error) {
	if len(events) == 0 {
		return nil, errors.New("release: fold: no events")
	}
	r := new(Release)
	for _, e := range events {
		if err := Apply(r, e); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// FoldFrom applies events, in order, to r (typically a decoded snapshot) and
// returns the first error. Loading a release from a store is
// FoldFrom(snapshot, events after the snapshot).
func FoldFrom(r *Release, events []Event) error {
	for _, e := range events {
		if err := Apply(r, e); err != nil {
			return err
		}
	}
	return nil
}

// Record seals events after r's head and applies them to r, all or nothing:
// on error r is left as it was and no events are returned. It returns the sealed events, ready for
// store.ReleaseStore.AppendEvents with ExpectedSeq set to r's Seq before the
// call.
func (r *Release) Record(events ...Event) ([]Event, error) {
	if r == nil || r.ID == "" {
		return nil, errors.New("release: record: the release has no id; use Create for release.created")
	}
	sealed, err := Seal(r.Head(), events)
	if err != nil {
		return nil, err
	}
	if len(sealed) == 1 {
		if err := Apply(r, sealed[0]); err != nil { // Apply changes nothing on error
			return nil, err
		}
		return sealed, nil
	}
	log := &undoLog{top: *r, unknown: maps.Clone(r.Unknown)}
	for _, e := range sealed {
		if err := apply(r, e, log); err != nil {
			log.restore(r)
			return nil, err
		}
	}
	return sealed, nil
}

// undoLog keeps what a batch of events changed so that Record can put it
// back. Apply only appends to the release's own slices and replaces or
// mutates the phase and activity states it saved first.
type undoLog struct {
	top     Release
	unknown map[EventKind]int64
	phases  map[*PhaseState]PhaseState
	acts    map[*ActivityState]*ActivityState
}

func (u *undoLog) savePhase(p *PhaseState) {
	if u == nil {
		return
	}
	if u.phases == nil {
		u.phases = map[*PhaseState]PhaseState{}
	}
	if _, ok := u.phases[p]; !ok {
		u.phases[p] = *p
	}
}

func (u *undoLog) saveActivity(a *ActivityState) {
	if u == nil {
		return
	}
	if u.acts == nil {
		u.acts = map[*ActivityState]*ActivityState{}
	}
	if _, ok := u.acts[a]; !ok {
		u.acts[a] = a.clone()
	}
}

func (u *undoLog) restore(r *Release) {
	phases, acts := r.Phases, r.Activities
	*r = u.top
	r.Unknown = u.unknown
	if u.top.ID == "" { // the batch created the release
		return
	}
	r.Phases, r.Activities = phases, acts
	for p, old := range u.phases {
		*p = old
	}
	for a, old := range u.acts {
		*a = *old
	}
}

// Apply applies one sealed event to r; it is the only way a release
// changes. The event must continue r's chain (Release, Seq = r.Seq+1,
// PrevHash = r.Hash), carry an Actor, and be legal in r's state. Events of
// unknown kinds only advance the chain and are counted in r.Unknown.
//
// On error Apply leaves r unchanged and returns an *EventError (the event
// does not fit: a bad payload, an unknown activity) or an error matching
// ErrIllegal (a *TransitionError, or another rule broken).
//
// Apply costs O(1) in the size of the release for every kind except
// release.created (which builds the state) and phase.skipped and
// phase.aborted (which settle the phase's pending activities).
func Apply(r *Release, e Event) error { return apply(r, e, nil) }

func apply(r *Release, e Event, log *undoLog) error { return applyWith(r, e, log, nil) }

// applyWith is apply, decoding a pinned process through c.
func applyWith(r *Release, e Event, log *undoLog, c *ProcessCache) error {
	if err := checkLink(r, &e); err != nil {
		return err
	}
	p, err := c.decodePayload(e)
	if errors.Is(err, ErrUnknownKind) {
		if r.Unknown == nil {
			r.Unknown = map[EventKind]int64{}
		}
		r.Unknown[e.Kind]++
		r.Seq, r.Hash = e.Seq, e.Hash
		return nil
	}
	if err != nil {
		return err
	}
	return applyPayload(r, &e, p, log)
}

// applyTyped applies e with p, its payload already decoded (RecordPayload).
func applyTyped(r *Release, e *Event, p Payload, log *undoLog) error {
	if err := checkLink(r, e); err != nil {
		return err
	}
	if err := validatePayload(p); err != nil {
		return &EventError{Seq: e.Seq, Kind: e.Kind, Err: err}
	}
	return applyPayload(r, e, p, log)
}

// checkLink checks that e may follow r's head.
func checkLink(r *Release, e *Event) error {
	if r == nil {
		return errors.New("release: apply: nil release")
	}
	bad := func(err error) error { return &EventError{Seq: e.Seq, Kind: e.Kind, Err: err} }
	if e.Kind == KindReleaseCreated {
		if r.Seq != 0 || r.ID != "" {
			return bad(illegalf("the release already exists (at event %d)", r.Seq))
		}
		if e.Release == "" {
			return bad(errorf("release: missing"))
		}
	} else if r.ID == "" {
		return bad(errorf("the first event must be %s", KindReleaseCreated))
	}
	if r.ID != "" && e.Release != r.ID {
		return bad(errorf("belongs to release %s, not %s", e.Release, r.ID))
	}
	if e.Seq != r.Seq+1 {
		return bad(errorf("seq %d does not follow %d", e.Seq, r.Seq))
	}
	if e.PrevHash != r.Hash {
		return bad(errorf("prev-hash does not match the hash of event %d", r.Seq))
	}
	return nil
}

func applyPayload(r *Release, e *Event, p Payload, log *undoLog) error {
	if e.Actor == "" {
		return &EventError{Seq: e.Seq, Kind: e.Kind, Err: errorf("actor: missing")}
	}
	a := applier{r: r, e: e, log: log}
	if err := a.apply(p); err != nil {
		var ee *EventError
		var te *TransitionError
		if errors.As(err, &ee) || errors.As(err, &te) {
			return err
		}
		return &EventError{Seq: e.Seq, Kind: e.Kind, Err: err}
	}
	r.Seq, r.Hash = e.Seq, e.Hash
	return nil
}

type applier struct {
	r   *Release
	e   *Event
	log *undoLog
}

func (x *applier) transition(subject, from, to string) error {
	return &TransitionError{Seq: x.e.Seq, Kind: x.e.Kind, Subject: subject, From: from, To: to}
}

func (x *applier) apply(p Payload) error {
	r, e := x.r, x.e
	switch p := p.(type) {
	case *ReleaseCreatedPayload:
		return x.create(p)
	case *ReleaseStartedPayload:
		if err := x.releaseTo(Running); err != nil {
			return err
		}
		if r.StartedAt.IsZero() {
			r.StartedAt = e.Time
		}
	case *ReleasePausedPayload:
		return x.releaseTo(Paused)
	case *ReleaseResumedPayload:
		return x.releaseTo(Running)
	case *ReleaseRescheduledPayload:
		if r.Status != Scheduled {
			return illegalf("release is %s; only a Scheduled release can be rescheduled", r.Status)
		}
		if !p.ScheduledFor.IsZero() {
			r.ScheduledFor = p.ScheduledFor
		}
		if !p.ExpectedStart.IsZero() {
			r.ExpectedStart = p.ExpectedStart
		}
		if !p.ExpectedEnd.IsZero() {
			r.ExpectedEnd = p.ExpectedEnd
		}
	case *ReleaseSucceededPayload:
		if n := r.counts.total() - r.counts.done(); n > 0 {
			return illegalf("release cannot succeed: %d activities not done", n)
		}
		return x.releaseTo(Succeeded)
	case *ReleasePartiallySucceededPayload:
		return x.releaseTo(PartialSuccess)
	case *ReleaseFailedPayload:
		if err := x.releaseTo(Failed); err != nil {
			return err
		}
		r.Error = p.Error
	case *ReleaseAbortedPayload:
		if e.Reason == "" {
			return errorf("reason: required to abort a release")
		}
		return x.releaseTo(Aborted)
	case *ReleaseRolledBackPayload:
		if err := x.releaseTo(RolledBack); err != nil {
			return err
		}
		r.Error = p.Error
	case *ReleaseRollbackStartedPayload:
		if err := x.requireActive(true); err != nil {
			return err
		}
		if r.RollingBack {
			return illegalf("the release is already rolling back")
		}
		if p.Activity != "" {
			if _, err := x.activity(p.Activity); err != nil {
				return err
			}
		}
		r.RollingBack = true
	case *PhaseStartedPayload:
		return x.phaseTo(p.Phase, PhaseRunning, "")
	case *PhaseSucceededPayload:
		return x.phaseTo(p.Phase, PhaseSucceeded, "")
	case *PhaseFailedPayload:
		return x.phaseTo(p.Phase, PhaseFailed, p.Error)
	case *PhaseSkippedPayload:
		return x.phaseTo(p.Phase, PhaseSkipped, "")
	case *PhaseAbortedPayload:
		return x.phaseTo(p.Phase, PhaseAborted, "")
	case *ActivityStartedPayload:
		return x.activityStarted(p)
	case *ActivityWaitingPayload:
		return x.activityTo(p.Activity, ActivityWaiting, nil)
	case *ActivityResumedPayload:
		return x.activityTo(p.Activity, ActivityRunning, nil)
	case *ActivitySucceededPayload:
		return x.activityTo(p.Activity, ActivitySucceeded, func(a *ActivityState) {
			x.endAttempt(a, "", false)
			a.Outputs = mergeOutputs(a.Outputs, p.Outputs)
		})
	case *ActivityFailedPayload:
		return x.activityTo(p.Activity, ActivityFailed, func(a *ActivityState) {
			x.endAttempt(a, p.Error, p.TimedOut)
			a.Error = p.Error
		})
	case *ActivityHeldPayload:
		return x.activityTo(p.Activity, ActivityOnHold, func(a *ActivityState) {
			x.endAttempt(a, p.Error, p.TimedOut)
			if p.Error != "" {
				a.Error = p.Error
			}
		})
	case *ActivityIgnoredPayload:
		return x.activityTo(p.Activity, ActivityIgnored, func(a *ActivityState) {
			x.endAttempt(a, "", false)
			a.Outputs = mergeOutputs(a.Outputs, p.Outputs)
		})
	case *ActivitySkippedPayload:
		return x.activityTo(p.Activity, ActivitySkipped, func(a *ActivityState) { x.endAttempt(a, "", false) })
	case *ActivityAbortedPayload:
		return x.activityTo(p.Activity, ActivityAborted, func(a *ActivityState) { x.endAttempt(a, "", false) })
	case *ActivityRolledBackPayload:
		return x.activityTo(p.Activity, ActivityRolledBack, func(a *ActivityState) {
			if p.Error != "" {
				a.Error = p.Error
			}
		})
	case *OutputsSubmittedPayload:
		a, err := x.activity(p.Activity)
		if err != nil {
			return err
		}
		if a.Status != ActivityRunning && a.Status != ActivityWaiting {
			return illegalf("activity %s is %s; outputs can be submitted while it is Running or Waiting", a.Key, a.Status)
		}
		if len(p.Outputs) == 0 {
			return errorf("payload: outputs: missing")
		}
		x.log.saveActivity(a)
		a.Outputs = mergeOutputs(a.Outputs, p.Outputs)
	case *TaskUpdatedPayload:
		return x.taskUpdated(p)
	case *ApprovalGrantedPayload:
		return x.decide(p.Activity, true, p.Comment)
	case *ApprovalRejectedPayload:
		return x.decide(p.Activity, false, p.Comment)
	case *ApprovalBypassedPayload:
		return x.bypass(p.Activity)
	case *CommentAddedPayload:
		c := Comment{Author: e.Actor, Text: p.Text, At: e.Time}
		if p.Activity == "" {
			r.Comments = append(r.Comments, c)
			return nil
		}
		a, err := x.activity(p.Activity)
		if err != nil {
			return err
		}
		if p.Task == "" {
			x.log.saveActivity(a)
			a.Comments = append(a.Comments, c)
			return nil
		}
		if a.Task(p.Task) == nil {
			return errorf("task %q: activity %s has no such task", p.Task, a.Key)
		}
		x.log.saveActivity(a)
		t := a.Task(p.Task)
		t.Comments = append(t.Comments, c)
	case *LinkAddedPayload:
		l := p.Link
		l.Activity, l.Task, l.Actor, l.At = p.Activity, p.Task, e.Actor, e.Time
		if p.Activity == "" {
			r.Links = append(r.Links, l)
			return nil
		}
		a, err := x.activity(p.Activity)
		if err != nil {
			return err
		}
		if p.Task != "" && a.Task(p.Task) == nil {
			return errorf("task %q: activity %s has no such task", p.Task, a.Key)
		}
		x.log.saveActivity(a)
		a.Links = append(a.Links, l)
	case *FreezeOverriddenPayload:
		if p.Activity != "" {
			if _, err := x.activity(p.Activity); err != nil {
				return err
			}
		}
		r.FreezeOverrides = append(r.FreezeOverrides, FreezeOverride{Freeze: p.Freeze, Activity: p.Activity, Actor: e.Actor, Reason: e.Reason, At: e.Time})
	default:
		return errorf("no rule to apply %T", p)
	}
	return nil
}

func (x *applier) create(p *ReleaseCreatedPayload) error {
	r, e := x.r, x.e
	if e.Seq != 1 {
		return errorf("release.created must be event 1")
	}
	phases := make(map[process.PhaseID]*PhaseState, len(p.Process.Phases))
	n := 0
	for _, ph := range p.Process.Phases {
		n += len(ph.Activities)
	}
	acts := make(map[ActivityKey]*ActivityState, n)
	var counts activityCounts
	for i, ph := range p.Process.Phases {
		if ph.ID == "" {
			return errorf("payload: process.phases[%d]: id missing", i)
		}
		if phases[ph.ID] != nil {
			return errorf("payload: process.phases[%d]: duplicate phase id %q", i, ph.ID)
		}
		ps := &PhaseState{ID: ph.ID, Status: PhasePending}
		phases[ph.ID] = ps
		for j := range ph.Activities {
			act := &ph.Activities[j]
			k := Key(ph.ID, act.ID)
			if act.ID == "" {
				return errorf("payload: process.phases[%d].activities[%d]: id missing", i, j)
			}
			if acts[k] != nil {
				return errorf("payload: process.phases[%d].activities[%d]: duplicate activity %q", i, j, k)
			}
			as := &ActivityState{Key: k, Type: act.EffectiveType(), Status: ActivityPending, Since: e.Time}
			for _, t := range act.Tasks {
				as.Tasks = append(as.Tasks, TaskState{
					ID: t.ID, Name: t.Name, Assignees: append([]string(nil), t.Assignees...),
					Required: t.Required, ExpectedDuration: t.ExpectedDuration, Status: TaskTodo,
				})
			}
			acts[k] = as
			ps.counts[ActivityPending.index()]++
			counts[ActivityPending.index()]++
		}
	}
	*r = Release{
		ID: e.Release, Name: p.Name, Version: p.Version,
		ProcessID: p.Process.ID, ProcessVersion: p.Process.Version, Process: p.Process,
		Inputs: p.Inputs, Group: p.Group, Occurrence: p.Occurrence,
		CreatedBy: e.Actor, Initiator: cmp.Or(p.Initiator, e.Actor), Labels: p.Labels,
		ScheduledFor: p.ScheduledFor, ExpectedStart: p.ExpectedStart, ExpectedEnd: p.ExpectedEnd,
		Status: Scheduled, CreatedAt: e.Time,
		Phases: phases, Activities: acts, counts: counts,
	}
	if r.ScheduledFor.IsZero() {
		r.ScheduledFor = e.Time
	}
	return nil
}

func (x *applier) releaseTo(to Status) error {
	r := x.r
	if !r.Status.CanTransition(to) {
		return x.transition("release", string(r.Status), string(to))
	}
	r.Status = to
	if to.Terminal() {
		r.EndedAt = x.e.Time
		r.RollingBack = false // nothing is under way any more
	}
	return nil
}

// requireActive checks the release is Running (or Paused, when allowPaused).
func (x *applier) requireActive(allowPaused bool) error {
	s := x.r.Status
	if s == Running || (allowPaused && s == Paused) {
		return nil
	}
	if allowPaused {
		return illegalf("release is %s; want Running or Paused", s)
	}
	return illegalf("release is %s; want Running", s)
}

func (x *applier) phaseTo(id process.PhaseID, to PhaseStatus, errText string) error {
	if err := x.requireActive(to != PhaseRunning); err != nil {
		return err
	}
	ph := x.r.Phases[id]
	if ph == nil {
		return errorf("phase %q: not in the release", id)
	}
	if !ph.Status.CanTransition(to) {
		return x.transition("phase "+string(id), string(ph.Status), string(to))
	}
	switch to {
	case PhaseSucceeded:
		if n := ph.counts.total() - ph.counts.done(); n > 0 {
			return illegalf("phase %s cannot succeed: %d activities not done", id, n)
		}
	case PhaseAborted:
		busy := ph.counts[ActivityRunning.index()] + ph.counts[ActivityWaiting.index()] + ph.counts[ActivityOnHold.index()]
		if busy > 0 {
			return illegalf("phase %s cannot be aborted: %d activities are still running, waiting or on hold", id, busy)
		}
	}
	x.log.savePhase(ph)
	ph.Status = to
	switch to {
	case PhaseRunning:
		if ph.StartedAt.IsZero() {
			ph.StartedAt = x.e.Time
		}
		ph.EndedAt, ph.Error = time.Time{}, ""
	case PhaseFailed:
		ph.Error = errText
		ph.EndedAt = x.e.Time
	case PhaseSucceeded:
		ph.EndedAt = x.e.Time
	case PhaseSkipped, PhaseAborted:
		ph.EndedAt = x.e.Time
		settle := ActivitySkipped
		if to == PhaseAborted {
			settle = ActivityAborted
		}
		if ph.counts[ActivityPending.index()] > 0 {
			for _, act := range x.phaseActivities(id) {
				a := x.r.Activities[Key(id, act.ID)]
				if a != nil && a.Status == ActivityPending {
					x.move(a, settle)
				}
			}
		}
	}
	return nil
}

func (x *applier) phaseActivities(id process.PhaseID) []process.Activity {
	if x.r.Process == nil {
		return nil
	}
	for i := range x.r.Process.Phases {
		if x.r.Process.Phases[i].ID == id {
			return x.r.Process.Phases[i].Activities
		}
	}
	return nil
}

func (x *applier) activity(k ActivityKey) (*ActivityState, error) {
	a := x.r.Activities[k]
	if a == nil {
		return nil, errorf("activity %q: not in the release", k)
	}
	return a, nil
}

// move sets a's status, keeping the counters, Since, Reason and EndedAt.
func (x *applier) move(a *ActivityState, to ActivityStatus) {
	x.log.saveActivity(a)
	x.r.counts.move(a.Status, to)
	if ph := x.r.Phases[a.Key.Phase()]; ph != nil {
		x.log.savePhase(ph)
		ph.counts.move(a.Status, to)
	}
	a.Status = to
	a.Since = x.e.Time
	a.Reason = x.e.Reason
	if to.Terminal() {
		a.EndedAt = x.e.Time
	}
}

func (x *applier) activityTo(k ActivityKey, to ActivityStatus, then func(*ActivityState)) error {
	if err := x.requireActive(true); err != nil {
		return err
	}
	a, err := x.activity(k)
	if err != nil {
		return err
	}
	if !a.Status.CanTransition(to) {
		return x.transition("activity "+string(k), string(a.Status), string(to))
	}
	x.move(a, to)
	if then != nil {
		then(a)
	}
	return nil
}

// endAttempt closes the activity's open attempt, if any.
func (x *applier) endAttempt(a *ActivityState, errText string, timedOut bool) {
	if n := len(a.Attempts); n > 0 && a.Attempts[n-1].EndedAt.IsZero() {
		at := &a.Attempts[n-1]
		at.EndedAt, at.Error, at.TimedOut = x.e.Time, errText, timedOut
	}
}

func (x *applier) activityStarted(p *ActivityStartedPayload) error {
	if err := x.requireActive(false); err != nil {
		return err
	}
	a, err := x.activity(p.Activity)
	if err != nil {
		return err
	}
	if ph := x.r.Phases[a.Key.Phase()]; ph.Status != PhaseRunning {
		return illegalf("activity %s cannot start: phase %s is %s", a.Key, ph.ID, ph.Status)
	}
	if !a.Status.CanTransition(ActivityRunning) || a.Status == ActivityWaiting {
		return x.transition("activity "+string(a.Key), string(a.Status), string(ActivityRunning))
	}
	x.move(a, ActivityRunning)
	a.Attempts = append(a.Attempts, Attempt{
		Number: len(a.Attempts) + 1, Actor: x.e.Actor, Inputs: p.Inputs,
		IdempotencyKey: p.IdempotencyKey, StartedAt: x.e.Time,
	})
	if a.StartedAt.IsZero() {
		a.StartedAt = x.e.Time
	}
	a.EndedAt = time.Time{}
	return nil
}

func (x *applier) taskUpdated(p *TaskUpdatedPayload) error {
	if err := x.requireActive(true); err != nil {
		return err
	}
	a, err := x.activity(p.Activity)
	if err != nil {
		return err
	}
	t := a.Task(p.Task)
	if t == nil {
		return errorf("task %q: activity %s has no such task", p.Task, a.Key)
	}
	switch a.Status {
	case ActivityRunning, ActivityWaiting, ActivityOnHold:
	default:
		return illegalf("activity %s is %s; tasks can be updated while it is Running, Waiting or OnHold", a.Key, a.Status)
	}
	if p.Status == "" && p.Assignees == nil {
		return errorf("payload: nothing to update: give a status or assignees")
	}
	if p.Status != "" && !t.Status.CanTransition(p.Status) {
		return x.transition("task "+string(a.Key)+"/"+t.ID, string(t.Status), string(p.Status))
	}
	x.log.saveActivity(a)
	t = a.Task(p.Task)
	if p.Status != "" {
		t.Status = p.Status
	}
	if p.Assignees != nil {
		t.Assignees = append([]string(nil), p.Assignees...)
	}
	t.UpdatedAt, t.UpdatedBy = x.e.Time, x.e.Actor
	return nil
}

func (x *applier) decide(k ActivityKey, approved bool, comment string) error {
	return x.addDecision(k, Decision{Approved: approved, Comment: comment})
}

// bypass records an approval decided in place of its approvers (the
// event's Reason says why).
func (x *applier) bypass(k ActivityKey) error {
	if x.e.Reason == "" {
		return errorf("reason: required to bypass an approval")
	}
	return x.addDecision(k, Decision{Approved: true, Bypassed: true, Comment: x.e.Reason})
}

// addDecision records d, by the event's actor, on the current attempt of
// approval k, Running or Waiting. One approver counts once.
func (x *applier) addDecision(k ActivityKey, d Decision) error {
	if err := x.requireActive(true); err != nil {
		return err
	}
	a, err := x.activity(k)
	if err != nil {
		return err
	}
	if a.Type != process.Approval {
		return errorf("activity %s is %s, not an approval", k, a.Type)
	}
	if a.Status != ActivityRunning && a.Status != ActivityWaiting {
		return illegalf("approval %s is %s; decisions are taken while it is Running or Waiting", k, a.Status)
	}
	if !d.Bypassed {
		for _, prev := range a.Decisions() {
			if prev.Actor == x.e.Actor {
				return illegalf("%s already decided on %s; one person counts once", x.e.Actor, k)
			}
		}
	}
	x.log.saveActivity(a)
	d.Actor, d.At, d.Attempt = x.e.Actor, x.e.Time, len(a.Attempts)
	a.Approvals = append(a.Approvals, d)
	return nil
}

func mergeOutputs(dst, src map[string]any) map[string]any {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]any, len(src))
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}
