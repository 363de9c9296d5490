package executor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

func groups(_ context.Context, g string) ([]string, error) {
	switch g {
	case "qa-leads":
		return []string{"alice", "bob", "carol"}, nil
	case "qa":
		return []string{"qa1", "qa2"}, nil
	case "sre":
		return []string{"dave", "erin"}, nil
	}
	return nil, fmt.Errorf("no group %q", g)
}

func approvalDoc(policy string) string {
	return `
id: appr
phases:
  - id: qa
    activities:
      - id: signoff
        type: approval
        approval: ` + policy + `
  - id: ship
    depends-on: [qa]
    activities:
      - {id: go, uses: noop}
`
}

func TestApprovalQuorumCountsEachEligiblePersonOnce(t *testing.T) {
	h := newHarness(t, &Config{ResolveGroup: groups}, &recorder{kind: "noop"})
	h.put(approvalDoc(`{approvers: ['group:qa-leads', dave], min: 2, forbid-initiator: true}`))
	id := h.create("appr", nil) // created by alice
	h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	ctx := context.Background()

	err := h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrForbidden, "the initiator may not approve")
	require.ErrorContains(t, err, "forbids the initiator")
	err = h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "mallory"}})
	require.ErrorIs(t, err, ErrForbidden)
	require.ErrorContains(t, err, "mallory is not an approver of qa.signoff")

	require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "bob", Reason: "lgtm"}}))
	err = h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}})
	require.ErrorIs(t, err, ErrForbidden)
	require.ErrorContains(t, err, "one person counts once")
	require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status, "1 of 2")

	require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "dave"}}))
	r := h.waitStatus(id, release.Succeeded)
	a := r.Activities["qa.signoff"]
	require.Len(t, a.Approvals, 2)
	require.Equal(t, "bob", a.Approvals[0].Actor)
	require.Equal(t, "lgtm", a.Approvals[0].Comment)
}

func TestApprovalRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy string
		voters []string
		needed int // approvals after which it succeeds
	}{
		{"majority of three needs two", `{approvers: ['group:qa-leads'], rule: majority}`, []string{"alice", "bob", "carol"}, 2},
		{"unanimous needs everyone", `{approvers: ['group:sre', frank], rule: unanimous}`, []string{"dave", "erin", "frank"}, 3},
		{"min defaults to one", `{approvers: [bob]}`, []string{"bob"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, &Config{ResolveGroup: groups}, &recorder{kind: "noop"})
			h.put(approvalDoc(tc.policy))
			sum, err := h.ex.Create(context.Background(), &CreateParams{Process: "appr", By: By{Actor: "zoe"}})
			require.NoError(t, err)
			id := sum.ID
			h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
			for i, v := range tc.voters[:tc.needed] {
				require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status, "after %d approvals", i)
				require.NoError(t, h.ex.Approve(context.Background(), id, "qa.signoff", &DecisionParams{By: By{Actor: v}}))
			}
			h.waitStatus(id, release.Succeeded)
		})
	}
}

func TestARejectionFailsTheApprovalAndOnFailureApplies(t *testing.T) {
	h := newHarness(t, &Config{ResolveGroup: groups}, &recorder{kind: "noop"})
	h.put(approvalDoc(`{approvers: ['group:qa-leads'], min: 2}`))
	id := h.create("appr", nil)
	h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	require.NoError(t, h.ex.Approve(context.Background(), id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
	require.NoError(t, h.ex.Reject(context.Background(), id, "qa.signoff", &DecisionParams{By: By{Actor: "carol", Reason: "flaky login"}}))
	a := h.waitActivity(id, "qa.signoff", release.ActivityOnHold)
	require.Equal(t, "rejected by carol: flaky login", a.Error)

	// A retry asks again: everyone decides afresh, carol included.
	ctx := context.Background()
	require.NoError(t, h.ex.Retry(ctx, id, "qa.signoff", &RetryParams{By: By{Actor: "ops", Reason: "login fixed"}}))
	h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "carol", Reason: "fixed now"}}))
	err := h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "carol"}})
	require.ErrorContains(t, err, "one person counts once")
	require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status, "bob's approval was for the first attempt: 1 of 2")
	require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
	r := h.waitStatus(id, release.Succeeded)
	require.Len(t, r.Activities["qa.signoff"].Approvals, 4, "every decision is kept")
}

func TestApprovalDeadlines(t *testing.T) {
	t.Run("reject on deadline fails the approval", func(t *testing.T) {
		h := newHarness(t, nil, &recorder{kind: "noop"})
		h.put(approvalDoc(`{approvers: [bob], deadline: 24h, on-deadline: reject}`))
		id := h.create("appr", nil)
		h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
		h.advance(23 * time.Hour)
		require.Never(t, func() bool { return h.get(id).Activities["qa.signoff"].Status != release.ActivityWaiting }, 50*time.Millisecond, 5*time.Millisecond)
		h.advance(time.Hour)
		a := h.waitActivity(id, "qa.signoff", release.ActivityOnHold)
		require.Equal(t, "approval deadline passed", a.Error)
	})
	t.Run("approve on deadline lets the release go on", func(t *testing.T) {
		h := newHarness(t, nil, &recorder{kind: "noop"})
		h.put(approvalDoc(`{approvers: [bob], deadline: 2h, on-deadline: approve}`))
		id := h.create("appr", nil)
		h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
		h.advance(2 * time.Hour)
		h.waitStatus(id, release.Succeeded)
	})
}

