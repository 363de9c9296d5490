package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// apply records an adapter call's result.
func (r *run) apply(res result) {
	if r.flights[res.act] != res.f {
		return // stale: timed out, aborted or superseded
	}
	delete(r.flights, res.act)
	res.f.cancel()
	ai := &r.p.acts[res.act]
	a := r.state(res.act)
	if res.f.rollback {
		r.rbPending = false
		if !r.rollingBack || (a.Status != release.ActivitySucceeded && a.Status != release.ActivityFailed) {
			return
		}
		p := &release.ActivityRolledBackPayload{Activity: ai.key}
		if res.err != nil {
			p.Error = res.err.Error()
		}
		r.emit(r.actor(), "rollback", p)
		return
	}
	if a.Status != release.ActivityRunning || len(a.Attempts) != res.f.attempt {
		return
	}
	if r.e.context() == nil && res.err != nil {
		return // shutting down: the attempt stays open and is re-run
	}
	r.busy--
	r.e.timers.stop(timerKey{rel: r.id, kind: timerTimeout, act: res.act, attempt: int32(res.f.attempt)})
	links := res.f.req.Reporter.(*reporter).take()
	if res.err != nil {
		if bad := r.addLinks(ai.key, links); bad != nil {
			res.err = fmt.Errorf("%w (the adapter also reported %w)", res.err, bad)
		}
		r.failure(res.act, res.err, false)
		return
	}
	var outputs map[string]any
	if res.out != nil {
		outputs = res.out.Outputs
		links = append(links, res.out.Links...)
	}
	if bad := invalidLink(links); bad != nil {
		// The attempt's work may be done, but its record would not be: it
		// fails (permanently: the adapter would report the same), keeping
		// the valid links, and on-failure decides.
		r.addLinks(ai.key, links)
		r.failure(res.act, adapters.Permanent(bad), false)
		return
	}
	r.succeededP = release.ActivitySucceededPayload{Activity: ai.key, Outputs: outputs}
	r.emit(r.actor(), "", &r.succeededP)
	r.succeededP = release.ActivitySucceededPayload{}
	r.addLinks(ai.key, links)
	r.markDone(res.act, true)
}

// addLinks records the valid links an attempt reported, and returns an
// error naming the first invalid one (nil when all are valid).
func (r *run) addLinks(k release.ActivityKey, links []release.Link) error {
	for _, l := range links {
		if checkLink(&l) == nil {
			l.Activity, l.Task, l.Actor, l.At = "", "", "", time.Time{}
			r.emit(r.actor(), "", &release.LinkAddedPayload{Activity: k, Link: l})
		}
	}
	return invalidLink(links)
}

// invalidLink returns an error naming the first link that checkLink
// refuses, and why; nil when there is none.
func invalidLink(links []release.Link) error {
	for i := range links {
		if err := checkLink(&links[i]); err != nil {
			return fmt.Errorf("an invalid link (#%d of %d): %w", i+1, len(links), err)
		}
	}
	return nil
}

// failure handles a failed attempt: a retry after a backoff when the policy
// allows and the error is not permanent, else the on-failure strategy.
func (r *run) failure(i int32, err error, timedOut bool) {
	ai := &r.p.acts[i]
	a := r.state(i)
	attempts := len(a.Attempts)
	limit := 1
	if ai.act.Retry != nil && ai.act.Retry.MaxAttempts > 0 {
		limit = ai.act.Retry.MaxAttempts
	}
	permanent := adapters.IsPermanent(err)
	if ai.act.EffectiveType() == process.Automated && !permanent && attempts < limit {
		r.emit(r.actor(), "", &release.ActivityFailedPayload{Activity: ai.key, Error: err.Error(), TimedOut: timedOut})
		delay := r.e.backoff(ai.act.Retry, attempts)
		if d, ok := adapters.RetryDelay(err); ok && d > delay {
			delay = d
		}
		k := timerKey{rel: r.id, kind: timerRetry, act: i, attempt: int32(attempts + 1)}
		at := r.now().Add(delay)
		r.onCommit = append(r.onCommit, func() { r.e.timers.set(k, at) })
		return
	}
	r.onFailure(i, err.Error(), timedOut, permanent)
}

