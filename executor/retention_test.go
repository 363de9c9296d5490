package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

const day = 24 * time.Hour

// memSink is an ArchiveSink in memory. Fail, when set, makes Put fail;
// block, when set, is waited on by Put.
type memSink struct {
	mu      sync.Mutex
	puts    map[release.ID]int
	bundles map[release.ID][]byte
	fail    error
	block   chan struct{}
	entered chan struct{}
}

func newMemSink() *memSink {
	return &memSink{puts: map[release.ID]int{}, bundles: map[release.ID][]byte{}}
}

func (s *memSink) Put(ctx context.Context, id release.ID, r io.Reader) (string, error) {
	s.mu.Lock()
	block, entered, fail := s.block, s.entered, s.fail
	s.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if block != nil {
		<-block
	}
	if fail != nil {
		return "", fail
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts[id]++
	s.bundles[id] = data
	return fmt.Sprintf("mem://audit/%s/%d", id, s.puts[id]), nil
}

func (s *memSink) bundle(t *testing.T, id release.ID) *release.Bundle {
	t.Helper()
	s.mu.Lock()
	data := s.bundles[id]
	s.mu.Unlock()
	require.NotNil(t, data, "no bundle for %s", id)
	b, err := release.ReadBundle(bytes.NewReader(data))
	require.NoError(t, err)
	return b
}

func (s *memSink) putCount(id release.ID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.puts[id]
}

// retained is a release stored directly, to give it exact times.
type retained struct {
	proc    process.ID
	group   release.GroupID
	labels  map[string]string
	created time.Time
	ended   time.Time // zero: it has not ended (scheduled a year later)
}

func storeRetained(t *testing.T, st store.Store, spec retained) *release.Release {
	t.Helper()
	p, err := process.Parse([]byte(`
id: ` + string(spec.proc) + `
name: Retained
phases:
  - id: p
    activities:
      - {id: a, type: manual, tasks: [{id: t, name: Do it}]}
`))
	require.NoError(t, err)
	p.Version = 1
	id, err := release.NewID(spec.created, nil)
	require.NoError(t, err)
	payload := release.ReleaseCreatedPayload{Name: "r", Process: p, Group: spec.group, Labels: spec.labels,
		ScheduledFor: spec.created.Add(365 * day)}
	if spec.group != "" {
		payload.Occurrence = spec.created.Add(spec.ended.Sub(t0) % (365 * day)) // one per end
	}
	r, created, err := release.Create(id, spec.created, "alice", "", payload)
	require.NoError(t, err)
	require.NoError(t, st.CreateRelease(context.Background(), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
	if !spec.ended.IsZero() {
		e, err := release.NewEvent(spec.ended, "alice", "done with it", release.ReleaseAbortedPayload{})
		require.NoError(t, err)
		expected := r.Seq
		sealed, err := r.Record(e)
		require.NoError(t, err)
		require.NoError(t, st.AppendEvents(context.Background(), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}))
	}
	return r
}

// newSweeper returns an executor on st that is not running, on a clock at
// now: SweepRetention is called by hand.
func newSweeper(t *testing.T, st store.Store, now time.Time, cfg *Config) *Executor {
	t.Helper()
	c := *cfg
	c.Clock = newFakeClock(now)
	c.Logger = slog.New(slog.DiscardHandler)
	if c.InstanceID == "" {
		c.InstanceID = "sweeper"
	}
	e, err := New(st, nil, &c)
	require.NoError(t, err)
	return e
}

func deletedIDs(ds []store.Deletion) []release.ID {
	ids := make([]release.ID, len(ds))
	for i, d := range ds {
		ids[i] = d.Release
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...release.ID) []release.ID {
	slices.Sort(ids)
	return ids
}

func TestRetentionRemovesExactlyWhatTheRulesSay(t *testing.T) {
	st := memstore.New(nil)
	now := t0.Add(60 * day)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	mk := func(proc process.ID, group release.GroupID, ended time.Time, labels map[string]string) *release.Release {
		return storeRetained(t, st, retained{proc: proc, group: group, labels: labels, created: ago(30 * day), ended: ended})
	}
	apiOld := mk("api", "", ago(2*day), nil)                                                 // the api rule (1 day, delete): deleted
	apiNew := mk("api", "", ago(12*time.Hour), nil)                                          // kept
	weeklyNew := mk("api", "weekly", ago(2*day), nil)                                        // the group's rule (3 days) wins over api's: kept
	weeklyOld := mk("api", "weekly", ago(4*day), nil)                                        // archived and deleted
	webNew := mk("web", "", ago(5*day), nil)                                                 // the default (10 days): kept
	webOld := mk("web", "", ago(11*day), nil)                                                // archived and deleted
	running := mk("web", "", time.Time{}, nil)                                               // never ended: kept
	orphan := mk("web", "", ago(11*day), map[string]string{LabelParent: string(running.ID)}) // its parent runs: kept
	child := mk("web", "", ago(12*day), map[string]string{LabelParent: string(webNew.ID)})   // its parent ended: archived and deleted
	sink := newMemSink()
	e := newSweeper(t, st, now, &Config{Retention: &RetentionConfig{Sink: sink, Rules: []RetentionRule{
		{Name: "default-10d", Keep: 10 * day},
		{Name: "api-1d", Process: "api", Keep: day, Action: RetentionDelete},
		{Name: "weekly-3d", Group: "weekly", Keep: 3 * day},
	}}})

	rep, err := e.SweepRetention(context.Background())
	require.NoError(t, err)
	require.False(t, rep.Skipped)
	require.Equal(t, sorted(apiOld.ID, weeklyOld.ID, webOld.ID, child.ID), deletedIDs(rep.Deleted))
	require.Equal(t, 1, rep.Kept, "the child of a running release")
	rules := map[release.ID]string{}
	for _, d := range rep.Deleted {
		rules[d.Release] = d.Rule
		require.Equal(t, "sweeper", d.Actor)
		require.Equal(t, now, d.DeletedAt)
		require.Equal(t, release.Aborted, d.Status)
		if d.Rule == "api-1d" {
			require.Empty(t, d.Archive, "a delete rule archives nothing")
			require.Zero(t, sink.putCount(d.Release))
			continue
		}
		require.Equal(t, fmt.Sprintf("mem://audit/%s/1", d.Release), d.Archive)
		b := sink.bundle(t, d.Release)
		require.NoError(t, release.CheckBundle(b), "the archive checks by itself")
		ended, ok := b.EndedBy()
		require.True(t, ok)
		require.Equal(t, d.Head, release.Head{Release: d.Release, Seq: ended.Seq, Hash: ended.Hash}, "the record names the archive's head")
	}
	require.Equal(t, map[release.ID]string{apiOld.ID: "api-1d", weeklyOld.ID: "weekly-3d", webOld.ID: "default-10d", child.ID: "default-10d"}, rules)
	for _, r := range []*release.Release{apiNew, weeklyNew, webNew, running, orphan} {
		_, err := st.GetRelease(context.Background(), r.ID)
		require.NoError(t, err, "release %s is kept", r.ID)
	}
	for _, d := range rep.Deleted {
		_, err := st.GetRelease(context.Background(), d.Release)
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	page, err := e.Deletions(context.Background(), &DeletionsParams{})
	require.NoError(t, err)
	require.Equal(t, rep.Deleted, page.Deletions, "every deletion is in the store's log")

	again, err := e.SweepRetention(context.Background())
	require.NoError(t, err)
	require.Empty(t, again.Deleted, "a second sweep finds nothing more")
}

func TestRetentionBatchBoundsASweep(t *testing.T) {
	st := memstore.New(nil)
	now := t0.Add(60 * day)
	for i := range 7 {
		storeRetained(t, st, retained{proc: "api", created: t0, ended: t0.Add(time.Duration(i) * time.Hour)})
	}
	e := newSweeper(t, st, now, &Config{Retention: &RetentionConfig{Batch: 3, Rules: []RetentionRule{
		{Name: "all", Keep: day, Action: RetentionDelete},
	}}})
	var sizes []int
	for range 4 {
		rep, err := e.SweepRetention(context.Background())
		require.NoError(t, err)
		sizes = append(sizes, len(rep.Deleted))
	}
	require.Equal(t, []int{3, 3, 1, 0}, sizes)
}

func TestAFailingSinkDeletesNothingAndTheNextSweepRecovers(t *testing.T) {
	st := memstore.New(nil)
	now := t0.Add(60 * day)
	a := storeRetained(t, st, retained{proc: "api", created: t0, ended: t0.Add(day)})
	b := storeRetained(t, st, retained{proc: "api", created: t0, ended: t0.Add(2 * day)})
	sink := newMemSink()
	sink.fail = errors.New("bucket unreachable")
	e := newSweeper(t, st, now, &Config{Retention: &RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "all", Keep: day}}}})

	rep, err := e.SweepRetention(context.Background())
	require.ErrorContains(t, err, "bucket unreachable")
	require.Empty(t, rep.Deleted)
	for _, r := range []*release.Release{a, b} {
		got, err := st.GetRelease(context.Background(), r.ID)
		require.NoError(t, err, "nothing is deleted without its archive")
		require.Equal(t, r.Seq, got.Seq)
	}
	page, err := st.ListDeletions(context.Background(), nil)
	require.NoError(t, err)
	require.Empty(t, page.Deletions)

	sink.mu.Lock()
	sink.fail = nil
	sink.mu.Unlock()
	rep, err = e.SweepRetention(context.Background())
	require.NoError(t, err)
	require.Equal(t, sorted(a.ID, b.ID), deletedIDs(rep.Deleted))
	require.NoError(t, release.CheckBundle(sink.bundle(t, a.ID)))
	require.NoError(t, release.CheckBundle(sink.bundle(t, b.ID)))
}

// crashingStore fails DeleteRelease the first time, as an executor that
// stopped after the sink took the bundle and before the deletion would.
type crashingStore struct {
	*memstore.Store
	mu      sync.Mutex
	crashes int
}

func (s *crashingStore) DeleteRelease(ctx context.Context, p *store.DeleteReleaseParams) (*store.Deletion, error) {
	s.mu.Lock()
	crash := s.crashes > 0
	if crash {
		s.crashes--
	}
	s.mu.Unlock()
	if crash {
		return nil, errors.New("power cut")
	}
	return s.Store.DeleteRelease(ctx, p)
}

func TestACrashBetweenArchiveAndDeleteLosesNothing(t *testing.T) {
	st := &crashingStore{Store: memstore.New(nil), crashes: 1}
	now := t0.Add(60 * day)
	r := storeRetained(t, st, retained{proc: "api", created: t0, ended: t0.Add(day)})
	sink := newMemSink()
	cfg := &Config{Retention: &RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "all", Keep: day}}}}

	_, err := newSweeper(t, st, now, cfg).SweepRetention(context.Background())
	require.ErrorContains(t, err, "power cut")
	require.Equal(t, 1, sink.putCount(r.ID), "archived")
	_, err = st.GetRelease(context.Background(), r.ID)
	require.NoError(t, err, "but not deleted")

	// The next executor archives it again, then deletes it.
	rep, err := newSweeper(t, st, now.Add(time.Hour), cfg).SweepRetention(context.Background())
	require.NoError(t, err)
	require.Len(t, rep.Deleted, 1)
	require.Equal(t, 2, sink.putCount(r.ID))
	require.Equal(t, fmt.Sprintf("mem://audit/%s/2", r.ID), rep.Deleted[0].Archive)
	b := sink.bundle(t, r.ID)
	require.NoError(t, release.CheckBundle(b))
	require.Equal(t, rep.Deleted[0].Head.Hash, b.Events[len(b.Events)-1].Hash)
}

