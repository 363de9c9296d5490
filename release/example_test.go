package release_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

func exampleProcess() *process.Process {
	return &process.Process{ID: "mobile", Version: 1, Name: "Mobile", Phases: []process.Phase{
		{ID: "build", Owners: []string{"dev-team"}, Activities: []process.Activity{{ID: "compile", Uses: "ci.pipeline"}}},
		{ID: "qa", DependsOn: []process.PhaseID{"build"}, Activities: []process.Activity{
			{ID: "signoff", Type: process.Approval, Approval: &process.ApprovalPolicy{Approvers: []string{"group:qa-leads"}}},
		}},
	}}
}

func Example() {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	id, _ := release.NewID(now, bytes.NewReader(make([]byte, 16))) // nil entropy: crypto/rand
	r, created, err := release.Create(id, now, "alice", "weekly train", release.ReleaseCreatedPayload{
		Name: "Mobile 2.4", Version: "2.4.0", Process: exampleProcess(),
	})
	if err != nil {
		panic(err)
	}
	log := []release.Event{created}

	// Every change is an event; Record seals and applies them, all or nothing.
	step := func(actor string, payloads ...release.Payload) error {
		var events []release.Event
		for _, p := range payloads {
			e, err := release.NewEvent(now, actor, "", p)
			if err != nil {
				return err
			}
			events = append(events, e)
		}
		sealed, err := r.Record(events...)
		log = append(log, sealed...)
		return err
	}
	_ = step("executor", release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"},
		release.ActivityStartedPayload{Activity: "build.compile"})
	_ = step("executor", release.ActivitySucceededPayload{Activity: "build.compile", Outputs: map[string]any{"artifact": "app.ipa"}},
		release.PhaseSucceededPayload{Phase: "build"}, release.PhaseStartedPayload{Phase: "qa"},
		release.ActivityStartedPayload{Activity: "qa.signoff"}, release.ActivityWaitingPayload{Activity: "qa.signoff"})

	fmt.Println(r.Status, release.Progress(r).Overall, "events:", r.Seq)
	for _, w := range release.Waiting(r) {
		fmt.Println("waiting:", w.Activity, w.Kind, "on", w.On, w.Detail)
	}

	// An illegal change is an error and changes nothing.
	err = step("bob", release.ActivitySucceededPayload{Activity: "build.compile"})
	var te *release.TransitionError
	fmt.Println(errors.As(err, &te), te.From, "->", te.To)

	folded, _ := release.Fold(log)
	fmt.Println("fold reproduces it:", reflect.DeepEqual(folded, r))
	// Output:
	// Running 1/2 events: 9
	// waiting: qa.signoff approval on [group:qa-leads] 0 of 1 approvals
	// true Succeeded -> Succeeded
	// fold reproduces it: true
}

func ExampleVerifyChain() {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	id, _ := release.NewID(now, bytes.NewReader(make([]byte, 16)))
	r, created, _ := release.Create(id, now, "alice", "", release.ReleaseCreatedPayload{Name: "Mobile 2.4", Process: exampleProcess()})
	start, _ := release.NewEvent(now, "alice", "", release.ReleaseStartedPayload{})
	note, _ := release.NewEvent(now, "bob", "", release.CommentAddedPayload{Text: "ship it"})
	sealed, _ := r.Record(start, note)
	log := append([]release.Event{created}, sealed...)
	fmt.Println(release.VerifyChain(log))

	log[1].Actor = "mallory" // rewrite history
	err := release.VerifyChain(log)
	var ce *release.ChainError
	if errors.As(err, &ce) {
		fmt.Println(ce.Seq, ce.Problem)
	}
	fmt.Println(release.VerifyChain([]release.Event{log[0], log[2]}))
	// Output:
	// <nil>
	// 2 altered
	// release: event 2 (index 1): removed: found seq 3
}

func ExampleHealth() {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := exampleProcess()
	p.Phases[0].Activities[0].ExpectedDuration = process.Duration(2 * time.Hour)
	id, _ := release.NewID(now, bytes.NewReader(make([]byte, 16)))
	r, _, _ := release.Create(id, now, "alice", "", release.ReleaseCreatedPayload{
		Name: "Mobile 2.4", Process: p, ExpectedEnd: now.Add(time.Hour),
	})
	h := release.Health(r, now)
	fmt.Println(h.Status, h.ProjectedEnd.Format(time.Kitchen), h.Reasons)
	fmt.Println(release.Health(r, now.Add(3*time.Hour)).Status)
	// Output:
	// at-risk 11:00AM [projected to end 1h0m0s after its expected end]
	// late
}

// RecordPayload records one change the way an executor does: the event is
// written from the typed payload, sealed into the chain and applied, and the
// release keeps no reference to the caller's maps.
func ExampleRelease_RecordPayload() {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	id, _ := release.NewID(now, bytes.NewReader(make([]byte, 16)))
	var procs release.ProcessCache // one per executor: releases of a process version share its copy
	pinned, err := procs.Pin(exampleProcess())
	if err != nil {
		panic(err)
	}
	r, created, _ := procs.Create(id, now, "alice", "", release.ReleaseCreatedPayload{Name: "Mobile 2.4", Process: pinned})
	log := []release.Event{created}
	for _, p := range []release.Payload{
		&release.ReleaseStartedPayload{},
		&release.PhaseStartedPayload{Phase: "build"},
		&release.ActivityStartedPayload{Activity: "build.compile", Inputs: map[string]any{"ref": "v2.4.0"}},
	} {
		e, err := r.RecordPayload(now, "executor", "", p)
		if err != nil {
			panic(err)
		}
		log = append(log, e) // and store.ReleaseStore.AppendEvents
	}
	fmt.Println(r.Status, r.Activity("build.compile").Status, r.Seq)
	fmt.Println(string(log[3].Payload))
	fmt.Println(release.VerifyChain(log), r.Process == pinned)
	// Output:
	// Running Running 4
	// {"activity":"build.compile","inputs":{"ref":"v2.4.0"}}
	// <nil> true
}
