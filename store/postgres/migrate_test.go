package postgres_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

func TestNewCreatesTheSchemaAtTheCurrentVersion(t *testing.T) {
	pool := testPool(t, 4)
	s := newStore(t, pool)
	var n, v int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*), max(version) FROM `+s.Schema()+`.schema_version`).Scan(&n, &v))
	require.Equal(t, postgres.SchemaVersion, n, "one row per migration")
	require.Equal(t, postgres.SchemaVersion, v)
	// Opening it again changes nothing.
	again, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: s.Schema(), NoMigrate: true})
	require.NoError(t, err)
	require.NoError(t, again.Close())
}

func TestConcurrentNewOnAFreshSchemaMigratesOnce(t *testing.T) {
	url := dbURL(t)
	admin := testPool(t, 2)
	schema := freshSchema(t, admin)
	const n = 8
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = postgres.New(context.Background(), url+sep(url)+"pool_max_conns=2", &postgres.Options{Schema: schema})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "New %d", i)
		require.NoError(t, stores[i].Close())
	}
	var rows int
	require.NoError(t, admin.QueryRow(t.Context(), `SELECT count(*) FROM `+schema+`.schema_version`).Scan(&rows))
	require.Equal(t, postgres.SchemaVersion, rows, "each migration ran once")
}

// sep returns the separator that adds a parameter to a URL.
func sep(url string) string {
	for _, c := range url {
		if c == '?' {
			return "&"
		}
	}
	return "?"
}

func TestNewRefusesASchemaNewerThanThePackage(t *testing.T) {
	pool := testPool(t, 4)
	s := newStore(t, pool)
	newer := postgres.SchemaVersion + 1
	_, err := pool.Exec(t.Context(), `INSERT INTO `+s.Schema()+`.schema_version (version, name) VALUES ($1, 'from the future')`, newer)
	require.NoError(t, err)
	for _, noMigrate := range []bool{false, true} {
		_, err = postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: s.Schema(), NoMigrate: noMigrate})
		require.ErrorIs(t, err, postgres.ErrSchemaTooNew)
		var sv *postgres.SchemaVersionError
		require.ErrorAs(t, err, &sv)
		require.Equal(t, postgres.SchemaVersionError{Schema: s.Schema(), Found: newer, Supported: postgres.SchemaVersion}, *sv)
		require.ErrorContains(t, err, fmt.Sprintf("version %d", newer))
		require.ErrorContains(t, err, fmt.Sprintf("version %d", postgres.SchemaVersion))
	}
	var rows int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM `+s.Schema()+`.schema_version`).Scan(&rows))
	require.Equal(t, postgres.SchemaVersion+1, rows, "the schema is left as it is")
}

func TestNoMigrateRefusesAMissingSchemaAndWritesNothing(t *testing.T) {
	pool := testPool(t, 4)
	schema := freshSchema(t, pool)
	_, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: schema, NoMigrate: true})
	require.ErrorIs(t, err, postgres.ErrMigrationNeeded)
	require.NotErrorIs(t, err, postgres.ErrSchemaTooNew)
	require.ErrorContains(t, err, "NoMigrate")
	require.False(t, schemaExists(t, pool, schema), "no schema was created")
}

func TestOptionsAreChecked(t *testing.T) {
	// No server is needed: bad options fail before connecting.
	for _, schema := range []string{"Baton", "1baton", "ba-ton", `baton"; DROP TABLE x; --`, "a234567890123456789012345678901234567890123456789012345678901234"} {
		_, err := postgres.New(t.Context(), "postgres://127.0.0.1:1/none", &postgres.Options{Schema: schema})
		require.ErrorContains(t, err, "Options.Schema", schema)
		_, err = postgres.NewFromPool(t.Context(), nil, &postgres.Options{Schema: schema})
		require.ErrorContains(t, err, "Options.Schema", schema)
	}
	_, err := postgres.NewFromPool(t.Context(), nil, nil)
	require.ErrorContains(t, err, "pool: missing")
	_, err = postgres.NewFromPool(t.Context(), nil, &postgres.Options{DigestKey: []byte("short")})
	require.ErrorContains(t, err, "Options.DigestKey")
}

func TestCloseFailsLaterCallsAndLeavesAHostsPoolOpen(t *testing.T) {
	pool := testPool(t, 2)
	schema := freshSchema(t, pool)
	s, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	_, err = s.GetProcess(t.Context(), "mobile", 0)
	require.ErrorIs(t, err, postgres.ErrClosed)
	_, err = s.ListReleases(t.Context(), nil)
	require.ErrorIs(t, err, postgres.ErrClosed)
	require.NoError(t, pool.Ping(t.Context()), "the host's pool stays open")

	owned, err := postgres.New(t.Context(), dbURL(t), &postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, owned.Close())
	_, err = owned.GetGroup(t.Context(), "weekly")
	require.ErrorIs(t, err, postgres.ErrClosed)
}

// A schema at version 1 (made here as version 1 of this package made it)
// is refused with NoMigrate, naming both versions, and migrated by
// default, keeping what it holds.
func TestNewMigratesAnOlderSchema(t *testing.T) {
	pool := testPool(t, 4)
	schema := freshSchema(t, pool)
	v1, err := os.ReadFile("migrations/001_initial.sql")
	require.NoError(t, err)
	tx, err := pool.Begin(t.Context())
	require.NoError(t, err)
	for _, q := range []string{
		`CREATE SCHEMA ` + schema,
		`CREATE TABLE ` + schema + `.schema_version (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		`SET LOCAL search_path TO ` + schema,
		string(v1),
		`INSERT INTO ` + schema + `.schema_version (version, name) VALUES (1, '001_initial.sql')`,
		`INSERT INTO ` + schema + `.input_sets (id, process_id, doc) VALUES ('qa', 'mobile', '{"id":"qa","process":"mobile"}')`,
	} {
		_, err := tx.Exec(t.Context(), q)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit(t.Context()))

	_, err = postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: schema, NoMigrate: true})
	require.ErrorIs(t, err, postgres.ErrMigrationNeeded)
	var sv *postgres.SchemaVersionError
	require.ErrorAs(t, err, &sv)
	require.Equal(t, postgres.SchemaVersionError{Schema: schema, Found: 1, Supported: postgres.SchemaVersion}, *sv)
	require.ErrorContains(t, err, fmt.Sprintf("version 1, older than version %d", postgres.SchemaVersion))

	s, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	var rows, v int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*), max(version) FROM `+schema+`.schema_version`).Scan(&rows, &v))
	require.Equal(t, postgres.SchemaVersion, rows)
	require.Equal(t, postgres.SchemaVersion, v)
	set, err := s.GetInputSet(t.Context(), "qa")
	require.NoError(t, err, "what the schema held is kept")
	require.Equal(t, process.ID("mobile"), set.Process)
	r := createTestRelease(t, s, "0190d000-0000-7000-8000-000000000001", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	anchors, err := s.ListAnchors(t.Context(), &store.ListAnchorsParams{Release: r.ID})
	require.NoError(t, err, "migration 2 added the anchors")
	require.Empty(t, anchors)
}
