package memstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mobile() *process.Process {
	return &process.Process{ID: "mobile", Name: "Mobile", Phases: []process.Phase{
		{ID: "build", Activities: []process.Activity{{ID: "compile", Uses: "ci.pipeline"}}},
	}}
}

// newID makes deterministic ids for the examples; hosts pass nil entropy.
func newID(at time.Time, n byte) release.ID {
	id, _ := release.NewID(at, bytes.NewReader(bytes.Repeat([]byte{n}, 16)))
	return id
}

// createRelease pins the latest version of the process and stores a new
// release of it.
func createRelease(ctx context.Context, s store.Store, name string, at time.Time, n byte) (*release.Release, error) {
	p, err := s.GetProcess(ctx, "mobile", 0)
	if err != nil {
		return nil, err
	}
	r, created, err := release.Create(newID(at, n), at, "alice", "weekly train", release.ReleaseCreatedPayload{
		Name: name, Process: p, ScheduledFor: at.Add(time.Hour), Inputs: map[string]any{"version": "2.4.0"},
	})
	if err != nil {
		return nil, err
	}
	return r, s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
}

func ExampleStore_CreateRelease() {
	ctx := context.Background()
	s := memstore.New(nil)
	if _, err := s.PutProcess(ctx, &store.PutProcessParams{Process: mobile(), CreatedBy: "alice", Now: now}); err != nil {
		panic(err)
	}
	r, err := createRelease(ctx, s, "Mobile 2.4", now, 1)
	if err != nil {
		panic(err)
	}
	got, _ := s.GetRelease(ctx, r.ID)
	fmt.Println(got.ID, got.Name, got.Status, "process", got.ProcessID, "v", got.ProcessVersion)
	fmt.Println(got.ScheduledFor.Format(time.RFC3339), got.Inputs["version"])
	// Output:
	// 019cadc6-9a80-7101-8101-010101010101 Mobile 2.4 Scheduled process mobile v 1
	// 2026-03-02T10:00:00Z 2.4.0
}

func ExampleStore_AppendEvents() {
	ctx := context.Background()
	s := memstore.New(nil)
	_, _ = s.PutProcess(ctx, &store.PutProcessParams{Process: mobile(), Now: now})
	created, _ := createRelease(ctx, s, "Mobile 2.4", now, 1)

	// An update: load, record events (sealed and applied), append them iff
	// nobody appended since we loaded.
	update := func(actor string, payloads ...release.Payload) error {
		r, err := s.GetRelease(ctx, created.ID)
		if err != nil {
			return err
		}
		expected := r.Seq
		var events []release.Event
		for _, p := range payloads {
			e, err := release.NewEvent(now, actor, "", p)
			if err != nil {
				return err
			}
			events = append(events, e)
		}
		sealed, err := r.Record(events...)
		if err != nil {
			return err // illegal now: nothing to store
		}
		return s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r})
	}
	fmt.Println(update("alice", release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"}))
	fmt.Println(update("executor", release.ActivityStartedPayload{Activity: "build.compile"}))
	fmt.Println(update("bob", release.ReleaseStartedPayload{}))

	// A writer holding a stale copy loses: nothing is appended.
	stale := created.Clone()
	sealed, _ := stale.Record(must(release.NewEvent(now, "carol", "", release.CommentAddedPayload{Text: "late"})))
	err := s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: created.Seq, Events: sealed, Release: stale})
	fmt.Println(errors.Is(err, store.ErrConflict))

	sum, _ := s.GetReleaseSummary(ctx, created.ID)
	events, _ := s.ListEvents(ctx, &store.ListEventsParams{Release: created.ID})
	fmt.Println(sum.Status, sum.Seq, len(events), release.VerifyChain(events))
	// Output:
	// <nil>
	// <nil>
	// release: event 5 (release.started): release: Running -> Running is not a legal transition
	// true
	// Running 4 4 <nil>
}

func must(e release.Event, err error) release.Event {
	if err != nil {
		panic(err)
	}
	return e
}

func ExampleStore_ListReleases() {
	ctx := context.Background()
	s := memstore.New(nil)
	_, _ = s.PutProcess(ctx, &store.PutProcessParams{Process: mobile(), Now: now})
	for i := range 5 {
		day := now.Add(time.Duration(i) * 24 * time.Hour)
		if _, err := createRelease(ctx, s, fmt.Sprintf("Mobile 2.%d", i), day, byte(i)); err != nil {
			panic(err)
		}
	}
	// The releases scheduled in a calendar week window, two per page.
	p := &store.ListReleasesParams{
		Statuses:      []release.Status{release.Scheduled},
		ScheduledFrom: now.Add(24 * time.Hour), ScheduledTo: now.Add(4 * 24 * time.Hour),
		Limit: 2,
	}
	for {
		page, err := s.ListReleases(ctx, p)
		if err != nil {
			panic(err)
		}
		for _, r := range page.Releases {
			fmt.Println(r.Name, r.ScheduledFor.Format("Mon Jan 2 15:04"), r.Status)
		}
		if page.Next == "" {
			break
		}
		p.Cursor = page.Next
		fmt.Println("--")
	}
	// Output:
	// Mobile 2.1 Tue Mar 3 10:00 Scheduled
	// Mobile 2.2 Wed Mar 4 10:00 Scheduled
	// --
	// Mobile 2.3 Thu Mar 5 10:00 Scheduled
}
