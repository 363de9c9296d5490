package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// dbURL returns the database the tests use, BATON_POSTGRES_URL. When it is
// unset the test is skipped, or fails when BATON_REQUIRE_POSTGRES=1 (as CI
// sets it, so that CI never passes without running these tests).
func dbURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("BATON_POSTGRES_URL")
	if url == "" {
		if os.Getenv("BATON_REQUIRE_POSTGRES") == "1" {
			t.Fatal("BATON_REQUIRE_POSTGRES=1 but BATON_POSTGRES_URL is not set: no PostgreSQL server to test store/postgres against")
		}
		t.Skip("BATON_POSTGRES_URL is not set: the store/postgres tests need a PostgreSQL server " +
			"(see \"Running the PostgreSQL tests locally\" in README.md)")
	}
	return url
}

// testPool connects a pool to the test database for the test's duration.
// The tests share it across their fresh schemas: every query names its
// schema.
func testPool(t testing.TB, maxConns int32) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL(t))
	require.NoError(t, err)
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, pool.Ping(context.Background()), "connecting to BATON_POSTGRES_URL")
	t.Cleanup(pool.Close)
	return pool
}

// freshSchema returns the name of a schema no other test uses, and drops
// it (with whatever it holds) at the test's end.
func freshSchema(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	var b [8]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	name := "baton_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+name+` CASCADE`)
		require.NoError(t, err)
	})
	return name
}

// newStore returns a store on pool in a fresh schema, closed at the test's
// end.
func newStore(t testing.TB, pool *pgxpool.Pool) *postgres.Store {
	t.Helper()
	s, err := postgres.NewFromPool(context.Background(), pool, &postgres.Options{Schema: freshSchema(t, pool)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// schemaExists reports whether the named schema exists.
func schemaExists(t testing.TB, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	var ok bool
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&ok))
	return ok
}

// createTestRelease stores a release of a one-activity process, created at
// at.
func createTestRelease(t testing.TB, s *postgres.Store, id release.ID, at time.Time) *release.Release {
	t.Helper()
	p := &process.Process{ID: "mobile", Version: 1, Name: "mobile", Phases: []process.Phase{{ID: "build",
		Activities: []process.Activity{{ID: "compile", Uses: "noop"}}}}}
	r, created, err := release.Create(id, at, "alice", "", release.ReleaseCreatedPayload{Name: "r", Process: p})
	require.NoError(t, err)
	require.NoError(t, s.CreateRelease(context.Background(), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
	return r
}
