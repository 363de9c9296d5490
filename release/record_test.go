package release_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

// Create (with or without a ProcessCache) and RecordPayload write exactly
// the events NewEvent, Seal and Record write, and leave the release exactly
// as decoding those events does.
func TestCreateMatchesTheGeneralPath(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	id, err := release.NewID(t0, nil)
	require.NoError(t, err)
	for name, p := range map[string]release.ReleaseCreatedPayload{
		"plain": {Name: "Mobile", Process: mobileProcess()},
		"everything": {Name: "Mobile <2.4> & co", Version: "2.4.0", Process: mobileProcess(), Group: "trains",
			Inputs:     map[string]any{"version": "2.4.0", "canary": 10, "regions": []string{"eu", "us"}, "deep": map[string]any{"x": 1.5}},
			Occurrence: t0, ScheduledFor: t0.Add(time.Hour), ExpectedStart: t0.Add(time.Hour), ExpectedEnd: t0.Add(9 * time.Hour),
			Labels: map[string]string{"team": "mobile", "b": "2", "a": ""}},
		"monotonic clock reading": {Name: "m", Process: mobileProcess(), ScheduledFor: time.Now()},
		"another time zone":       {Name: "m", Process: mobileProcess(), ScheduledFor: t0.In(berlin)},
		"empty maps":              {Name: "m", Process: mobileProcess(), Inputs: map[string]any{}, Labels: map[string]string{}},
		"odd input":               {Name: "m", Process: mobileProcess(), Inputs: map[string]any{"f": float32(0.5)}},
		"initiator":               {Name: "m", Process: mobileProcess(), Initiator: "carol <c@x>", Inputs: map[string]any{"a": 1}},
	} {
		t.Run(name, func(t *testing.T) {
			at := t0.In(berlin)
			r, got, err := release.Create(id, at, "alice", "why", p)
			require.NoError(t, err)

			e, err := release.NewEvent(at, "alice", "why", p)
			require.NoError(t, err)
			want, err := release.Seal(release.Head{Release: id}, []release.Event{e})
			require.NoError(t, err)
			require.Equal(t, string(want[0].Payload), string(got.Payload))
			require.Equal(t, want[0], got)

			decoded, err := release.New(want[0])
			require.NoError(t, err)
			require.Equal(t, decoded, r)
			require.NoError(t, release.VerifyChain([]release.Event{got}))

			var procs release.ProcessCache // a pinned process: the same event, the shared copy
			pinned, err := procs.Pin(p.Process)
			require.NoError(t, err)
			q := p
			q.Process = pinned
			cr, cgot, err := procs.Create(id, at, "alice", "why", q)
			require.NoError(t, err)
			require.Equal(t, want[0], cgot)
			require.Equal(t, decoded, cr)
			require.Same(t, pinned, cr.Process)
		})
	}
}

func TestRecordPayloadMatchesTheGeneralPath(t *testing.T) {
	fast, log := running(t)
	slow, err := release.Fold(log)
	require.NoError(t, err)
	at := t0.Add(time.Hour)
	steps := []release.Payload{
		&release.ActivityStartedPayload{Activity: "build.compile", Inputs: map[string]any{"ref": "v2.4.0", "n": 3}, IdempotencyKey: "k-1"},
		release.ActivityFailedPayload{Activity: "build.compile", Error: "exit 1"}, // by value: the general path
		&release.ActivityStartedPayload{Activity: "build.compile", IdempotencyKey: "k-2"},
		&release.ActivitySucceededPayload{Activity: "build.compile", Outputs: map[string]any{"artifact": "s3://app.ipa", "size": 12}},
		&release.PhaseSucceededPayload{Phase: "build"},
		&release.PhaseStartedPayload{Phase: "qa"},
		&release.ActivityStartedPayload{Activity: "qa.regression"},
		&release.ActivityWaitingPayload{Activity: "qa.regression"},
		&release.TaskUpdatedPayload{Activity: "qa.regression", Task: "run-suite", Status: release.TaskInProgress, Assignees: []string{"bob"}},
		&release.CommentAddedPayload{Activity: "qa.regression", Task: "run-suite", Text: "looks <fine>"},
		&release.OutputsSubmittedPayload{Activity: "qa.regression", Outputs: map[string]any{"report-url": "https://ci/r/1"}},
		&release.ActivityIgnoredPayload{Activity: "qa.regression", Outputs: map[string]any{"report-url": "n/a"}},
		&release.ActivityStartedPayload{Activity: "qa.signoff"},
		&release.ApprovalGrantedPayload{Activity: "qa.signoff", Comment: "ok"},
		&release.ReleasePausedPayload{},
		&release.ReleaseResumedPayload{},
	}
	for i, p := range steps {
		actor := "executor"
		if i == 13 {
			actor = "frank"
		}
		got, err := fast.RecordPayload(at, actor, "step", p)
		require.NoError(t, err, "step %d (%s)", i, p.EventKind())
		e, err := release.NewEvent(at, actor, "step", p)
		require.NoError(t, err)
		want, err := slow.Record(e)
		require.NoError(t, err)
		require.Equal(t, want[0], got, "step %d (%s)", i, p.EventKind())
		require.Equal(t, slow, fast, "step %d (%s)", i, p.EventKind())
		log = append(log, got)
	}
	folded, err := release.Fold(log)
	require.NoError(t, err)
	require.Equal(t, folded, fast)
	require.NoError(t, release.VerifyChain(log))
}

