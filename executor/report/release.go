package report

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ErrInvalid is matched (errors.Is) by the errors of bad arguments: no
// events, a log that does not start with release.created, a window that
// ends before it begins.
var ErrInvalid = errors.New("report: invalid argument")

// Times are the planned and actual start, end and duration of a release,
// a phase or an activity. A zero time is unknown (not planned, not started,
// not ended); a duration is zero unless both its ends are known.
type Times struct {
	PlannedStart    time.Time     `json:"planned-start"`
	PlannedEnd      time.Time     `json:"planned-end"`
	PlannedDuration time.Duration `json:"planned-duration"`
	Start           time.Time     `json:"start"`
	End             time.Time     `json:"end"`
	Duration        time.Duration `json:"duration"`
}

func newTimes(plannedStart, plannedEnd, start, end time.Time) Times {
	t := Times{PlannedStart: plannedStart, PlannedEnd: plannedEnd, Start: start, End: end}
	t.PlannedDuration = span(plannedStart, plannedEnd)
	t.Duration = span(start, end)
	return t
}

// span is end-start when both are known and in order, else 0.
func span(start, end time.Time) time.Duration {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0
	}
	return end.Sub(start)
}

// Decision is one approval, rejection or bypass of an approval activity.
type Decision struct {
	Actor    string    `json:"actor"`
	Approved bool      `json:"approved"`
	Bypassed bool      `json:"bypassed,omitempty"` // the actor decided in the approvers' place
	At       time.Time `json:"at"`
	Attempt  int       `json:"attempt,omitempty"`
	Comment  string    `json:"comment,omitempty"`
}

// String reads "alice approved at 2026-01-05T10:00:00Z".
func (d Decision) String() string {
	what := "rejected"
	switch {
	case d.Bypassed:
		what = "bypassed"
	case d.Approved:
		what = "approved"
	}
	return d.Actor + " " + what + " at " + d.At.UTC().Format(time.RFC3339)
}