// onFailure applies an activity's on-failure strategy.
func (r *run) onFailure(i int32, msg string, timedOut, permanent bool) {
	ai := &r.p.acts[i]
	a := r.state(i)
	failed := func() {
		if a.Status != release.ActivityFailed {
			r.emit(r.actor(), "", &release.ActivityFailedPayload{Activity: ai.key, Error: msg, TimedOut: timedOut, Permanent: permanent})
		}
	}
	switch ai.act.OnFailure {
	case process.Fail:
		failed()
		r.abortActive(i, r.actor(), "release failed", true)
		r.emit(r.actor(), "", &release.ReleaseFailedPayload{Error: fmt.Sprintf("activity %s failed: %s", ai.key, msg)})
	case process.Ignore:
		failed()
		r.emit(r.actor(), "on-failure: ignore", &release.ActivityIgnoredPayload{Activity: ai.key})
		r.markDone(i, true)
	case process.Rollback:
		failed()
		r.startRollback(ai.key, msg, r.actor(), "on-failure: rollback")
	default: // hold
		r.emit(r.actor(), "", &release.ActivityHeldPayload{Activity: ai.key, Error: msg, TimedOut: timedOut, Permanent: permanent})
	}
}

// abortActive aborts every activity that is running, waiting or on hold
// (but except), cancelling adapter calls and child releases.
func (r *run) abortActive(except int32, actor, reason string, failedToo bool) {
	for i := range r.p.acts {
		i := int32(i)
		if i == except {
			continue
		}
		a := r.state(i)
		switch a.Status {
		case release.ActivityRunning, release.ActivityWaiting, release.ActivityOnHold:
		case release.ActivityFailed: // waiting for its next attempt
			if !failedToo {
				continue
			}
			r.e.timers.stop(timerKey{rel: r.id, kind: timerRetry, act: i, attempt: int32(len(a.Attempts) + 1)})
		default:
			continue
		}
		ai := &r.p.acts[i]
		wasRunning := a.Status == release.ActivityRunning
		if !r.emit(actor, reason, &release.ActivityAbortedPayload{Activity: ai.key}) {
			return
		}
		if wasRunning && (ai.act.EffectiveType() == process.Automated || ai.act.EffectiveType() == process.Subprocess) {
			r.busy--
		}
		if f := r.flights[i]; f != nil && !f.rollback {
			delete(r.flights, i)
			r.onCommit = append(r.onCommit, f.cancel)
		}
		if ai.act.EffectiveType() == process.Subprocess && wasRunning {
			r.abortChild(i, len(a.Attempts), actor, reason)
		}
	}
}

// abortChild aborts the child release of a subprocess attempt once what
// ended the attempt is stored. A child not made yet is not started (see
// startChildIfWanted).
func (r *run) abortChild(i int32, attempt int, actor, reason string) {
	child := childID(r.id, r.p.acts[i].key, attempt)
	e := r.e
	r.effects = append(r.effects, func() {
		err := e.Abort(consequence(context.Background()), child, &By{Actor: actor, Reason: "parent release: " + reason})
		if err != nil && !errors.Is(err, ErrIllegal) && !errors.Is(err, ErrNotFound) {
			e.log.Warn("executor: aborting child release", "release", child, "err", err)
		}
	})
}

// startRollback enters rollback mode: active work is aborted and the
// rollbacks of completed activities run, in reverse dependency order.
func (r *run) startRollback(trigger release.ActivityKey, msg, actor, reason string) {
	r.abortActive(-1, actor, "rolling back", false)
	r.emit(actor, reason, &release.ReleaseRollbackStartedPayload{Activity: trigger, Error: msg})
	r.rollingBack = true
}

// driveRollback runs the next rollback step, or ends the release
// RolledBack when none is left.
func (r *run) driveRollback() {
	if r.rbPending || r.rel.Status != release.Running {
		return
	}
	for k := len(r.p.order) - 1; k >= 0; k-- {
		i := r.p.order[k]
		ai := &r.p.acts[i]
		if ai.act.Rollback == nil {
			continue
		}
		a := r.state(i)
		if a.Status != release.ActivitySucceeded && a.Status != release.ActivityFailed {
			continue
		}
		with, err := r.p.compiled.RollbackWith(ai.ref, r.scope)
		if err != nil {
			r.emit(r.actor(), "rollback", &release.ActivityRolledBackPayload{Activity: ai.key, Error: "rollback.with: " + err.Error()})
			continue
		}
		r.rbPending = true
		key := idemKey(r.id, ai.key, len(a.Attempts)) + "/rollback"
		r.onCommit = append(r.onCommit, func() {
			r.dispatch(i, len(a.Attempts), with, key, true)
			if r.flights[i] == nil {
				r.rbPending = false // not running: the next Run resumes the rollback
			}
		})
		return
	}
	r.emit(r.actor(), "", &release.ReleaseRolledBackPayload{Error: r.rollbackError()})
}

