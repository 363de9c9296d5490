package executor

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ReasonKind says what an activity waits for.
type ReasonKind string

// The reasons Why gives.
const (
	ReasonScheduled   ReasonKind = "scheduled"     // the release starts at Until
	ReasonPaused      ReasonKind = "paused"        // the release was paused by Actor
	ReasonDependency  ReasonKind = "dependency"    // Activity (a dependency) is not done; Status is its status
	ReasonParallelism ReasonKind = "parallelism"   // ready, but the release runs as many activities as it may
	ReasonRunning     ReasonKind = "running"       // an attempt is running since Until; Progress and Note as its adapter last reported (on the instance running it)
	ReasonSubprocess  ReasonKind = "subprocess"    // the child release Child is running
	ReasonBackoff     ReasonKind = "retry-backoff" // the next attempt starts at Until
	ReasonApproval    ReasonKind = "approval"      // Have of Need approvals from Approvers, deadline Until
	ReasonApprovers   ReasonKind = "approvers"     // the approver group in Approvers could not be resolved (Status says why); the approval cannot pass until it is, and it is looked up again at Until (zero: when someone decides)
	ReasonTask        ReasonKind = "task"          // Task is Status
	ReasonOutput      ReasonKind = "output"        // Output has not been submitted
	ReasonOnHold      ReasonKind = "on-hold"       // it failed (Status holds the error); an operator decides
	ReasonRollback    ReasonKind = "rollback"      // the release is rolling back
	ReasonFreeze      ReasonKind = "freeze"        // the freeze Freeze holds it until Until (zero: no end found); an operator may override it
)

// Reason is one thing an activity waits for, as data, with a sentence for
// people in Text.
type Reason struct {
	Kind      ReasonKind
	Activity  release.ActivityKey `json:",omitempty"`
	Status    string              `json:",omitempty"`
	Task      string              `json:",omitempty"`
	Output    string              `json:",omitempty"`
	Have      int                 `json:",omitempty"`
	Need      int                 `json:",omitempty"`
	Approvers []string            `json:",omitempty"`
	Until     time.Time
	Actor     string     `json:",omitempty"`
	Child     release.ID `json:",omitempty"`
	// Freeze is the freeze of a ReasonFreeze.
	Freeze release.FreezeID `json:",omitempty"`
	// Progress (0 to 1) and Note are the running adapter's last report
	// (adapters.Reporter.Progress), known to the instance that runs it.
	Progress float64 `json:",omitempty"`
	Note     string  `json:",omitempty"`
	Text     string
}

// Explanation says why an activity is where it is.
type Explanation struct {
	Release  release.ID
	Activity release.ActivityKey
	Status   release.ActivityStatus
	// Reasons lists what the activity waits for; empty when it is done or
	// waits for nothing.
	Reasons []Reason
}

