package report

import (
	"fmt"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// track folds a release's events one by one and keeps what the folded
// release forgets: how long each activity spent Waiting (on people) and
// OnHold (on an operator), how long the release was Paused, and each
// approval's cycle (from the start of its wait to its decision).
type track struct {
	r       *release.Release
	last    time.Time // the time of the last event folded
	acts    map[release.ActivityKey]*actTrack
	paused  time.Duration
	pausedS time.Time // when the current pause began; zero when not paused
	// cycles are the approval cycles, in the order they ended.
	cycles []time.Duration
}

// actTrack is what track keeps of one activity.
type actTrack struct {
	status  release.ActivityStatus
	since   time.Time // when it entered status
	waiting time.Duration
	onHold  time.Duration
}

// newTrack folds events, which must be a release's complete log from
// release.created on.
func newTrack(events []release.Event) (*track, error) {
	if len(events) == 0 {
		return nil, fmt.Errorf("%w: no events", ErrInvalid)
	}
	if events[0].Kind != release.KindReleaseCreated || events[0].Seq != 1 {
		return nil, fmt.Errorf("%w: the first event is %s at seq %d, not release.created at seq 1", ErrInvalid, events[0].Kind, events[0].Seq)
	}
	r, err := release.New(events[0])
	if err != nil {
		return nil, fmt.Errorf("report: release %s: %w", events[0].Release, err)
	}
	t := &track{r: r, last: events[0].Time, acts: make(map[release.ActivityKey]*actTrack, len(r.Activities))}
	for k, a := range r.Activities {
		t.acts[k] = &actTrack{status: a.Status, since: a.Since}
	}
	for _, e := range events[1:] {
		if err := t.apply(e); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// apply folds one event and closes and opens the intervals it moves.
func (t *track) apply(e release.Event) error {
	wasPaused := t.r.Status == release.Paused
	if err := release.Apply(t.r, e); err != nil {
		return fmt.Errorf("report: release %s: %w", t.r.ID, err)
	}
	t.last = e.Time
	switch isPaused := t.r.Status == release.Paused; {
	case !wasPaused && isPaused:
		t.pausedS = e.Time
	case wasPaused && !isPaused:
		t.paused += e.Time.Sub(t.pausedS)
		t.pausedS = time.Time{}
	}
	if k, ok := e.Activity(); ok {
		t.settle(k, e.Time)
		return nil
	}
	// Release and phase events may move many activities (a skipped phase
	// skips its pending ones); they are few.
	for k := range t.acts {
		t.settle(k, e.Time)
	}
	return nil
}

// settle records a change of activity k's status at time at.
func (t *track) settle(k release.ActivityKey, at time.Time) {
	a, st := t.r.Activities[k], t.acts[k]
	if a == nil || st == nil || a.Status == st.status {
		return
	}
	st.close(at)
	if st.status == release.ActivityWaiting && a.Type == process.Approval {
		switch a.Status {
		case release.ActivitySucceeded, release.ActivityFailed, release.ActivityOnHold:
			t.cycles = append(t.cycles, at.Sub(st.since))
		}
	}
	st.status, st.since = a.Status, at
}

// close adds the time since st.since to the interval of its status.
func (st *actTrack) close(at time.Time) {
	d := at.Sub(st.since)
	if d < 0 {
		d = 0
	}
	switch st.status {
	case release.ActivityWaiting:
		st.waiting += d
	case release.ActivityOnHold:
		st.onHold += d
	}
}

// upTo returns the waiting and on-hold times of an activity with any
// open interval counted up to asOf.
func (st *actTrack) upTo(asOf time.Time) (waiting, onHold time.Duration) {
	c := *st
	if asOf.After(c.since) {
		c.close(asOf)
	}
	return c.waiting, c.onHold
}

// pausedUpTo returns the time the release was paused, an ongoing pause
// counted up to asOf.
func (t *track) pausedUpTo(asOf time.Time) time.Duration {
	d := t.paused
	if !t.pausedS.IsZero() && asOf.After(t.pausedS) {
		d += asOf.Sub(t.pausedS)
	}
	return d
}