// rollbackError describes what caused the rollback, from the release alone
// (so a resumed rollback ends with the same error).
func (r *run) rollbackError() string {
	for i := range r.p.acts {
		a := r.state(int32(i))
		if n := len(a.Attempts); n > 0 && a.Attempts[n-1].Error != "" &&
			(a.Status == release.ActivityFailed || a.Status == release.ActivityRolledBack) {
			return fmt.Sprintf("activity %s failed: %s", a.Key, a.Attempts[n-1].Error)
		}
	}
	return "rolled back by an operator"
}

// checkFinished ends the release when every activity is done.
func (r *run) checkFinished() {
	if r.rel.Status != release.Running || r.nDone < r.p.n() || r.err != nil {
		return
	}
	for i := range r.p.acts {
		if r.state(int32(i)).Status == release.ActivityIgnored {
			r.emit(r.actor(), "", &release.ReleasePartiallySucceededPayload{})
			return
		}
	}
	r.emit(r.actor(), "", &release.ReleaseSucceededPayload{})
}

// checkHuman completes or fails a manual or approval activity whose people
// have done what it needs.
func (r *run) checkHuman(i int32) {
	a := r.state(i)
	if a.Status != release.ActivityWaiting && a.Status != release.ActivityRunning {
		return
	}
	ai := &r.p.acts[i]
	switch ai.act.EffectiveType() {
	case process.Manual:
		done, failedTask := manualOutcome(ai.act, a)
		switch {
		case failedTask != "":
			r.onFailure(i, fmt.Sprintf("task %s failed", failedTask), false, false)
		case done:
			r.emit(r.actor(), "", &release.ActivitySucceededPayload{Activity: ai.key})
			r.markDone(i, true)
		}
	case process.Approval:
		o := r.approvalOutcome(i)
		switch {
		case o.rejectedBy != "":
			r.onFailure(i, fmt.Sprintf("rejected by %s", o.rejectedBy)+suffix(o.comment), false, false)
		case o.approved:
			r.emit(r.actor(), "", &release.ActivitySucceededPayload{Activity: ai.key})
			r.markDone(i, true)
		case len(o.unresolved) > 0 && o.have > 0:
			// Only the lookup stands between the decisions given and the
			// outcome: look again later (and whenever someone decides).
			r.armResolve(i, a)
		}
	}
}

// The backoff of a failed approver group lookup: the wait doubles from
// resolveRetryMin up to resolveRetryMax.
const (
	resolveRetryMin = 10 * time.Second
	resolveRetryMax = 10 * time.Minute
)

// armResolve sets the timer that looks up the approver groups of approval
// i again. The wait is the time since the last decision, within
// [resolveRetryMin, resolveRetryMax], so it doubles from one look to the
// next with no state kept between them (a reload or another instance goes
// on where this one stopped).
func (r *run) armResolve(i int32, a *release.ActivityState) {
	var last time.Time
	for _, d := range a.Decisions() {
		if d.At.After(last) {
			last = d.At
		}
	}
	now := r.now()
	delay := min(max(now.Sub(last), resolveRetryMin), resolveRetryMax)
	k := timerKey{rel: r.id, kind: timerResolve, act: i, attempt: int32(len(a.Attempts))}
	at := now.Add(delay)
	r.onCommit = append(r.onCommit, func() { r.e.timers.set(k, at) })
}

func suffix(comment string) string {
	if comment == "" {
		return ""
	}
	return ": " + comment
}

// manualOutcome says whether a manual activity is done: every required
// task SUCCEEDED (every task, when none is required) and every declared
// output submitted; or which required task failed.
func manualOutcome(act *process.Activity, a *release.ActivityState) (done bool, failedTask string) {
	anyRequired := false
	for _, t := range a.Tasks {
		anyRequired = anyRequired || t.Required
	}
	done = true
	for _, t := range a.Tasks {
		if anyRequired && !t.Required {
			continue
		}
		if t.Status == release.TaskFailed && t.Required {
			return false, t.ID
		}
		if t.Status != release.TaskSucceeded {
			done = false
		}
	}
	for _, o := range act.Outputs {
		if _, ok := a.Outputs[o]; !ok {
			done = false
		}
	}
	return done, ""
}

