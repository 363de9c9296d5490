// Package peerbench benchmarks Baton's executor beside a peer workflow
// engine, github.com/cschleiden/go-workflows v1.2.0, in the same
// `go test -bench` run, both on SQLite files with their default durability.
//
// It holds no library code: only doc.go, the benchmarks (bench_test.go), the
// wiring of both engines (engines_test.go) and a test that the wiring works
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
// # Why a nested module
//
// go-workflows brings its own dependencies (golang-migrate, OpenTelemetry,
// ttlcache, backoff, ...). Baton is a library: whatever its go.mod lists,
// every host inherits in its module graph. This directory has its own
// go.mod (module github.com/batonhq/baton/internal/peerbench, requiring
// github.com/batonhq/baton replaced by ../..), so the peer never enters
// Baton's go.mod or go.sum, and the root module's `go build ./...`,
// `go vet ./...` and `go test ./...` skip this directory, as they skip every
// directory with a go.mod of its own. It may import Baton's internal
// packages (internal/cputime) because its import path lies under
// github.com/batonhq/baton.
package peerbench
