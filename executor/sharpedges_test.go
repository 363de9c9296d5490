package executor

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/stretchr/testify/require"
)

// loggingStore is the everyday decorator: it embeds store.Store to wrap a
// few methods and, without Unwrap, hides memstore's leases.
type loggingStore struct {
	store.Store
	appends int
}

type unwrappingStore struct{ loggingStore }

func (u *unwrappingStore) Unwrap() store.Store { return u.Store }

type hidingStore struct{ loggingStore }

func (hidingStore) Unwrap() store.Store { return nil }

func TestAStoreWrapperThatHidesLeasesIsRefusedUnlessItSaysSo(t *testing.T) {
	_, err := New(&loggingStore{Store: memstore.New(nil)}, nil, nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	var hidden *store.HiddenCapabilityError
	require.ErrorAs(t, err, &hidden)
	require.Equal(t, "Store", hidden.Field)
	require.Equal(t, "store.Leaser", hidden.Capability)
	require.Contains(t, err.Error(), "*executor.loggingStore")

	ex, err := New(&unwrappingStore{loggingStore{Store: memstore.New(nil)}}, nil, nil)
	require.NoError(t, err)
	require.NotNil(t, ex.leaser, "Unwrap exposes the wrapped store's leases")

	ex, err = New(&hidingStore{loggingStore{Store: memstore.New(nil)}}, nil, nil)
	require.NoError(t, err)
	require.Nil(t, ex.leaser, "Unwrap returning nil hides them on purpose")
}

// A decorator that keeps the leases really takes them: while an
// activity runs, another instance cannot take the release.
func TestAnUnwrappingDecoratorKeepsLeasing(t *testing.T) {
	mem := memstore.New(nil)
	started, finish := make(chan struct{}), make(chan struct{})
	h := newHarnessOn(t, &unwrappingStore{loggingStore{Store: mem}}, nil,
		adapters.Func("slow", func(ctx context.Context, _ *adapters.Request) (*adapters.Result, error) {
			close(started)
			select {
			case <-finish:
			case <-ctx.Done():
			}
			return &adapters.Result{}, nil
		}))
	defer close(finish)
	h.put("id: hold\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: slow}\n")
	id := h.create("hold", nil)
	<-started
	_, err := mem.AcquireLease(context.Background(), &store.LeaseParams{Key: leaseKey(id), Owner: "other", Now: t0, TTL: time.Minute})
	require.ErrorIs(t, err, store.ErrConflict, "the executor holds the release's lease through the decorator")
}

func TestPutProcessStampsTheExecutorsClockAndAuthorizes(t *testing.T) {
	var seen []*Action
	h := newHarness(t, &Config{Authorize: func(_ context.Context, a *Action) error {
		seen = append(seen, a)
		if a.Actor == "mallory" {
			return errors.New("not a process author")
		}
		return nil
	}}, &recorder{kind: "noop"})
	p, err := process.Parse([]byte("id: stamped\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: noop}\n"))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = h.ex.PutProcess(ctx, &PutProcessParams{Process: p, By: By{Actor: "mallory"}})
	require.ErrorIs(t, err, ErrUnauthorized)
	_, err = h.store.GetProcess(ctx, "stamped", 0)
	require.ErrorIs(t, err, store.ErrNotFound, "a refused put stores nothing")

	got, err := h.ex.PutProcess(ctx, &PutProcessParams{Process: p, By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.Equal(t, 1, got.Version)
	page, err := h.store.ListProcessVersions(ctx, &store.ListProcessVersionsParams{ID: "stamped"})
	require.NoError(t, err)
	require.Len(t, page.Versions, 1)
	require.Equal(t, t0, page.Versions[0].CreatedAt.UTC(), "the executor's clock, never year 1")
	require.Equal(t, "alice", page.Versions[0].CreatedBy)
	require.Equal(t, ActionPutProcess, seen[len(seen)-1].Kind)

	_, err = h.ex.PutProcess(ctx, &PutProcessParams{Process: p})
	require.ErrorIs(t, err, ErrInvalid, "an actor is required")
	unknown, err := process.Parse([]byte("id: unknown\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: nowhere}\n"))
	require.NoError(t, err)
	_, err = h.ex.PutProcess(ctx, &PutProcessParams{Process: unknown, By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrInvalid, "an adapter this executor does not know")
}

// `backoff: 10s` is the least wait: jitter only adds.
func TestRetryBackoffIsTheLeastWait(t *testing.T) {
	ex, err := New(memstore.New(nil), nil, &Config{Jitter: 1})
	require.NoError(t, err)
	pol := &process.RetryPolicy{MaxAttempts: 3, Backoff: process.Duration(10 * time.Second)}
	for i := 0; i < 500; i++ {
		d := ex.backoff(pol, 1)
		require.GreaterOrEqual(t, d, 10*time.Second)
		require.LessOrEqual(t, d, 20*time.Second)
	}
}

const assignedDoc = `
id: assigned
phases:
  - id: p
    activities:
      - {id: sre, type: manual, tasks: [{id: t, assignees: ['group:sre']}]}
      - {id: named, type: manual, tasks: [{id: t, assignees: [qa1]}]}
      - {id: open, type: manual, tasks: [{id: t}]}
`

func TestTaskAssigneesAreEnforcedLikeApprovers(t *testing.T) {
	assigned := map[release.ActivityKey][]string{}
	h := newHarness(t, &Config{ResolveGroup: groups, Authorize: func(_ context.Context, a *Action) error {
		if a.Kind == ActionUpdateTask {
			assigned[a.Activity] = a.Assigned
		}
		return nil // the authorizer allows everything: the rule holds anyway
	}})
	h.put(assignedDoc)
	ctx := context.Background()
	id := h.create("assigned", nil)
	for _, k := range []release.ActivityKey{"p.sre", "p.named", "p.open"} {
		h.waitActivity(id, k, release.ActivityWaiting)
	}

	cases := []struct {
		name  string
		act   func() error
		allow bool
	}{
		{"a stranger completes a group task", func() error {
			return h.ex.CompleteTask(ctx, id, "p.sre", "t", &By{Actor: "mallory"})
		}, false},
		{"a stranger reassigns a group task to themselves", func() error {
			return h.ex.UpdateTask(ctx, id, "p.sre", &TaskParams{Task: "t", Assignees: []string{"mallory"}, By: By{Actor: "mallory"}})
		}, false},
		{"a stranger fails a named task", func() error {
			return h.ex.UpdateTask(ctx, id, "p.named", &TaskParams{Task: "t", Status: release.TaskFailed, By: By{Actor: "qa2"}})
		}, false},
		{"anyone completes an unassigned task", func() error {
			return h.ex.CompleteTask(ctx, id, "p.open", "t", &By{Actor: "mallory"})
		}, true},
		{"the named assignee works on the task", func() error {
			return h.ex.UpdateTask(ctx, id, "p.named", &TaskParams{Task: "t", Status: release.TaskInProgress, By: By{Actor: "qa1"}})
		}, true},
		{"a group member completes the group task", func() error {
			return h.ex.CompleteTask(ctx, id, "p.sre", "t", &By{Actor: "erin"})
		}, true},
	}
	for _, c := range cases {
		err := c.act()
		if c.allow {
			require.NoError(t, err, c.name)
			continue
		}
		require.ErrorIs(t, err, ErrForbidden, c.name)
		require.Contains(t, err.Error(), "not an assignee", c.name)
	}
	require.Equal(t, []string{"qa1"}, assigned["p.named"], "the authorizer is told who is assigned")
	require.Equal(t, []string{"dave", "erin"}, assigned["p.sre"], "groups resolved")
	require.Nil(t, assigned["p.open"])

	r := h.get(id)
	require.Equal(t, release.TaskInProgress, r.Activities["p.named"].Task("t").Status, "only the assignee's update counted (a refused FAILED would have failed it)")
	require.Equal(t, release.ActivitySucceeded, r.Activities["p.sre"].Status)
	require.Equal(t, []string{"group:sre"}, r.Activities["p.sre"].Task("t").Assignees, "the refused reassignment was not recorded")
}

// An unresolvable group assigns nobody: its task cannot be updated, and
// the error names the group.
func TestATaskOfAnUnresolvableGroupIsRefusedWithTheGroupsError(t *testing.T) {
	h := newHarness(t, nil) // no ResolveGroup
	h.put(assignedDoc)
	id := h.create("assigned", nil)
	h.waitActivity(id, "p.sre", release.ActivityWaiting)
	err := h.ex.CompleteTask(context.Background(), id, "p.sre", "t", &By{Actor: "erin"})
	require.ErrorIs(t, err, ErrForbidden)
	require.Contains(t, err.Error(), `group "sre" could not be resolved`)
}

func TestRefusedActionsAreLoggedWithTheReleaseAndActivity(t *testing.T) {
	var logs safeBuffer
	h := newHarness(t, &Config{ResolveGroup: groups, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Authorize: func(_ context.Context, a *Action) error {
			if a.Actor == "eve" {
				return errors.New("eve is suspended")
			}
			return nil
		}})
	h.put(assignedDoc)
	id := h.create("assigned", nil)
	h.waitActivity(id, "p.named", release.ActivityWaiting)
	require.Error(t, h.ex.CompleteTask(context.Background(), id, "p.named", "t", &By{Actor: "mallory"}))
	require.Error(t, h.ex.CompleteTask(context.Background(), id, "p.open", "t", &By{Actor: "eve"}))
	out := logs.String()
	require.Contains(t, out, "level=WARN msg=\"executor: action refused\" action=update-task actor=mallory")
	require.Contains(t, out, "release="+string(id)+" activity=p.named")
	require.Contains(t, out, "actor=eve")
	require.Contains(t, out, "eve is suspended")
}

// The default logger is slog.Default() at Warn and above.
func TestTheDefaultLoggerIsSlogDefaultAtWarn(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })

	ex, err := New(memstore.New(nil), nil, nil)
	require.NoError(t, err)
	ex.log.Info("routine")
	ex.log.With("release", "r1").Warn("lease lost")
	ex.log.Error("store down")
	out := buf.String()
	require.NotContains(t, out, "routine")
	require.Contains(t, out, `msg="lease lost" release=r1`)
	require.Contains(t, out, "store down")
	require.Equal(t, 2, strings.Count(out, "\n"))
}