func TestAnEventAfterTheArchiveKeepsTheReleaseUntilItIsArchivedAgain(t *testing.T) {
	st := memstore.New(nil)
	now := t0.Add(60 * day)
	r := storeRetained(t, st, retained{proc: "api", created: t0, ended: t0.Add(day)})
	sink := newMemSink()
	sink.block, sink.entered = make(chan struct{}), make(chan struct{}, 1)
	e := newSweeper(t, st, now, &Config{Retention: &RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "all", Keep: day}}}})
	done := make(chan *RetentionReport)
	go func() {
		rep, err := e.SweepRetention(context.Background())
		require.NoError(t, err)
		done <- rep
	}()
	<-sink.entered
	// A comment lands on the finished release while its bundle is written.
	c, err := release.NewEvent(now, "bob", "", release.CommentAddedPayload{Text: "late note"})
	require.NoError(t, err)
	expected := r.Seq
	sealed, err := r.Record(c)
	require.NoError(t, err)
	require.NoError(t, st.AppendEvents(context.Background(), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}))
	close(sink.block)
	rep := <-done
	require.Empty(t, rep.Deleted, "the archive lacks the comment: the release is kept")
	require.Equal(t, 1, rep.Kept)

	sink.mu.Lock()
	sink.block, sink.entered = nil, nil
	sink.mu.Unlock()
	rep, err = e.SweepRetention(context.Background())
	require.NoError(t, err)
	require.Len(t, rep.Deleted, 1)
	require.Equal(t, r.Seq, rep.Deleted[0].Head.Seq)
	b := sink.bundle(t, r.ID)
	require.Equal(t, "late note", mustComment(t, b.Events[len(b.Events)-1]))
}

