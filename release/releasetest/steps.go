package releasetest

import (
	"context"
	"fmt"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/release"
)

type stepKind string

const (
	stepApprove       stepKind = "approve"
	stepReject        stepKind = "reject"
	stepCompleteTask  stepKind = "complete-task"
	stepFailTask      stepKind = "fail-task"
	stepSubmitOutputs stepKind = "submit-outputs"
	stepRetry         stepKind = "retry"
	stepIgnore        stepKind = "ignore"
	stepSkip          stepKind = "skip"
	stepAbort         stepKind = "abort"
	stepRollBack      stepKind = "roll-back"
	stepRestart       stepKind = "restart" // see script.go
	stepDo            stepKind = "do"      // see children.go
)

// releaseWide reports whether the step acts on a release rather than on an
// activity of it.
func (s *Step) releaseWide() bool {
	switch s.kind {
	case stepAbort, stepRollBack, stepRestart, stepDo:
		return true
	}
	return false
}

// Step is one scripted action of a person. The Harness methods that script
// people (Approve, Reject, CompleteTask, ...) return one; its methods
// refine it and return it, so they chain:
//
//	h.Approve("qa.signoff", "bob").After(2 * time.Hour).Because("suite green")
//
// A step happens once, as soon as it can: when its activity is in a status
// the action fits (Waiting for decisions, tasks and outputs; OnHold or
// Failed for Retry; ...) and After has passed since the activity entered
// that status. Steps on one activity happen in the order they were
// scripted. Abort, RollBack and Do act on the release once it has
// started and until it ends (Running or Paused), After counting from its
// start. An activity given as a path ("deploy.smoke/checks.api", see
// PathSeparator) is one of a subprocess child; InChild points a
// release-wide step at a child.
type Step struct {
	kind     stepKind
	activity release.ActivityKey
	task     string
	actor    string
	reason   string
	after    time.Duration
	outputs  map[string]any
	inputs   map[string]any
	expect   error
	expectOK bool
	optional bool
	mayFail  bool // script.go

	// child is the path of the subprocess activity whose child release a
	// release-wide step acts on (children.go); do is a Do step's call.
	child release.ActivityKey
	do    func(ctx context.Context, ex *executor.Executor, id release.ID) error

	// whenRunning and whenAttempt: the step happens while that activity's
	// attempt runs (script.go).
	whenRunning release.ActivityKey
	whenAttempt int

	done bool
	at   time.Time
	err  error
}

// After delays the step until d has passed since its activity entered the
// status the action needs (since the release started, for Abort and
// RollBack). Defaults to 0: at once.
func (s *Step) After(d time.Duration) *Step { s.after = d; return s }

// Because sets the reason (the comment, for Approve and Reject) recorded
// with the action.
func (s *Step) Because(reason string) *Step { s.reason = reason; return s }

// WithInputs gives a Retry new with: parameters for the next attempt.
func (s *Step) WithInputs(inputs map[string]any) *Step { s.inputs = inputs; return s }

// WithOutputs gives an Ignore the outputs that stand in for the ones the
// activity did not produce.
func (s *Step) WithOutputs(outputs map[string]any) *Step { s.outputs = outputs; return s }

// ExpectError says the action must be refused with an error matching target
// (errors.Is), such as executor.ErrForbidden; without it, a refused action
// fails the test.
func (s *Step) ExpectError(target error) *Step { s.expect, s.expectOK = target, true; return s }

// Optional says the step may never happen (a Retry in case something
// fails). Without it, a step that never happened fails the test when Run
// ends: it usually means the script is wrong (a step on an activity that
// was already done, or waits behind an earlier step on the same activity
// that never fitted).
func (s *Step) Optional() *Step { s.optional = true; return s }

// String describes the step: "bob approves qa.signoff after 2h0m0s".
func (s *Step) String() string {
	what := fmt.Sprintf("%s %s %s", s.actor, s.kind, s.activity)
	switch s.kind {
	case stepCompleteTask, stepFailTask:
		what += "/" + s.task
	case stepAbort, stepRollBack:
		what = fmt.Sprintf("%s %s the release", s.actor, s.kind)
	case stepRestart:
		what = "the executor crashes and restarts"
	case stepDo:
		what = s.actor
	}
	if s.child != "" {
		what += " (in the child of " + string(s.child) + ")"
	}
	if s.whenRunning != "" {
		what += " while " + string(s.whenRunning) + " runs"
		if s.whenAttempt > 0 {
			what += fmt.Sprintf(" (attempt %d)", s.whenAttempt)
		}
	}
	if s.after > 0 {
		what += " after " + s.after.String()
	}
	return what
}

func (h *Harness) add(s *Step) *Step {
	h.steps = append(h.steps, s)
	return s
}

// Approve scripts actor approving the approval activity.
func (h *Harness) Approve(activity release.ActivityKey, actor string) *Step {
	return h.add(&Step{kind: stepApprove, activity: activity, actor: actor})
}

// Reject scripts actor rejecting the approval activity.
func (h *Harness) Reject(activity release.ActivityKey, actor string) *Step {
	return h.add(&Step{kind: stepReject, activity: activity, actor: actor})
}