func TestManualActivitiesWaitForRequiredTasksAndDeclaredOutputs(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(`
id: manual
phases:
  - id: qa
    activities:
      - id: regression
        type: manual
        tasks:
          - {id: run-suite, required: true}
          - {id: write-notes}
        outputs: [report-url]
      - {id: after, uses: noop, depends-on: [regression], with: {url: '${{ phases.qa.activities.regression.outputs.report-url }}'}}
`)
	id := h.create("manual", nil)
	h.waitActivity(id, "qa.regression", release.ActivityWaiting)
	ctx := context.Background()
	require.NoError(t, h.ex.UpdateTask(ctx, id, "qa.regression", &TaskParams{Task: "run-suite", Status: release.TaskInProgress, By: By{Actor: "qa1"}, Assignees: []string{"qa1"}}))
	require.NoError(t, h.ex.CompleteTask(ctx, id, "qa.regression", "run-suite", &By{Actor: "qa1"}))
	require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.regression"].Status, "the output is still missing")

	err := h.ex.SubmitOutputs(ctx, id, "qa.regression", &OutputsParams{By: By{Actor: "qa1"}, Outputs: map[string]any{"reprot-url": "x"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, `output "reprot-url"`)
	err = h.ex.UpdateTask(ctx, id, "qa.regression", &TaskParams{Task: "nope", Status: release.TaskSucceeded, By: By{Actor: "qa1"}})
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, h.ex.Comment(ctx, id, &CommentParams{Activity: "qa.regression", Task: "run-suite", Text: "all green", By: By{Actor: "qa1"}}))

	require.NoError(t, h.ex.SubmitOutputs(ctx, id, "qa.regression", &OutputsParams{By: By{Actor: "qa1"}, Outputs: map[string]any{"report-url": "https://ci/r/1"}}))
	r := h.waitStatus(id, release.Succeeded)
	a := r.Activities["qa.regression"]
	require.Equal(t, "https://ci/r/1", a.Outputs["report-url"])
	require.Equal(t, release.TaskTodo, a.Task("write-notes").Status, "optional tasks do not block")
	require.Equal(t, "all green", a.Task("run-suite").Comments[0].Text)
	require.Equal(t, "https://ci/r/1", r.Activities["qa.after"].Attempts[0].Inputs["url"])
}

func TestAFailedRequiredTaskHoldsTheActivityAndRetryReopensIt(t *testing.T) {
	h := newHarness(t, nil)
	h.put(`
id: manual
phases:
  - id: qa
    activities:
      - {id: check, type: manual, tasks: [{id: t, required: true}]}
`)
	id := h.create("manual", nil)
	h.waitActivity(id, "qa.check", release.ActivityWaiting)
	ctx := context.Background()
	require.NoError(t, h.ex.UpdateTask(ctx, id, "qa.check", &TaskParams{Task: "t", Status: release.TaskFailed, By: By{Actor: "qa1"}}))
	a := h.waitActivity(id, "qa.check", release.ActivityOnHold)
	require.Equal(t, "task t failed", a.Error)
	require.NoError(t, h.ex.Retry(ctx, id, "qa.check", &RetryParams{By: By{Actor: "lead"}}))
	a = h.waitActivity(id, "qa.check", release.ActivityWaiting)
	require.Equal(t, release.TaskTodo, a.Task("t").Status)
	require.NoError(t, h.ex.CompleteTask(ctx, id, "qa.check", "t", &By{Actor: "qa1"}))
	h.waitStatus(id, release.Succeeded)
}

// A timeout on work for people counts as a failure, as it does for
// automated work: the attempt ends timed out and on-failure applies. It
// holds across a restart.
func TestPeopleTimeOutToo(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("manual, restart=%v", restart), func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, nil, &recorder{kind: "noop"})
			h.put(`
id: signoff
phases:
  - id: qa
    activities:
      - {id: check, type: manual, tasks: [{id: t, required: true}], timeout: 1h}
`)
			id := h.create("signoff", nil)
			h.waitActivity(id, "qa.check", release.ActivityWaiting)
			if restart {
				h.shutdown()
				h.start()
			}
			h.advance(59 * time.Minute)
			require.Never(t, func() bool { return h.get(id).Activities["qa.check"].Status != release.ActivityWaiting }, 50*time.Millisecond, 5*time.Millisecond)
			h.advance(time.Minute)
			a := h.waitActivity(id, "qa.check", release.ActivityOnHold)
			require.True(t, a.Attempts[0].TimedOut)
			require.Equal(t, "timed out after 1h0m0s", a.Error)

			// Retried, the new attempt has its own hour; done in time, it
			// succeeds.
			require.NoError(t, h.ex.Retry(ctx, id, "qa.check", &RetryParams{By: By{Actor: "oncall", Reason: "qa is back"}}))
			h.waitActivity(id, "qa.check", release.ActivityWaiting)
			h.advance(30 * time.Minute)
			require.NoError(t, h.ex.CompleteTask(ctx, id, "qa.check", "t", &By{Actor: "qa1"}))
			h.waitStatus(id, release.Succeeded)
		})
	}
	t.Run("approval", func(t *testing.T) {
		h := newHarness(t, nil, &recorder{kind: "noop"})
		h.put(`
id: appr
phases:
  - id: qa
    activities:
      - {id: signoff, type: approval, approval: {approvers: [bob, carol], min: 2}, timeout: 30m, on-failure: fail}
`)
		id := h.create("appr", nil)
		h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
		require.NoError(t, h.ex.Approve(context.Background(), id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
		h.advance(30 * time.Minute)
		r := h.waitStatus(id, release.Failed)
		require.True(t, r.Activities["qa.signoff"].Attempts[0].TimedOut)
		require.Equal(t, "activity qa.signoff failed: timed out after 30m0s", r.Error)
	})
}
