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
// Two shapes of 100 no-op activities, one whole workflow or release per
// benchmark operation, from creation to a committed completion:
//
//   - chain-100: 100 sequential activities. Baton: one phase, each activity
//     depending on the one before. go-workflows: a workflow that executes
//     100 activities one after another, awaiting each.
//   - parallel-100: 100 independent activities. Baton: no dependencies,
//     executor Parallelism 100. go-workflows: a workflow that schedules 100
//     activities, then awaits them all.
//
// Each shape runs on three engines (sub-benchmarks):
//
//   - baton: store/sqlite on a temporary file with its defaults (WAL,
//     synchronous=FULL), the process parsed and stored, a no-op adapter
//     registered with adapters.Func, executor.New, Run in a goroutine. One
//     release per operation; it waits for the release's terminal event on a
//     Subscribe feed, then checks with Get that the release Succeeded.
//   - go-workflows: wired as its own bench tool (bench/main.go) wires
//     SQLite: sqlite.NewSqliteBackend on a temporary file, wrapped in
//     monoprocess.NewMonoprocessBackend (the worker is woken in process
//     instead of polling every 200 ms), worker.New with
//     worker.DefaultOptions, started once per benchmark, client.New on the
//     same backend. One workflow instance per operation; it waits for the
//     commit of the workflow task that finishes the instance (a thin
//     wrapper over the backend's CompleteWorkflowTask pushes the instance
//     id, the counterpart of Baton's Subscribe), then reads the result with
//     client.GetWorkflowResult and checks it.
//   - go-workflows-poll: the same, but waiting only with
//     client.GetWorkflowResult as go-workflows' samples do. It polls the
//     instance state with exponential backoff (1 ms, growing 1.5x up to 1 s,
//     ±50% jitter), so it sees the end up to one interval late, about half
//     the time elapsed so far, and its polls share the backend's single
//     connection with the worker. It is there to show that cost, not as the
//     comparison.
//
// Every benchmark reports ns/op, ns/activity (ns/op divided by 100),
// cpu-ms/op (user + system CPU time of the whole test process per
// operation, steadier than wall time on a shared machine), B/op and
// allocs/op (b.ReportAllocs: every allocation of the process during the
// loop, the engines' own goroutines included). One untimed workflow or
// release runs before the timer starts. Every wait is bounded (2 minutes):
// a hang fails the benchmark. Each benchmark stops what it started (Run
// returns nil; the go-workflows worker's WaitForCompletion returns) and
// checks that at least 100 activities ran per operation.
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
// Both engines run on the same SQLite: go-workflows v1.2.0 asks for
// modernc.org/sqlite v1.27.0, Baton for v1.62.0, and minimal version
// selection builds both with v1.62.0.
//
// # Running it
//
// From this directory (not the repository root: this is its own module):
//
//	go test -race ./...                                           # the wiring test
//	go test -run '^$' -bench . -benchmem -benchtime=20x -count=3  # the benchmarks
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
