package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

func TestConditionsSkipPhasesAndActivitiesAndDependentsGoOn(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(`
id: cond
inputs:
  env: {enum: [staging, production], default: staging}
phases:
  - id: build
    activities:
      - {id: compile, uses: noop}
      - {id: notify, uses: noop, if: inputs.env == "production"}
  - id: deploy
    depends-on: [build]
    if: inputs.env == "production"
    activities:
      - {id: rollout, uses: noop}
  - id: report
    depends-on: [deploy]
    activities:
      - {id: mail, uses: noop, depends-on: [build.notify]}
`)
	id := h.create("cond", nil)
	r := h.waitStatus(id, release.Succeeded)
	require.Equal(t, []release.ActivityKey{"build.compile", "report.mail"}, ad.order())
	require.Equal(t, release.ActivitySkipped, r.Activities["build.notify"].Status)
	require.Equal(t, release.PhaseSkipped, r.Phases["deploy"].Status)
	require.Equal(t, release.ActivitySkipped, r.Activities["deploy.rollout"].Status)
	require.Equal(t, release.PhaseSucceeded, r.Phases["report"].Status)
}

// An output that is not there (its activity was skipped) cannot be read: a
// condition reading it skips its activity, saying why; a parameter reading
// it fails the attempt.
func TestAMissingOutputSkipsAConditionAndFailsAParameter(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(`
id: missing
phases:
  - id: p
    activities:
      - {id: a, uses: noop, outputs: [v], if: 1 == 2}
      - {id: b, uses: noop, depends-on: [a], if: 'phases.p.activities.a.outputs.v == "x"'}
      - {id: c, uses: noop, depends-on: [a], with: {n: '${{ phases.p.activities.a.outputs.v }}'}, on-failure: fail}
`)
	id := h.create("missing", nil)
	r := h.waitStatus(id, release.Failed)
	require.Empty(t, ad.Calls())
	require.Equal(t, release.ActivitySkipped, r.Activities["p.b"].Status)
	var reason string
	for _, e := range h.events(id) {
		if e.Kind == release.KindActivitySkipped && strings.Contains(string(e.Payload), `"p.b"`) {
			reason = e.Reason
		}
	}
	require.Equal(t, `condition could not be evaluated: process: p.b: if: expr: output v of activity p.a is not available (offset 0 in "phases.p.activities.a.outputs.v == \"x\"")`, reason)
	require.Equal(t, release.ActivityFailed, r.Activities["p.c"].Status)
	require.Contains(t, r.Activities["p.c"].Error, "output v of activity p.a is not available")
}

func TestOutputsOfCompletedActivitiesFeedLaterParameters(t *testing.T) {
	ad := &recorder{kind: "ci", fn: func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		if req.Activity == "build.compile" {
			return &adapters.Result{Outputs: map[string]any{"artifact": "app-" + req.With["ref"].(string) + ".tgz"}}, nil
		}
		return &adapters.Result{}, nil
	}}
	h := newHarness(t, nil, ad)
	h.put(`
id: out
inputs:
  version: {required: true}
variables:
  tag: 'v${{ inputs.version }}'
phases:
  - id: build
    activities:
      - {id: compile, uses: ci, with: {ref: '${{ vars.tag }}'}, outputs: [artifact]}
  - id: deploy
    depends-on: [build]
    activities:
      - id: rollout
        uses: ci
        if: phases.build.activities.compile.outputs.artifact != ""
        with: {artifact: '${{ phases.build.activities.compile.outputs.artifact }}', release: '${{ release.name }}'}
`)
	id := h.create("out", map[string]any{"version": "2.4.0"})
	r := h.waitStatus(id, release.Succeeded)
	calls := ad.Calls()
	require.Len(t, calls, 2)
	require.Equal(t, "v2.4.0", calls[0].With["ref"])
	require.Equal(t, "app-v2.4.0.tgz", calls[1].With["artifact"])
	require.Equal(t, "out", calls[1].With["release"])
	require.Equal(t, "app-v2.4.0.tgz", r.Activities["build.compile"].Outputs["artifact"])
	require.Equal(t, map[string]any{"artifact": "app-v2.4.0.tgz", "release": "out"}, r.Activities["deploy.rollout"].Attempts[0].Inputs)
}

const retryDoc = `
id: retry
phases:
  - id: p
    activities:
      - id: flaky
        uses: flaky
        retry: {max-attempts: 3, backoff: 30s, max-backoff: 5m}
`

