package chaos_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// The environment of a replica process (see TestMain).
const (
	replicaEnv = "BATON_CHAOS_REPLICA" // the replica's InstanceID
	schemaEnv  = "BATON_CHAOS_SCHEMA"
	urlEnv     = "BATON_POSTGRES_URL"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(replicaEnv); name != "" {
		if err := replicaMain(name, os.Getenv(urlEnv), os.Getenv(schemaEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "chaos replica", name+":", err)
			os.Exit(2)
		}
		return
	}
	os.Exit(m.Run())
}

// Leases are short so that a killed replica's releases are taken over
// within seconds.
const (
	leaseDuration  = 2 * time.Second
	rescanInterval = time.Second
)

// replicaMain is one executor process: it drives releases until it is
// killed, and gives the approvals the test assigned to it.
func replicaMain(name, url, schema string) error {
	ctx := context.Background()
	st, err := postgres.New(ctx, url, &postgres.Options{Schema: schema, NoMigrate: true})
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	q := func(s string) string { return strings.ReplaceAll(s, "_s.", pgx.Identifier{schema}.Sanitize()+".") }
	work := adapters.Func("work", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		// The side effect, first: a kill from here on re-delivers this key.
		_, err := pool.Exec(ctx, q(`INSERT INTO _s.ledger (key, release_id, activity, attempt, replica) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (key) DO UPDATE SET deliveries = _s.ledger.deliveries + 1`),
			req.IdempotencyKey, string(req.Release), string(req.Activity), req.Attempt, name)
		if err != nil {
			return nil, err
		}
		select {
		case <-time.After(time.Duration(mrand.IntN(150)) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if req.Attempt <= intOf(req.With["fails"]) {
			return nil, errors.New("scripted failure")
		}
		return &adapters.Result{Outputs: map[string]any{"v": req.IdempotencyKey}}, nil
	})
	noop := adapters.Func("noop", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{}, nil
	})
	ex, err := executor.New(st, adapters.NewRegistry(work, noop), &executor.Config{
		InstanceID: name, LeaseDuration: leaseDuration, RescanInterval: rescanInterval,
		PollInterval: 500 * time.Millisecond, StoreRetry: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		return err
	}
	go giveApprovals(ctx, name, ex, st, pool, q)
	return ex.Run(ctx)
}

// giveApprovals approves, through this replica, the approval activities
// the test assigned to it, once they wait.
func giveApprovals(ctx context.Context, name string, ex *executor.Executor, st store.Store, pool *pgxpool.Pool, q func(string) string) {
	for {
		time.Sleep(100 * time.Millisecond)
		rows, err := pool.Query(ctx, q(`SELECT id, release_id, activity FROM _s.actions WHERE replica = $1 AND NOT done`), name)
		if err != nil {
			continue
		}
		type action struct {
			id  int64
			rel release.ID
			act release.ActivityKey
		}
		var todo []action
		for rows.Next() {
			var a action
			if rows.Scan(&a.id, &a.rel, &a.act) == nil {
				todo = append(todo, a)
			}
		}
		rows.Close()
		for _, a := range todo {
			err := ex.Approve(ctx, a.rel, a.act, &executor.DecisionParams{By: executor.By{Actor: "bob"}})
			if err != nil {
				// Done anyway when the approval no longer waits (approved
				// before a kill, or the release ended); else try again.
				r, gerr := st.GetRelease(ctx, a.rel)
				if gerr != nil {
					continue
				}
				s := r.Activities[a.act]
				if !r.Status.Terminal() && (s == nil || s.Status == release.ActivityPending || s.Status == release.ActivityWaiting) {
					continue
				}
			}
			_, _ = pool.Exec(ctx, q(`UPDATE _s.actions SET done = true, given_by = $2 WHERE id = $1`), a.id, name)
		}
	}
}

func intOf(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}

// script is a release the test makes and the outcome it implies.
type script struct {
	doc      string
	approval []release.ActivityKey
	want     release.Status
}

// randomScript makes a process of one to three phases of one to four
// activities with random dependencies: automated activities that fail
// some attempts (five failures exhaust the three attempts: the release
// fails), approvals, and subprocesses of a child that succeeds or fails.
func randomScript(rng *mrand.Rand, id string) script {
	var b strings.Builder
	sc := script{want: release.Succeeded}
	fmt.Fprintf(&b, "id: %s\nphases:\n", id)
	phases := 1 + rng.IntN(3)
	for p := range phases {
		fmt.Fprintf(&b, "  - id: p%d\n", p)
		if p > 0 && rng.IntN(2) == 0 {
			fmt.Fprintf(&b, "    depends-on: [p%d]\n", p-1)
		}
		b.WriteString("    activities:\n")
		n := 1 + rng.IntN(4)
		for a := range n {
			deps := ""
			if a > 0 && rng.IntN(2) == 0 {
				deps = fmt.Sprintf(", depends-on: [a%d]", rng.IntN(a))
			}
			switch k := rng.IntN(20); {
			case k < 3:
				fmt.Fprintf(&b, "      - {id: a%d, type: approval, approval: {approvers: [bob], min: 1}%s}\n", a, deps)
				sc.approval = append(sc.approval, release.Key(process.PhaseID(fmt.Sprintf("p%d", p)), process.ActivityID(fmt.Sprintf("a%d", a))))
			case k < 6:
				child := "child-ok"
				if rng.IntN(4) == 0 {
					child = "child-bad"
					sc.want = release.Failed
				}
				fmt.Fprintf(&b, "      - {id: a%d, type: subprocess, process: %s, on-failure: fail%s}\n", a, child, deps)
			default:
				fails := []int{0, 0, 0, 1, 1, 2, 5}[rng.IntN(7)]
				if fails >= 3 {
					sc.want = release.Failed
				}
				fmt.Fprintf(&b, "      - {id: a%d, uses: work, with: {fails: %d}, on-failure: fail, retry: {max-attempts: 3, backoff: 100ms, max-backoff: 200ms}%s}\n", a, fails, deps)
			}
		}
	}
	sc.doc = b.String()
	return sc
}

const (
	childOK = `
id: child-ok
phases:
  - id: c
    activities:
      - {id: x, uses: work, with: {fails: 1}, retry: {max-attempts: 3, backoff: 100ms}, on-failure: fail}
      - {id: y, uses: work, with: {fails: 0}, depends-on: [x], on-failure: fail}
`
	childBad = `
id: child-bad
phases:
  - id: c
    activities:
      - {id: x, uses: work, with: {fails: 9}, retry: {max-attempts: 2, backoff: 100ms}, on-failure: fail}
`
)

// replicaProc is one replica process, restarted after every kill.
type replicaProc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func startReplica(t *testing.T, name, url, schema string) *replicaProc {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replicaEnv+"="+name, schemaEnv+"="+schema, urlEnv+"="+url)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	rp := &replicaProc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(rp.done) }()
	return rp
}