func mustComment(t *testing.T, e release.Event) string {
	t.Helper()
	p, err := release.DecodePayload(e)
	require.NoError(t, err)
	return p.(*release.CommentAddedPayload).Text
}

func TestTwoExecutorsSweepingDoNotDoubleArchive(t *testing.T) {
	st := memstore.New(nil)
	now := t0.Add(60 * day)
	var ids []release.ID
	for i := range 3 {
		ids = append(ids, storeRetained(t, st, retained{proc: "api", created: t0, ended: t0.Add(time.Duration(i) * time.Hour)}).ID)
	}
	sink := newMemSink()
	sink.block, sink.entered = make(chan struct{}), make(chan struct{}, 10)
	cfg := func(id string) *Config {
		return &Config{InstanceID: id, Retention: &RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "all", Keep: day}}}}
	}
	a, b := newSweeper(t, st, now, cfg("a")), newSweeper(t, st, now, cfg("b"))
	done := make(chan *RetentionReport)
	go func() {
		rep, err := a.SweepRetention(context.Background())
		require.NoError(t, err)
		done <- rep
	}()
	<-sink.entered // a archives its first release, holding the sweep's lease
	rep, err := b.SweepRetention(context.Background())
	require.NoError(t, err)
	require.True(t, rep.Skipped, "b does not sweep while a does")
	require.Empty(t, rep.Deleted)
	close(sink.block)
	repA := <-done
	require.Equal(t, sorted(ids...), deletedIDs(repA.Deleted))
	for _, id := range ids {
		require.Equal(t, 1, sink.putCount(id), "release %s archived once", id)
	}
	rep, err = b.SweepRetention(context.Background())
	require.NoError(t, err)
	require.False(t, rep.Skipped, "the lease was given back")
	require.Empty(t, rep.Deleted)
}

