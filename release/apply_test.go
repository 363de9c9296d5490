package release_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

func TestCreateBuildsEveryPhaseActivityAndTask(t *testing.T) {
	r, log := newMobile(t)
	require.Len(t, log, 1)
	require.Equal(t, release.KindReleaseCreated, log[0].Kind)
	require.Equal(t, int64(1), r.Seq)
	require.Equal(t, release.Scheduled, r.Status)
	require.Equal(t, "alice", r.CreatedBy)
	require.Equal(t, process.ID("mobile"), r.ProcessID)
	require.Equal(t, 3, r.ProcessVersion)
	require.Equal(t, t0, r.ScheduledFor, "an on-demand release is scheduled for its creation")
	require.Len(t, r.Phases, 3)
	require.Len(t, r.Activities, 4)
	reg := r.Activity("qa.regression")
	require.Equal(t, process.Manual, reg.Type)
	require.Len(t, reg.Tasks, 2)
	require.Equal(t, release.TaskTodo, reg.Task("run-suite").Status)
	require.Equal(t, process.Automated, r.Activity("build.compile").Type, "an untyped activity is automated")
	require.Equal(t, release.Count{Total: 4, Pending: 4}, release.Progress(r).Overall)
}

func TestAHappyReleaseRunsToSuccess(t *testing.T) {
	r, log := running(t)
	at := t0.Add(time.Hour)
	rec(t, r, &log, at, release.ActivityStartedPayload{Activity: "build.compile", Inputs: map[string]any{"ref": "v2.4.0"}, IdempotencyKey: "k-1"})
	rec(t, r, &log, at.Add(20*time.Minute),
		release.ActivitySucceededPayload{Activity: "build.compile", Outputs: map[string]any{"artifact": "s3://app.ipa"}},
		release.PhaseSucceededPayload{Phase: "build"})
	rec(t, r, &log, at.Add(21*time.Minute), release.PhaseStartedPayload{Phase: "qa"},
		release.ActivityStartedPayload{Activity: "qa.regression"}, release.ActivityWaitingPayload{Activity: "qa.regression"})
	rec(t, r, &log, at.Add(2*time.Hour),
		release.TaskUpdatedPayload{Activity: "qa.regression", Task: "run-suite", Status: release.TaskSucceeded},
		release.OutputsSubmittedPayload{Activity: "qa.regression", Outputs: map[string]any{"report-url": "https://ci/r/1"}},
		release.ActivitySucceededPayload{Activity: "qa.regression"})
	rec(t, r, &log, at.Add(3*time.Hour), release.ActivityStartedPayload{Activity: "qa.signoff"}, release.ActivityWaitingPayload{Activity: "qa.signoff"})
	for _, who := range []string{"frank", "gina"} {
		e := ev(t, at.Add(4*time.Hour), who, release.ApprovalGrantedPayload{Activity: "qa.signoff", Comment: "lgtm"})
		sealed, err := r.Record(e)
		require.NoError(t, err)
		log = append(log, sealed...)
	}
	rec(t, r, &log, at.Add(4*time.Hour), release.ActivitySucceededPayload{Activity: "qa.signoff"}, release.PhaseSucceededPayload{Phase: "qa"},
		release.PhaseStartedPayload{Phase: "deploy"}, release.ActivityStartedPayload{Activity: "deploy.rollout"})
	rec(t, r, &log, at.Add(5*time.Hour), release.ActivitySucceededPayload{Activity: "deploy.rollout"},
		release.PhaseSucceededPayload{Phase: "deploy"}, release.ReleaseSucceededPayload{})

	require.Equal(t, release.Succeeded, r.Status)
	require.Equal(t, at.Add(5*time.Hour), r.EndedAt)
	require.Equal(t, t0.Add(time.Hour), r.StartedAt)
	compile := r.Activity("build.compile")
	require.Equal(t, []release.Attempt{{Number: 1, Actor: "bob", Inputs: map[string]any{"ref": "v2.4.0"}, IdempotencyKey: "k-1",
		StartedAt: at, EndedAt: at.Add(20 * time.Minute)}}, compile.Attempts)
	require.Equal(t, map[string]any{"artifact": "s3://app.ipa"}, compile.Outputs)
	require.Equal(t, "https://ci/r/1", r.Activity("qa.regression").Outputs["report-url"])
	require.Len(t, r.Activity("qa.signoff").Approvals, 2)
	require.Equal(t, release.Count{Total: 4, Done: 4}, release.Progress(r).Overall)
	require.NoError(t, release.VerifyChain(log))
	folded, err := release.Fold(log)
	require.NoError(t, err)
	require.Equal(t, r, folded, "folding the events reproduces the release exactly")
}

