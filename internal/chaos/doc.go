// Package chaos holds the proof that many executor processes on one
// PostgreSQL database keep every rule while they are killed: it has only a
// test. TestReplicasSurviveSIGKILL re-executes its own test binary as three
// executor processes (replicas) on one database schema, creates releases
// of random process graphs (automated activities that fail and retry,
// approvals given through a random replica, subprocesses), and SIGKILLs a
// random replica every few seconds, restarting it. The adapters record
// every side effect in a ledger table keyed by idempotency key. It passes
// when every release reaches the outcome its script implies, every
// recorded attempt's side effect happened under exactly one key (a
// re-delivery to the same key is allowed, a second key for one attempt is
// not, nor a side effect for an attempt the log does not hold), every
// release's event chain verifies, and no release is left unfinished.
//
// It needs a PostgreSQL server (BATON_POSTGRES_URL) and is skipped
// without one. The default run makes 40 releases in about half a minute;
// BATON_CHAOS_RELEASES=200 makes the long run:
//
//	BATON_POSTGRES_URL=postgres://... BATON_CHAOS_RELEASES=200 go test -run TestReplicasSurviveSIGKILL -v ./internal/chaos/
package chaos
