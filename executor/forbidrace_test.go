package executor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/postgres"
	"github.com/batonhq/baton/store/sqlite"
)

// testStores returns a fresh store of each kind the executor's store
// tests run on: memstore, SQLite and, with BATON_POSTGRES_URL set,
// PostgreSQL (in a schema of its own, dropped at the end; skipped without
// it, or failed when BATON_REQUIRE_POSTGRES=1, as in CI).
func testStores() map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"memstore": func(*testing.T) store.Store { return memstore.New(nil) },
		"sqlite": func(t *testing.T) store.Store {
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "baton.db"), nil)
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(t *testing.T) store.Store {
			url := os.Getenv("BATON_POSTGRES_URL")
			if url == "" {
				if os.Getenv("BATON_REQUIRE_POSTGRES") == "1" {
					t.Fatal("BATON_REQUIRE_POSTGRES=1 but BATON_POSTGRES_URL is not set")
				}
				t.Skip("BATON_POSTGRES_URL not set")
			}
			ctx := context.Background()
			pool, err := pgxpool.New(ctx, url)
			require.NoError(t, err)
			var r [6]byte
			_, _ = rand.Read(r[:])
			schema := "baton_test_" + hex.EncodeToString(r[:])
			st, err := postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: schema})
			require.NoError(t, err)
			t.Cleanup(func() {
				st.Close()
				_, _ = pool.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
				pool.Close()
			})
			return st
		},
	}
}

// busyGate is a store whose ListReleases holds the query for the running
// releases of a group (the overlap check, groupBusy) once the clock has
// reached from: a skipper runs it, says so (saw), and waits for resume
// before answering; any other waits for resume before running it. So the
// test decides which executor sees the previous release still running and
// which sees it ended, and in which order they then write.
type busyGate struct {
	store.Store
	clk     *fakeClock
	from    time.Time
	skipper bool
	once    sync.Once
	saw     chan struct{} // closed when the skipper has its answer
	resume  chan struct{} // closed by the test
}

func (g *busyGate) Unwrap() store.Store { return g.Store }

func (g *busyGate) ListReleases(ctx context.Context, p *store.ListReleasesParams) (*store.ReleasePage, error) {
	if p.Group == "" || !slices.Contains(p.Statuses, release.Running) || g.clk.Now().Before(g.from) {
		return g.Store.ListReleases(ctx, p)
	}
	first := false
	g.once.Do(func() { first = true })
	if !first {
		return g.Store.ListReleases(ctx, p)
	}
	wait := func() error {
		select {
		case <-g.resume:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !g.skipper {
		if err := wait(); err != nil {
			return nil, err
		}
		return g.Store.ListReleases(ctx, p)
	}
	page, err := g.Store.ListReleases(ctx, p)
	close(g.saw)
	if err := wait(); err != nil {
		return nil, err
	}
	return page, err
}

// TestAForbidOccurrenceIsNeverBothSkippedAndMade races three executors
// for an occurrence of an OverlapForbid group while the previous release
// ends: one sees it still running and skips the occurrence, the two
// others see it ended and make the occurrence's release. Whichever writes
// first, the occurrence is either skipped (no release, no created record)
// or made (the skip refused, and the skipper records the release made).
func TestAForbidOccurrenceIsNeverBothSkippedAndMade(t *testing.T) {
	for name, open := range testStores() {
		t.Run(name, func(t *testing.T) {
			for _, skipFirst := range []bool{true, false} {
				order := "made-first"
				if skipFirst {
					order = "skip-first"
				}
				t.Run(order, func(t *testing.T) { testForbidRace(t, open(t), skipFirst) })
			}
		})
	}
}

func testForbidRace(t *testing.T, st store.Store, skipFirst bool) {
	ctx := context.Background()
	clk := newFakeClock(t0)
	wed := t0.Add(time.Hour)
	thu := wed.Add(24 * time.Hour)
	p, err := process.Parse([]byte(manualProcess))
	require.NoError(t, err)
	_, err = st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "test", Now: t0})
	require.NoError(t, err)
	g := weeklyGroup()
	g.Cadence, g.LeadTime, g.Overlap = "0 10 * * *", 0, release.OverlapForbid
	_, err = st.CreateGroup(ctx, g)
	require.NoError(t, err)

	skipResume, makeResume := make(chan struct{}), make(chan struct{})
	var exs []*Executor
	var gates []*busyGate
	for i, name := range []string{"skipper", "maker-1", "maker-2"} {
		gate := &busyGate{Store: st, clk: clk, from: thu, skipper: i == 0, saw: make(chan struct{}), resume: makeResume}
		if gate.skipper {
			gate.resume = skipResume
		}
		ex, err := New(gate, adapters.NewRegistry(), &Config{Clock: clk, Jitter: -1, InstanceID: name})
		require.NoError(t, err)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = ex.Run(rctx) }()
		t.Cleanup(func() { cancel(); <-done })
		exs, gates = append(exs, ex), append(gates, gate)
	}
	waitIdle := func() {
		t.Helper()
		require.True(t, waitFor(func() bool {
			for _, ex := range exs {
				if _, idle := ex.Idle(); !idle {
					return false
				}
			}
			return true
		}), "the executors are idle")
	}
	atOcc := func(occ time.Time) []release.Summary {
		page, err := st.ListReleases(ctx, &store.ListReleasesParams{Group: "weekly", ScheduledFrom: occ, ScheduledTo: occ.Add(time.Second)})
		require.NoError(t, err)
		return page.Releases
	}
	history := func() []release.GroupRecord {
		page, err := st.(store.GroupHistoryStore).ListGroupHistory(ctx, &store.ListGroupHistoryParams{Group: "weekly", Limit: store.MaxLimit})
		require.NoError(t, err)
		return page.Records
	}
	waitIdle()
	clk.Add(wed.Sub(clk.Now()))
	var first release.ID
	require.True(t, waitFor(func() bool {
		rs := atOcc(wed)
		if len(rs) == 1 && rs[0].Status == release.Running {
			first = rs[0].ID
		}
		return first != ""
	}), "the first release runs")
	waitIdle()

	clk.Add(thu.Sub(clk.Now()))
	select {
	case <-gates[0].saw:
	case <-time.After(10 * time.Second):
		t.Fatal("the skipper did not look at the running releases")
	}
	end := func() {
		require.NoError(t, exs[1].CompleteTask(ctx, first, "ship.check", "t", &By{Actor: "qa"}))
		require.True(t, waitFor(func() bool {
			s, err := st.GetReleaseSummary(ctx, first)
			return err == nil && s.Status == release.Succeeded
		}), "the first release ended")
	}
	if skipFirst {
		close(skipResume)
		require.True(t, waitFor(func() bool {
			return slices.ContainsFunc(history(), func(r release.GroupRecord) bool {
				return r.Occurrence.Equal(thu) && r.Decision == release.DecisionSkipped
			})
		}), "the skipper recorded the occurrence skipped")
		end()
		close(makeResume)
	} else {
		end()
		close(makeResume)
		require.True(t, waitFor(func() bool { return len(atOcc(thu)) == 1 }), "a maker made the occurrence's release")
		close(skipResume)
	}
	waitIdle()

	made := atOcc(thu)
	var skipped, created []release.GroupRecord
	for _, r := range history() {
		if !r.Occurrence.Equal(thu) {
			continue
		}
		switch r.Decision {
		case release.DecisionSkipped:
			skipped = append(skipped, r)
		case release.DecisionCreated, release.DecisionLate:
			created = append(created, r)
		}
	}
	t.Logf("releases %d, skipped %+v, created %+v", len(made), skipped, created)
	require.False(t, len(skipped) > 0 && (len(made) > 0 || len(created) > 0), "the occurrence is both skipped and made")
	if skipFirst {
		require.Empty(t, made, "the skip came first: no release")
		require.Len(t, skipped, 1)
	} else {
		require.Len(t, made, 1, "the release came first")
		require.Len(t, created, 1)
		require.Equal(t, made[0].ID, created[0].Release)
		require.True(t, waitFor(func() bool {
			s, err := st.GetReleaseSummary(ctx, made[0].ID)
			return err == nil && s.Status == release.Running
		}), "the release made is started")
	}
}