func TestRetriesKeepEveryAttempt(t *testing.T) {
	r, log := running(t)
	at := t0.Add(2 * time.Hour)
	rec(t, r, &log, at, release.ActivityStartedPayload{Activity: "build.compile"})
	rec(t, r, &log, at.Add(time.Minute), release.ActivityFailedPayload{Activity: "build.compile", Error: "exit 1", TimedOut: true})
	e := ev(t, at.Add(2*time.Minute), "carol", release.ActivityStartedPayload{Activity: "build.compile", Inputs: map[string]any{"ref": "fix"}})
	_, err := r.Record(e)
	require.NoError(t, err)
	rec(t, r, &log, at.Add(3*time.Minute), release.ActivityHeldPayload{Activity: "build.compile", Error: "exit 2"})
	a := r.Activity("build.compile")
	require.Equal(t, release.ActivityOnHold, a.Status)
	require.Len(t, a.Attempts, 2)
	require.Equal(t, release.Attempt{Number: 1, Actor: "bob", StartedAt: at, EndedAt: at.Add(time.Minute), Error: "exit 1", TimedOut: true}, a.Attempts[0])
	require.Equal(t, release.Attempt{Number: 2, Actor: "carol", Inputs: map[string]any{"ref": "fix"}, StartedAt: at.Add(2 * time.Minute),
		EndedAt: at.Add(3 * time.Minute), Error: "exit 2"}, a.Attempts[1])
	require.Equal(t, "exit 2", a.Error)
	require.True(t, r.WaitingForInput(), "an activity on hold waits for an operator")
	rec(t, r, &log, at.Add(4*time.Minute), release.ActivityIgnoredPayload{Activity: "build.compile", Outputs: map[string]any{"artifact": "old"}})
	require.Equal(t, release.ActivityIgnored, a.Status)
	require.Equal(t, "old", a.Outputs["artifact"])
	require.False(t, r.WaitingForInput())
}

func TestPhaseSkipSettlesItsPendingActivities(t *testing.T) {
	r, log := running(t)
	rec(t, r, &log, t0.Add(2*time.Hour), release.ActivitySkippedPayload{Activity: "build.compile"}, release.PhaseSucceededPayload{Phase: "build"},
		release.PhaseSkippedPayload{Phase: "qa"})
	require.Equal(t, release.ActivitySkipped, r.Activity("qa.regression").Status)
	require.Equal(t, release.ActivitySkipped, r.Activity("qa.signoff").Status)
	require.Equal(t, release.PhaseSkipped, r.Phases["qa"].Status)
	require.Equal(t, 3, release.Progress(r).Overall.Done)
}