// Why explains in data why an activity of a release is not done yet: the
// dependencies it waits for, the approvals still missing and from whom,
// the tasks and outputs people owe, a retry backoff and until when, a
// pause and by whom.
func (e *Executor) Why(ctx context.Context, id release.ID, k release.ActivityKey, who *By) (*Explanation, error) {
	rel, err := e.store.GetRelease(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("executor: why: release %s: %w", id, err)
	}
	p, err := e.planFor(rel.Process)
	if err != nil {
		return nil, fmt.Errorf("executor: why: %w", err)
	}
	idx, ok := p.index[k]
	if !ok {
		return nil, fmt.Errorf("executor: why: release %s has no activity %q: %w", id, k, ErrNotFound)
	}
	i := int32(idx)
	ai := &p.acts[i]
	va := relView(who.value(), rel)
	va.Resource, va.Activity, va.ActivityLabels = ResourceActivity, k, maps.Clone(p.compiled.EffectiveLabels(ai.ref))
	if va.ActivityLabels == nil {
		va.ActivityLabels = map[string]string{} // an activity, without labels
	}
	if err := e.authorize(ctx, va); err != nil {
		return nil, err
	}
	a := rel.Activities[k]
	x := &Explanation{Release: id, Activity: k, Status: a.Status}
	add := func(r Reason) { x.Reasons = append(x.Reasons, r) }

	switch rel.Status {
	case release.Scheduled:
		add(Reason{Kind: ReasonScheduled, Until: rel.ScheduledFor, Text: "the release starts at " + rel.ScheduledFor.UTC().Format(time.RFC3339)})
		if fr := e.freezeReason(ctx, rel, p, -1); fr != nil {
			add(*fr)
		}
	case release.Paused:
		by := e.pausedBy(ctx, id)
		add(Reason{Kind: ReasonPaused, Actor: by, Text: "paused by " + by})
	}
	if rel.RollingBack && !rel.Status.Terminal() {
		add(Reason{Kind: ReasonRollback, Text: "the release is rolling back"})
	}
	attempt := len(a.Attempts)
	switch a.Status {
	case release.ActivityPending:
		var blocked bool
		for _, d := range ai.deps {
			ds := rel.Activities[p.acts[d].key]
			if !ds.Status.Done() {
				blocked = true
				add(Reason{Kind: ReasonDependency, Activity: ds.Key, Status: string(ds.Status),
					Text: fmt.Sprintf("dependency %s is %s", ds.Key, ds.Status)})
			}
		}
		if fr := e.freezeReason(ctx, rel, p, i); !blocked && rel.Status == release.Running && fr != nil {
			add(*fr)
		} else if !blocked && rel.Status == release.Running {
			add(Reason{Kind: ReasonParallelism, Text: fmt.Sprintf("ready; the release already runs %d activities at once", e.cfg.Parallelism)})
		}
	case release.ActivityRunning:
		since := a.Attempts[attempt-1].StartedAt
		if ai.act.EffectiveType() == process.Subprocess {
			child := childID(id, k, attempt)
			add(Reason{Kind: ReasonSubprocess, Child: child, Until: since, Text: "child release " + string(child) + " is running"})
		} else {
			rs := Reason{Kind: ReasonRunning, Until: since, Text: fmt.Sprintf("attempt %d running since %s", attempt, since.UTC().Format(time.RFC3339))}
			if fraction, note, _, ok := e.progress(id, i, attempt); ok {
				rs.Progress, rs.Note = fraction, note
				rs.Text += fmt.Sprintf("; %.0f%% done", 100*fraction)
				if note != "" {
					rs.Text += ": " + note
				}
			}
			add(rs)
		}
	case release.ActivityFailed:
		if at, ok := e.timers.when(timerKey{rel: id, kind: timerRetry, act: i, attempt: int32(attempt + 1)}); ok {
			add(Reason{Kind: ReasonBackoff, Until: at, Status: a.Error,
				Text: fmt.Sprintf("retry backoff until %s after: %s", at.UTC().Format(time.RFC3339), a.Error)})
		} else if !rel.Status.Terminal() {
			at := a.Attempts[attempt-1].EndedAt.Add(backoffDelay(ai.act.Retry, attempt))
			if rel.Status == release.Running && !e.clock.Now().Before(at) {
				add(Reason{Kind: ReasonParallelism, Status: a.Error,
					Text: fmt.Sprintf("attempt %d is due; the release already runs %d activities at once", attempt+1, e.cfg.Parallelism)})
			} else {
				add(Reason{Kind: ReasonBackoff, Until: at, Status: a.Error,
					Text: fmt.Sprintf("retry backoff until about %s after: %s", at.UTC().Format(time.RFC3339), a.Error)})
			}
		}
	case release.ActivityOnHold:
		choices := "retry, ignore, skip or abort"
		if ai.act.EffectiveType() == process.Approval {
			choices = "retry (the approvers decide again) or abort" // never skipped or ignored
		}
		add(Reason{Kind: ReasonOnHold, Status: a.Error, Text: "failed (" + a.Error + "); an operator decides: " + choices})
	case release.ActivityWaiting:
		switch ai.act.EffectiveType() {
		case process.Approval:
			pol := ai.act.Approval
			r := &run{e: e, id: id, rel: rel, p: p}
			o := r.approvalOutcome(i)
			var until time.Time
			if pol.Deadline > 0 {
				until = a.Attempts[attempt-1].StartedAt.Add(pol.Deadline.D())
			}
			text := fmt.Sprintf("approval %d of %d from %s", o.have, o.need, strings.Join(pol.Approvers, ", "))
			if !until.IsZero() {
				text += ", deadline " + until.UTC().Format(time.RFC3339)
			}
			add(Reason{Kind: ReasonApproval, Have: o.have, Need: o.need, Approvers: slices.Clone(pol.Approvers), Until: until, Text: text})
			retry, _ := e.timers.when(timerKey{rel: id, kind: timerResolve, act: i, attempt: int32(attempt)})
			for _, g := range o.unresolved {
				text := g.Error() + "; the approval cannot pass until it is"
				if !retry.IsZero() {
					text += ", next look " + retry.UTC().Format(time.RFC3339)
				}
				add(Reason{Kind: ReasonApprovers, Approvers: []string{"group:" + g.group}, Status: g.err.Error(), Until: retry, Text: text})
			}
		case process.Manual:
			anyRequired := false
			for _, t := range a.Tasks {
				anyRequired = anyRequired || t.Required
			}
			for _, t := range a.Tasks {
				if (t.Required || !anyRequired) && t.Status != release.TaskSucceeded {
					add(Reason{Kind: ReasonTask, Task: t.ID, Status: string(t.Status), Approvers: slices.Clone(t.Assignees),
						Text: fmt.Sprintf("task %s is %s", t.ID, t.Status)})
				}
			}
			for _, o := range ai.act.Outputs {
				if _, ok := a.Outputs[o]; !ok {
					add(Reason{Kind: ReasonOutput, Output: o, Text: "output " + o + " has not been submitted"})
				}
			}
		}
	default:
		if a.Status.Done() || a.Status.Terminal() {
			x.Reasons = nil
		}
	}
	return x, nil
}

