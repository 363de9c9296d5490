// Package postgres is Baton's shared store: the store contract
// (store.Store and store.Leaser) in a PostgreSQL database that any number of
// executor processes use at once, through jackc/pgx v5 (pgxpool).
//
//	s, err := postgres.New(ctx, os.Getenv("DATABASE_URL"), nil) // schema "baton", migrated on open
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	exec := executor.New(s, ...) // any store.Store
//
// A host that has its own pool passes it to NewFromPool; Close then leaves
// it open.
//
// # Schema and migrations
//
// The tables live in one PostgreSQL schema, Options.Schema ("baton" by
// default), so several stores (or test runs) can share a database. The
// migrations are SQL files embedded in this package, numbered from 1
// (SchemaVersion is the newest); the schema's schema_version table records
// the ones applied. New and NewFromPool migrate by default: they create the
// schema when it does not exist and apply the migrations it lacks, in one
// transaction that holds a PostgreSQL advisory lock for the schema, so many
// replicas starting at once migrate it exactly once. With
// Options.NoMigrate they refuse a missing or older schema instead
// (ErrMigrationNeeded) and write nothing. A schema newer than this package
// is always refused with a *SchemaVersionError naming both versions
// (ErrSchemaTooNew).
package postgres