func TestRetentionRunsOnTheExecutorsClock(t *testing.T) {
	sink := newMemSink()
	h := newHarness(t, &Config{Retention: &RetentionConfig{Sink: sink, Interval: 10 * time.Minute,
		Rules: []RetentionRule{{Name: "hour", Keep: time.Hour}}}})
	h.put(`
id: manual
name: Manual
phases:
  - id: p
    activities:
      - {id: a, type: manual, tasks: [{id: t, name: Do it}]}
`)
	ended := h.create("manual", nil)
	kept := h.create("manual", nil)
	h.waitActivity(ended, "p.a", release.ActivityWaiting)
	require.NoError(t, h.ex.Abort(context.Background(), ended, &By{Actor: "alice", Reason: "not needed"}))
	h.waitStatus(ended, release.Aborted)
	deletions := func() []store.Deletion {
		page, err := h.ex.Deletions(context.Background(), &DeletionsParams{})
		require.NoError(t, err)
		return page.Deletions
	}
	h.advance(50 * time.Minute) // sweeps at +10m ... +50m: the release is not an hour old
	time.Sleep(20 * time.Millisecond)
	require.Empty(t, deletions())
	for range 3 { // past the hour, the next sweeps delete it
		h.advance(10 * time.Minute)
		if waitForShort(func() bool { return len(deletions()) == 1 }) {
			break
		}
	}
	ds := deletions()
	require.Len(t, ds, 1)
	require.Equal(t, ended, ds[0].Release)
	require.Equal(t, "hour", ds[0].Rule)
	require.Equal(t, 1, sink.putCount(ended))
	require.Equal(t, release.Running, h.get(kept).Status, "the running release is untouched")
}

