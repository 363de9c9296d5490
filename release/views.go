package release

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
)

// Count counts activities by how far they are.
type Count struct {
	Total   int `json:"total"`
	Done    int `json:"done"` // Succeeded, Ignored or Skipped
	Pending int `json:"pending"`
	Running int `json:"running"`
	Waiting int `json:"waiting"` // Waiting or OnHold: someone must act
	Failed  int `json:"failed"`  // Failed, Aborted or RolledBack
}

// Percent returns Done as a percentage of Total (100 when Total is 0).
func (c Count) Percent() float64 {
	if c.Total == 0 {
		return 100
	}
	return 100 * float64(c.Done) / float64(c.Total)
}

// String formats the count as "done/total".
func (c Count) String() string { return fmt.Sprintf("%d/%d", c.Done, c.Total) }

func countOf(ac *activityCounts) Count {
	at := func(s ActivityStatus) int { return ac[s.index()] }
	return Count{
		Total: ac.total(), Done: ac.done(),
		Pending: at(ActivityPending), Running: at(ActivityRunning),
		Waiting: at(ActivityWaiting) + at(ActivityOnHold),
		Failed:  at(ActivityFailed) + at(ActivityAborted) + at(ActivityRolledBack),
	}
}

// PhaseProgress is the progress of one phase.
type PhaseProgress struct {
	Phase  process.PhaseID `json:"phase"`
	Status PhaseStatus     `json:"status"`
	Count
}

// ProgressReport is a release's progress: overall and per phase.
type ProgressReport struct {
	Overall Count           `json:"overall"`
	Phases  []PhaseProgress `json:"phases"` // in process order
}

// Progress returns the activities done out of the total, overall and per
// phase. It costs O(phases).
func Progress(r *Release) ProgressReport {
	rep := ProgressReport{Overall: countOf(&r.counts)}
	if r.Process == nil {
		return rep
	}
	for _, ph := range r.Process.Phases {
		if ps := r.Phases[ph.ID]; ps != nil {
			rep.Phases = append(rep.Phases, PhaseProgress{Phase: ph.ID, Status: ps.Status, Count: countOf(&ps.counts)})
		}
	}
	return rep
}

// HealthStatus says whether a release will end when expected.
type HealthStatus string

// The health statuses.
const (
	OnTrack HealthStatus = "on-track"
	AtRisk  HealthStatus = "at-risk"
	Late    HealthStatus = "late"
)

// HealthReport is a release's health at a given time.
type HealthReport struct {
	Status      HealthStatus `json:"status"`
	ExpectedEnd time.Time    `json:"expected-end"` // zero when the release has none
	// ProjectedEnd is when the release should end if every remaining
	// activity takes its expected duration, along the longest chain of
	// dependencies; EndedAt once it has ended.
	ProjectedEnd time.Time `json:"projected-end"`
	// Overdue lists activities running or waiting longer than expected.
	Overdue []ActivityKey `json:"overdue,omitempty"`
	// Reasons explain an AtRisk or Late status, one sentence each.
	Reasons []string `json:"reasons,omitempty"`
	// Recheck is how long Status holds without a new event: Health of the
	// same release (no event recorded since) gives the same Status at any
	// time from the report's now up to Recheck included, and may give
	// another only after it. Zero when Status cannot change without an
	// event (the release has ended, or is Late). A watcher that judges many
	// releases looks again at one only once Recheck has passed or an event
	// was recorded.
	Recheck time.Time `json:"recheck,omitzero"`
}