func TestRetriesWithExponentialBackoffOnTheClockThenSuccess(t *testing.T) {
	var n atomic.Int32
	ad := &recorder{kind: "flaky", fn: func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		if n.Add(1) < 3 {
			return nil, errors.New("connection reset")
		}
		return &adapters.Result{Outputs: map[string]any{"ok": true}}, nil
	}}
	h := newHarness(t, nil, ad)
	h.put(retryDoc)
	id := h.create("retry", nil)

	h.waitActivity(id, "p.flaky", release.ActivityFailed)
	h.advance(29 * time.Second)
	require.Never(t, func() bool { return len(ad.Calls()) > 1 }, 50*time.Millisecond, 5*time.Millisecond)
	h.advance(time.Second) // 30s: second attempt
	require.True(t, waitFor(func() bool { return len(ad.Calls()) == 2 }))
	h.waitActivity(id, "p.flaky", release.ActivityFailed)
	h.advance(59 * time.Second)
	require.Never(t, func() bool { return len(ad.Calls()) > 2 }, 50*time.Millisecond, 5*time.Millisecond)
	h.advance(time.Second) // doubled: 60s
	r := h.waitStatus(id, release.Succeeded)

	a := r.Activities["p.flaky"]
	require.Len(t, a.Attempts, 3)
	require.Equal(t, "connection reset", a.Attempts[0].Error)
	require.Equal(t, 30*time.Second, a.Attempts[1].StartedAt.Sub(a.Attempts[0].EndedAt))
	require.Equal(t, 60*time.Second, a.Attempts[2].StartedAt.Sub(a.Attempts[1].EndedAt))
	keys := map[string]bool{}
	for i, c := range ad.Calls() {
		require.Equal(t, i+1, c.Attempt)
		require.Equal(t, idemKey(id, "p.flaky", i+1), c.IdempotencyKey)
		require.Equal(t, a.Attempts[i].IdempotencyKey, c.IdempotencyKey)
		keys[c.IdempotencyKey] = true
	}
	require.Len(t, keys, 3, "each attempt has its own key")
}

func TestPermanentErrorsAreNotRetriedAndRetryAfterDelaysTheNextAttempt(t *testing.T) {
	t.Run("permanent", func(t *testing.T) {
		ad := &recorder{kind: "flaky", fn: func(context.Context, *adapters.Request) (*adapters.Result, error) {
			return nil, adapters.Permanent(errors.New("bad manifest"))
		}}
		h := newHarness(t, nil, ad)
		h.put(retryDoc)
		id := h.create("retry", nil)
		a := h.waitActivity(id, "p.flaky", release.ActivityOnHold)
		require.Len(t, a.Attempts, 1)
		require.Equal(t, "bad manifest", a.Error)
	})
	t.Run("retry-after", func(t *testing.T) {
		var n atomic.Int32
		ad := &recorder{kind: "flaky", fn: func(context.Context, *adapters.Request) (*adapters.Result, error) {
			if n.Add(1) == 1 {
				return nil, adapters.RetryAfter(5*time.Minute, errors.New("429"))
			}
			return nil, nil
		}}
		h := newHarness(t, nil, ad)
		h.put(retryDoc)
		id := h.create("retry", nil)
		h.waitActivity(id, "p.flaky", release.ActivityFailed)
		h.advance(4 * time.Minute)
		require.Never(t, func() bool { return len(ad.Calls()) > 1 }, 50*time.Millisecond, 5*time.Millisecond)
		h.advance(time.Minute)
		r := h.waitStatus(id, release.Succeeded)
		a := r.Activities["p.flaky"]
		require.Equal(t, 5*time.Minute, a.Attempts[1].StartedAt.Sub(a.Attempts[0].EndedAt))
	})
}

func TestTimeoutCancelsTheAttemptAndCountsAsAFailure(t *testing.T) {
	cancelled := make(chan struct{}, 4)
	ad := &recorder{kind: "slow", fn: func(ctx context.Context, _ *adapters.Request) (*adapters.Result, error) {
		<-ctx.Done()
		cancelled <- struct{}{}
		return nil, ctx.Err()
	}}
	h := newHarness(t, nil, ad)
	h.put(`
id: slow
phases:
  - id: p
    activities:
      - {id: s, uses: slow, timeout: 1m, on-failure: fail}
`)
	id := h.create("slow", nil)
	require.True(t, waitFor(func() bool { return len(ad.Calls()) == 1 }))
	h.advance(time.Minute)
	r := h.waitStatus(id, release.Failed)
	<-cancelled
	a := r.Activities["p.s"]
	require.True(t, a.Attempts[0].TimedOut)
	require.Equal(t, release.ActivityFailed, a.Status)
	require.Contains(t, r.Error, "timed out after 1m0s")
}