func TestRecordPayloadChangesNothingOnError(t *testing.T) {
	r, _ := running(t)
	before := r.Clone()
	_, err := r.RecordPayload(t0, "executor", "", &release.ActivitySucceededPayload{Activity: "build.compile"})
	require.ErrorIs(t, err, release.ErrIllegal, "compile is Pending")
	_, err = r.RecordPayload(t0, "executor", "", &release.ActivityWaitingPayload{Activity: "no.such"})
	require.ErrorIs(t, err, release.ErrBadEvent)
	_, err = r.RecordPayload(t0, "", "", &release.ActivityStartedPayload{Activity: "build.compile"})
	require.ErrorIs(t, err, release.ErrBadEvent, "an actor is required")
	_, err = r.RecordPayload(t0, "executor", "", &release.ActivityStartedPayload{})
	require.ErrorIs(t, err, release.ErrBadEvent, "the activity is required")
	require.Equal(t, before, r)
}

func TestPinSharesOneDecodedProcess(t *testing.T) {
	var procs release.ProcessCache
	a, err := procs.Pin(mobileProcess())
	require.NoError(t, err)
	b, err := procs.Pin(mobileProcess())
	require.NoError(t, err)
	require.Same(t, a, b, "equal processes pin to one copy")
	again, err := procs.Pin(a)
	require.NoError(t, err)
	require.Same(t, a, again)
	require.Equal(t, mobileProcess().Phases[0].Activities[0].ID, a.Phases[0].Activities[0].ID)
	id, err := release.NewID(t0, nil)
	require.NoError(t, err)
	r, _, err := procs.Create(id, t0, "alice", "", release.ReleaseCreatedPayload{Name: "m", Process: a})
	require.NoError(t, err)
	require.Same(t, a, r.Process)
	_, err = procs.Pin(nil)
	require.Error(t, err)
}

// Verification hashes every event again: a change to any field of an event
// sealed here, even in place, is found.
func TestVerifyFindsChangesToEventsSealedHere(t *testing.T) {
	r, log := running(t)
	e, err := r.RecordPayload(t0, "executor", "go", &release.ActivityStartedPayload{Activity: "build.compile", Inputs: map[string]any{"ref": "main"}})
	require.NoError(t, err)
	log = append(log, e)
	require.NoError(t, release.VerifyChain(log))
	for name, change := range map[string]func(*release.Event){
		"payload in place": func(e *release.Event) { e.Payload[len(e.Payload)-3] = 'X' },
		"actor":            func(e *release.Event) { e.Actor = "mallory" },
		"reason":           func(e *release.Event) { e.Reason = "" },
		"time":             func(e *release.Event) { e.Time = e.Time.Add(time.Nanosecond) },
		"kind":             func(e *release.Event) { e.Kind = release.KindActivitySkipped },
	} {
		altered := append([]release.Event(nil), log...)
		last := log[len(log)-1].Clone()
		change(&last)
		altered[len(altered)-1] = last
		err := release.VerifyChain(altered)
		var ce *release.ChainError
		require.ErrorAs(t, err, &ce, name)
		require.Equal(t, release.Altered, ce.Problem, name)
	}
	e.Payload[1] = 'Y' // the caller's own copy, changed after sealing
	log[len(log)-1] = e
	require.ErrorIs(t, release.VerifyChain(log), release.ErrChainBroken)
}