// waitForShort is waitFor with a short deadline, for a condition that may
// need the clock moved.
func waitForShort(cond func() bool) bool {
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return cond()
}

func TestDeleteReleaseIsAuthorizedAndAudited(t *testing.T) {
	st := memstore.New(nil)
	now := t0.Add(60 * day)
	parent := storeRetained(t, st, retained{proc: "api", created: t0})
	ended := storeRetained(t, st, retained{proc: "api", group: "weekly", created: t0, ended: t0.Add(day), labels: map[string]string{"env": "prod"}})
	child := storeRetained(t, st, retained{proc: "api", created: t0, ended: t0.Add(day), labels: map[string]string{LabelParent: string(parent.ID)}})
	var seen []Action
	var mu sync.Mutex
	sink := newMemSink()
	e := newSweeper(t, st, now, &Config{
		Retention: &RetentionConfig{Sink: sink},
		Authorize: func(_ context.Context, a *Action) error {
			mu.Lock()
			seen = append(seen, *a)
			mu.Unlock()
			if a.Kind == ActionDeleteRelease && a.Actor != "alice" {
				return errors.New("only alice deletes")
			}
			return nil
		},
	})
	ctx := context.Background()

	_, err := e.DeleteRelease(ctx, ended.ID, &By{Actor: "mallory", Reason: "cover my tracks"})
	require.ErrorIs(t, err, ErrUnauthorized)
	_, err = st.GetRelease(ctx, ended.ID)
	require.NoError(t, err, "a refused deletion deletes nothing")
	require.Zero(t, sink.putCount(ended.ID), "nor archives")
	mu.Lock()
	last := seen[len(seen)-1]
	mu.Unlock()
	require.Equal(t, ActionDeleteRelease, last.Kind)
	require.Equal(t, VerbDelete, last.Verb)
	require.Equal(t, ResourceRelease, last.Resource)
	require.Equal(t, release.GroupID("weekly"), last.Group)
	require.Equal(t, "prod", last.Labels["env"], "the authorizer sees the stored labels")

	_, err = e.DeleteRelease(ctx, ended.ID, nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = e.DeleteRelease(ctx, ended.ID, &By{})
	require.ErrorIs(t, err, ErrInvalid)

	_, err = e.DeleteRelease(ctx, parent.ID, &By{Actor: "alice"})
	var nf *store.NotFinishedError
	require.ErrorAs(t, err, &nf, "a running release")
	require.Equal(t, release.Scheduled, nf.Status)
	_, err = e.DeleteRelease(ctx, child.ID, &By{Actor: "alice"})
	require.ErrorAs(t, err, &nf, "a finished child of a running parent")
	require.Equal(t, parent.ID, nf.Parent)
	_, err = st.GetRelease(ctx, child.ID)
	require.NoError(t, err)

	d, err := e.DeleteRelease(ctx, ended.ID, &By{Actor: "alice", Reason: "GDPR request 42"})
	require.NoError(t, err)
	require.Equal(t, "alice", d.Actor)
	require.Equal(t, "GDPR request 42", d.Reason)
	require.Empty(t, d.Rule)
	require.Equal(t, fmt.Sprintf("mem://audit/%s/1", ended.ID), d.Archive, "a person's deletion is archived too")
	page, err := e.Deletions(ctx, &DeletionsParams{ListDeletionsParams: store.ListDeletionsParams{Release: ended.ID}})
	require.NoError(t, err)
	require.Equal(t, []store.Deletion{*d}, page.Deletions)
	_, err = e.DeleteRelease(ctx, ended.ID, &By{Actor: "alice"})
	require.ErrorIs(t, err, store.ErrNotFound)

	// The occurrence stays taken: the group cannot make it again.
	again := release.ReleaseCreatedPayload{Name: "again", Process: ended.Process, Group: "weekly", Occurrence: ended.Occurrence}
	id, err := release.NewID(now, nil)
	require.NoError(t, err)
	r, created, err := release.Create(id, now, "scheduler", "", again)
	require.NoError(t, err)
	err = st.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
	require.ErrorIs(t, err, store.ErrAlreadyExists)
}

func TestRetentionConfigIsChecked(t *testing.T) {
	sink := newMemSink()
	tests := []struct {
		name  string
		cfg   RetentionConfig
		error string
	}{
		{"no name", RetentionConfig{Sink: sink, Rules: []RetentionRule{{Keep: day}}}, "Name: required"},
		{"same name", RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "a", Keep: day}, {Name: "a", Process: "p", Keep: day}}}, "another rule has it"},
		{"no keep", RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "a"}}}, "Keep 0s: must be positive"},
		{"archive without a sink", RetentionConfig{Rules: []RetentionRule{{Name: "a", Keep: day}}}, "Sink is nil"},
		{"unknown action", RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "a", Keep: day, Action: "shred"}}}, `Action "shred"`},
		{"process and group", RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "a", Keep: day, Process: "p", Group: "g"}}}, "set at most one"},
		{"two defaults", RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "a", Keep: day}, {Name: "b", Keep: day}}}, "another rule is the default"},
		{"two rules of a process", RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "a", Keep: day, Process: "p"}, {Name: "b", Keep: day, Process: "p"}}}, `Process "p"`},
		{"two rules of a group", RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "a", Keep: day, Group: "g"}, {Name: "b", Keep: day, Group: "g"}}}, `Group "g"`},
		{"negative interval", RetentionConfig{Interval: -1}, "must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(memstore.New(nil), nil, &Config{Retention: &tc.cfg})
			require.ErrorContains(t, err, tc.error)
		})
	}
	_, err := New(memstore.New(nil), nil, &Config{Retention: &RetentionConfig{Rules: []RetentionRule{{Name: "a", Keep: day, Action: RetentionDelete}}}})
	require.NoError(t, err, "a delete rule needs no sink")
}