func TestRetriesThenHoldThenOperatorRetryWithNewInputs(t *testing.T) {
	ad := &recorder{kind: "deploy", fn: func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		if req.With["region"] != "eu-west-2" {
			return nil, fmt.Errorf("region %v is down", req.With["region"])
		}
		return &adapters.Result{Outputs: map[string]any{"url": "https://eu-west-2"}}, nil
	}}
	h := newHarness(t, nil, ad)
	h.put(`
id: hold
phases:
  - id: deploy
    activities:
      - id: rollout
        uses: deploy
        with: {region: eu-west-1}
        retry: {max-attempts: 2, backoff: 10s}
`)
	id := h.create("hold", nil)
	h.waitActivity(id, "deploy.rollout", release.ActivityFailed)
	h.advance(10 * time.Second)
	a := h.waitActivity(id, "deploy.rollout", release.ActivityOnHold)
	require.Len(t, a.Attempts, 2)
	require.True(t, h.get(id).WaitingForInput())

	err := h.ex.Retry(context.Background(), id, "deploy.rollout", &RetryParams{By: By{Actor: "bob", Reason: "region moved"}, Inputs: map[string]any{"region": "eu-west-2"}})
	require.NoError(t, err)
	r := h.waitStatus(id, release.Succeeded)
	a = r.Activities["deploy.rollout"]
	require.Len(t, a.Attempts, 3)
	require.Equal(t, "bob", a.Attempts[2].Actor)
	require.Equal(t, "eu-west-2", a.Attempts[2].Inputs["region"])
	require.Equal(t, "https://eu-west-2", a.Outputs["url"])
}

func TestOnFailureStrategies(t *testing.T) {
	fail := &recorder{kind: "fail", fn: func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return nil, errors.New("boom")
	}}
	ok := &recorder{kind: "ok"}
	doc := func(strategy string) string {
		return `
id: s-` + strategy + `
phases:
  - id: p
    activities:
      - {id: bad, uses: fail, on-failure: ` + strategy + `}
      - {id: after, uses: ok, depends-on: [bad]}
`
	}
	t.Run("fail ends the release Failed", func(t *testing.T) {
		h := newHarness(t, nil, fail, ok)
		h.put(doc("fail"))
		r := h.waitStatus(h.create("s-fail", nil), release.Failed)
		require.Equal(t, "activity p.bad failed: boom", r.Error)
		require.Equal(t, release.ActivityPending, r.Activities["p.after"].Status)
	})
	t.Run("ignore goes on and ends PartialSuccess", func(t *testing.T) {
		h := newHarness(t, nil, fail, ok)
		h.put(doc("ignore"))
		r := h.waitStatus(h.create("s-ignore", nil), release.PartialSuccess)
		require.Equal(t, release.ActivityIgnored, r.Activities["p.bad"].Status)
		require.Equal(t, release.ActivitySucceeded, r.Activities["p.after"].Status)
	})
	t.Run("hold waits for an operator", func(t *testing.T) {
		h := newHarness(t, nil, fail, ok)
		h.put(doc("hold"))
		id := h.create("s-hold", nil)
		h.waitActivity(id, "p.bad", release.ActivityOnHold)
		require.Equal(t, release.Running, h.get(id).Status)
	})
}

func TestIgnoreWithSubstituteOutputsEndsPartialSuccess(t *testing.T) {
	seen := make(chan any, 1)
	h := newHarness(t, nil,
		adapters.Func("fail", func(context.Context, *adapters.Request) (*adapters.Result, error) {
			return nil, errors.New("no scanner")
		}),
		adapters.Func("use", func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
			seen <- req.With["score"]
			return nil, nil
		}))
	h.put(`
id: ign
phases:
  - id: p
    activities:
      - {id: scan, uses: fail, outputs: [score]}
      - {id: gate, uses: use, depends-on: [scan], with: {score: '${{ phases.p.activities.scan.outputs.score }}'}}
`)
	id := h.create("ign", nil)
	h.waitActivity(id, "p.scan", release.ActivityOnHold)
	err := h.ex.Ignore(context.Background(), id, "p.scan", &IgnoreParams{By: By{Actor: "carol", Reason: "scanner down"}, Outputs: map[string]any{"score": 0}})
	require.NoError(t, err)
	r := h.waitStatus(id, release.PartialSuccess)
	require.EqualValues(t, 0, <-seen)
	require.Equal(t, release.ActivityIgnored, r.Activities["p.scan"].Status)
	var ignored []release.Event
	for _, ev := range h.events(id) {
		if ev.Kind == release.KindActivityIgnored {
			ignored = append(ignored, ev)
		}
	}
	require.Len(t, ignored, 1)
	require.Equal(t, "carol", ignored[0].Actor)
	require.Equal(t, "scanner down", ignored[0].Reason)
	err = h.ex.Ignore(context.Background(), id, "p.scan", &IgnoreParams{By: By{Actor: "carol"}, Outputs: map[string]any{"nope": 1}})
	require.ErrorIs(t, err, ErrIllegal)
}