func TestIllegalEventsAreErrorsAndChangeNothing(t *testing.T) {
	type tc struct {
		name   string
		setup  []release.Payload // recorded on a running release first
		actor  string
		reason string
		event  release.Payload
		// transition, when set, is the expected *TransitionError subject.
		transition string
	}
	tests := []tc{
		{name: "succeed a pending activity", event: release.ActivitySucceededPayload{Activity: "build.compile"}, transition: "activity build.compile"},
		{name: "start a release twice", event: release.ReleaseStartedPayload{}, transition: "release"},
		{name: "resume a running release", event: release.ReleaseResumedPayload{}, transition: "release"},
		{name: "start an activity of a pending phase", event: release.ActivityStartedPayload{Activity: "qa.regression"}},
		{name: "succeed a release with activities left", event: release.ReleaseSucceededPayload{}},
		{name: "succeed a phase with activities left", event: release.PhaseSucceededPayload{Phase: "build"}},
		{name: "abort a phase with a running activity", setup: []release.Payload{release.ActivityStartedPayload{Activity: "build.compile"}},
			event: release.PhaseAbortedPayload{Phase: "build"}},
		{name: "start a running activity", setup: []release.Payload{release.ActivityStartedPayload{Activity: "build.compile"}},
			event: release.ActivityStartedPayload{Activity: "build.compile"}, transition: "activity build.compile"},
		{name: "resume a running activity", setup: []release.Payload{release.ActivityStartedPayload{Activity: "build.compile"}},
			event: release.ActivityResumedPayload{Activity: "build.compile"}, transition: "activity build.compile"},
		{name: "succeed after success", setup: []release.Payload{release.ActivityStartedPayload{Activity: "build.compile"},
			release.ActivitySucceededPayload{Activity: "build.compile"}},
			event: release.ActivitySucceededPayload{Activity: "build.compile"}, transition: "activity build.compile"},
		{name: "reschedule a running release", event: release.ReleaseRescheduledPayload{ScheduledFor: t0}},
		{name: "abort without a reason", event: release.ReleaseAbortedPayload{}},
		{name: "start an activity of a paused release", setup: []release.Payload{release.ReleasePausedPayload{}},
			event: release.ActivityStartedPayload{Activity: "build.compile"}},
		{name: "approve an activity that is not an approval", setup: []release.Payload{release.ActivityStartedPayload{Activity: "build.compile"}},
			event: release.ApprovalGrantedPayload{Activity: "build.compile"}},
		{name: "approve a pending approval", event: release.ApprovalGrantedPayload{Activity: "qa.signoff"}},
		{name: "update a task of a pending activity", event: release.TaskUpdatedPayload{Activity: "qa.regression", Task: "run-suite", Status: release.TaskInProgress}},
		{name: "reopen a task that is TODO", setup: []release.Payload{release.ActivitySkippedPayload{Activity: "build.compile"},
			release.PhaseSucceededPayload{Phase: "build"}, release.PhaseStartedPayload{Phase: "qa"},
			release.ActivityStartedPayload{Activity: "qa.regression"}},
			event: release.TaskUpdatedPayload{Activity: "qa.regression", Task: "run-suite", Status: release.TaskTodo}, transition: "task qa.regression/run-suite"},
		{name: "an unknown activity", event: release.ActivityStartedPayload{Activity: "build.nope"}},
		{name: "an unknown phase", event: release.PhaseStartedPayload{Phase: "nope"}},
		{name: "an unknown task", setup: []release.Payload{release.ActivityStartedPayload{Activity: "build.compile"}},
			event: release.TaskUpdatedPayload{Activity: "build.compile", Task: "nope", Status: release.TaskSucceeded}},
		{name: "a comment on an unknown task", event: release.CommentAddedPayload{Activity: "qa.regression", Task: "nope", Text: "x"}},
		{name: "no actor", actor: "-", event: release.CommentAddedPayload{Text: "anonymous"}},
		{name: "a second release.created", event: release.ReleaseCreatedPayload{Name: "again", Process: mobileProcess()}},
		{name: "a bad link", event: release.LinkAddedPayload{Link: release.Link{Kind: "website", URL: "https://x"}}},
		{name: "a deployment link without environment", event: release.LinkAddedPayload{Link: release.Link{Kind: release.LinkDeployment, Service: "api", Ref: "v1"}}},
		{name: "a link on an unknown task", event: release.LinkAddedPayload{Activity: "qa.regression", Task: "nope", Link: release.Link{Kind: release.LinkTicket, Ref: "T-1"}}},
		{name: "a link on a task without its activity", event: release.LinkAddedPayload{Task: "run-suite", Link: release.Link{Kind: release.LinkTicket, Ref: "T-1"}}},
		{name: "a link on an unknown activity", event: release.LinkAddedPayload{Activity: "qa.nope", Link: release.Link{Kind: release.LinkTicket, Ref: "T-1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, log := running(t)
			if len(tc.setup) > 0 {
				rec(t, r, &log, t0.Add(2*time.Hour), tc.setup...)
			}
			before := state(t, r)
			actor := tc.actor
			switch actor {
			case "":
				actor = "bob"
			case "-":
				actor = ""
			}
			e, err := release.NewEvent(t0.Add(3*time.Hour), actor, tc.reason, tc.event)
			require.NoError(t, err)
			sealed, err := release.Seal(r.Head(), []release.Event{e})
			require.NoError(t, err)
			err = release.Apply(r, sealed[0])
			require.Error(t, err)
			require.Regexp(t, `^release: event \d+ \(`, err.Error())
			var ee *release.EventError
			var te *release.TransitionError
			require.True(t, errors.As(err, &ee) || errors.As(err, &te), "typed error, got %T: %v", err, err)
			if tc.transition != "" {
				require.ErrorAs(t, err, &te)
				require.Equal(t, tc.transition, te.Subject)
				require.ErrorIs(t, err, release.ErrIllegal)
			}
			require.Equal(t, before, state(t, r), "a failed Apply changes nothing")
			_, err = r.Record(e)
			require.Error(t, err, "Record refuses it too")
			require.Equal(t, before, state(t, r), "a failed Record changes nothing")
		})
	}
}

func TestTransitionErrorNamesSubjectAndStatuses(t *testing.T) {
	r, _ := running(t)
	_, err := r.Record(ev(t, t0, "bob", release.ActivitySucceededPayload{Activity: "build.compile"}))
	require.EqualError(t, err, "release: event 4 (activity.succeeded): activity build.compile: Pending -> Succeeded is not a legal transition")
	var te *release.TransitionError
	require.ErrorAs(t, err, &te)
	require.Equal(t, release.TransitionError{Seq: 4, Kind: release.KindActivitySucceeded, Subject: "activity build.compile",
		From: "Pending", To: "Succeeded"}, *te)
}

func TestOnePersonApprovesOnce(t *testing.T) {
	r, log := running(t)
	rec(t, r, &log, t0, release.ActivitySkippedPayload{Activity: "build.compile"}, release.PhaseSucceededPayload{Phase: "build"},
		release.PhaseStartedPayload{Phase: "qa"}, release.ActivitySkippedPayload{Activity: "qa.regression"},
		release.ActivityStartedPayload{Activity: "qa.signoff"}, release.ActivityWaitingPayload{Activity: "qa.signoff"})
	_, err := r.Record(ev(t, t0, "frank", release.ApprovalGrantedPayload{Activity: "qa.signoff"}))
	require.NoError(t, err)
	before := state(t, r)
	_, err = r.Record(ev(t, t0, "frank", release.ApprovalRejectedPayload{Activity: "qa.signoff"}))
	require.ErrorIs(t, err, release.ErrIllegal)
	require.ErrorContains(t, err, "one person counts once")
	require.Equal(t, before, state(t, r))
}

func TestRecordIsAllOrNothing(t *testing.T) {
	r, _ := running(t)
	before := state(t, r)
	sealed, err := r.Record(ev(t, t0, "bob", release.ActivitySucceededPayload{Activity: "build.compile"}))
	require.ErrorIs(t, err, release.ErrIllegal)
	require.Nil(t, sealed, "no events to store on error")
	sealed, err = r.Record(
		ev(t, t0, "bob", release.ActivityStartedPayload{Activity: "build.compile"}),
		ev(t, t0, "bob", release.TaskUpdatedPayload{Activity: "build.compile", Task: "x", Status: release.TaskSucceeded}), // no such task
	)
	require.ErrorIs(t, err, release.ErrBadEvent)
	require.Nil(t, sealed)
	require.Equal(t, before, state(t, r), "the first event's changes are undone")

	_, err = r.Record(
		ev(t, t0, "bob", release.ActivityStartedPayload{Activity: "build.compile"}),
		ev(t, t0, "bob", release.ActivitySucceededPayload{Activity: "build.compile"}),
		ev(t, t0, "bob", release.PhaseSucceededPayload{Phase: "build"}),
		ev(t, t0, "bob", release.LinkAddedPayload{Link: release.Link{Kind: release.LinkBuild, Ref: "42"}}),
		ev(t, t0, "bob", release.PhaseSkippedPayload{Phase: "qa"}),
		ev(t, t0, "bob", release.CommentAddedPayload{Text: "hi"}),
		ev(t, t0, "bob", release.ReleaseResumedPayload{}), // illegal: running
	)
	require.ErrorIs(t, err, release.ErrIllegal)
	require.Equal(t, before, state(t, r), "phase cascades, links and comments are undone too")
}

func TestUnknownKindsAreCountedAndOtherwiseIgnored(t *testing.T) {
	r, log := running(t)
	before := release.Progress(r)
	sealed, err := r.Record(release.Event{Kind: "custom.metric", Time: t0, Actor: "bot", Payload: []byte(`{"value": 3}`)},
		release.Event{Kind: "custom.metric", Time: t0, Payload: []byte(`{}`)})
	require.NoError(t, err)
	log = append(log, sealed...)
	require.Equal(t, map[release.EventKind]int64{"custom.metric": 2}, r.Unknown)
	require.Equal(t, int64(5), r.Seq)
	require.Equal(t, before, release.Progress(r))
	folded, err := release.Fold(log)
	require.NoError(t, err)
	require.Equal(t, r, folded)
}

func TestApplyChecksTheChain(t *testing.T) {
	r, log := running(t)
	next, err := release.Seal(r.Head(), []release.Event{ev(t, t0, "bob", release.CommentAddedPayload{Text: "x"})})
	require.NoError(t, err)
	tests := map[string]func(e *release.Event){
		"a skipped seq":         func(e *release.Event) { e.Seq++ },
		"a repeated seq":        func(e *release.Event) { e.Seq-- },
		"a wrong prev hash":     func(e *release.Event) { e.PrevHash[0] ^= 1 },
		"another release":       func(e *release.Event) { e.Release = "0190a5e0-0000-7000-8000-000000000000" },
		"a payload not fitting": func(e *release.Event) { e.Payload = []byte(`{"text": 7}`) },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			before := state(t, r)
			e := next[0]
			mutate(&e)
			err := release.Apply(r, e)
			require.ErrorIs(t, err, release.ErrBadEvent)
			require.Equal(t, before, state(t, r))
		})
	}
	_, err = release.Fold(log[1:])
	require.ErrorContains(t, err, "the first event must be release.created")
	_, err = release.Fold(nil)
	require.Error(t, err)
}

