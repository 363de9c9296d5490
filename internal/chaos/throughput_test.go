package chaos_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// TestThroughputOfReplicas measures 1, 2 and 4 executor processes on one
// database draining the same backlog: releases of a chain of 10 no-op
// activities, created beforehand by an executor that does not run. It
// reports the total activity rate and the latency of one activity (from
// its activity.started to its activity.succeeded, both stored). It runs
// only with BATON_THROUGHPUT set (the number of releases, 1000 for the
// issue's shape), as it measures rather than checks:
//
//	BATON_POSTGRES_URL=postgres://... BATON_THROUGHPUT=1000 go test -run TestThroughputOfReplicas -v ./internal/chaos/
func TestThroughputOfReplicas(t *testing.T) {
	nv := os.Getenv("BATON_THROUGHPUT")
	if nv == "" {
		t.Skip("BATON_THROUGHPUT is not set: the throughput measurement runs only when asked (BATON_THROUGHPUT=1000)")
	}
	url := os.Getenv(urlEnv)
	if url == "" {
		t.Skip("BATON_POSTGRES_URL is not set: the throughput measurement needs a PostgreSQL server")
	}
	n, err := strconv.Atoi(nv)
	require.NoError(t, err, "BATON_THROUGHPUT")
	for _, procs := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("processes=%d", procs), func(t *testing.T) { measureReplicas(t, url, n, procs) })
	}
}

const tenNoops = `
id: ten
phases:
  - id: p
    activities:
      - {id: a0, uses: noop}
      - {id: a1, uses: noop, depends-on: [a0]}
      - {id: a2, uses: noop, depends-on: [a1]}
      - {id: a3, uses: noop, depends-on: [a2]}
      - {id: a4, uses: noop, depends-on: [a3]}
      - {id: a5, uses: noop, depends-on: [a4]}
      - {id: a6, uses: noop, depends-on: [a5]}
      - {id: a7, uses: noop, depends-on: [a6]}
      - {id: a8, uses: noop, depends-on: [a7]}
      - {id: a9, uses: noop, depends-on: [a8]}
`

func measureReplicas(t *testing.T, url string, n, procs int) {
	ctx := context.Background()
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "baton_tput_" + hex.EncodeToString(rb[:])
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
	// giveApprovals polls this table.
	_, err = pool.Exec(ctx, q(`CREATE TABLE _s.actions (id bigserial PRIMARY KEY, release_id text NOT NULL, activity text NOT NULL,
		replica text NOT NULL, done bool NOT NULL DEFAULT false, given_by text)`))
	require.NoError(t, err)
	p, err := process.Parse([]byte(tenNoops))
	require.NoError(t, err)
	_, err = st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "test", Now: time.Now()})
	require.NoError(t, err)
	api, err := executor.New(st, adapters.NewRegistry(adapters.Func("noop", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		panic("the API executor runs nothing")
	})), &executor.Config{InstanceID: "api"})
	require.NoError(t, err)
	ids := make([]release.ID, n)
	for i := range ids {
		sum, err := api.Create(ctx, &executor.CreateParams{Process: "ten", By: executor.By{Actor: "alice"}})
		require.NoError(t, err)
		ids[i] = sum.ID
	}

	xid0 := nextXID(t, pool)
	start := time.Now()
	reps := make([]*replicaProc, procs)
	for i := range reps {
		reps[i] = startReplica(t, fmt.Sprintf("replica-%d", i), url, schema)
	}
	defer func() {
		for _, rp := range reps {
			rp.kill()
		}
	}()
	limit := 10 * time.Minute
	for {
		var open int
		require.NoError(t, pool.QueryRow(ctx, q(`SELECT count(*) FROM _s.releases WHERE status <> $1`), string(release.Succeeded)).Scan(&open))
		if open == 0 {
			break
		}
		require.Less(t, time.Since(start), limit, "%d releases still open", open)
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	writes := nextXID(t, pool) - xid0
	for _, rp := range reps {
		rp.kill()
	}
	// The baseline, in the same run: single-row INSERT transactions from
	// as many connections as the replicas' pools hold (4 each).
	raw := rawCommitRate(t, url, schema, 4*procs, 2000)

	var lat []time.Duration
	var first, last time.Time
	for _, id := range ids {
		evs, err := st.ListEvents(ctx, &store.ListEventsParams{Release: id, Limit: store.MaxLimit})
		require.NoError(t, err)
		started := map[string]time.Time{}
		for _, e := range evs {
			var pl struct {
				Activity string `json:"activity"`
			}
			switch e.Kind {
			case release.KindActivityStarted:
				require.NoError(t, jsonUnmarshal(e.Payload, &pl))
				started[pl.Activity] = e.Time
			case release.KindActivitySucceeded:
				require.NoError(t, jsonUnmarshal(e.Payload, &pl))
				if pl.Activity != "p.a0" { // a0 was started at creation, before the replicas
					lat = append(lat, e.Time.Sub(started[pl.Activity]))
				}
				if first.IsZero() || e.Time.Before(first) {
					first = e.Time
				}
				if e.Time.After(last) {
					last = e.Time
				}
			}
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	acts := 10 * n
	t.Logf("processes=%d releases=%d activities=%d: drained in %v (from replica start), %.0f activities/s; "+
		"%.0f activities/s between the first and last activity.succeeded; activity started->succeeded p50 %v p90 %v p99 %v; "+
		"server: %d write transactions (%.2f per activity), %.0f/s while draining; raw single-row INSERT transactions from %d connections: %.0f/s (drain/raw %.2f)",
		procs, n, acts, elapsed.Round(time.Millisecond), float64(acts)/elapsed.Seconds(),
		float64(acts)/last.Sub(first).Seconds(), pct(0.5).Round(time.Microsecond), pct(0.9).Round(time.Microsecond), pct(0.99).Round(time.Microsecond),
		writes, float64(writes)/float64(acts), float64(writes)/elapsed.Seconds(), 4*procs, raw, float64(writes)/elapsed.Seconds()/raw)
}

// nextXID is the server's next transaction id: the difference of two
// readings counts the transactions that wrote in between, in the whole
// cluster (so the measurement wants a server of its own).
func nextXID(t *testing.T, pool *pgxpool.Pool) int64 {
	t.Helper()
	var x int64
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint`).Scan(&x))
	return x
}

// rawCommitRate is the rate of n single-row INSERT transactions (200
// bytes, auto-committed) from conns connections at once: the server's
// commit rate for the cheapest durable write.
func rawCommitRate(t *testing.T, url, schema string, conns, n int) float64 {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer pool.Close()
	_, err = pool.Exec(ctx, `CREATE TABLE `+schema+`.raw (id bigserial PRIMARY KEY, v bytea NOT NULL)`)
	require.NoError(t, err)
	row := make([]byte, 200)
	var g errgroup.Group
	start := time.Now()
	for w := range conns {
		g.Go(func() error {
			for i := w; i < n; i += conns {
				if _, err := pool.Exec(ctx, `INSERT INTO `+schema+`.raw (v) VALUES ($1)`, row); err != nil {
					return err
				}
			}
			return nil
		})
	}
	require.NoError(t, g.Wait())
	return float64(n) / time.Since(start).Seconds()
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
