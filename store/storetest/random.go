package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

var actors = []string{"alice", "bob", "carol", "dave", "erin"}

// RandomEvents records up to n random events on r, each legal in the state
// the ones before it left, and returns them sealed. Batches of one to three
// events are recorded at once (as an executor appends an activity's
// transition with its phase's). It stops early once the release ends. Times
// start after at and grow by up to a minute per event.
//
// Hosts and Baton's own tests use it for property tests: whatever the
// history, folding the stored events must give back r. It returns an error
// only if it proposes an event Apply refuses, which is a bug here or there.
func RandomEvents(rng *rand.Rand, r *release.Release, at time.Time, n int) ([]release.Event, error) {
	var out []release.Event
	for len(out) < n && !r.Status.Terminal() {
		batch := 1 + rng.IntN(3)
		var events []release.Event
		// Propose a batch against a scratch copy so that each proposal sees
		// the effect of the ones before it; record the batch on r at once.
		scratch := r.Clone()
		for range batch {
			if scratch.Status.Terminal() {
				break
			}
			at = at.Add(time.Duration(1+rng.IntN(60)) * time.Second)
			e, err := proposeEvent(rng, scratch, at)
			if err != nil {
				return out, err
			}
			if _, err := scratch.Record(e); err != nil {
				return out, fmt.Errorf("storetest: random event %s is illegal: %w", e.Kind, err)
			}
			events = append(events, e)
		}
		sealed, err := r.Record(events...)
		if err != nil {
			return out, fmt.Errorf("storetest: random batch is illegal: %w", err)
		}
		out = append(out, sealed...)
	}
	return out, nil
}

// move is one candidate event.
type move struct {
	p      release.Payload
	actor  string
	reason string
	weight int
}

func proposeEvent(rng *rand.Rand, r *release.Release, at time.Time) (release.Event, error) {
	moves := candidates(rng, r)
	total := 0
	for _, m := range moves {
		total += m.weight
	}
	pick := rng.IntN(total)
	for _, m := range moves {
		if pick -= m.weight; pick < 0 {
			actor := m.actor
			if actor == "" {
				actor = actors[rng.IntN(len(actors))]
			}
			if m.p == nil { // an event of a kind release does not know
				return release.Event{Kind: "custom.metric", Time: at, Actor: actor,
					Payload: []byte(fmt.Sprintf(`{"value":%d}`, rng.IntN(100)))}, nil
			}
			return release.NewEvent(at, actor, m.reason, m.p)
		}
	}
	panic("unreachable")
}

func candidates(rng *rand.Rand, r *release.Release) []move {
	moves := []move{
		{p: release.CommentAddedPayload{Text: fmt.Sprintf("note %d", rng.IntN(1000))}, weight: 2},
		{p: nil, weight: 1}, // unknown kind
		{p: release.LinkAddedPayload{Link: release.Link{Kind: release.LinkTicket, Ref: fmt.Sprintf("REL-%d", rng.IntN(100))}}, weight: 1},
	}
	switch r.Status {
	case release.Scheduled:
		return append(moves,
			move{p: release.ReleaseStartedPayload{}, weight: 10},
			move{p: release.ReleaseRescheduledPayload{ScheduledFor: r.ScheduledFor.Add(time.Hour)}, weight: 2},
		)
	case release.Paused:
		return append(moves,
			move{p: release.ReleaseResumedPayload{}, weight: 10},
		)
	}
	// Running.
	moves = append(moves, move{p: release.ReleasePausedPayload{}, weight: 1})
	if rng.IntN(30) == 0 { // rare endings, so that histories grow long
		moves = append(moves,
			move{p: release.ReleaseFailedPayload{Error: "gave up"}, weight: 1},
			move{p: release.ReleaseRolledBackPayload{Error: "rolled back"}, weight: 1},
			move{p: release.ReleaseAbortedPayload{}, reason: "stopped", weight: 1})
	}
	allDone := true
	for _, ph := range r.Process.Phases {
		ps := r.Phases[ph.ID]
		depsDone := true
		for _, dep := range ph.DependsOn {
			if d := r.Phases[dep]; d == nil || !d.Status.Done() {
				depsDone = false
			}
		}
		phaseDone := true
		for _, act := range ph.Activities {
			a := r.Activities[release.Key(ph.ID, act.ID)]
			if !a.Status.Done() {
				phaseDone = false
			}
			if ps.Status == release.PhaseRunning || ps.Status == release.PhaseFailed {
				moves = append(moves, activityMoves(rng, r, ps, &act, a)...)
			}
		}
		switch ps.Status {
		case release.PhasePending:
			if depsDone {
				moves = append(moves,
					move{p: release.PhaseStartedPayload{Phase: ph.ID}, weight: 8},
					move{p: release.PhaseSkippedPayload{Phase: ph.ID}, weight: 1})
			}
		case release.PhaseRunning:
			if phaseDone {
				moves = append(moves, move{p: release.PhaseSucceededPayload{Phase: ph.ID}, weight: 10})
			} else {
				moves = append(moves, move{p: release.PhaseFailedPayload{Phase: ph.ID, Error: "a failure"}, weight: 1})
			}
		case release.PhaseFailed:
			moves = append(moves, move{p: release.PhaseStartedPayload{Phase: ph.ID}, weight: 3})
		}
		if !ps.Status.Done() {
			allDone = false
		}
	}
	if allDone {
		moves = append(moves,
			move{p: release.ReleaseSucceededPayload{}, weight: 20},
			move{p: release.ReleasePartiallySucceededPayload{}, weight: 2})
	}
	return moves
}