type approvalOutcome struct {
	approved   bool
	rejectedBy string
	comment    string
	have, need int
	eligible   []string
	// unresolved are the approver groups that could not be looked up: while
	// any is, the approval cannot pass (its set of approvers is unknown).
	unresolved []*groupError
}

// approvalOutcome counts the decisions of the current attempt against the
// activity's policy.
func (r *run) approvalOutcome(i int32) approvalOutcome {
	a := r.state(i)
	pol := r.p.acts[i].act.Approval
	var o approvalOutcome
	if pol == nil || len(a.Attempts) == 0 {
		return o
	}
	for _, d := range a.Decisions() {
		if !d.Approved {
			o.rejectedBy, o.comment = d.Actor, d.Comment
			return o
		}
		o.have++
	}
	o.eligible, o.unresolved = r.e.eligible(pol, r.rel.Initiator)
	switch pol.Rule {
	case process.Majority:
		o.need = len(o.eligible)/2 + 1
	case process.Unanimous:
		o.need = max(len(o.eligible), 1)
	default:
		o.need = max(pol.Min, 1)
	}
	o.approved = o.have >= o.need && len(o.unresolved) == 0
	return o
}

// groupError is an approver group that could not be resolved.
type groupError struct {
	group string // without "group:"
	err   error
}

func (g *groupError) Error() string {
	return fmt.Sprintf("group %q could not be resolved: %v", g.group, g.err)
}

func (g *groupError) Unwrap() error { return g.err }

// errNoMembers is the lookup error of a group that resolves to nobody.
var errNoMembers = errors.New("it has no members")

// eligible resolves the approvers of a policy (groups through
// Config.ResolveGroup), without the initiator when the policy forbids it.
// It also returns the groups it could not resolve: no ResolveGroup, an
// error, or no members (a group that names nobody is a lookup gone wrong,
// not a licence to decide without it).
func (e *Executor) eligible(pol *process.ApprovalPolicy, initiator string) ([]string, []*groupError) {
	seen := map[string]bool{}
	var out []string
	var errs []*groupError
	add := func(u string) {
		if u == "" || seen[u] || (pol.ForbidInitiator && u == initiator) {
			return
		}
		seen[u] = true
		out = append(out, u)
	}
	for _, who := range pol.Approvers {
		g, ok := strings.CutPrefix(who, "group:")
		if !ok {
			add(who)
			continue
		}
		if e.cfg.ResolveGroup == nil {
			errs = append(errs, &groupError{group: g, err: errNoResolver})
			continue
		}
		members, err := e.cfg.ResolveGroup(e.background(), g)
		if err == nil && len(members) == 0 {
			err = errNoMembers
		}
		if err != nil {
			errs = append(errs, &groupError{group: g, err: err})
			continue
		}
		for _, m := range members {
			add(m)
		}
	}
	return out, errs
}

// errNoResolver is the lookup error of every group when Config.ResolveGroup
// is not set.
var errNoResolver = errors.New("Config.ResolveGroup is not set")

// joinGroupErrors says what went wrong with each group, in one line.
func joinGroupErrors(errs []*groupError) string {
	msgs := make([]string, len(errs))
	for i, g := range errs {
		msgs[i] = g.Error()
	}
	return strings.Join(msgs, "; ")
}