func TestRollbackRunsCompletedRollbacksInReverseDependencyOrder(t *testing.T) {
	do := &recorder{kind: "do"}
	undo := &recorder{kind: "undo"}
	bad := &recorder{kind: "bad", fn: func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return nil, adapters.Permanent(errors.New("rollout failed"))
	}}
	h := newHarness(t, nil, do, undo, bad)
	h.put(`
id: rb
phases:
  - id: prep
    activities:
      - {id: db, uses: do, rollback: {uses: undo}}
      - {id: flags, uses: do, rollback: {uses: undo}}
      - {id: notes, uses: do}
  - id: deploy
    depends-on: [prep]
    activities:
      - {id: canary, uses: do, rollback: {uses: undo}}
      - {id: rollout, uses: bad, depends-on: [canary], on-failure: rollback, rollback: {uses: undo, with: {why: cleanup}}}
`)
	id := h.create("rb", nil)
	r := h.waitStatus(id, release.RolledBack)
	got := undo.order()
	require.Equal(t, release.ActivityKey("deploy.rollout"), got[0], "the failed activity's own rollback runs first")
	require.Equal(t, release.ActivityKey("deploy.canary"), got[1])
	require.ElementsMatch(t, []release.ActivityKey{"prep.db", "prep.flags"}, got[2:])
	for _, c := range undo.Calls() {
		require.True(t, c.Rollback)
	}
	require.Equal(t, release.ActivityRolledBack, r.Activities["prep.db"].Status)
	require.Equal(t, release.ActivityRolledBack, r.Activities["deploy.rollout"].Status)
	require.Equal(t, release.ActivitySucceeded, r.Activities["prep.notes"].Status, "no rollback spec: nothing to undo")
	require.Equal(t, "activity deploy.rollout failed: rollout failed", r.Error)
}

func TestOperatorRollBackAbortsActiveWorkAndUndoesCompletedWork(t *testing.T) {
	undo := &recorder{kind: "undo"}
	h := newHarness(t, nil, &recorder{kind: "do"}, undo)
	h.put(`
id: orb
phases:
  - id: p
    activities:
      - {id: a, uses: do, rollback: {uses: undo}}
      - {id: gate, type: approval, depends-on: [a], approval: {approvers: [bob]}}
`)
	id := h.create("orb", nil)
	h.waitActivity(id, "p.gate", release.ActivityWaiting)
	require.NoError(t, h.ex.RollBack(context.Background(), id, &By{Actor: "ops", Reason: "bad build"}))
	r := h.waitStatus(id, release.RolledBack)
	require.Equal(t, release.ActivityAborted, r.Activities["p.gate"].Status)
	require.Equal(t, release.ActivityRolledBack, r.Activities["p.a"].Status)
	require.Equal(t, []release.ActivityKey{"p.a"}, undo.order())
}

func TestPauseStopsNewStartsAndResumeGoesOn(t *testing.T) {
	gate := make(chan struct{})
	slow := &recorder{kind: "slow", fn: func(ctx context.Context, _ *adapters.Request) (*adapters.Result, error) {
		<-gate
		return nil, nil
	}}
	next := &recorder{kind: "next"}
	h := newHarness(t, nil, slow, next)
	h.put(`
id: pause
phases:
  - id: p
    activities:
      - {id: a, uses: slow}
      - {id: b, uses: next, depends-on: [a]}
`)
	id := h.create("pause", nil)
	require.True(t, waitFor(func() bool { return len(slow.Calls()) == 1 }))
	require.NoError(t, h.ex.Pause(context.Background(), id, &By{Actor: "alice", Reason: "freeze"}))
	close(gate)
	h.waitActivity(id, "p.a", release.ActivitySucceeded)
	require.Never(t, func() bool { return len(next.Calls()) > 0 }, 50*time.Millisecond, 5*time.Millisecond)
	require.Equal(t, release.Paused, h.get(id).Status)
	require.NoError(t, h.ex.Resume(context.Background(), id, &By{Actor: "alice"}))
	h.waitStatus(id, release.Succeeded)
}

func TestAbortCancelsRunningAdaptersAndAbortsActivities(t *testing.T) {
	cancelled := make(chan string, 4)
	slow := &recorder{kind: "slow", fn: func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		<-ctx.Done()
		cancelled <- string(req.Activity)
		return nil, ctx.Err()
	}}
	h := newHarness(t, nil, slow)
	h.put(`
id: abort
phases:
  - id: p
    activities:
      - {id: a, uses: slow}
      - {id: b, uses: slow}
      - {id: c, uses: slow, depends-on: [a]}
`)
	id := h.create("abort", nil)
	require.True(t, waitFor(func() bool { return len(slow.Calls()) == 2 }))
	require.ErrorIs(t, h.ex.Abort(context.Background(), id, &By{Actor: "alice"}), ErrInvalid, "a reason is required")
	require.NoError(t, h.ex.Abort(context.Background(), id, &By{Actor: "alice", Reason: "wrong branch"}))
	got := []string{<-cancelled, <-cancelled}
	require.ElementsMatch(t, []string{"p.a", "p.b"}, got)
	r := h.waitStatus(id, release.Aborted)
	require.Equal(t, release.ActivityAborted, r.Activities["p.a"].Status)
	require.Equal(t, release.ActivityAborted, r.Activities["p.c"].Status)
	require.Equal(t, release.PhaseAborted, r.Phases["p"].Status)
	require.Len(t, slow.Calls(), 2)
}

