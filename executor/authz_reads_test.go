package executor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/stretchr/testify/require"
)

// aliceGate lets alice do everything and nobody else anything, and remembers
// what it was asked.
type aliceGate struct {
	mu   sync.Mutex
	seen []Action
}

var errNotAlice = errors.New("only alice")

func (g *aliceGate) authorize(_ context.Context, a *Action) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seen = append(g.seen, *a)
	if a.Actor != "alice" {
		return errNotAlice
	}
	return nil
}

// asked returns the actions asked since the last call.
func (g *aliceGate) asked() []Action {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.seen
	g.seen = nil
	return s
}

const authzDoc = `
id: web
inputs:
  version: {type: string, default: "1.0"}
phases:
  - id: p
    labels: {env: prod}
    activities:
      - {id: a, uses: noop, labels: {tier: db}}
`

// TestEveryReadAndDefinitionChangeGoesThroughTheAuthorizer calls each
// method that reads or changes something as mallory (refused: an error
// for a single object, nothing for a list, no effect for a change) and
// as alice, and checks what the authorizer was shown.
func TestEveryReadAndDefinitionChangeGoesThroughTheAuthorizer(t *testing.T) {
	g := &aliceGate{}
	h := newHarness(t, &Config{Authorize: g.authorize}, &recorder{kind: "noop"})
	ctx := context.Background()
	alice, mallory := &By{Actor: "alice"}, &By{Actor: "mallory"}
	_, err := h.ex.PutProcess(ctx, &PutProcessParams{By: *alice, Process: mustDecode(t, authzDoc)})
	require.NoError(t, err)
	sum, err := h.ex.Create(ctx, &CreateParams{By: *alice, Process: "web", Labels: map[string]string{"team": "web"}})
	require.NoError(t, err)
	h.waitStatus(sum.ID, release.Succeeded)
	_, err = h.ex.PutGroup(ctx, &PutGroupParams{By: *alice, Group: &release.Group{ID: "train", Name: "Train", Process: "web",
		Cadence: "weekly on mon at 09:00", Timezone: "UTC", ReleaseDuration: process.Duration(time.Hour), Labels: map[string]string{"team": "web"}}})
	require.NoError(t, err)
	require.NoError(t, h.ex.PutInputSet(ctx, &PutInputSetParams{By: *alice, InputSet: &process.InputSet{ID: "v2", Process: "web", Values: map[string]any{"version": "2.0"}}}))
	_, err = h.ex.PutFreeze(ctx, &PutFreezeParams{By: *alice, Freeze: &release.Freeze{ID: "xmas", Enabled: true,
		Windows: []release.FreezeWindow{{Start: t0, End: t0.Add(time.Hour)}}, Scope: release.FreezeScope{Labels: map[string]string{"env": "prod"}}}})
	require.NoError(t, err)
	g.asked()

	type want struct {
		kind     ActionKind
		resource Resource
		check    func(t *testing.T, a Action)
	}
	single := []struct {
		name string
		call func(by *By) error
		want want
	}{
		{"Get", func(by *By) error { _, err := h.ex.Get(ctx, sum.ID, by); return err },
			want{ActionView, ResourceRelease, func(t *testing.T, a Action) {
				require.Equal(t, sum.ID, a.Release)
				require.Equal(t, process.ID("web"), a.Process)
				require.Equal(t, "web", a.Labels["team"])
			}}},
		{"Events", func(by *By) error {
			for _, err := range h.ex.Events(ctx, sum.ID, by) {
				if err != nil {
					return err
				}
			}
			return nil
		}, want{ActionView, ResourceRelease, nil}},
		{"Verify", func(by *By) error { _, err := h.ex.Verify(ctx, sum.ID, by); return err }, want{ActionView, ResourceRelease, nil}},
		{"Wait", func(by *By) error { _, err := h.ex.Wait(ctx, sum.ID, by); return err }, want{ActionView, ResourceRelease, nil}},
		{"Why", func(by *By) error { _, err := h.ex.Why(ctx, sum.ID, "p.a", by); return err },
			want{ActionView, ResourceActivity, func(t *testing.T, a Action) {
				require.Equal(t, release.ActivityKey("p.a"), a.Activity)
				require.Equal(t, map[string]string{"env": "prod", "tier": "db"}, a.ActivityLabels)
			}}},
		{"Plan", func(by *By) error { _, err := h.ex.Plan(ctx, sum.ID, by); return err }, want{ActionView, ResourceRelease, nil}},
		{"GetGroup", func(by *By) error { _, err := h.ex.GetGroup(ctx, "train", by); return err },
			want{ActionView, ResourceGroup, func(t *testing.T, a Action) {
				require.Equal(t, release.GroupID("train"), a.Group)
				require.Equal(t, process.ID("web"), a.Process)
				require.Equal(t, "web", a.Labels["team"])
			}}},
		{"GroupHistory", func(by *By) error {
			_, err := h.ex.GroupHistory(ctx, &GroupHistoryParams{By: *by, ListGroupHistoryParams: store.ListGroupHistoryParams{Group: "train"}})
			return err
		}, want{ActionView, ResourceGroup, nil}},
		{"GetProcess", func(by *By) error { _, err := h.ex.GetProcess(ctx, "web", 0, by); return err },
			want{ActionView, ResourceProcess, func(t *testing.T, a Action) { require.Equal(t, 1, a.ProcessVersion) }}},
		{"ListProcessVersions", func(by *By) error {
			_, err := h.ex.ListProcessVersions(ctx, &ListProcessVersionsParams{By: *by, ListProcessVersionsParams: store.ListProcessVersionsParams{ID: "web"}})
			return err
		}, want{ActionView, ResourceProcess, nil}},
		{"GetInputSet", func(by *By) error { _, err := h.ex.GetInputSet(ctx, "v2", by); return err },
			want{ActionView, ResourceInputSet, func(t *testing.T, a Action) {
				require.Equal(t, "v2", a.InputSet)
				require.Equal(t, process.ID("web"), a.Process)
			}}},
		{"GetFreeze", func(by *By) error { _, err := h.ex.GetFreeze(ctx, "xmas", by); return err },
			want{ActionView, ResourceFreeze, func(t *testing.T, a Action) { require.Equal(t, release.FreezeID("xmas"), a.Freeze) }}},
	}
	for _, c := range single {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(mallory)
			require.ErrorIs(t, err, ErrUnauthorized)
			require.ErrorIs(t, err, errNotAlice)
			require.NoError(t, c.call(alice))
			seen := g.asked()
			require.NotEmpty(t, seen)
			last := seen[len(seen)-1]
			require.Equal(t, "alice", last.Actor)
			require.Equal(t, c.want.kind, last.Kind)
			require.Equal(t, VerbView, last.Verb)
			require.Equal(t, c.want.resource, last.Resource)
			if c.want.check != nil {
				c.want.check(t, last)
			}
		})
	}

	// Lists leave out what the reader may not see, and say nothing else.
	lists := []struct {
		name string
		n    func(by *By) (int, error)
	}{
		{"List", func(by *By) (int, error) {
			p, err := h.ex.List(ctx, &ListParams{By: *by})
			return lenOr(p, func(p *store.ReleasePage) int { return len(p.Releases) }), err
		}},
		{"ListGroups", func(by *By) (int, error) {
			p, err := h.ex.ListGroups(ctx, &ListGroupsParams{By: *by})
			return lenOr(p, func(p *store.GroupPage) int { return len(p.Groups) }), err
		}},
		{"ListProcesses", func(by *By) (int, error) {
			p, err := h.ex.ListProcesses(ctx, &ListProcessesParams{By: *by})
			return lenOr(p, func(p *store.ProcessPage) int { return len(p.Processes) }), err
		}},
		{"ListInputSets", func(by *By) (int, error) {
			p, err := h.ex.ListInputSets(ctx, &ListInputSetsParams{By: *by})
			return lenOr(p, func(p *store.InputSetPage) int { return len(p.InputSets) }), err
		}},
		{"ListFreezes", func(by *By) (int, error) {
			p, err := h.ex.ListFreezes(ctx, &ListFreezesParams{By: *by})
			return lenOr(p, func(p *store.FreezePage) int { return len(p.Freezes) }), err
		}},
		{"FreezeWindows", func(by *By) (int, error) {
			ws, err := h.ex.FreezeWindows(ctx, &FreezeWindowsParams{By: *by, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
			return len(ws), err
		}},
		{"Calendar", func(by *By) (int, error) {
			c, err := h.ex.Calendar(ctx, &CalendarParams{By: *by, From: t0.Add(-time.Hour), To: t0.Add(14 * 24 * time.Hour)})
			if err != nil {
				return 0, err
			}
			return len(c.Releases) + len(c.Freezes) + len(c.Planned), nil
		}},
	}
	for _, c := range lists {
		t.Run(c.name, func(t *testing.T) {
			n, err := c.n(mallory)
			require.NoError(t, err)
			require.Zero(t, n, "mallory sees nothing")
			n, err = c.n(alice)
			require.NoError(t, err)
			require.NotZero(t, n, "alice sees them")
			for _, a := range g.asked() {
				require.Equal(t, VerbView, a.Verb, "%+v", a)
				require.NotEmpty(t, a.Resource, "%+v", a)
			}
		})
	}

	// Changes: refused for mallory with nothing changed, then done by alice.
	changes := []struct {
		name  string
		call  func(by *By) error
		kind  ActionKind
		verb  Verb
		after func(t *testing.T)
	}{
		{"PutInputSet", func(by *By) error {
			return h.ex.PutInputSet(ctx, &PutInputSetParams{By: *by, InputSet: &process.InputSet{ID: "v2", Process: "web", Values: map[string]any{"version": "3.0"}}})
		}, ActionPutInputSet, VerbEdit, func(t *testing.T) {
			s, err := h.store.GetInputSet(ctx, "v2")
			require.NoError(t, err)
			require.Equal(t, "3.0", s.Values["version"])
		}},
		{"DeleteInputSet", func(by *By) error { return h.ex.DeleteInputSet(ctx, "v2", by) }, ActionDeleteInputSet, VerbDelete, func(t *testing.T) {
			_, err := h.store.GetInputSet(ctx, "v2")
			require.ErrorIs(t, err, store.ErrNotFound)
		}},
		{"PauseGroup", func(by *By) error { return h.ex.PauseGroup(ctx, "train", by) }, ActionPauseGroup, VerbExecute, nil},
		{"DeleteGroup", func(by *By) error { return h.ex.DeleteGroup(ctx, "train", by) }, ActionDeleteGroup, VerbDelete, func(t *testing.T) {
			_, err := h.store.GetGroup(ctx, "train")
			require.ErrorIs(t, err, store.ErrNotFound)
		}},
		{"DeleteFreeze", func(by *By) error { return h.ex.DeleteFreeze(ctx, "xmas", by) }, ActionDeleteFreeze, VerbDelete, nil},
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			require.ErrorIs(t, c.call(mallory), ErrUnauthorized)
			require.NoError(t, c.call(alice))
			seen := g.asked()
			last := seen[len(seen)-1]
			require.Equal(t, c.kind, last.Kind)
			require.Equal(t, c.verb, last.Verb)
			if c.after != nil {
				c.after(t)
			}
		})
	}
}