func activityMoves(rng *rand.Rand, r *release.Release, ps *release.PhaseState, act *process.Activity, a *release.ActivityState) []move {
	k := a.Key
	var moves []move
	add := func(w int, p release.Payload) { moves = append(moves, move{p: p, weight: w}) }
	canStart := r.Status == release.Running && ps.Status == release.PhaseRunning
	switch a.Status {
	case release.ActivityPending:
		if canStart {
			add(6, release.ActivityStartedPayload{Activity: k, Inputs: map[string]any{"try": float64(len(a.Attempts) + 1)},
				IdempotencyKey: fmt.Sprintf("%s-%d", k, len(a.Attempts)+1)})
		}
		add(1, release.ActivitySkippedPayload{Activity: k})
	case release.ActivityRunning:
		if a.Type != process.Automated {
			add(6, release.ActivityWaitingPayload{Activity: k})
		}
		add(5, release.ActivitySucceededPayload{Activity: k, Outputs: map[string]any{"out": fmt.Sprint(rng.IntN(100))}})
		add(2, release.ActivityFailedPayload{Activity: k, Error: "boom", TimedOut: rng.IntN(2) == 0})
		add(1, release.ActivityHeldPayload{Activity: k, Error: "needs a look"})
		add(1, release.OutputsSubmittedPayload{Activity: k, Outputs: map[string]any{"partial": true}})
	case release.ActivityWaiting:
		add(1, release.ActivityResumedPayload{Activity: k})
		add(4, release.ActivitySucceededPayload{Activity: k})
		add(1, release.ActivityFailedPayload{Activity: k, Error: "rejected"})
		add(1, release.ActivityIgnoredPayload{Activity: k})
		add(2, release.OutputsSubmittedPayload{Activity: k, Outputs: map[string]any{"report-url": "https://ci/1"}})
		if a.Type == process.Approval {
			for _, who := range actors {
				if !slices.ContainsFunc(a.Approvals, func(d release.Decision) bool { return d.Actor == who }) {
					moves = append(moves,
						move{p: release.ApprovalGrantedPayload{Activity: k, Comment: "ok"}, actor: who, weight: 2},
						move{p: release.ApprovalRejectedPayload{Activity: k, Comment: "no"}, actor: who, weight: 1})
					break
				}
			}
		}
	case release.ActivityOnHold:
		if canStart {
			add(3, release.ActivityStartedPayload{Activity: k, Inputs: map[string]any{"retry": true}})
		}
		add(2, release.ActivityIgnoredPayload{Activity: k, Outputs: map[string]any{"substitute": "x"}})
		add(1, release.ActivitySkippedPayload{Activity: k})
		add(1, release.ActivityFailedPayload{Activity: k, Error: "given up"})
	case release.ActivityFailed:
		if canStart {
			add(4, release.ActivityStartedPayload{Activity: k})
		}
		add(2, release.ActivityHeldPayload{Activity: k})
		add(2, release.ActivityIgnoredPayload{Activity: k})
		add(1, release.ActivityRolledBackPayload{Activity: k})
	case release.ActivitySucceeded:
		add(1, release.ActivityRolledBackPayload{Activity: k})
	}
	switch a.Status {
	case release.ActivityRunning, release.ActivityWaiting, release.ActivityOnHold:
		for _, t := range a.Tasks {
			for _, to := range []release.TaskStatus{release.TaskInProgress, release.TaskSucceeded, release.TaskBlocked, release.TaskFailed, release.TaskTodo} {
				if t.Status.CanTransition(to) {
					add(1, release.TaskUpdatedPayload{Activity: k, Task: t.ID, Status: to})
				}
			}
			add(1, release.CommentAddedPayload{Activity: k, Task: t.ID, Text: "on it"})
		}
	}
	_ = act
	return moves
}