// An activity waiting for its next attempt is Failed; aborting the
// release aborts it too, and its retry never comes.
func TestAbortAbortsAnActivityInRetryBackoff(t *testing.T) {
	flaky := &recorder{kind: "flaky", fn: func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return nil, errors.New("503")
	}}
	h := newHarness(t, nil, flaky)
	h.put(`
id: backoff
phases:
  - id: p
    activities:
      - {id: a, uses: flaky, retry: {max-attempts: 3, backoff: 1h}}
`)
	id := h.create("backoff", nil)
	h.waitActivity(id, "p.a", release.ActivityFailed)
	require.NoError(t, h.ex.Abort(context.Background(), id, &By{Actor: "alice", Reason: "not today"}))
	r := h.waitStatus(id, release.Aborted)
	require.Equal(t, release.ActivityAborted, r.Activities["p.a"].Status)
	h.advance(2 * time.Hour)
	time.Sleep(20 * time.Millisecond)
	require.Len(t, flaky.Calls(), 1, "no retry after the abort")
	require.Equal(t, release.ActivityAborted, h.get(id).Activities["p.a"].Status)
}

func TestSkipLetsDependentsGoOn(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(`
id: skip
phases:
  - id: p
    activities:
      - {id: check, type: manual, tasks: [{id: t, required: true}]}
      - {id: ship, uses: noop, depends-on: [check]}
`)
	id := h.create("skip", nil)
	h.waitActivity(id, "p.check", release.ActivityWaiting)
	require.NoError(t, h.ex.Skip(context.Background(), id, "p.check", &By{Actor: "lead", Reason: "not needed"}))
	r := h.waitStatus(id, release.Succeeded)
	require.Equal(t, release.ActivitySkipped, r.Activities["p.check"].Status)
	require.Equal(t, "not needed", r.Activities["p.check"].Reason)
}

func TestActionsThatDoNotFitTheStateAreClearErrors(t *testing.T) {
	gate := make(chan struct{})
	t.Cleanup(func() { close(gate) })
	h := newHarness(t, nil, &recorder{kind: "slow", fn: func(ctx context.Context, _ *adapters.Request) (*adapters.Result, error) {
		select {
		case <-gate:
		case <-ctx.Done():
		}
		return nil, nil
	}})
	h.put(`
id: deploy-app
phases:
  - id: deploy
    activities:
      - {id: rollout, uses: slow}
      - {id: gate, type: approval, depends-on: [rollout], approval: {approvers: [bob]}}
`)
	id := h.create("deploy-app", nil)
	h.waitActivity(id, "deploy.rollout", release.ActivityRunning)
	ctx := context.Background()

	err := h.ex.Retry(ctx, id, "deploy.rollout", &RetryParams{By: By{Actor: "bob"}})
	require.ErrorIs(t, err, ErrIllegal)
	require.EqualError(t, err, "executor: retry: activity deploy.rollout is Running, not OnHold or Failed")
	var se *StateError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "Running", se.Status)

	err = h.ex.Resume(ctx, id, &By{Actor: "bob"})
	require.EqualError(t, err, fmt.Sprintf("executor: resume: release %s is Running, not Paused", id))
	err = h.ex.Skip(ctx, id, "deploy.rollout", &By{Actor: "bob"})
	require.EqualError(t, err, "executor: skip: activity deploy.rollout is Running, not Pending, Waiting or OnHold")
	err = h.ex.Approve(ctx, id, "deploy.gate", &DecisionParams{By: By{Actor: "bob"}})
	require.EqualError(t, err, "executor: approve: activity deploy.gate is Pending, not Waiting")
	err = h.ex.Approve(ctx, id, "deploy.rollout", &DecisionParams{By: By{Actor: "bob"}})
	require.ErrorIs(t, err, ErrInvalid)
	err = h.ex.Retry(ctx, id, "deploy.nope", &RetryParams{By: By{Actor: "bob"}})
	require.ErrorIs(t, err, ErrNotFound)
	err = h.ex.Pause(ctx, id, &By{})
	require.ErrorIs(t, err, ErrInvalid, "an actor is required")
	err = h.ex.Pause(ctx, "0190a000-0000-7000-8000-000000000000", &By{Actor: "bob"})
	require.ErrorIs(t, err, ErrNotFound)
}