// CompleteTask scripts actor marking a task of the manual activity
// SUCCEEDED.
func (h *Harness) CompleteTask(activity release.ActivityKey, task, actor string) *Step {
	return h.add(&Step{kind: stepCompleteTask, activity: activity, task: task, actor: actor})
}

// FailTask scripts actor marking a task of the manual activity FAILED.
func (h *Harness) FailTask(activity release.ActivityKey, task, actor string) *Step {
	return h.add(&Step{kind: stepFailTask, activity: activity, task: task, actor: actor})
}

// SubmitOutputs scripts actor submitting outputs of the manual activity.
func (h *Harness) SubmitOutputs(activity release.ActivityKey, actor string, outputs map[string]any) *Step {
	return h.add(&Step{kind: stepSubmitOutputs, activity: activity, actor: actor, outputs: outputs})
}

// Retry scripts an operator retrying the activity once it is OnHold or
// Failed.
func (h *Harness) Retry(activity release.ActivityKey, actor string) *Step {
	return h.add(&Step{kind: stepRetry, activity: activity, actor: actor})
}

// Ignore scripts an operator ignoring the activity once it is OnHold,
// Failed or Waiting.
func (h *Harness) Ignore(activity release.ActivityKey, actor string) *Step {
	return h.add(&Step{kind: stepIgnore, activity: activity, actor: actor})
}

// Skip scripts an operator skipping the activity once it is Waiting or
// OnHold.
func (h *Harness) Skip(activity release.ActivityKey, actor string) *Step {
	return h.add(&Step{kind: stepSkip, activity: activity, actor: actor})
}

// Abort scripts actor aborting the release (After counts from its start).
func (h *Harness) Abort(actor, reason string) *Step {
	return h.add(&Step{kind: stepAbort, actor: actor, reason: reason})
}

// RollBack scripts actor rolling the release back (After counts from its
// start).
func (h *Harness) RollBack(actor, reason string) *Step {
	return h.add(&Step{kind: stepRollBack, actor: actor, reason: reason})
}

// baseFits reports whether the step's action fits the state of release r
// (the one it acts on) and its activity k, and since when (fits in
// script.go adds WhenRunning).
func (s *Step) baseFits(r *release.Release, k release.ActivityKey) (time.Time, bool) {
	if s.releaseWide() {
		if r.Status != release.Running && r.Status != release.Paused {
			return time.Time{}, false
		}
		return r.StartedAt, true
	}
	a := r.Activities[k]
	if a == nil {
		return time.Time{}, false
	}
	ok := false
	switch s.kind {
	case stepApprove, stepReject, stepCompleteTask, stepFailTask, stepSubmitOutputs:
		ok = a.Status == release.ActivityWaiting
	case stepRetry:
		ok = a.Status == release.ActivityOnHold || a.Status == release.ActivityFailed
	case stepIgnore:
		ok = a.Status == release.ActivityOnHold || a.Status == release.ActivityFailed || a.Status == release.ActivityWaiting
	case stepSkip:
		ok = a.Status == release.ActivityWaiting || a.Status == release.ActivityOnHold
	}
	return a.Since, ok
}

// perform takes the step's action through the executor, on release id and
// its activity k.
func (s *Step) perform(ctx context.Context, ex *executor.Executor, id release.ID, k release.ActivityKey) error {
	by := executor.By{Actor: s.actor, Reason: s.reason}
	switch s.kind {
	case stepDo:
		return s.do(ctx, ex, id)
	case stepApprove:
		return ex.Approve(ctx, id, k, &executor.DecisionParams{By: executor.By{Actor: s.actor, Reason: s.reason}})
	case stepReject:
		return ex.Reject(ctx, id, k, &executor.DecisionParams{By: executor.By{Actor: s.actor, Reason: s.reason}})
	case stepCompleteTask:
		return ex.UpdateTask(ctx, id, k, &executor.TaskParams{Task: s.task, Status: release.TaskSucceeded, By: executor.By{Actor: s.actor, Reason: s.reason}})
	case stepFailTask:
		return ex.UpdateTask(ctx, id, k, &executor.TaskParams{Task: s.task, Status: release.TaskFailed, By: executor.By{Actor: s.actor, Reason: s.reason}})
	case stepSubmitOutputs:
		return ex.SubmitOutputs(ctx, id, k, &executor.OutputsParams{Outputs: s.outputs, By: executor.By{Actor: s.actor, Reason: s.reason}})
	case stepRetry:
		return ex.Retry(ctx, id, k, &executor.RetryParams{By: executor.By{Actor: s.actor, Reason: s.reason}, Inputs: s.inputs})
	case stepIgnore:
		return ex.Ignore(ctx, id, k, &executor.IgnoreParams{By: executor.By{Actor: s.actor, Reason: s.reason}, Outputs: s.outputs})
	case stepSkip:
		return ex.Skip(ctx, id, k, &by)
	case stepAbort:
		return ex.Abort(ctx, id, &by)
	case stepRollBack:
		return ex.RollBack(ctx, id, &by)
	}
	return fmt.Errorf("releasetest: unknown step %q", s.kind)
}