// A ProcessCache that loads releases (Fold, FoldFrom, Apply,
// UnmarshalSnapshot) hands out one decoded process for all releases of a
// process version, and otherwise loads exactly what the package functions
// load.
func TestProcessCacheLoadsShareOneProcess(t *testing.T) {
	var procs release.ProcessCache
	var logs [][]release.Event
	for i := range 2 {
		id, err := release.NewID(t0.Add(time.Duration(i)*time.Second), nil)
		require.NoError(t, err)
		_, created, err := release.Create(id, t0, "alice", "", release.ReleaseCreatedPayload{Name: "m", Process: mobileProcess()})
		require.NoError(t, err)
		logs = append(logs, []release.Event{created})
	}
	a, err := procs.Fold(logs[0])
	require.NoError(t, err)
	b, err := procs.Fold(logs[1])
	require.NoError(t, err)
	require.Same(t, a.Process, b.Process, "one decoded copy for both releases")
	plain, err := release.Fold(logs[0])
	require.NoError(t, err)
	require.Equal(t, plain, a)

	snap, err := b.MarshalSnapshot()
	require.NoError(t, err)
	s1, err := procs.UnmarshalSnapshot(snap)
	require.NoError(t, err)
	s2, err := procs.UnmarshalSnapshot(snap)
	require.NoError(t, err)
	require.Same(t, s1.Process, s2.Process)
	plainSnap, err := release.UnmarshalSnapshot(snap)
	require.NoError(t, err)
	require.Equal(t, plainSnap, s1)

	_, err = procs.Fold(nil)
	require.Error(t, err)
	bad := logs[0][0].Clone()
	bad.Payload = []byte(`{"name":"m","process":{"phases":"x"}}`)
	require.ErrorIs(t, procs.Apply(new(release.Release), bad), release.ErrBadEvent, "a bad pinned process is a bad event, as without a cache")
	require.ErrorIs(t, release.Apply(new(release.Release), bad), release.ErrBadEvent)
}

// RecordPayload may apply the caller's payload itself (when decoding it
// would give it back): the release must keep nothing of it, so a caller
// reusing its payload values (as the executor does) changes nothing.
func TestRecordPayloadKeepsNothingOfThePayload(t *testing.T) {
	r, log := running(t)
	at := t0.Add(time.Hour)
	inputs := map[string]any{}
	steps := []release.Payload{
		&release.ActivityStartedPayload{Activity: "build.compile", IdempotencyKey: "k-1", Inputs: inputs},
		&release.ActivityFailedPayload{Activity: "build.compile", Error: "exit 1"},
		&release.ActivityStartedPayload{Activity: "build.compile", IdempotencyKey: "k-2"},
		&release.ActivitySucceededPayload{Activity: "build.compile", Outputs: map[string]any{}},
		&release.PhaseSucceededPayload{Phase: "build"},
		&release.PhaseStartedPayload{Phase: "qa"},
	}
	for i, p := range steps {
		e, err := r.RecordPayload(at, "executor", "", p)
		require.NoError(t, err, "step %d", i)
		log = append(log, e)
		// Scribble over the payload the caller still holds.
		switch p := p.(type) {
		case *release.ActivityStartedPayload:
			*p = release.ActivityStartedPayload{Activity: "qa.regression", IdempotencyKey: "scribbled"}
		case *release.ActivityFailedPayload:
			*p = release.ActivityFailedPayload{Activity: "qa.regression", Error: "scribbled"}
		case *release.ActivitySucceededPayload:
			*p = release.ActivitySucceededPayload{Activity: "qa.regression"}
		case *release.PhaseSucceededPayload:
			*p = release.PhaseSucceededPayload{Phase: "qa", Error: "scribbled"}
		case *release.PhaseStartedPayload:
			*p = release.PhaseStartedPayload{Phase: "build", Error: "scribbled"}
		}
	}
	inputs["late"] = "scribbled"
	folded, err := release.Fold(log)
	require.NoError(t, err)
	require.Equal(t, folded, r)
}