func TestAuthorizerRefusesActions(t *testing.T) {
	denied := errors.New("only ops may pause")
	h := newHarness(t, &Config{Authorize: func(_ context.Context, a *Action) error {
		if a.Kind == ActionPause && a.Actor != "ops" {
			return denied
		}
		return nil
	}}, &recorder{kind: "noop"})
	h.put(`
id: auth
phases:
  - id: p
    activities:
      - {id: m, type: manual, tasks: [{id: t}]}
`)
	id := h.create("auth", nil)
	h.waitActivity(id, "p.m", release.ActivityWaiting)
	err := h.ex.Pause(context.Background(), id, &By{Actor: "dev"})
	require.ErrorIs(t, err, ErrUnauthorized)
	require.ErrorIs(t, err, denied)
	require.Equal(t, release.Running, h.get(id).Status)
	require.NoError(t, h.ex.Pause(context.Background(), id, &By{Actor: "ops"}))
	ev := h.events(id)
	require.Equal(t, release.KindReleasePaused, ev[len(ev)-1].Kind)
	require.Equal(t, "ops", ev[len(ev)-1].Actor)
}

func TestScheduledReleasesStartOnTheClockOrAheadOfTime(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(`
id: sched
phases:
  - id: p
    activities:
      - {id: a, uses: noop}
`)
	ctx := context.Background()
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "sched", By: By{Actor: "alice"}, ScheduledFor: t0.Add(time.Hour)})
	require.NoError(t, err)
	require.Equal(t, release.Scheduled, sum.Status)
	h.advance(59 * time.Minute)
	require.Never(t, func() bool { return h.get(sum.ID).Status != release.Scheduled }, 50*time.Millisecond, 5*time.Millisecond)
	h.advance(time.Minute)
	h.waitStatus(sum.ID, release.Succeeded)

	other, err := h.ex.Create(ctx, &CreateParams{Process: "sched", By: By{Actor: "alice"}, ScheduledFor: t0.Add(48 * time.Hour)})
	require.NoError(t, err)
	require.NoError(t, h.ex.Start(ctx, other.ID, &By{Actor: "alice", Reason: "early"}))
	h.waitStatus(other.ID, release.Succeeded)
	require.ErrorIs(t, h.ex.Start(ctx, other.ID, &By{Actor: "alice"}), ErrIllegal)
}

