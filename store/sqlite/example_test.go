package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// Open a store, create a release, append to it and read it back.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "baton")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// nil options: synchronous=FULL, a 5s busy timeout, store.SnapshotDue.
	s, err := sqlite.Open(filepath.Join(dir, "baton.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ctx := context.Background()
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	p := &process.Process{ID: "mobile", Version: 1, Name: "Mobile release", Phases: []process.Phase{
		{ID: "build", Activities: []process.Activity{{ID: "compile", Uses: "ci.pipeline"}}},
	}}
	id, _ := release.ParseID("0190d000-0000-7000-8000-000000000001")
	r, created, err := release.Create(id, now, "alice", "", release.ReleaseCreatedPayload{Name: "Mobile 2.4", Process: p})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}); err != nil {
		log.Fatal(err)
	}

	start, _ := release.NewEvent(now.Add(time.Minute), "alice", "", release.ReleaseStartedPayload{})
	expected := r.Seq
	sealed, err := r.Record(start)
	if err != nil {
		log.Fatal(err)
	}
	err = s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r})
	if err != nil {
		log.Fatal(err)
	}
	// The same append again: its expected sequence number is stale now.
	err = s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r})
	fmt.Println("again:", errors.Is(err, store.ErrConflict))

	got, err := s.GetRelease(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Name, got.Status, got.Seq)
	// Output:
	// again: true
	// Mobile 2.4 Running 2
}

// Options tune durability and the snapshot policy; a newer file is refused.
func ExampleOpen_options() {
	dir, err := os.MkdirTemp("", "baton")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := sqlite.Open(filepath.Join(dir, "baton.db"), &sqlite.Options{
		Synchronous: sqlite.SyncNormal, // survives a crash of the process, not of the machine
		BusyTimeout: 10 * time.Second,
		SnapshotDue: func(r *release.Release, last int64) bool { return r.Seq-last >= 1000 },
	})
	if err != nil {
		var ve *sqlite.SchemaVersionError
		if errors.As(err, &ve) {
			log.Fatalf("written by a newer baton (schema %d > %d)", ve.Found, ve.Supported)
		}
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Println("schema version", sqlite.SchemaVersion)
	// Output:
	// schema version 14
}