// Health judges a release at now against its expected start and end and its
// activities' expected durations:
//
//   - Late: it ended after its expected end, or now is past its expected
//     end and it has not ended.
//   - AtRisk: its projected end is past its expected end; or it is still
//     Scheduled after its expected start; or it is Paused; or an activity is
//     overdue or on hold.
//   - OnTrack otherwise.
//
// An activity's expected duration is its ExpectedDuration, else the longest
// expected duration of its tasks, else zero. Health is pure; it costs
// O(activities + dependencies).
func Health(r *Release, now time.Time) HealthReport {
	rep := HealthReport{Status: OnTrack, ExpectedEnd: r.ExpectedEnd}
	risk := func(format string, args ...any) {
		if rep.Status == OnTrack {
			rep.Status = AtRisk
		}
		rep.Reasons = append(rep.Reasons, fmt.Sprintf(format, args...))
	}
	if r.Status.Terminal() {
		rep.ProjectedEnd = r.EndedAt
		if !r.ExpectedEnd.IsZero() && r.EndedAt.After(r.ExpectedEnd) {
			rep.Status = Late
			rep.Reasons = append(rep.Reasons, fmt.Sprintf("ended %s after its expected end", r.EndedAt.Sub(r.ExpectedEnd)))
		}
		return rep
	}
	from := now
	if r.Status == Scheduled && r.ScheduledFor.After(now) {
		from = r.ScheduledFor
	}
	plan := newPlan(r, now)
	rep.ProjectedEnd = from.Add(plan.remaining())
	rep.Overdue = plan.overdue
	if !r.ExpectedEnd.IsZero() && now.After(r.ExpectedEnd) {
		rep.Status = Late
		rep.Reasons = append(rep.Reasons, fmt.Sprintf("not ended %s after its expected end", now.Sub(r.ExpectedEnd)))
	}
	if !r.ExpectedEnd.IsZero() && rep.ProjectedEnd.After(r.ExpectedEnd) && !now.After(r.ExpectedEnd) {
		risk("projected to end %s after its expected end", rep.ProjectedEnd.Sub(r.ExpectedEnd))
	}
	if r.Status == Scheduled && !r.ExpectedStart.IsZero() && now.After(r.ExpectedStart) {
		risk("not started %s after its expected start", now.Sub(r.ExpectedStart))
	}
	if r.Status == Paused {
		risk("paused")
	}
	for _, k := range plan.overdue {
		risk("activity %s is taking longer than expected", k)
	}
	for _, k := range plan.held {
		risk("activity %s is on hold", k)
	}
	if rep.Status != Late {
		rep.Recheck = recheck(r, now, rep, plan)
	}
	return rep
}