func TestCreateValidatesInputsAndPinsTheProcessVersion(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(`
id: pin
inputs:
  version: {required: true, pattern: '^\d+\.\d+\.\d+$'}
phases:
  - id: p
    activities:
      - {id: a, type: manual, tasks: [{id: t}]}
`)
	ctx := context.Background()
	_, err := h.ex.Create(ctx, &CreateParams{Process: "pin", By: By{Actor: "alice"}, Inputs: map[string]any{"version": "two"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "inputs.version")
	var verr *process.ValidationError
	require.ErrorAs(t, err, &verr, "the process's own error stays reachable")
	require.Equal(t, "inputs.version", verr.Problems[0].Path)
	require.True(t, strings.HasPrefix(err.Error(), "executor: create: invalid argument: "), err.Error())
	require.Equal(t, 1, strings.Count(err.Error(), "executor:"), "the package is named once: %s", err)
	_, err = h.ex.Create(ctx, &CreateParams{Process: "nope", By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrNotFound)

	sum, err := h.ex.Create(ctx, &CreateParams{Process: "pin", By: By{Actor: "alice"}, Inputs: map[string]any{"version": "1.2.3"}})
	require.NoError(t, err)
	h.put(`
id: pin
inputs:
  version: {required: true}
phases:
  - id: other
    activities:
      - {id: b, type: manual, tasks: [{id: t}]}
`)
	r := h.get(sum.ID)
	require.Equal(t, 1, r.ProcessVersion)
	require.Equal(t, "p", string(r.Process.Phases[0].ID))
}

func TestSubscribeDeliversEventsAndReportsWhatASlowSubscriberMissed(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(`
id: sub
phases:
  - id: p
    activities:
      - {id: a, uses: noop}
      - {id: b, uses: noop, depends-on: [a]}
      - {id: c, uses: noop, depends-on: [b]}
`)
	all := h.ex.Subscribe(t.Context(), &SubscribeParams{Filter: Filter{}, Buffer: 1000})
	defer all.Close()
	slow := h.ex.Subscribe(t.Context(), &SubscribeParams{Filter: Filter{Kinds: []release.EventKind{release.KindActivitySucceeded, release.KindReleaseSucceeded}}, Buffer: 1})
	id := h.create("sub", nil)
	h.waitStatus(id, release.Succeeded)
	stored := h.events(id)

	var got []release.Event
	for len(got) < len(stored) {
		n := <-all.C()
		require.Zero(t, n.Missed)
		got = append(got, n.Event)
	}
	require.Equal(t, stored, got)

	first := <-slow.C()
	require.Equal(t, release.KindActivitySucceeded, first.Event.Kind)
	require.Zero(t, first.Missed)
	require.EqualValues(t, 3, slow.Missed(), "b, c and the release's success were dropped")
}

func TestLinksReportedByAnAdapterAreRecordedOnTheActivity(t *testing.T) {
	h := newHarness(t, nil, adapters.Func("ci", func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		req.Reporter.Link(release.Link{Kind: release.LinkBuild, URL: "https://ci/b/7"})
		return &adapters.Result{Links: []release.Link{{Kind: release.LinkArtifact, Ref: "sha256:abc", Actor: "mallory"}}}, nil
	}))
	h.put(`
id: links
phases:
  - id: p
    activities:
      - {id: build, uses: ci}
`)
	r := h.waitStatus(h.create("links", nil), release.Succeeded)
	links := r.Activities["p.build"].Links
	require.Len(t, links, 2)
	require.Equal(t, "https://ci/b/7", links[0].URL)
	require.Equal(t, "sha256:abc", links[1].Ref)
	require.Equal(t, release.ActivityKey("p.build"), links[1].Activity)
	require.NotEqual(t, "mallory", links[1].Actor, "the actor is the event's, not the adapter's claim")
}

// An adapter that reports an invalid link fails its attempt (permanently:
// it would report the same again) with an error naming the link; its
// valid links are kept. Before, the invalid link was dropped in silence
// and the activity succeeded.
func TestAnInvalidLinkFromAnAdapterFailsTheAttempt(t *testing.T) {
	tests := []struct {
		name     string
		reported []release.Link // through the Reporter
		returned []release.Link // in the Result
		err      string
	}{
		{name: "a bad kind reported", reported: []release.Link{{Kind: release.LinkBuild, URL: "https://ci/b/7"}, {Kind: "bogus", URL: "https://x"}},
			err: `an invalid link (#2 of 2): release: link: kind "bogus"`},
		{name: "a deployment without a version returned", returned: []release.Link{{Kind: release.LinkBuild, URL: "https://ci/b/7"},
			{Kind: release.LinkDeployment, Ref: "r1", Service: "api", Environment: "prod"}},
			err: "an invalid link (#2 of 2): release: link (deployment): version: required"},
		{name: "a link without url or ref", returned: []release.Link{{Kind: release.LinkBuild, URL: "https://ci/b/7"}, {Kind: release.LinkCommit}},
			err: "url or ref: one is required"},
		{name: "a control character", returned: []release.Link{{Kind: release.LinkBuild, URL: "https://ci/b/7"}, {Kind: release.LinkCommit, Ref: "abc\x00"}},
			err: "ref \"abc\\x00\": holds a control character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			h := newHarness(t, nil, adapters.Func("ci", func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
				calls++
				for _, l := range tc.reported {
					req.Reporter.Link(l)
				}
				return &adapters.Result{Links: tc.returned}, nil
			}))
			h.put(`
id: links
phases:
  - id: p
    activities:
      - {id: build, uses: ci, retry: {max-attempts: 3}}
`)
			id := h.create("links", nil)
			a := h.waitActivity(id, "p.build", release.ActivityOnHold)
			require.Contains(t, a.Error, tc.err)
			require.Len(t, a.Attempts, 1, "not retried: the adapter would report the same")
			require.Equal(t, 1, calls)
			require.Len(t, a.Links, 1, "the valid link is kept")
			require.Equal(t, "https://ci/b/7", a.Links[0].URL)
		})
	}
}

// A paused release starts nothing new, but a running activity that fails
// with on-failure fail still fails it (Paused -> Failed), and the failed
// call is not made again.
func TestAFailureWhilePausedFailsTheRelease(t *testing.T) {
	release1 := make(chan struct{})
	ad := &recorder{kind: "deploy", fn: func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		<-release1
		return nil, adapters.Permanent(errors.New("broken"))
	}}
	h := newHarness(t, nil, ad)
	h.put(`
id: paused
phases:
  - id: p
    activities:
      - {id: rollout, uses: deploy, on-failure: fail}
      - {id: after, uses: deploy, depends-on: [rollout]}
`)
	id := h.create("paused", nil)
	require.True(t, waitFor(func() bool { return len(ad.Calls()) == 1 }))
	require.NoError(t, h.ex.Pause(context.Background(), id, &By{Actor: "alice"}))
	close(release1)
	r := h.waitStatus(id, release.Failed)
	require.Equal(t, release.ActivityFailed, r.Activities["p.rollout"].Status)
	require.Equal(t, release.ActivityPending, r.Activities["p.after"].Status)
	h.advance(time.Minute) // timers and rescans: nothing is called again
	time.Sleep(20 * time.Millisecond)
	require.Len(t, ad.Calls(), 1, "the failed call is made once")
}

