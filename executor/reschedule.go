package executor

import (
	"context"
	"slices"
	"time"

	"github.com/batonhq/baton/release"
)

// RescheduleParams are the arguments of Reschedule.
type RescheduleParams struct {
	// By names who reschedules (Actor, required) and why (Reason, recorded
	// with the event and passed to the authorizer).
	By
	// At is the release's new start time; required, not in the past.
	At time.Time
}

// Reschedule moves a release that has not started (Scheduled) to another
// time, checked by the authorizer (ActionReschedule, with Action.At) and
// recorded as release.rescheduled: its ScheduledFor and ExpectedStart
// become At and its ExpectedEnd moves with them, keeping its expected
// duration. What starts it follows: its own start timer, the group's
// scheduler (on this executor at once; on others before they start it),
// or a person for a release that waits for Start. The occurrence it was
// made for and its place in the group's sequence do not change.
//
// A release that has started or ended is refused with a *StateError
// (ErrIllegal); a zero or past At with an error matching ErrInvalid.
func (e *Executor) Reschedule(ctx context.Context, id release.ID, p *RescheduleParams) error {
	if p == nil {
		return invalidf(ActionReschedule, "params: required")
	}
	if p.At.IsZero() {
		return invalidf(ActionReschedule, "at: required: the new start time")
	}
	if now := e.clock.Now(); p.At.Before(now) {
		return invalidf(ActionReschedule, "at: %s is in the past (now %s); use Start to start a release now",
			p.At.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	var group release.GroupID
	var byGroup bool
	err := e.act(ctx, &Action{Kind: ActionReschedule, Release: id, Actor: p.Actor, Reason: p.Reason, At: p.At}, func(r *run) error {
		rel := r.rel
		if rel.Status != release.Scheduled {
			return releaseState(ActionReschedule, id, rel.Status, release.Scheduled)
		}
		pl := &release.ReleaseRescheduledPayload{ScheduledFor: p.At, ExpectedStart: p.At}
		if !rel.ExpectedEnd.IsZero() && !rel.ExpectedStart.IsZero() {
			pl.ExpectedEnd = p.At.Add(rel.ExpectedEnd.Sub(rel.ExpectedStart))
		}
		r.emit(p.Actor, p.Reason, pl)
		switch rel.Labels[LabelStart] {
		case "":
			e.timers.set(timerKey{rel: id, kind: timerStart}, p.At)
		case StartGroup:
			group, byGroup = rel.Group, true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if byGroup {
		e.sched.moved(e, group, id, p.At)
	}
	return nil
}

// moved moves a release its group's scheduler starts to its new time.
func (s *scheduler) moved(e *Executor, g release.GroupID, id release.ID, at time.Time) {
	st := s.lock(g)
	if st == nil {
		return
	}
	defer st.mu.Unlock()
	i := slices.IndexFunc(st.pending, func(p pendingStart) bool { return p.id == id })
	if i < 0 {
		return
	}
	st.pending[i].at = at
	sortPending(st.pending)
	e.armGroupTimers(st, e.clock.Now())
}