// pausedBy returns the actor of the release's last release.paused event.
func (e *Executor) pausedBy(ctx context.Context, id release.ID) string {
	by := ""
	var after int64
	for {
		evs, err := e.store.ListEvents(ctx, &store.ListEventsParams{Release: id, AfterSeq: after, Limit: store.MaxLimit})
		if err != nil || len(evs) == 0 {
			return by
		}
		for _, ev := range evs {
			if ev.Kind == release.KindReleasePaused {
				by = ev.Actor
			}
		}
		after = evs[len(evs)-1].Seq
	}
}

// Projection is a release's plan: the chain of activities that decides when
// it ends, and when that is expected.
type Projection struct {
	Release release.ID
	// CriticalPath is the longest chain of activities, in order, by
	// actual durations for what is done and expected durations (an
	// activity's expected-duration, else its tasks') for the rest.
	CriticalPath []release.ActivityKey
	// Remaining is the time from Now to ProjectedEnd.
	Remaining    time.Duration
	ProjectedEnd time.Time
	Now          time.Time
	// Activities holds each activity's projected start and end.
	Activities map[release.ActivityKey]Window
}

// Window is a projected or actual time span.
type Window struct {
	Start, End time.Time
}

// Plan projects when a release ends from the expected durations of what is
// left, and names its critical path.
func (e *Executor) Plan(ctx context.Context, id release.ID, who *By) (*Projection, error) {
	rel, err := e.store.GetRelease(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("executor: plan: release %s: %w", id, err)
	}
	if err := e.authorize(ctx, relView(who.value(), rel)); err != nil {
		return nil, err
	}
	p, err := e.planFor(rel.Process)
	if err != nil {
		return nil, fmt.Errorf("executor: plan: %w", err)
	}
	now := e.clock.Now()
	if rel.Status == release.Scheduled && rel.ScheduledFor.After(now) {
		now = rel.ScheduledFor
	}
	n := p.n()
	total := n + len(p.phases)
	end := make([]time.Time, total)
	start := make([]time.Time, total)
	from := make([]int32, total) // the predecessor that decides the start
	state := make([]uint8, total)
	var visit func(u int32)
	visit = func(u int32) {
		if state[u] == 2 {
			return
		}
		state[u] = 2
		s, arg := now, int32(-1)
		if rel.StartedAt.After(time.Time{}) && int(u) < n && rel.Status != release.Scheduled {
			s = rel.StartedAt
		}
		for _, q := range p.preds[u] {
			visit(q)
			if end[q].After(s) || arg < 0 && !end[q].Before(s) {
				s, arg = end[q], q
			}
		}
		from[u] = arg
		if int(u) >= n {
			start[u], end[u] = s, s
			return
		}
		a := rel.Activities[p.acts[u].key]
		d := p.acts[u].act.Expected()
		switch {
		case a.Status == release.ActivitySkipped:
			start[u], end[u] = s, s
		case a.Status.Terminal() || a.Status == release.ActivityFailed && rel.Status.Terminal():
			start[u], end[u] = a.StartedAt, a.EndedAt
			if a.StartedAt.IsZero() {
				start[u] = a.EndedAt
			}
		case a.Status == release.ActivityPending:
			if s.Before(now) {
				s = now
			}
			start[u], end[u] = s, s.Add(d)
		default: // running, waiting, on hold, failed
			start[u] = a.StartedAt
			end[u] = a.StartedAt.Add(d)
			if end[u].Before(now) {
				end[u] = now
			}
		}
	}
	last := int32(-1)
	for u := int32(0); u < int32(n); u++ {
		visit(u)
		if last < 0 || end[u].After(end[last]) {
			last = u
		}
	}
	x := &Projection{Release: id, Now: e.clock.Now(), Activities: make(map[release.ActivityKey]Window, n)}
	for i := range p.acts {
		x.Activities[p.acts[i].key] = Window{Start: start[i], End: end[i]}
	}
	for u := last; u >= 0; u = from[u] {
		if int(u) < n {
			x.CriticalPath = append(x.CriticalPath, p.acts[u].key)
		}
	}
	slices.Reverse(x.CriticalPath)
	if last >= 0 {
		x.ProjectedEnd = end[last]
	}
	if rel.Status.Terminal() {
		x.ProjectedEnd = rel.EndedAt
	}
	if x.ProjectedEnd.After(x.Now) {
		x.Remaining = x.ProjectedEnd.Sub(x.Now)
	}
	return x, nil
}

// progress returns the last progress report of attempt of activity i, when
// this instance runs it.
func (e *Executor) progress(id release.ID, i int32, attempt int) (float64, string, time.Time, bool) {
	e.mu.Lock()
	r := e.runs[id]
	e.mu.Unlock()
	if r == nil {
		return 0, "", time.Time{}, false
	}
	r.mu.Lock()
	f := r.flights[i]
	r.mu.Unlock()
	if f == nil || f.attempt != attempt || f.rollback {
		return 0, "", time.Time{}, false
	}
	return f.rep.lastProgress()
}
