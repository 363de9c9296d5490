// Package peerbench benchmarks Baton's executor beside peer workflow
// engines in the same `go test -bench` run: github.com/cschleiden/go-workflows
// v1.2.0 on SQLite files, both with their default durability, and, on
// PostgreSQL, DBOS Transact, with River's no-op job rate as the ceiling
// (see PostgreSQL below).
//
// It holds no library code: only doc.go, the benchmarks (bench_test.go,
// bench_pg_test.go), the wiring of the engines (engines_test.go,
// engines_pg_test.go, river_test.go) and tests that the wiring works
// (wiring_test.go). Results are in RESULTS.md.
//
// # What it compares
//
// The shapes of the executor's own benchmarks, one operation being whole
// workflows or releases from creation to a committed completion:
//
//   - chain-100 (BenchmarkChain100): 100 sequential activities. Baton: one
//     phase, each activity depending on the one before. go-workflows: a
//     workflow that executes 100 activities one after another, awaiting
//     each.
//   - parallel-100 (BenchmarkParallel100): 100 independent activities.
//     Baton: no dependencies, executor Parallelism 100. go-workflows: a
//     workflow that schedules 100 activities, then awaits them all.
//   - random-dag-10000 (BenchmarkRandomDAG10000): 10,000 activities with
//     about 2 dependencies each, the executor benchmarks' graph (same
//     generator and seed). Baton: the dependencies as depends-on,
//     Parallelism 64. go-workflows: one workflow goroutine per activity that
//     waits for its dependencies' wait groups, executes the activity and
//     awaits it. BenchmarkRandomDAGGrowth runs the same graph at 250 to
//     2,000 activities.
//   - 1000xrandom-dag-10 (BenchmarkConcurrent1000x10): 1,000 workflows or
//     releases of a 10-activity random DAG at once, created by 64
//     goroutines, the operation ending when all have.
//
// chain-100 and parallel-100 run on three engines (sub-benchmarks), the
// larger shapes on the first two:
//
//   - baton: store/sqlite on a temporary file with its defaults (WAL,
//     synchronous=FULL), the process parsed and stored, a no-op adapter
//     registered with adapters.Func, executor.New, Run in a goroutine. It
//     waits for the releases' terminal events on a Subscribe feed, then
//     checks with Get that each release Succeeded.
//   - go-workflows: wired as its own bench tool (bench/main.go) wires
//     SQLite: sqlite.NewSqliteBackend on a temporary file, wrapped in
//     monoprocess.NewMonoprocessBackend (the worker is woken in process
//     instead of polling every 200 ms), worker.New with
//     worker.DefaultOptions, started once per benchmark, client.New on the
//     same backend. It waits for the commit of the workflow task that
//     finishes each instance (a thin wrapper over the backend's
//     CompleteWorkflowTask pushes the instance id, the counterpart of
//     Baton's Subscribe), then reads each result with
//     client.GetWorkflowResult and checks it.
//   - go-workflows-poll: the same, but waiting only with
//     client.GetWorkflowResult as go-workflows' samples do. It polls the
//     instance state with exponential backoff (1 ms, growing 1.5x up to 1 s,
//     ±50% jitter), so it sees the end up to one interval late, about half
//     the time elapsed so far, and its polls share the backend's single
//     connection with the worker. It is there to show that cost, not as the
//     comparison.
//
// Every benchmark reports ns/op, ns/activity (ns/op divided by the
// activities of an operation), cpu-ms/op (user + system CPU time of the
// whole test process per operation, steadier than wall time on a shared
// machine), B/op and allocs/op (b.ReportAllocs: every allocation of the
// process during the loop, the engines' own goroutines included). One
// untimed workflow or release runs before the timer starts. Every wait is
// bounded (2 minutes, or PEERBENCH_WAIT): a hang fails the benchmark. Each
// benchmark stops what it started (Run returns nil; the go-workflows
// worker's WaitForCompletion returns) and checks that every activity of
// every operation ran.
//
// # Durability settings
//
// Baton's store/sqlite sets journal_mode=WAL and synchronous=FULL (its
// default, Options.Synchronous = SyncFull): a commit waits for an fsync of
// the write-ahead log.
//
// go-workflows' SQLite backend (backend/sqlite/sqlite.go, v1.2.0) opens
// "file:PATH" with the modernc.org/sqlite driver, runs
// "PRAGMA journal_mode=WAL;" and "PRAGMA busy_timeout = 5000;", and limits
// the pool to one connection (SetMaxOpenConns(1)). It does not set
// synchronous, so the driver's default applies: FULL (2), which
// TestGoWorkflowsSQLiteRunsWALWithSynchronousFull checks. Both engines thus
// fsync the WAL at every commit.
//
// One go-workflows option departs from its defaults, and only for the
// 10,000-activity DAG: backend.WithMaxHistorySize(4 x activities). By
// default a workflow fails once its history holds 10,000 events, and each
// activity adds three.
//
// Both engines run on the same SQLite: go-workflows v1.2.0 asks for
// modernc.org/sqlite v1.27.0, Baton for v1.62.0, and minimal version
// selection builds both with v1.62.0.
//
// # Running it
//
// From this directory (not the repository root: this is its own module):
//
//	go test -race ./...   # the wiring test
//	go test -run '^$' -bench '(Chain|Parallel)100' -benchmem -benchtime=20x -count=3
//	go test -run '^$' -bench 'Concurrent|Growth' -benchmem -benchtime=1x
//	PEERBENCH_WAIT=40m go test -timeout 90m -run '^$' -bench RandomDAG10000 -benchmem -benchtime=1x
//
// # PostgreSQL: DBOS Transact and River
//
// With PEERBENCH_POSTGRES_URL set to a database (it is skipped, saying so,
// without it), BenchmarkPostgres runs chain-100, parallel-100 and 1,000 x
// random-dag-10 on that server, each engine in a schema of its own,
// dropped first:
//
//   - baton: store/postgres with its defaults (postgres.New on the URL,
//     pgxpool's default pool, migrated on open), wired as on SQLite.
//   - dbos: github.com/dbos-inc/dbos-transact-golang v1.8.0 (the version
//     that keeps Baton's pgx and SQLite versions), dbos.NewContext with the
//     URL and its defaults, one registered workflow per shape started with
//     dbos.RunWorkflow in this process and awaited with GetResult (which
//     reads a local workflow's outcome in memory). Each activity is a step:
//     chain-100 calls dbos.RunAsStep 100 times; parallel-100 starts 100
//     steps with dbos.Go, then reads them all; the DAG runs level by level
//     (dagLevels: every step whose dependencies are in earlier levels at
//     once), since DBOS steps must be started from the workflow's goroutine
//     for their ids to be deterministic.
//
// Both commit every transaction with the server's settings (the
// benchmarks' cluster: fsync and synchronous_commit on). Besides time and
// CPU, each reports what the server did per activity:
// write-tx/activity (transaction ids assigned: the transactions that
// wrote, each a WAL flush at commit), commits/activity
// (pg_stat_database.xact_commit of the database, reads included, read
// after the engine's backends have exited and so reported) and
// WAL-B/activity. The counters are the server's, so run nothing else on it.
//
// BenchmarkRiverNoop measures github.com/riverqueue/river v0.51.2
// (riverpgxv5) working no-op jobs on the same server, the ceiling of a
// PostgreSQL work queue here: b.N jobs inserted first (InsertManyFast),
// then the client started, until all b.N are completed. "default" is
// River's defaults with MaxWorkers 100 (it has no default; 100 is its
// documentation's); "tuned" has 1,000 workers, FetchCooldown 1 ms (River's
// minimum) and FetchPollInterval 50 ms.
//
//	PEERBENCH_POSTGRES_URL=postgres://... go test -run '^$' -bench 'Postgres/(chain|parallel)' -benchmem -benchtime=5x
//	PEERBENCH_POSTGRES_URL=postgres://... go test -run '^$' -bench 'Postgres/1000' -benchmem -benchtime=1x -count=2
//	PEERBENCH_POSTGRES_URL=postgres://... go test -run '^$' -bench RiverNoop -benchtime=20000x -count=2
//
// # Why a nested module
//
// The peers bring their own dependencies (golang-migrate, OpenTelemetry,
// ttlcache, backoff, River's drivers, ...). Baton is a library: whatever its go.mod lists,
// every host inherits in its module graph. This directory has its own
// go.mod (module github.com/batonhq/baton/internal/peerbench, requiring
// github.com/batonhq/baton replaced by ../..), so the peer never enters
// Baton's go.mod or go.sum, and the root module's `go build ./...`,
// `go vet ./...` and `go test ./...` skip this directory, as they skip every
// directory with a go.mod of its own. It may import Baton's internal
// packages (internal/cputime) because its import path lies under
// github.com/batonhq/baton.
package peerbench