func TestSnapshotsRoundTrip(t *testing.T) {
	r, log := running(t)
	rec(t, r, &log, t0.Add(2*time.Hour), release.ActivityStartedPayload{Activity: "build.compile", Inputs: map[string]any{"n": 1.0}},
		release.CommentAddedPayload{Text: "going"}, release.LinkAddedPayload{Activity: "build.compile",
			Link: release.Link{Kind: release.LinkCommit, Ref: "abc123", URL: "https://git/c/abc123"}})
	snap, err := r.MarshalSnapshot()
	require.NoError(t, err)
	back, err := release.UnmarshalSnapshot(snap)
	require.NoError(t, err)
	require.Equal(t, r, back, "decoding a snapshot rebuilds the counters too")
	require.Equal(t, r.Summary(), back.Summary())

	for name, doc := range map[string]string{
		"not JSON":     `{"id":`,
		"no id":        `{"status":"Running","seq":3}`,
		"a bad status": `{"id":"x","status":"Done","seq":3}`,
		"an orphan":    `{"id":"x","status":"Running","seq":3,"activities":{"a.b":{"key":"a.b","status":"Pending"}}}`,
		"a wrong key":  `{"id":"x","status":"Running","seq":3,"phases":{"a":{"id":"a","status":"Pending"}},"activities":{"a.b":{"key":"a.c","status":"Pending"}}}`,
		"no seq":       `{"id":"x","status":"Running"}`,
	} {
		_, err := release.UnmarshalSnapshot([]byte(doc))
		var se *release.SnapshotError
		require.ErrorAs(t, err, &se, name)
		require.ErrorContains(t, err, "release: decoding snapshot: ", name)
	}
}

