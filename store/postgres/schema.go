package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// SchemaVersion is the newest schema version this package writes: the
// number of migrations it embeds. New migrates older schemas to it and
// refuses newer ones.
const SchemaVersion = 15

// migrationFiles are the migrations, one file each, named NNN_what.sql:
// NNN brings a schema from version NNN-1 to NNN. Released migrations are
// never edited; a change is a new file. Each runs with search_path set to
// the store's schema, so it names tables without a schema.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded migration.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations, in version order, and
// checks that they number 1 to SchemaVersion without gaps.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("postgres: migration file %s: want NNN_what.sql", name)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("postgres: migration %s: want version %d", m.name, i+1)
		}
	}
	if len(ms) != SchemaVersion {
		return nil, fmt.Errorf("postgres: %d migrations embedded, SchemaVersion is %d", len(ms), SchemaVersion)
	}
	return ms, nil
}

// advisoryLockClass is the first key of the advisory lock that serializes
// migrations ("BATN"); the second is a hash of the schema name.
const advisoryLockClass = 0x4241544e

// schemaVersion reads the version of the store's schema: 0 when the schema
// or its version table does not exist.
func (s *Store) schemaVersion(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	// A scan of the catalog, with the statement's snapshot: to_regclass
	// would consult the backend's catalog cache, which may not have heard
	// yet of a schema another transaction created while this one waited
	// for the migration lock.
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = 'schema_version')`,
		s.opts.Schema).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := q.QueryRow(ctx, s.q(`SELECT coalesce(max(version), 0) FROM _s.schema_version`)).Scan(&v)
	return v, err
}

// prepareSchema checks the schema's version and migrates it when it is
// older (unless Options.NoMigrate).
func (s *Store) prepareSchema(ctx context.Context) error {
	op := fmt.Sprintf("open schema %q", s.opts.Schema)
	v, err := s.schemaVersion(ctx, s.pool)
	if err != nil {
		return s.wrapDB(ctx, op, err)
	}
	switch {
	case v > SchemaVersion:
		return &SchemaVersionError{Schema: s.opts.Schema, Found: v, Supported: SchemaVersion}
	case v == SchemaVersion:
		return nil
	case s.opts.NoMigrate:
		return &SchemaVersionError{Schema: s.opts.Schema, Found: v, Supported: SchemaVersion}
	}
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.migrate(ctx, tx, ms) })
	if err != nil {
		var sv *SchemaVersionError
		if errors.As(err, &sv) {
			return err
		}
		return s.wrapDB(ctx, op+": migrating", err)
	}
	return nil
}

// migrate applies the migrations the schema lacks, in tx, under the
// schema's advisory lock: a concurrent New waits for it, then finds the
// schema migrated.
func (s *Store) migrate(ctx context.Context, tx pgx.Tx, ms []migration) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(advisoryLockClass), s.opts.Schema); err != nil {
		return err
	}
	v, err := s.schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return &SchemaVersionError{Schema: s.opts.Schema, Found: v, Supported: SchemaVersion}
	}
	if v == SchemaVersion {
		return nil
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+s.schema); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, s.q(`CREATE TABLE IF NOT EXISTS _s.schema_version (
		version    integer     NOT NULL PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, s.schema); err != nil {
		return err
	}
	for _, m := range ms[v:] {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, s.q(`INSERT INTO _s.schema_version (version, name) VALUES ($1, $2)`), m.version, m.name); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}