func lenOr[P any](p *P, n func(*P) int) int {
	if p == nil {
		return 0
	}
	return n(p)
}

// TestReplacingADefinitionIsJudgedOnWhatItIs: a right over team=a's groups
// cannot take team=b's group by relabelling it in the new version.
func TestReplacingADefinitionIsJudgedOnWhatItIs(t *testing.T) {
	onlyTeamA := func(_ context.Context, a *Action) error {
		if a.Actor == "alice" || a.Labels["team"] == "a" {
			return nil
		}
		return errNotAlice
	}
	h := newHarness(t, &Config{Authorize: onlyTeamA}, &recorder{kind: "noop"})
	ctx := context.Background()
	_, err := h.ex.PutProcess(ctx, &PutProcessParams{By: By{Actor: "alice"}, Process: mustDecode(t, authzDoc)})
	require.NoError(t, err)
	grp := func(team string, rev int64) *release.Group {
		return &release.Group{ID: "train", Name: "Train", Process: "web", Cadence: "weekly on mon at 09:00", Timezone: "UTC",
			ReleaseDuration: process.Duration(time.Hour), Labels: map[string]string{"team": team}, Revision: rev}
	}
	stored, err := h.ex.PutGroup(ctx, &PutGroupParams{By: By{Actor: "alice"}, Group: grp("b", 0)})
	require.NoError(t, err)
	_, err = h.ex.PutGroup(ctx, &PutGroupParams{By: By{Actor: "bob"}, Group: grp("a", stored.Revision)})
	require.ErrorIs(t, err, ErrUnauthorized)
	got, err := h.store.GetGroup(ctx, "train")
	require.NoError(t, err)
	require.Equal(t, "b", got.Labels["team"], "the group is still team b's")
}