func TestCloneSharesNothingMutable(t *testing.T) {
	r, log := running(t)
	rec(t, r, &log, t0, release.ActivityStartedPayload{Activity: "build.compile", Inputs: map[string]any{"deep": map[string]any{"x": 1.0}}})
	before := state(t, r)
	c := r.Clone()
	require.Equal(t, r, c)
	c.Labels["team"] = "x"
	c.Inputs["version"] = "x"
	c.Activity("build.compile").Attempts[0].Inputs["deep"].(map[string]any)["x"] = 2.0
	c.Activity("qa.regression").Tasks[0].Assignees[0] = "x"
	c.Phases["build"].Status = release.PhaseFailed
	_, err := c.Record(ev(t, t0, "bob", release.ActivityFailedPayload{Activity: "build.compile", Error: "x"}))
	require.NoError(t, err)
	require.Equal(t, before, state(t, r))
}

func TestARollbackIsUnderWayFromRollbackStartedToTheEnd(t *testing.T) {
	r, log := running(t)
	rec(t, r, &log, t0.Add(time.Hour), release.ActivityStartedPayload{Activity: "build.compile"},
		release.ActivityFailedPayload{Activity: "build.compile", Error: "exit 1"},
		release.ReleaseRollbackStartedPayload{Activity: "build.compile", Error: "exit 1"})
	require.True(t, r.RollingBack)
	require.Equal(t, release.Running, r.Status, "the status stays Running while the rollbacks run")

	_, err := r.Record(ev(t, t0.Add(time.Hour), "bob", release.ReleaseRollbackStartedPayload{}))
	require.ErrorIs(t, err, release.ErrIllegal, "already rolling back")

	folded, err := release.Fold(log)
	require.NoError(t, err)
	require.Equal(t, r, folded)

	rec(t, r, &log, t0.Add(2*time.Hour), release.ReleaseRolledBackPayload{Error: "exit 1"})
	require.False(t, r.RollingBack)
	require.Equal(t, release.RolledBack, r.Status)
}