// Automatic retries wait for a free slot: with Parallelism 1, a retry that
// falls due while another activity runs starts when it ends, and Why says
// so meanwhile.
func TestADueRetryWaitsForAFreeSlot(t *testing.T) {
	slowDone := make(chan struct{})
	var mu sync.Mutex
	running, most := 0, 0
	ad := &recorder{kind: "work", fn: func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		defer func() { mu.Lock(); running--; mu.Unlock() }()
		switch {
		case req.Activity == "p.flaky" && req.Attempt == 1:
			return nil, errors.New("flaked")
		case req.Activity == "p.slow":
			<-slowDone
		}
		return &adapters.Result{}, nil
	}}
	h := newHarness(t, &Config{Parallelism: 1}, ad)
	var once sync.Once
	unblock := func() { once.Do(func() { close(slowDone) }) }
	t.Cleanup(unblock) // before the harness stops, should the test fail early
	h.put(`
id: slots
phases:
  - id: p
    activities:
      - {id: flaky, uses: work, retry: {max-attempts: 2, backoff: 10s}}
      - {id: slow, uses: work}
`)
	id := h.create("slots", nil)
	h.waitActivity(id, "p.flaky", release.ActivityFailed)
	h.waitActivity(id, "p.slow", release.ActivityRunning)
	h.advance(time.Minute) // the retry falls due while slow holds the only slot
	require.True(t, waitFor(func() bool {
		x, err := h.ex.Why(context.Background(), id, "p.flaky", nil)
		return err == nil && len(x.Reasons) > 0 && x.Reasons[0].Kind == ReasonParallelism
	}), "Why names the parallelism bound")
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, release.ActivityFailed, h.get(id).Activities["p.flaky"].Status, "the retry waits")
	unblock()
	r := h.waitStatus(id, release.Succeeded)
	require.Len(t, r.Activities["p.flaky"].Attempts, 2)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 1, most, "never more than Parallelism calls at once")
}

// Aborting a release while it rolls back cancels the rollback call in
// flight and records nothing for it afterwards.
func TestAbortDuringRollbackCancelsTheRollbackCall(t *testing.T) {
	undoStarted := make(chan struct{})
	undoCancelled := make(chan struct{})
	giveUp := make(chan struct{}) // so that a failing test does not hang
	t.Cleanup(func() { close(giveUp) })
	undo := &recorder{kind: "undo", fn: func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		close(undoStarted)
		select {
		case <-ctx.Done():
			close(undoCancelled)
		case <-giveUp:
		}
		return nil, ctx.Err()
	}}
	within := func(c chan struct{}, what string) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(10 * time.Second):
			t.Fatal(what)
		}
	}
	do := &recorder{kind: "do", fn: func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		if req.Activity == "p.bad" {
			return nil, adapters.Permanent(errors.New("broken"))
		}
		return &adapters.Result{}, nil
	}}
	h := newHarness(t, nil, do, undo)
	h.put(`
id: abortrb
phases:
  - id: p
    activities:
      - {id: db, uses: do, rollback: {uses: undo}}
      - {id: bad, uses: do, depends-on: [db], on-failure: rollback}
`)
	id := h.create("abortrb", nil)
	within(undoStarted, "the rollback never called undo")
	require.NoError(t, h.ex.Abort(context.Background(), id, &By{Actor: "alice", Reason: "stop everything"}))
	within(undoCancelled, "the abort did not cancel the rollback call")
	r := h.waitStatus(id, release.Aborted)
	h.advance(time.Minute)
	time.Sleep(20 * time.Millisecond)
	r = h.get(id)
	require.Equal(t, release.Aborted, r.Status)
	require.Equal(t, release.ActivitySucceeded, r.Activities["p.db"].Status, "its rollback never finished")
	for _, e := range storedEvents(t, h.store, id) {
		require.NotEqual(t, release.KindActivityRolledBack, e.Kind)
	}
}

// A timed-out attempt that goes on hold says it timed out, as one that
// fails does.
func TestATimeoutThatHoldsIsRecordedAsATimeout(t *testing.T) {
	ad := &recorder{kind: "slow", fn: func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	h := newHarness(t, nil, ad)
	h.put(`
id: slowhold
phases:
  - id: p
    activities:
      - {id: s, uses: slow, timeout: 1m}
`)
	id := h.create("slowhold", nil)
	require.True(t, waitFor(func() bool { return len(ad.Calls()) == 1 }))
	h.advance(time.Minute)
	a := h.waitActivity(id, "p.s", release.ActivityOnHold)
	require.True(t, a.Attempts[0].TimedOut)
	require.Equal(t, "timed out after 1m0s", a.Error)
}