// noRetentionStore hides every optional capability, retention included.
type noRetentionStore struct{ store.Store }

func (noRetentionStore) Unwrap() store.Store { return nil }

func TestRetentionNeedsAStoreThatDeletes(t *testing.T) {
	st := noRetentionStore{memstore.New(nil)}
	_, err := New(st, nil, &Config{Retention: &RetentionConfig{Rules: []RetentionRule{{Name: "a", Keep: day, Action: RetentionDelete}}}})
	require.ErrorIs(t, err, errors.ErrUnsupported)
	e, err := New(st, nil, nil)
	require.NoError(t, err)
	_, err = e.DeleteRelease(context.Background(), "x", &By{Actor: "alice"})
	require.ErrorIs(t, err, errors.ErrUnsupported)
	page, err := e.Deletions(context.Background(), nil)
	require.NoError(t, err)
	require.Empty(t, page.Deletions)
}

// leaselessStore keeps retention but hides leases: one executor alone.
type leaselessStore struct {
	store.Store
	rs store.RetentionStore
}

func (s leaselessStore) Unwrap() store.Store { return nil }
func (s leaselessStore) ListEnded(ctx context.Context, p *store.ListEndedParams) (*store.ReleasePage, error) {
	return s.rs.ListEnded(ctx, p)
}
func (s leaselessStore) DeleteRelease(ctx context.Context, p *store.DeleteReleaseParams) (*store.Deletion, error) {
	return s.rs.DeleteRelease(ctx, p)
}
func (s leaselessStore) ListDeletions(ctx context.Context, p *store.ListDeletionsParams) (*store.DeletionPage, error) {
	return s.rs.ListDeletions(ctx, p)
}

