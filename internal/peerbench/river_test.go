package peerbench

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// noopArgs is River's no-op job.
type noopArgs struct{}

func (noopArgs) Kind() string { return "peerbench_noop" }

// noopWorker works noopArgs: it only counts them.
type noopWorker struct {
	river.WorkerDefaults[noopArgs]
	calls *atomic.Int64
}

func (w *noopWorker) Work(context.Context, *river.Job[noopArgs]) error {
	w.calls.Add(1)
	return nil
}

// riverSettings are the River client settings a run uses: defaults are
// River's (MaxWorkers has none: 100 as in its documentation's examples);
// tuned fetches as often as River allows, with more workers.
type riverSettings struct {
	name                          string
	maxWorkers                    int
	fetchCooldown, fetchPollEvery time.Duration // 0: River's defaults (100 ms, 1 s)
}

var riverRuns = []riverSettings{
	{name: "default", maxWorkers: 100},
	{name: "tuned", maxWorkers: 1000, fetchCooldown: time.Millisecond, fetchPollEvery: 50 * time.Millisecond},
}

// riverEngine is a River client on its own pool and migrated schema
// (peerbench_river, dropped first).
type riverEngine struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	calls  atomic.Int64
}

const riverSchema = "peerbench_river"

func newRiver(tb testing.TB, rs riverSettings) *riverEngine {
	tb.Helper()
	url := needPG(tb)
	freshSchema(tb, url, riverSchema)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+riverSchema); err != nil {
		pool.Close()
		tb.Fatal(err)
	}
	driver := riverpgxv5.New(pool)
	mig, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: riverSchema, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		_, err = mig.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		pool.Close()
		tb.Fatal(err)
	}
	re := &riverEngine{pool: pool}
	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{calls: &re.calls})
	re.client, err = river.NewClient(driver, &river.Config{
		Schema:            riverSchema,
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: rs.maxWorkers}},
		Workers:           workers,
		FetchCooldown:     rs.fetchCooldown,
		FetchPollInterval: rs.fetchPollEvery,
	})
	if err != nil {
		pool.Close()
		tb.Fatal(err)
	}
	return re
}

// insert inserts n no-op jobs in batches of 1,000 (InsertManyFast: one
// COPY each), before the client starts.
func (re *riverEngine) insert(ctx context.Context, n int) error {
	for n > 0 {
		k := min(n, 1000)
		params := make([]river.InsertManyParams, k)
		for i := range params {
			params[i] = river.InsertManyParams{Args: noopArgs{}}
		}
		if _, err := re.client.InsertManyFast(ctx, params); err != nil {
			return fmt.Errorf("peerbench: river: inserting jobs: %w", err)
		}
		n -= k
	}
	return nil
}

// work starts the client and waits until n jobs have completed (their
// completion stored: River's JobCompleted events follow the completer's
// commit).
func (re *riverEngine) work(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	events, unsubscribe := re.client.SubscribeConfig(&river.SubscribeConfig{ChanSize: n + 1, Kinds: []river.EventKind{river.EventKindJobCompleted}})
	defer unsubscribe()
	if err := re.client.Start(ctx); err != nil {
		return err
	}
	for done := 0; done < n; {
		select {
		case <-events:
			done++
		case <-ctx.Done():
			return fmt.Errorf("peerbench: river: %d of %d jobs completed in %v: %w", done, n, waitTimeout, ctx.Err())
		}
	}
	return nil
}

func (re *riverEngine) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	err := re.client.Stop(ctx)
	re.pool.Close()
	return err
}