func TestRollbackStartedNeedsAnActiveReleaseAndAKnownActivity(t *testing.T) {
	r, _ := newMobile(t) // Scheduled
	_, err := r.Record(ev(t, t0, "bob", release.ReleaseRollbackStartedPayload{}))
	require.ErrorIs(t, err, release.ErrIllegal)

	r, _ = running(t)
	_, err = r.Record(ev(t, t0, "bob", release.ReleaseRollbackStartedPayload{Activity: "no.such"}))
	require.ErrorIs(t, err, release.ErrBadEvent)
	require.False(t, r.RollingBack)

	_, err = r.Record(ev(t, t0, "bob", release.ReleasePausedPayload{}), ev(t, t0, "bob", release.ReleaseRollbackStartedPayload{}))
	require.NoError(t, err, "an operator may roll back a paused release")
	require.True(t, r.RollingBack)
}

// Snapshots written before release.rollback-started was a known kind
// counted it in Unknown; reading one says the rollback is under way.
func TestOldSnapshotsCountingRollbackStartedReadAsRollingBack(t *testing.T) {
	r, _ := running(t)
	data, err := r.MarshalSnapshot()
	require.NoError(t, err)
	old := strings.Replace(string(data), `"seq":`, `"unknown":{"release.rollback-started":1,"acme.x":2},"seq":`, 1)
	got, err := release.UnmarshalSnapshot([]byte(old))
	require.NoError(t, err)
	require.True(t, got.RollingBack)
	require.Equal(t, map[release.EventKind]int64{"acme.x": 2}, got.Unknown)
}

// One person counts once per attempt: whoever rejected an approval decides
// again on its next attempt, even at the same instant.
func TestARetriedApprovalCountsDecisionsAgain(t *testing.T) {
	r, log := running(t)
	rec(t, r, &log, t0, release.ActivitySkippedPayload{Activity: "build.compile"}, release.PhaseSucceededPayload{Phase: "build"},
		release.PhaseStartedPayload{Phase: "qa"}, release.ActivitySkippedPayload{Activity: "qa.regression"},
		release.ActivityStartedPayload{Activity: "qa.signoff"}, release.ActivityWaitingPayload{Activity: "qa.signoff"})
	_, err := r.Record(ev(t, t0, "frank", release.ApprovalRejectedPayload{Activity: "qa.signoff", Comment: "not yet"}))
	require.NoError(t, err)
	rec(t, r, &log, t0, release.ActivityFailedPayload{Activity: "qa.signoff", Error: "rejected by frank"},
		release.ActivityHeldPayload{Activity: "qa.signoff"})
	rec(t, r, &log, t0, release.ActivityStartedPayload{Activity: "qa.signoff"}, release.ActivityWaitingPayload{Activity: "qa.signoff"})
	a := r.Activity("qa.signoff")
	require.Empty(t, a.Decisions(), "the second attempt has no decisions yet")

	_, err = r.Record(ev(t, t0, "frank", release.ApprovalGrantedPayload{Activity: "qa.signoff", Comment: "now"}))
	require.NoError(t, err)
	require.Len(t, a.Approvals, 2, "every decision is kept")
	require.Equal(t, []release.Decision{{Actor: "frank", Approved: true, Comment: "now", At: t0, Attempt: 2}}, a.Decisions())
	_, err = r.Record(ev(t, t0, "frank", release.ApprovalGrantedPayload{Activity: "qa.signoff"}))
	require.ErrorContains(t, err, "one person counts once")
}

func TestALinkOnATaskIsKeptWithItsActivityNamingTheTask(t *testing.T) {
	r, log := running(t)
	rec(t, r, &log, t0.Add(2*time.Hour), release.LinkAddedPayload{Activity: "qa.regression", Task: "run-suite",
		Link: release.Link{Kind: release.LinkTicket, Ref: "QA-7", Task: "ignored", Activity: "ignored"}})
	links := r.Activity("qa.regression").Links
	require.Len(t, links, 1)
	require.Equal(t, release.ActivityKey("qa.regression"), links[0].Activity, "Apply sets the activity from the event")
	require.Equal(t, "run-suite", links[0].Task)
	require.Equal(t, "bob", links[0].Actor)
	require.True(t, links[0].At.Equal(t0.Add(2*time.Hour)))
	folded, err := release.Fold(log)
	require.NoError(t, err)
	require.Equal(t, links, folded.Activity("qa.regression").Links)
}