func TestOneExecutorRunsOneSweepAtATimeWithoutLeases(t *testing.T) {
	mem := memstore.New(nil)
	st := leaselessStore{Store: mem, rs: mem}
	now := t0.Add(60 * day)
	r := storeRetained(t, st, retained{proc: "api", created: t0, ended: t0.Add(day)})
	sink := newMemSink()
	sink.block, sink.entered = make(chan struct{}), make(chan struct{}, 1)
	e := newSweeper(t, st, now, &Config{Retention: &RetentionConfig{Sink: sink, Rules: []RetentionRule{{Name: "all", Keep: day}}}})
	require.Nil(t, e.leaser)
	done := make(chan *RetentionReport)
	go func() {
		rep, err := e.SweepRetention(context.Background())
		require.NoError(t, err)
		done <- rep
	}()
	<-sink.entered
	rep, err := e.SweepRetention(context.Background())
	require.NoError(t, err)
	require.True(t, rep.Skipped)
	close(sink.block)
	require.Len(t, (<-done).Deleted, 1)
	require.Equal(t, 1, sink.putCount(r.ID))
}

// A host that derives release ids from requests (CreateParams.ID) cannot
// bring a deleted release back under its id: the deletion keeps it taken.
func TestADeletedReleasesIDCannotBeCreatedAgain(t *testing.T) {
	h := newHarness(t, nil)
	h.put(`
id: manual
name: Manual
phases:
  - id: p
    activities:
      - {id: a, type: manual, tasks: [{id: t, name: Do it}]}
`)
	ctx := context.Background()
	id := release.ID("0190d000-0000-7000-8000-0000000000aa")
	_, err := h.ex.Create(ctx, &CreateParams{ID: id, Process: "manual", By: By{Actor: "alice"}})
	require.NoError(t, err)
	h.waitActivity(id, "p.a", release.ActivityWaiting)
	_, err = h.ex.DeleteRelease(ctx, id, &By{Actor: "alice"})
	require.ErrorIs(t, err, store.ErrNotFinished, "not while it runs")
	require.NoError(t, h.ex.Abort(ctx, id, &By{Actor: "alice", Reason: "wrong train"}))
	h.waitStatus(id, release.Aborted)
	d, err := h.ex.DeleteRelease(ctx, id, &By{Actor: "alice", Reason: "test data"})
	require.NoError(t, err)
	require.Empty(t, d.Archive, "no sink: deleted without an archive")
	_, err = h.ex.Create(ctx, &CreateParams{ID: id, Process: "manual", By: By{Actor: "alice"}})
	require.ErrorIs(t, err, store.ErrAlreadyExists)
	_, err = h.store.GetRelease(ctx, id)
	require.ErrorIs(t, err, store.ErrNotFound)
}