// onTimer handles one of the release's timers.
func (r *run) onTimer(k timerKey) error {
	if !r.driver {
		return errNotDriver
	}
	rel := r.rel
	switch k.kind {
	case timerWake:
		// Loading the release reconciled it: its own timers are armed.
	case timerReload:
		r.reconcile()
	case timerStart:
		if rel.Status == release.Scheduled {
			if r.now().Before(rel.ScheduledFor) {
				r.e.timers.set(k, rel.ScheduledFor)
				return nil
			}
			r.e.forgetWait(k)
			if r.holdStart() {
				return nil
			}
			r.emit(r.actor(), "scheduled start", &release.ReleaseStartedPayload{})
			r.reconcile()
		}
	case timerRetry:
		a := r.state(k.act)
		if a.Status != release.ActivityFailed || len(a.Attempts)+1 != int(k.attempt) || r.rollingBack {
			return nil
		}
		if rel.Status != release.Running {
			return nil // paused: Resume re-arms it
		}
		if r.busy >= r.e.cfg.Parallelism {
			// Every slot is taken: the attempt starts when one frees
			// (drive), before any activity that became ready later.
			if !slices.Contains(r.retryDue, k.act) {
				r.retryDue = append(r.retryDue, k.act)
			}
			return nil
		}
		r.e.forgetWait(k)
		if r.holdRetry(k.act) {
			return nil
		}
		r.start(k.act, r.actor(), "retry", nil)
	case timerFreezeWait:
		r.e.forgetWait(k)
		if a := r.state(k.act); a.Status == release.ActivityPending && rel.Status == release.Running {
			r.ready = append(r.ready, k.act) // begin looks again
		}
	case timerTimeout:
		a := r.state(k.act)
		f := r.flights[k.act]
		typ := r.p.acts[k.act].act.EffectiveType()
		human := typ == process.Manual || typ == process.Approval
		if len(a.Attempts) != int(k.attempt) || !(a.Status == release.ActivityRunning || human && a.Status == release.ActivityWaiting) {
			return nil
		}
		if f != nil {
			delete(r.flights, k.act)
			f.cancel()
		}
		if !human { // people take no slot
			r.busy--
		}
		d := r.p.acts[k.act].act.Timeout.D()
		if typ == process.Subprocess {
			r.abortChild(k.act, int(k.attempt), r.actor(), fmt.Sprintf("the subprocess timed out after %v", d))
		}
		r.failure(k.act, fmt.Errorf("timed out after %v", d), true)
	case timerResolve:
		a := r.state(k.act)
		if a.Status != release.ActivityWaiting || len(a.Attempts) != int(k.attempt) {
			return nil
		}
		if rel.Status != release.Running {
			r.armResolve(k.act, a) // paused: look again later
			return nil
		}
		r.checkHuman(k.act)
	case timerDeadline:
		a := r.state(k.act)
		if a.Status != release.ActivityWaiting || len(a.Attempts) != int(k.attempt) {
			return nil
		}
		if rel.Status != release.Running {
			return nil // paused: Resume re-arms it
		}
		ai := &r.p.acts[k.act]
		if ai.act.Approval.OnDeadline == process.ApproveOnDeadline {
			r.emit(r.actor(), "deadline passed: approved", &release.ActivitySucceededPayload{Activity: ai.key})
			r.markDone(k.act, true)
		} else {
			r.onFailure(k.act, "approval deadline passed", false, false)
		}
	case timerPoll:
		f := r.flights[k.act]
		if f == nil || f.poller == nil || f.attempt != int(k.attempt) {
			return nil
		}
		h := f.handle
		r.e.spawn(func() task { return r.e.poll(r, k.act, f, h) })
	case timerChild:
		a := r.state(k.act)
		if a.Status == release.ActivityRunning && len(a.Attempts) == int(k.attempt) {
			r.checkChild(k.act, int(k.attempt))
		}
	}
	return nil
}

// reporter collects what an adapter reports. Links are recorded (link.added)
// with the attempt's result; progress and log lines are not kept (the
// release model has no event for them yet).
type reporter struct {
	mu    sync.Mutex
	links []release.Link

	log   *slog.Logger // with the release, activity and attempt
	clock Clock

	progress   float64 // the last Progress, 0 to 1
	note       string
	progressAt time.Time // zero until the adapter reports progress
}

// Log passes an adapter's log line to Config.Logger, at Info, with the
// release, activity and attempt.
func (p *reporter) Log(msg string) {
	if p.log != nil {
		p.log.Info(msg)
	}
}

// Progress keeps the adapter's last report of how far it is; Why shows it
// while the attempt runs. Values outside 0 to 1 are clamped; NaN is ignored.
func (p *reporter) Progress(fraction float64, note string) {
	if fraction != fraction {
		return
	}
	fraction = min(max(fraction, 0), 1)
	var at time.Time
	if p.clock != nil {
		at = p.clock.Now()
	}
	p.mu.Lock()
	p.progress, p.note, p.progressAt = fraction, note, at
	p.mu.Unlock()
	if p.log != nil {
		p.log.Debug("executor: adapter progress", "fraction", fraction, "note", note)
	}
}

// lastProgress returns the last Progress report, if any.
func (p *reporter) lastProgress() (fraction float64, note string, at time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.progress, p.note, p.progressAt, !p.progressAt.IsZero()
}

func (p *reporter) Link(l release.Link) {
	p.mu.Lock()
	p.links = append(p.links, l)
	p.mu.Unlock()
}

func (p *reporter) take() []release.Link {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.links
	p.links = nil
	return out
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