// ActivityReport is what happened to one activity.
type ActivityReport struct {
	Activity release.ActivityKey    `json:"activity"`
	Type     process.ActivityType   `json:"type"`
	Status   release.ActivityStatus `json:"status"`
	Times
	// Waiting is the time the activity spent Waiting: on people (tasks,
	// approvals, outputs, a sign-off).
	Waiting time.Duration `json:"waiting"`
	// OnHold is the time it spent OnHold: failed, waiting on an operator
	// to retry, ignore or abort.
	OnHold time.Duration `json:"on-hold"`
	// Attempts counts its runs; Retries is Attempts-1 (0 when it never ran).
	Attempts int `json:"attempts"`
	Retries  int `json:"retries"`
	// Decisions are the approvals and rejections given, in order.
	Decisions []Decision `json:"decisions,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// PhaseReport is what happened to one phase: its own times, and the sums
// of its activities' waiting, on-hold times and retries.
type PhaseReport struct {
	Phase  process.PhaseID     `json:"phase"`
	Status release.PhaseStatus `json:"status"`
	Times
	Waiting time.Duration `json:"waiting"`
	OnHold  time.Duration `json:"on-hold"`
	Retries int           `json:"retries"`
}

// ReleaseReport is what happened to one release, computed from its event
// log: planned against actual times of the release, each phase and each
// activity, the time spent waiting on people and on operators, retries
// and approval decisions.
//
// Planned times come from the release's expected start (else the time it
// was scheduled for) and the activities' expected durations, each activity
// planned to start once the phases and activities it depends on are
// planned to end; the release's planned end is its expected end when it
// has one. An activity with no expected duration is planned to take no
// time.
type ReleaseReport struct {
	Release        release.ID      `json:"release"`
	Name           string          `json:"name"`
	Version        string          `json:"version,omitempty"`
	Process        process.ID      `json:"process"`
	ProcessVersion int             `json:"process-version"`
	Group          release.GroupID `json:"group,omitempty"`
	Status         release.Status  `json:"status"`
	CreatedBy      string          `json:"created-by"`
	Times
	Waiting time.Duration `json:"waiting"`
	OnHold  time.Duration `json:"on-hold"`
	// Paused is the time the release spent Paused.
	Paused  time.Duration `json:"paused"`
	Retries int           `json:"retries"`
	Error   string        `json:"error,omitempty"`
	// AsOf is the time open intervals (an activity still waiting) are
	// counted up to: the end of a finished release, else the Now given.
	AsOf time.Time `json:"as-of"`
	// Seq is the last event the report covers.
	Seq        int64            `json:"seq"`
	Phases     []PhaseReport    `json:"phases"`     // in process order
	Activities []ActivityReport `json:"activities"` // in process order
}

// Build computes the report of the release whose complete event log is
// events (from release.created on), as of now: an activity still waiting
// or on hold counts its wait up to now (or to the last event when now is
// before it). The chain is verified first (release.VerifyChain): a report
// is never made from events that do not chain.
func Build(events []release.Event, now time.Time) (*ReleaseReport, error) {
	if err := release.VerifyChain(events); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	t, err := newTrack(events)
	if err != nil {
		return nil, err
	}
	return t.report(now), nil
}

// Get reads a release's events from s and builds its report as of now
// (see Build). It returns store.ErrNotFound when the release does not
// exist.
func Get(ctx context.Context, s store.ReleaseStore, id release.ID, now time.Time) (*ReleaseReport, error) {
	events, err := readEvents(ctx, s, id)
	if err != nil {
		return nil, err
	}
	return Build(events, now)
}

// GetVisible is Get for a reader: it returns the error of v (the reader's
// Viewer) when v refuses the release, before reading its events, and
// store.ErrNotFound when the release does not exist. A nil v lets every
// release through.
func GetVisible(ctx context.Context, s store.ReleaseStore, id release.ID, now time.Time, v Viewer) (*ReleaseReport, error) {
	if v != nil {
		sum, err := s.GetReleaseSummary(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("report: release %s: %w", id, err)
		}
		if err := v(ctx, sum); err != nil {
			return nil, err
		}
	}
	return Get(ctx, s, id, now)
}

// readEvents reads a release's whole event log.
func readEvents(ctx context.Context, s store.ReleaseStore, id release.ID) ([]release.Event, error) {
	var events []release.Event
	for {
		page, err := s.ListEvents(ctx, &store.ListEventsParams{Release: id, AfterSeq: int64(len(events)), Limit: store.MaxLimit})
		if err != nil {
			return nil, fmt.Errorf("report: release %s: %w", id, err)
		}
		if len(page) == 0 {
			return events, nil
		}
		events = append(events, page...)
	}
}

func (t *track) report(now time.Time) *ReleaseReport {
	r := t.r
	asOf := t.last
	if r.Status.Terminal() {
		asOf = r.EndedAt
	} else if now.After(asOf) {
		asOf = now
	}
	rep := &ReleaseReport{
		Release: r.ID, Name: r.Name, Version: r.Version, Process: r.ProcessID, ProcessVersion: r.ProcessVersion,
		Group: r.Group, Status: r.Status, CreatedBy: r.CreatedBy, Error: r.Error,
		Paused: t.pausedUpTo(asOf), AsOf: asOf, Seq: r.Seq,
	}
	pl := newPlanner(r)
	var planEnd time.Time
	if r.Process != nil {
		for i := range r.Process.Phases {
			ph := &r.Process.Phases[i]
			ps := r.Phases[ph.ID]
			if ps == nil {
				continue
			}
			prep := PhaseReport{Phase: ph.ID, Status: ps.Status}
			pStart, pEnd := pl.phase(ph.ID)
			for j := range ph.Activities {
				k := release.Key(ph.ID, ph.Activities[j].ID)
				arep, ok := t.activity(k, pl, asOf)
				if !ok {
					continue
				}
				prep.Waiting += arep.Waiting
				prep.OnHold += arep.OnHold
				prep.Retries += arep.Retries
				rep.Activities = append(rep.Activities, arep)
			}
			prep.Times = newTimes(pStart, pEnd, ps.StartedAt, phaseEnd(ps))
			rep.Waiting += prep.Waiting
			rep.OnHold += prep.OnHold
			rep.Retries += prep.Retries
			rep.Phases = append(rep.Phases, prep)
			planEnd = later(planEnd, pEnd)
		}
	}
	if !r.ExpectedEnd.IsZero() {
		planEnd = r.ExpectedEnd
	}
	var end time.Time
	if r.Status.Terminal() {
		end = r.EndedAt
	}
	rep.Times = newTimes(pl.base, planEnd, r.StartedAt, end)
	return rep
}

func (t *track) activity(k release.ActivityKey, pl *planner, asOf time.Time) (ActivityReport, bool) {
	a, st := t.r.Activities[k], t.acts[k]
	if a == nil || st == nil {
		return ActivityReport{}, false
	}
	rep := ActivityReport{Activity: k, Type: a.Type, Status: a.Status, Attempts: len(a.Attempts), Error: a.Error}
	rep.Retries = max(rep.Attempts-1, 0)
	rep.Waiting, rep.OnHold = st.upTo(asOf)
	for _, d := range a.Approvals {
		rep.Decisions = append(rep.Decisions, Decision{Actor: d.Actor, Approved: d.Approved, Bypassed: d.Bypassed, At: d.At, Attempt: d.Attempt, Comment: d.Comment})
	}
	start, end := pl.activity(k)
	rep.Times = newTimes(start, end, a.StartedAt, activityEnd(a))
	return rep, true
}

// activityEnd is when an activity ended: EndedAt, else, for one that
// failed or is on hold, the end of its last attempt; zero while it runs or
// waits.
func activityEnd(a *release.ActivityState) time.Time {
	if !a.EndedAt.IsZero() {
		return a.EndedAt
	}
	switch a.Status {
	case release.ActivityFailed, release.ActivityOnHold:
		if n := len(a.Attempts); n > 0 {
			return a.Attempts[n-1].EndedAt
		}
	}
	return time.Time{}
}

// phaseEnd is when a phase ended; zero while it is pending or running.
func phaseEnd(p *release.PhaseState) time.Time {
	if p.Status == release.PhasePending || p.Status == release.PhaseRunning {
		return time.Time{}
	}
	return p.EndedAt
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// planner computes planned times: every activity starts once the phases
// its phase depends on and the activities it depends on are planned to
// end, and takes its expected duration.
type planner struct {
	base   time.Time
	phases map[process.PhaseID]*process.Phase
	acts   map[release.ActivityKey]*process.Activity
	ends   map[string]time.Time // by activity key or "phase " + id
	busy   map[string]bool      // cycle guard (a validated process has none)
}

func newPlanner(r *release.Release) *planner {
	base := r.ExpectedStart
	if base.IsZero() {
		base = r.ScheduledFor
	}
	p := &planner{base: base, phases: map[process.PhaseID]*process.Phase{}, acts: map[release.ActivityKey]*process.Activity{},
		ends: map[string]time.Time{}, busy: map[string]bool{}}
	if r.Process != nil {
		for i := range r.Process.Phases {
			ph := &r.Process.Phases[i]
			p.phases[ph.ID] = ph
			for j := range ph.Activities {
				p.acts[release.Key(ph.ID, ph.Activities[j].ID)] = &ph.Activities[j]
			}
		}
	}
	return p
}

// phaseReady is when the phases id depends on are planned to end.
func (p *planner) phaseReady(id process.PhaseID) time.Time {
	ready := p.base
	if ph := p.phases[id]; ph != nil {
		for _, dep := range ph.DependsOn {
			_, end := p.phase(dep)
			ready = later(ready, end)
		}
	}
	return ready
}

// phase returns a phase's planned start and end.
func (p *planner) phase(id process.PhaseID) (start, end time.Time) {
	guard := "phase " + string(id)
	if p.busy[guard] {
		return p.base, p.base
	}
	p.busy[guard] = true
	defer delete(p.busy, guard)
	ph := p.phases[id]
	ready := p.phaseReady(id)
	if ph == nil || len(ph.Activities) == 0 {
		return ready, ready
	}
	for j := range ph.Activities {
		s, e := p.activity(release.Key(id, ph.Activities[j].ID))
		if start.IsZero() || s.Before(start) {
			start = s
		}
		end = later(end, e)
	}
	return start, end
}

// activity returns an activity's planned start and end.
func (p *planner) activity(k release.ActivityKey) (start, end time.Time) {
	a := p.acts[k]
	if a == nil {
		return time.Time{}, time.Time{}
	}
	key := string(k)
	if e, ok := p.ends[key]; ok {
		return e.Add(-a.Expected()), e
	}
	if p.busy[key] {
		return p.base, p.base
	}
	p.busy[key] = true
	start = p.phaseReady(k.Phase())
	for _, dep := range a.DependsOn {
		dk := release.ActivityKey(dep)
		if !strings.Contains(dep, ".") {
			dk = release.Key(k.Phase(), process.ActivityID(dep))
		}
		_, e := p.activity(dk)
		start = later(start, e)
	}
	end = start.Add(a.Expected())
	p.ends[key] = end
	return start, end
}