// recheck returns the last time up to which Health of r, unfinished and
// not Late at now, keeps rep.Status (HealthReport.Recheck): the earliest
// of the instants after which a condition may turn. Each condition is
// strict (after its instant), and the projected end grows at most as fast
// as the clock (the time left of a running activity shrinks as it grows),
// so it cannot pass the expected end before now plus the gap between them.
func recheck(r *Release, now time.Time, rep HealthReport, plan *plan) time.Time {
	var next time.Time
	at := func(t time.Time) {
		if !t.Before(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if !r.ExpectedEnd.IsZero() {
		at(r.ExpectedEnd) // Late after it
		if !rep.ProjectedEnd.After(r.ExpectedEnd) {
			at(now.Add(r.ExpectedEnd.Sub(rep.ProjectedEnd))) // at risk by projection
		}
	}
	if r.Status == Scheduled && !r.ExpectedStart.IsZero() {
		at(r.ExpectedStart) // not started after it
	}
	for k, a := range plan.acts {
		st := r.Activities[k]
		if st == nil || (st.Status != ActivityRunning && st.Status != ActivityWaiting) {
			continue
		}
		if exp := a.Expected(); exp > 0 {
			since := st.Since
			if s := attemptStart(st); s.After(since) {
				since = s
			}
			at(since.Add(exp)) // overdue after it
		}
	}
	return next
}

// plan computes the remaining critical path of a release.
type plan struct {
	r       *Release
	now     time.Time
	acts    map[ActivityKey]*process.Activity
	finish  map[ActivityKey]time.Duration // remaining time until the activity is done
	phase   map[process.PhaseID]time.Duration
	busy    map[string]bool // cycle guard
	overdue []ActivityKey
	held    []ActivityKey
}

func newPlan(r *Release, now time.Time) *plan {
	p := &plan{r: r, now: now, acts: map[ActivityKey]*process.Activity{},
		finish: map[ActivityKey]time.Duration{}, phase: map[process.PhaseID]time.Duration{}, busy: map[string]bool{}}
	if r.Process == nil {
		return p
	}
	for i := range r.Process.Phases {
		ph := &r.Process.Phases[i]
		for j := range ph.Activities {
			a := &ph.Activities[j]
			k := Key(ph.ID, a.ID)
			p.acts[k] = a
			st := r.Activities[k]
			if st == nil {
				continue
			}
			switch st.Status {
			case ActivityRunning, ActivityWaiting:
				if exp := a.Expected(); exp > 0 && now.Sub(st.Since) > exp && now.Sub(attemptStart(st)) > exp {
					p.overdue = append(p.overdue, k)
				}
			case ActivityOnHold:
				p.held = append(p.held, k)
			}
		}
	}
	return p
}

func attemptStart(a *ActivityState) time.Time {
	if n := len(a.Attempts); n > 0 {
		return a.Attempts[n-1].StartedAt
	}
	return a.Since
}

func (p *plan) remaining() time.Duration {
	var d time.Duration
	if p.r.Process == nil {
		return 0
	}
	for _, ph := range p.r.Process.Phases {
		d = max(d, p.phaseFinish(ph.ID))
	}
	return d
}

func (p *plan) phaseFinish(id process.PhaseID) time.Duration {
	if d, ok := p.phase[id]; ok {
		return d
	}
	guard := "phase " + string(id)
	if p.busy[guard] {
		return 0
	}
	p.busy[guard] = true
	var d time.Duration
	for _, ph := range p.r.Process.Phases {
		if ph.ID != id {
			continue
		}
		for _, a := range ph.Activities {
			d = max(d, p.activityFinish(Key(id, a.ID)))
		}
		if len(ph.Activities) == 0 {
			for _, dep := range ph.DependsOn {
				d = max(d, p.phaseFinish(dep))
			}
		}
	}
	p.phase[id] = d
	return d
}

func (p *plan) activityFinish(k ActivityKey) time.Duration {
	if d, ok := p.finish[k]; ok {
		return d
	}
	if p.busy[string(k)] {
		return 0
	}
	p.busy[string(k)] = true
	a, st := p.acts[k], p.r.Activities[k]
	if a == nil || st == nil {
		return 0
	}
	var start time.Duration
	if !st.Status.Terminal() && st.Status != ActivityRunning && st.Status != ActivityWaiting {
		// Not begun (or to be retried): it starts once its dependencies end.
		if ph := p.phaseOf(k.Phase()); ph != nil {
			for _, dep := range ph.DependsOn {
				start = max(start, p.phaseFinish(dep))
			}
		}
		for _, dep := range a.DependsOn {
			dk := ActivityKey(dep)
			if !strings.Contains(dep, ".") {
				dk = Key(k.Phase(), process.ActivityID(dep))
			}
			start = max(start, p.activityFinish(dk))
		}
	}
	var left time.Duration
	switch {
	case st.Status.Terminal():
	case st.Status == ActivityRunning || st.Status == ActivityWaiting:
		left = max(0, a.Expected()-p.now.Sub(attemptStart(st)))
	default:
		left = a.Expected()
	}
	d := start + left
	p.finish[k] = d
	return d
}

func (p *plan) phaseOf(id process.PhaseID) *process.Phase {
	for i := range p.r.Process.Phases {
		if p.r.Process.Phases[i].ID == id {
			return &p.r.Process.Phases[i]
		}
	}
	return nil
}

// WaitKind says what a waiting activity waits for.
type WaitKind string

// The wait kinds.
const (
	WaitTask     WaitKind = "task"     // a task is not done; On are its assignees
	WaitApproval WaitKind = "approval" // approvals are missing; On are the approvers who have not decided
	WaitOutputs  WaitKind = "outputs"  // declared outputs are not submitted; On are the phase owners
	WaitSignOff  WaitKind = "sign-off" // everything is in; someone must complete the activity
	WaitOperator WaitKind = "operator" // the activity is on hold; an operator must retry, ignore or abort
)

// Wait is one thing a release waits for, and on whom.
type Wait struct {
	Activity ActivityKey `json:"activity"`
	Kind     WaitKind    `json:"kind"`
	Task     string      `json:"task,omitempty"`    // for WaitTask
	On       []string    `json:"on,omitempty"`      // users or "group:NAME"; "operator" when no one is named
	Needed   int         `json:"needed,omitempty"`  // approvals still needed, for WaitApproval
	Missing  []string    `json:"missing,omitempty"` // output names, for WaitOutputs
	Since    time.Time   `json:"since"`             // when the activity began waiting
	Detail   string      `json:"detail,omitempty"`  // e.g. the error of an activity on hold
}

// Waiting lists what the release waits for, in process order: for each
// Waiting activity its unfinished tasks (on their assignees), missing
// approvals (on the approvers who have not decided), missing outputs (on
// the phase owners) or its sign-off; for each OnHold activity, an operator.
// A release "waits for input" when the list is not empty. Approvals needed
// follow the policy: Min (default 1), or a majority or all of the approver
// entries as listed (a group entry counts as one, since groups are resolved
// by the host).
func Waiting(r *Release) []Wait {
	var out []Wait
	if r.Process == nil || !r.WaitingForInput() {
		return out
	}
	for i := range r.Process.Phases {
		ph := &r.Process.Phases[i]
		owners := ph.Owners
		if len(owners) == 0 {
			owners = []string{"operator"}
		}
		for j := range ph.Activities {
			a := &ph.Activities[j]
			st := r.Activities[Key(ph.ID, a.ID)]
			if st == nil || !st.Status.NeedsInput() {
				continue
			}
			w := Wait{Activity: st.Key, Since: st.Since}
			if st.Status == ActivityOnHold {
				w.Kind, w.On, w.Detail = WaitOperator, slices.Clone(owners), st.Error
				out = append(out, w)
				continue
			}
			n := len(out)
			switch {
			case a.EffectiveType() == process.Approval && a.Approval != nil:
				if ap := approvalWait(a.Approval, st); ap.Needed > 0 {
					ap.Activity, ap.Since = st.Key, st.Since
					out = append(out, ap)
				}
			default:
				anyRequired := slices.ContainsFunc(st.Tasks, func(t TaskState) bool { return t.Required })
				for _, t := range st.Tasks {
					if t.Status == TaskSucceeded || (anyRequired && !t.Required) {
						continue
					}
					tw := w
					tw.Kind, tw.Task, tw.On = WaitTask, t.ID, slices.Clone(t.Assignees)
					tw.Detail = fmt.Sprintf("%s is %s", t.ID, t.Status)
					out = append(out, tw)
				}
				if len(out) == n {
					var missing []string
					for _, name := range a.Outputs {
						if _, ok := st.Outputs[name]; !ok {
							missing = append(missing, name)
						}
					}
					if len(missing) > 0 {
						mw := w
						mw.Kind, mw.On, mw.Missing = WaitOutputs, slices.Clone(owners), missing
						out = append(out, mw)
					}
				}
			}
			if len(out) == n {
				w.Kind, w.On = WaitSignOff, slices.Clone(owners)
				out = append(out, w)
			}
		}
	}
	return out
}

func approvalWait(pol *process.ApprovalPolicy, st *ActivityState) Wait {
	approved := 0
	decided := map[string]bool{}
	for _, d := range st.Decisions() {
		decided[d.Actor] = true
		if d.Approved {
			approved++
		}
	}
	var need int
	switch pol.Rule {
	case process.Majority:
		need = len(pol.Approvers)/2 + 1
	case process.Unanimous:
		need = len(pol.Approvers)
	default:
		need = max(pol.Min, 1)
	}
	w := Wait{Kind: WaitApproval, Needed: max(need-approved, 0)}
	for _, a := range pol.Approvers {
		if !decided[a] {
			w.On = append(w.On, a)
		}
	}
	w.Detail = fmt.Sprintf("%d of %d approvals", approved, need)
	return w
}

// TimelineEntry is one dated fact of a release's history.
type TimelineEntry struct {
	At      time.Time `json:"at"`
	Subject string    `json:"subject"` // "release", "phase qa", "activity qa.signoff", "task qa.regression/run-suite"
	What    string    `json:"what"`    // "created", "started", "attempt 2 started", "Succeeded", "approved", ...
	Actor   string    `json:"actor,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Timeline returns the dated facts the release holds, oldest first (ties
// keep release, phase, activity order): its creation, start and end, each
// phase's start and end, each activity attempt's start and end, approvals,
// the latest change of each task, comments and links. Event-level detail
// (every task change) is in the event log itself.
func Timeline(r *Release) []TimelineEntry {
	var out []TimelineEntry
	add := func(at time.Time, subject, what, actor, detail string) {
		if !at.IsZero() {
			out = append(out, TimelineEntry{At: at, Subject: subject, What: what, Actor: actor, Detail: detail})
		}
	}
	add(r.CreatedAt, "release", "created", r.CreatedBy, r.Name)
	add(r.StartedAt, "release", "started", "", "")
	if r.Status.Terminal() {
		add(r.EndedAt, "release", string(r.Status), "", r.Error)
	}
	for _, c := range r.Comments {
		add(c.At, "release", "comment", c.Author, c.Text)
	}
	for _, l := range r.Links {
		add(l.At, "release", "link "+string(l.Kind), l.Actor, cmp.Or(l.URL, l.Ref))
	}
	if r.Process != nil {
		for _, ph := range r.Process.Phases {
			ps := r.Phases[ph.ID]
			if ps == nil {
				continue
			}
			subject := "phase " + string(ph.ID)
			add(ps.StartedAt, subject, "started", "", "")
			if ps.Status != PhasePending && ps.Status != PhaseRunning {
				add(ps.EndedAt, subject, string(ps.Status), "", ps.Error)
			}
			for _, act := range ph.Activities {
				if a := r.Activities[Key(ph.ID, act.ID)]; a != nil {
					activityTimeline(add, a)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b TimelineEntry) int { return a.At.Compare(b.At) })
	return out
}

func activityTimeline(add func(at time.Time, subject, what, actor, detail string), a *ActivityState) {
	subject := "activity " + string(a.Key)
	for _, at := range a.Attempts {
		add(at.StartedAt, subject, fmt.Sprintf("attempt %d started", at.Number), at.Actor, "")
		what := fmt.Sprintf("attempt %d ended", at.Number)
		if at.TimedOut {
			what = fmt.Sprintf("attempt %d timed out", at.Number)
		}
		add(at.EndedAt, subject, what, "", at.Error)
	}
	if a.Status != ActivityPending && a.Status != ActivityRunning {
		add(a.Since, subject, string(a.Status), "", a.Reason)
	}
	for _, d := range a.Approvals {
		what := "approved"
		switch {
		case d.Bypassed:
			what = "approval bypassed"
		case !d.Approved:
			what = "rejected"
		}
		add(d.At, subject, what, d.Actor, d.Comment)
	}
	for _, t := range a.Tasks {
		ts := "task " + string(a.Key) + "/" + t.ID
		add(t.UpdatedAt, ts, string(t.Status), t.UpdatedBy, "")
		for _, c := range t.Comments {
			add(c.At, ts, "comment", c.Author, c.Text)
		}
	}
	for _, c := range a.Comments {
		add(c.At, subject, "comment", c.Author, c.Text)
	}
	for _, l := range a.Links {
		add(l.At, subject, "link "+string(l.Kind), l.Actor, cmp.Or(l.URL, l.Ref))
	}
}
