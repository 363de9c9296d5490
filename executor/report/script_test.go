package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
	"github.com/batonhq/baton/store"
)

const deployYAML = `
id: web-deploy
name: Web deploy
phases:
  - id: deploy
    activities:
      - id: approve
        type: approval
        approval: {approvers: [carol], min: 1}
      - id: rollout
        uses: cd
        depends-on: [approve]
`

// scripted builds a release event by event, as an executor would record
// it, and stores it.
type scripted struct {
	t  *testing.T
	s  store.ReleaseStore
	r  *release.Release
	at time.Time
}

func day(d int) time.Time { return time.Date(2026, 1, d, 10, 0, 0, 0, time.UTC) }

// newScripted creates release id of group at sched (created then too).
func newScripted(t *testing.T, s store.ReleaseStore, id release.ID, group release.GroupID, sched time.Time, labels map[string]string) *scripted {
	t.Helper()
	proc := releasetest.Parse(t, deployYAML)
	proc.Version = 1
	r, e, err := release.Create(id, sched, "alice", "", release.ReleaseCreatedPayload{
		Name: "web " + string(id), Process: proc, Group: group, ScheduledFor: sched, Labels: labels})
	require.NoError(t, err)
	require.NoError(t, s.CreateRelease(context.Background(), &store.CreateReleaseParams{Events: []release.Event{e}, Release: r}))
	return &scripted{t: t, s: s, r: r, at: sched}
}

// rec records p at the current time plus d (which becomes current).
func (b *scripted) rec(d time.Duration, actor string, p release.Payload) *scripted {
	b.t.Helper()
	b.at = b.at.Add(d)
	reason := ""
	if _, ok := p.(release.ReleaseAbortedPayload); ok {
		reason = "scripted abort"
	}
	seq := b.r.Seq
	e, err := b.r.RecordPayload(b.at, actor, reason, p)
	require.NoError(b.t, err)
	require.NoError(b.t, b.s.AppendEvents(context.Background(), &store.AppendEventsParams{ExpectedSeq: seq, Events: []release.Event{e}, Release: b.r}))
	return b
}

const (
	approve = release.ActivityKey("deploy.approve")
	rollout = release.ActivityKey("deploy.rollout")
)

// start starts the release and its approval, which waits.
func (b *scripted) start() *scripted {
	return b.rec(0, "executor", release.ReleaseStartedPayload{}).
		rec(0, "executor", release.PhaseStartedPayload{Phase: process.PhaseID("deploy")}).
		rec(0, "executor", release.ActivityStartedPayload{Activity: approve}).
		rec(0, "executor", release.ActivityWaitingPayload{Activity: approve})
}

// approved has carol approve after d, and the rollout start.
func (b *scripted) approved(d time.Duration) *scripted {
	return b.rec(d, "carol", release.ApprovalGrantedPayload{Activity: approve}).
		rec(0, "executor", release.ActivitySucceededPayload{Activity: approve}).
		rec(0, "executor", release.ActivityStartedPayload{Activity: rollout})
}

func (b *scripted) succeed(d time.Duration) *scripted {
	return b.rec(d, "executor", release.ActivitySucceededPayload{Activity: rollout}).
		rec(0, "executor", release.PhaseSucceededPayload{Phase: "deploy"}).
		rec(0, "executor", release.ReleaseSucceededPayload{})
}

func (b *scripted) fail(d time.Duration) *scripted {
	return b.rec(d, "executor", release.ActivityFailedPayload{Activity: rollout, Error: "boom"}).
		rec(0, "executor", release.PhaseFailedPayload{Phase: "deploy", Error: "boom"}).
		rec(0, "executor", release.ReleaseFailedPayload{Error: "boom"})
}

func (b *scripted) link(d time.Duration, l release.Link) *scripted {
	return b.rec(d, "ci", release.LinkAddedPayload{Link: l})
}

func commit(sha string) release.Link { return release.Link{Kind: release.LinkCommit, Ref: sha} }

func deployment(env string) release.Link {
	return release.Link{Kind: release.LinkDeployment, Ref: "web", Service: "web", Environment: env}
}

var prod = map[string]string{"env": "prod"}

// scriptTrain stores the releases the metrics tests count by hand (see
// TestMetricsOverAScriptedTrain).
func scriptTrain(t *testing.T, s store.ReleaseStore) {
	// r1: approved in 30m, rolled out in 10m; commit linked at the start,
	// deployed to production at the end: lead time 40m.
	newScripted(t, s, "r1", "web", day(1), prod).start().link(0, commit("a1")).
		approved(30*time.Minute).succeed(10*time.Minute).link(0, deployment("production"))
	// r2: approved in 1h, the rollout fails after 5m: Failed at 11:05.
	newScripted(t, s, "r2", "web", day(2), prod).start().approved(time.Hour).fail(5 * time.Minute)
	// r3: approved in 2h, the rollout fails after 5m and is rolled back:
	// RolledBack at 12:10.
	newScripted(t, s, "r3", "web", day(3), prod).start().approved(2*time.Hour).
		rec(5*time.Minute, "executor", release.ActivityFailedPayload{Activity: rollout, Error: "boom"}).
		rec(0, "executor", release.ReleaseRollbackStartedPayload{Activity: rollout, Error: "boom"}).
		rec(3*time.Minute, "executor", release.ActivityRolledBackPayload{Activity: rollout}).
		rec(time.Minute, "executor", release.ActivityRolledBackPayload{Activity: approve}).
		rec(time.Minute, "executor", release.ReleaseRolledBackPayload{Error: "boom"})
	// r4: commit linked at once; approved in 10m; the rollout goes on hold
	// after 5m, for 1h, is retried and succeeds 5m later (11:20); deployed
	// to staging at 10:20, to production at 11:20: lead time 80m
	// (production), 20m (staging); on hold 1h.
	newScripted(t, s, "r4", "web", day(4), prod).start().link(0, commit("a4")).approved(10*time.Minute).
		rec(5*time.Minute, "executor", release.ActivityHeldPayload{Activity: rollout, Error: "flaky"}).
		link(5*time.Minute, deployment("staging")).
		rec(55*time.Minute, "ops", release.ActivityStartedPayload{Activity: rollout}).
		succeed(5*time.Minute).link(0, deployment("production"))
	// r5 (env=test): aborted after waiting 30m on its approval: no cycle.
	newScripted(t, s, "r5", "web", day(5), map[string]string{"env": "test"}).start().
		rec(30*time.Minute, "ops", release.ReleaseAbortedPayload{})
	// r6, group api: approved in 20m, fails; nothing restores it.
	newScripted(t, s, "r6", "api", day(6), prod).start().approved(20 * time.Minute).fail(time.Minute)
	// r7: still waiting on its approval.
	newScripted(t, s, "r7", "web", day(7), prod).start()
	// r8: after the window.
	newScripted(t, s, "r8", "web", day(12), prod).start().approved(time.Minute).succeed(time.Minute)
}

func getRelease(t *testing.T, s store.ReleaseStore, id release.ID) *release.Release {
	t.Helper()
	r, err := s.GetRelease(context.Background(), id)
	require.NoError(t, err)
	return r
}