func mustDecode(t *testing.T, doc string) *process.Process {
	t.Helper()
	p, err := process.Parse([]byte(doc))
	require.NoError(t, err)
	return p
}

// TestASubscriptionShowsOnlyReleasesItsReaderMayView: the live feed asks
// the authorizer once per release and delivers nothing of a refused one.
func TestASubscriptionShowsOnlyReleasesItsReaderMayView(t *testing.T) {
	g := &aliceGate{}
	h := newHarness(t, &Config{Authorize: g.authorize}, &recorder{kind: "noop"})
	ctx := t.Context()
	_, err := h.ex.PutProcess(ctx, &PutProcessParams{By: By{Actor: "alice"}, Process: mustDecode(t, authzDoc)})
	require.NoError(t, err)
	ends := Filter{Kinds: []release.EventKind{KindReleaseEnded}}
	ma := h.ex.Subscribe(ctx, &SubscribeParams{By: By{Actor: "mallory"}, Filter: Filter{}, Buffer: 64})
	defer ma.Close()
	al := h.ex.Subscribe(ctx, &SubscribeParams{By: By{Actor: "alice"}, Filter: ends, Buffer: 64})
	defer al.Close()
	sum, err := h.ex.Create(ctx, &CreateParams{By: By{Actor: "alice"}, Process: "web"})
	require.NoError(t, err)
	select {
	case n := <-al.C():
		require.Equal(t, sum.ID, n.Event.Release)
	case <-time.After(10 * time.Second):
		t.Fatal("alice's subscription saw no end")
	}
	select {
	case n := <-ma.C():
		t.Fatalf("mallory saw %s", n.Event.Kind)
	default:
	}
	views := 0
	for _, a := range g.asked() {
		if a.Kind == ActionView && a.Actor == "mallory" {
			views++
			require.Equal(t, sum.ID, a.Release)
		}
	}
	require.Equal(t, 1, views, "asked once for the release, not once per event")
}