func (rp *replicaProc) kill() {
	_ = rp.cmd.Process.Signal(syscall.SIGKILL)
	<-rp.done
}

func TestReplicasSurviveSIGKILL(t *testing.T) {
	url := os.Getenv(urlEnv)
	if url == "" {
		if os.Getenv("BATON_REQUIRE_POSTGRES") == "1" {
			t.Fatal("BATON_REQUIRE_POSTGRES=1 but BATON_POSTGRES_URL is not set")
		}
		t.Skip("BATON_POSTGRES_URL is not set: the chaos test needs a PostgreSQL server " +
			"(see \"Running the PostgreSQL tests locally\" in README.md)")
	}
	n := 40
	if v := os.Getenv("BATON_CHAOS_RELEASES"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err, "BATON_CHAOS_RELEASES")
	}
	ctx := context.Background()
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "baton_chaos_" + hex.EncodeToString(rb[:])
	st, err := postgres.New(ctx, url, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	// Cleanups run last first: the schema is dropped, then the pool
	// closed. (A deferred Close ran before the cleanup, whose DROP then
	// failed unseen and left the schema behind.)
	t.Cleanup(pool.Close)
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
		require.NoError(t, err, "dropping the test's schema")
	})
	q := func(s string) string { return strings.ReplaceAll(s, "_s.", schema+".") }
	_, err = pool.Exec(ctx, q(`CREATE TABLE _s.ledger (key text PRIMARY KEY, release_id text NOT NULL, activity text NOT NULL,
		attempt int NOT NULL, replica text NOT NULL, deliveries int NOT NULL DEFAULT 1)`))
	require.NoError(t, err)
	_, err = pool.Exec(ctx, q(`CREATE TABLE _s.actions (id bigserial PRIMARY KEY, release_id text NOT NULL, activity text NOT NULL,
		replica text NOT NULL, done bool NOT NULL DEFAULT false, given_by text)`))
	require.NoError(t, err)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d releases, schema %s", seed, n, schema)
	rng := mrand.New(mrand.NewPCG(seed, 14))
	put := func(doc string) {
		p, err := process.Parse([]byte(doc))
		require.NoError(t, err, doc)
		_, err = st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "test", Now: time.Now()})
		require.NoError(t, err)
	}
	put(childOK)
	put(childBad)
	scripts := make([]script, n)
	for i := range scripts {
		scripts[i] = randomScript(rng, fmt.Sprintf("p%d", i))
		put(scripts[i].doc)
	}

	// Three replicas, and a killer.
	names := []string{"replica-0", "replica-1", "replica-2"}
	var mu sync.Mutex
	reps := make([]*replicaProc, len(names))
	for i, name := range names {
		reps[i] = startReplica(t, name, url, schema)
	}
	stopKiller := make(chan struct{})
	killerDone := make(chan struct{})
	kills := 0
	krng := mrand.New(mrand.NewPCG(seed, 15)) // the killer's own: rng is the main goroutine's
	go func() {
		defer close(killerDone)
		for {
			select {
			case <-stopKiller:
				return
			case <-time.After(time.Duration(2000+krng.IntN(2000)) * time.Millisecond):
			}
			i := krng.IntN(len(reps))
			mu.Lock()
			reps[i].kill()
			kills++
			mu.Unlock()
			time.Sleep(300 * time.Millisecond)
			mu.Lock()
			reps[i] = startReplica(t, names[i], url, schema)
			mu.Unlock()
		}
	}()
	defer func() {
		select {
		case <-stopKiller:
		default:
			close(stopKiller)
		}
		<-killerDone
		mu.Lock()
		for _, rp := range reps {
			rp.kill()
		}
		mu.Unlock()
	}()

	// The releases, created by an executor that does not run (as an API
	// server would), a few at a time; approvals go to a random replica.
	api, err := executor.New(st, adapters.NewRegistry(adapters.Func("work", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		panic("the API executor runs nothing")
	})), &executor.Config{InstanceID: "api"})
	require.NoError(t, err)
	start := time.Now()
	ids := make([]release.ID, n)
	for i, sc := range scripts {
		sum, err := api.Create(ctx, &executor.CreateParams{Process: process.ID(fmt.Sprintf("p%d", i)), By: executor.By{Actor: "alice"}})
		require.NoError(t, err)
		ids[i] = sum.ID
		for _, k := range sc.approval {
			_, err := pool.Exec(ctx, q(`INSERT INTO _s.actions (release_id, activity, replica) VALUES ($1, $2, $3)`),
				string(sum.ID), string(k), names[rng.IntN(len(names))])
			require.NoError(t, err)
		}
		time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
	}

	// Wait for every release to end. The bound only keeps a stuck run
	// from hanging the test.
	limit := 3*time.Minute + time.Duration(n)*time.Second
	var open []release.ID
	for time.Since(start) < limit {
		open = open[:0]
		for _, id := range ids {
			s, err := st.GetReleaseSummary(ctx, id)
			require.NoError(t, err)
			if !s.Status.Terminal() {
				open = append(open, id)
			}
		}
		if len(open) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	elapsed := time.Since(start)
	close(stopKiller)
	<-killerDone
	mu.Lock()
	for _, rp := range reps {
		rp.kill()
	}
	mu.Unlock()
	require.Emptyf(t, open, "releases not finished after %v", limit)
	t.Logf("%d releases finished in %v with %d replicas killed", n, elapsed.Round(time.Millisecond), kills)

	// Every release reached the outcome its script implies.
	for i, id := range ids {
		s, err := st.GetReleaseSummary(ctx, id)
		require.NoError(t, err)
		require.Equalf(t, scripts[i].want, s.Status, "release %s of\n%s", id, scripts[i].doc)
	}

	// Every release, children included: its chain verifies, it ended, and
	// the keys of its attempts.
	keys := map[string]bool{}      // every attempt's key
	succeeded := map[string]bool{} // the keys of attempts that succeeded
	var all []release.ID
	lp := &store.ListReleasesParams{Limit: store.MaxLimit}
	for {
		page, err := st.ListReleases(ctx, lp)
		require.NoError(t, err)
		for _, s := range page.Releases {
			all = append(all, s.ID)
		}
		if page.Next == "" {
			break
		}
		lp.Cursor = page.Next
	}
	require.GreaterOrEqual(t, len(all), n)
	for _, id := range all {
		var events []release.Event
		for after := int64(0); ; {
			evs, err := st.ListEvents(ctx, &store.ListEventsParams{Release: id, AfterSeq: after, Limit: store.MaxLimit})
			require.NoError(t, err)
			if len(evs) == 0 {
				break
			}
			events = append(events, evs...)
			after = evs[len(evs)-1].Seq
		}
		require.NoErrorf(t, release.VerifyChain(events), "release %s: chain", id)
		r, err := st.GetRelease(ctx, id)
		require.NoError(t, err)
		require.Truef(t, r.Status.Terminal(), "release %s (a child?) is %s: stuck", id, r.Status)
		for _, a := range r.Activities {
			for _, at := range a.Attempts {
				if at.IdempotencyKey != "" {
					keys[at.IdempotencyKey] = true
				}
			}
		}
		for _, ph := range r.Process.Phases {
			for _, act := range ph.Activities {
				a := r.Activities[release.Key(ph.ID, act.ID)]
				if act.Uses == "work" && a.Status == release.ActivitySucceeded {
					succeeded[a.Attempts[len(a.Attempts)-1].IdempotencyKey] = true
				}
			}
		}
	}

	// The ledger: a side effect only for a recorded attempt, one key per
	// (activity, attempt), and every succeeded automated attempt's effect
	// exactly once (re-deliveries to its key counted apart).
	rows, err := pool.Query(ctx, q(`SELECT key, release_id, activity, attempt, deliveries FROM _s.ledger`))
	require.NoError(t, err)
	type entry struct {
		rel, act   string
		attempt, n int
	}
	ledger := map[string]entry{}
	perAttempt := map[string]int{}
	redelivered := 0
	for rows.Next() {
		var key string
		var e entry
		require.NoError(t, rows.Scan(&key, &e.rel, &e.act, &e.attempt, &e.n))
		ledger[key] = e
		perAttempt[e.rel+"/"+e.act+"/"+strconv.Itoa(e.attempt)]++
		if e.n > 1 {
			redelivered++
		}
	}
	require.NoError(t, rows.Err())
	for key, e := range ledger {
		require.Truef(t, keys[key], "a side effect under key %s (release %s, %s, attempt %d) that no recorded attempt has", key, e.rel, e.act, e.attempt)
	}
	for a, c := range perAttempt {
		require.Equalf(t, 1, c, "attempt %s has side effects under %d keys", a, c)
	}
	for key := range succeeded {
		require.Containsf(t, ledger, key, "succeeded automated attempt %s has no side effect", key)
	}
	t.Logf("%d releases (children included), %d side effects, %d succeeded automated attempts, %d keys re-delivered after a kill",
		len(all), len(ledger), len(succeeded), redelivered)
}
