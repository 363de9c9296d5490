package postgres

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// DefaultSchema is the PostgreSQL schema the store keeps its tables in when
// Options.Schema is empty.
const DefaultSchema = "baton"

// Options tune a Store. A nil *Options is valid; zero fields take their
// defaults.
type Options struct {
	// Schema is the PostgreSQL schema that holds the store's tables: a
	// lowercase SQL identifier (letters, digits and underscores, not
	// starting with a digit, at most 63 bytes). Several stores can share a
	// database in different schemas. Defaults to DefaultSchema ("baton").
	Schema string
	// NoMigrate makes New refuse a schema older than SchemaVersion, or one
	// that does not exist yet, with an error matching ErrMigrationNeeded,
	// instead of creating or migrating it. Use it where schema changes are
	// rolled out by a separate step. Defaults to false: New creates the
	// schema and applies the migrations it lacks.
	NoMigrate bool
	// SnapshotDue decides, on every append, whether to store a snapshot of
	// the release after it (lastSnapshotSeq is the Seq of its latest
	// snapshot, 0 for none). Defaults to store.SnapshotDue.
	SnapshotDue func(r *release.Release, lastSnapshotSeq int64) bool
	// DigestKey, when set, keys the digests the store keeps of each
	// release's head, summary and snapshot (HMAC-SHA-256 instead of
	// SHA-256), so that someone who can write the database but does not
	// hold the key cannot edit a summary or snapshot, or move a head back
	// over deleted events, and recompute the digest. Keep it out of the
	// database, like an anchoring key (release.Sealer). A schema must be
	// opened with the key it was written with: with another, or none,
	// every release reads as corrupt (store.ErrCorrupt). At least 32
	// bytes. Defaults to nil: SHA-256, which catches damage and edits that
	// leave the digests alone.
	DigestKey []byte
	// NotifyFeed makes every create and append notify the schema's
	// channel (LISTEN/NOTIFY), not only those with Notify set, so that a
	// feed consumer in another process (a notify.Dispatcher, through
	// store.FeedNotifier) wakes at once for every write instead of at its
	// next poll. It costs the writers: PostgreSQL serialises the commits
	// of notifying transactions (see BENCHMARKS.md). Release subscribers
	// (SubscribeReleases) are not told of these notifications. Defaults
	// to false: other processes' writes without Notify are found at the
	// consumer's next poll.
	NotifyFeed bool
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// withDefaults returns a copy of o with the defaults applied, or an error
// naming a bad field.
func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Schema == "" {
		c.Schema = DefaultSchema
	}
	if !schemaName.MatchString(c.Schema) {
		return c, fmt.Errorf("postgres: Options.Schema %q: want a lowercase identifier of letters, digits and underscores (at most 63 bytes, not starting with a digit)", c.Schema)
	}
	if c.SnapshotDue == nil {
		c.SnapshotDue = store.SnapshotDue
	}
	if c.DigestKey != nil {
		if len(c.DigestKey) < 32 {
			return c, fmt.Errorf("postgres: Options.DigestKey: %d bytes, want at least 32", len(c.DigestKey))
		}
		c.DigestKey = bytes.Clone(c.DigestKey)
	}
	return c, nil
}

// Store is a store.Store and store.Leaser kept in a PostgreSQL database,
// shared by any number of executor processes. It is safe for concurrent
// use. New or NewFromPool makes one; Close releases it.
type Store struct {
	pool    *pgxpool.Pool
	ownPool bool
	opts    Options
	// schema is the quoted schema name that prefixes every table.
	schema string
	closed atomic.Bool
	// snaps remembers the seq of the latest snapshot of the releases this
	// Store wrote (see snapSeqs).
	snaps snapSeqs
	// listen is the connection SubscribeReleases listens on (notify.go).
	listen listener

	// procs decodes the processes of the releases loaded: they share one
	// read-only copy per process version.
	procs release.ProcessCache
}

// New connects to the database at connString (a URL or key=value string as
// pgxpool.ParseConfig takes it, including pool settings such as
// pool_max_conns), brings the schema to SchemaVersion (see NewFromPool) and
// returns a Store that owns the pool: Close closes it. opts may be nil.
func New(ctx context.Context, connString string, opts *Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("postgres: connection string: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s, err := newStore(ctx, pool, o)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownPool = true
	return s, nil
}

// NewFromPool returns a Store on a pool the host made and keeps: Close
// leaves it open. opts may be nil.
//
// It brings the schema (Options.Schema) to SchemaVersion: it creates the
// schema when missing and applies, in one transaction, the migrations the
// database lacks, unless Options.NoMigrate is set (then a schema that is
// missing or older fails with ErrMigrationNeeded and nothing is written).
// Many processes may call it at once on one database: the migrating
// transaction holds a PostgreSQL advisory lock for the schema, and each
// reads the version again under it, so each migration runs once. A schema
// newer than this package is refused with a *SchemaVersionError naming
// both versions (ErrSchemaTooNew), and left as it is.
func NewFromPool(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if pool == nil {
		return nil, fmt.Errorf("postgres: NewFromPool: pool: missing")
	}
	return newStore(ctx, pool, o)
}

func newStore(ctx context.Context, pool *pgxpool.Pool, o Options) (*Store, error) {
	s := &Store{pool: pool, opts: o, schema: pgx.Identifier{o.Schema}.Sanitize()}
	if err := s.prepareSchema(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Schema returns the name of the PostgreSQL schema that holds the store's
// tables.
func (s *Store) Schema() string { return s.opts.Schema }

// Close marks the store closed: every method called after it returns
// ErrClosed. It closes the pool when New made it, and leaves a pool given
// to NewFromPool open. Close is idempotent and returns nil.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.listen.close()
	if s.ownPool {
		s.pool.Close()
	}
	return nil
}

// q returns query with every "_s." (the schema placeholder) replaced by the
// store's schema.
func (s *Store) q(query string) string { return strings.ReplaceAll(query, "_s.", s.schema+".") }

// ready returns ctx's error, or ErrClosed after Close.
func (s *Store) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

var (
	_ store.Store             = (*Store)(nil)
	_ store.Leaser            = (*Store)(nil)
	_ store.AnchorStore       = (*Store)(nil)
	_ store.GroupHistoryStore = (*Store)(nil)
)

// digest is the digest the store keeps of a document: HMAC-SHA-256 with
// Options.DigestKey, else SHA-256.
func (s *Store) digest(doc []byte) [sha256.Size]byte {
	if s.opts.DigestKey == nil {
		return sha256.Sum256(doc)
	}
	m := hmac.New(sha256.New, s.opts.DigestKey)
	m.Write(doc)
	var d [sha256.Size]byte
	m.Sum(d[:0])
	return d
}

// headDigest is the digest of a release's head: of its id, a NUL byte, its
// seq (8 bytes, big-endian) and its hash (migration 4 computes the same
// in SQL).
func (s *Store) headDigest(h release.Head) [sha256.Size]byte {
	b := make([]byte, 0, len(h.Release)+1+8+len(h.Hash))
	b = append(b, h.Release...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Seq))
	b = append(b, h.Hash[:]...)
	return s.digest(b)
}
