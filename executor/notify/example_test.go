package notify_test

import (
	"context"
	"fmt"
	"time"

	"github.com/batonhq/baton/executor/notify"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// A dispatcher tells a channel of every release that starts or fails, and
// the approvers of an approval that waits on them.
func Example() {
	ctx := context.Background()
	st := memstore.New(nil)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	// What an executor would store: a release that starts and waits on an
	// approval.
	p := &process.Process{ID: "web", Version: 1, Phases: []process.Phase{{ID: "ship", Activities: []process.Activity{
		{ID: "approve", Type: process.Approval, Approval: &process.ApprovalPolicy{Approvers: []string{"group:leads"}}},
	}}}}
	r, created, _ := release.Create("0190d000-0000-7000-8000-000000000001", at, "alice", "", release.ReleaseCreatedPayload{Name: "web 1.2", Process: p})
	_ = st.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
	var events []release.Event
	for _, pl := range []release.Payload{release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "ship"},
		release.ActivityStartedPayload{Activity: "ship.approve"}, release.ActivityWaitingPayload{Activity: "ship.approve"}} {
		e, _ := release.NewEvent(at, "executor", "", pl)
		events = append(events, e)
	}
	sealed, _ := r.Record(events...)
	_ = st.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: 1, Events: sealed, Release: r})

	tell := notify.NotifierFunc(func(_ context.Context, m *notify.Message) error {
		fmt.Printf("%s -> %v: %s\n", m.Type, m.Recipients, m.Text)
		return nil
	})
	d, err := notify.New(st, &notify.Config{
		FromStart: true,
		Rules: []notify.Rule{{
			Name: "releases", Notifier: tell, Recipients: []string{"#releases"},
			Types: []notify.Type{notify.ReleaseStarted, notify.ReleaseFailed, notify.WaitingForPerson},
		}},
		ResolveGroup: func(_ context.Context, group string) ([]string, error) { return []string{"bob", "carol"}, nil },
	})
	if err != nil {
		panic(err)
	}
	if _, err := d.Poll(ctx); err != nil {
		panic(err)
	}
	// Output:
	// release-started -> [#releases]: release "web 1.2" started
	// waiting-for-person -> [#releases bob carol]: release "web 1.2": activity ship.approve waits for 1 approval(s) from group:leads
}