// claimHold is a store whose group history holds back a record that
// claims its occurrence until a release of that occurrence exists: the
// executor over it loses the race for the occurrence.
type claimHold struct {
	store.Store
	hist store.GroupHistoryStore
}

func (c *claimHold) Unwrap() store.Store { return c.Store }

func (c *claimHold) AppendGroupHistory(ctx context.Context, r *release.GroupRecord) error {
	if r.Claims() {
		waitFor(func() bool {
			page, err := c.Store.ListReleases(ctx, &store.ListReleasesParams{Group: r.Group, ScheduledFrom: r.Occurrence, ScheduledTo: r.Occurrence.Add(time.Second)})
			return err == nil && len(page.Releases) > 0
		})
	}
	return c.hist.AppendGroupHistory(ctx, r)
}

func (c *claimHold) ListGroupHistory(ctx context.Context, p *store.ListGroupHistoryParams) (*store.GroupHistoryPage, error) {
	return c.hist.ListGroupHistory(ctx, p)
}

// TestAFreezeSkipThatLosesToAReleaseMadeElsewhereRecordsTheRelease: one
// executor sees a freeze stored on it at once, another not until its next
// rescan, and makes the occurrence's release first. The skip is refused
// (the release holds the occurrence): the first executor records the
// release instead and goes on to the next occurrence, rather than trying
// the refused skip again.
func TestAFreezeSkipThatLosesToAReleaseMadeElsewhereRecordsTheRelease(t *testing.T) {
	mem := memstore.New(nil)
	ad := &recorder{kind: "noop"}
	h := newHarnessOn(t, &claimHold{Store: mem, hist: mem}, nil, ad)
	h.put(noopProcess)
	h.putGroup(weeklyGroup())
	cfg := h.cfg
	cfg.InstanceID, cfg.RescanInterval = "unaware", 30*24*time.Hour
	other, err := New(mem, h.reg, &cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := other.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	stopOther := func() { cancel(); <-done }
	t.Cleanup(stopOther)
	h.peers = append(h.peers, other)
	h.settle() // the other executor has read the freezes: none
	h.putFreeze(oneOff("monday", firstMonday.Add(-time.Hour), firstMonday.Add(time.Hour), release.FreezeScope{Groups: []release.GroupID{"weekly"}}))

	h.until(firstMonday.Add(-24 * time.Hour))
	rs := h.waitReleases("weekly", 1)
	require.True(t, rs[0].Occurrence.Equal(firstMonday))
	h.waitHistory("weekly", []decision{{firstMonday, release.DecisionCreated}})
	h.settle()
	h.peers = nil
	stopOther()

	// Alone now, the executor that lost makes the next occurrence.
	h.until(firstMonday.Add(week - 24*time.Hour))
	rs = h.waitReleases("weekly", 2)
	require.True(t, rs[1].Occurrence.Equal(firstMonday.Add(week)))
	for _, r := range h.records("weekly") {
		require.NotEqual(t, release.DecisionSkipped, r.Decision, "%+v", r)
	}
}
