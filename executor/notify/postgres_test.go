package notify_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/store/postgres"
)

// postgresURL returns BATON_POSTGRES_URL, or skips the test when it is
// unset (fails it when BATON_REQUIRE_POSTGRES=1, as CI sets it).
func postgresURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("BATON_POSTGRES_URL")
	if url == "" {
		if os.Getenv("BATON_REQUIRE_POSTGRES") == "1" {
			t.Fatal("BATON_REQUIRE_POSTGRES=1 but BATON_POSTGRES_URL is not set")
		}
		t.Skip("BATON_POSTGRES_URL is not set: this test needs a PostgreSQL server")
	}
	return url
}

// newPostgresStore returns a PostgreSQL store in a schema of its own,
// dropped at the test's end.
func newPostgresStore(t *testing.T) *postgres.Store {
	t.Helper()
	url := postgresURL(t)
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var b [8]byte
	_, err = rand.Read(b[:])
	require.NoError(t, err)
	schema := "baton_notify_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
		require.NoError(t, err)
	})
	st, err := postgres.NewFromPool(context.Background(), pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return st
}

// newPostgresScript is newScript on PostgreSQL.
func newPostgresScript(t *testing.T) *script {
	return &script{t: t, st: newPostgresStore(t)}
}
