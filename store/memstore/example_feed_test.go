package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// A consumer follows every release's events with a cursor: a page, then
// what was stored after it.
func ExampleStore_ListAllEvents() {
	ctx := context.Background()
	st := memstore.New(nil)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := &process.Process{ID: "web", Version: 1, Phases: []process.Phase{{ID: "ship", Activities: []process.Activity{{ID: "deploy", Uses: "cd.deploy"}}}}}
	r, created, _ := release.Create("0190d000-0000-7000-8000-000000000001", at, "alice", "", release.ReleaseCreatedPayload{Name: "web", Process: p})
	_ = st.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
	appendTo := func(payloads ...release.Payload) {
		var events []release.Event
		for _, pl := range payloads {
			e, _ := release.NewEvent(at, "executor", "", pl)
			events = append(events, e)
		}
		expected := r.Seq
		sealed, _ := r.Record(events...)
		_ = st.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r})
	}
	appendTo(release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "ship"})

	page, _ := st.ListAllEvents(ctx, &store.ListAllEventsParams{Limit: 10})
	for _, e := range page.Events {
		fmt.Println(e.Seq, e.Kind)
	}
	// Later: what was stored since, from the cursor kept.
	appendTo(release.ActivityStartedPayload{Activity: "ship.deploy"})
	page, _ = st.ListAllEvents(ctx, &store.ListAllEventsParams{After: page.Next})
	for _, e := range page.Events {
		fmt.Println(e.Seq, e.Kind)
	}
	// Output:
	// 1 release.created
	// 2 release.started
	// 3 phase.started
	// 4 activity.started
}
