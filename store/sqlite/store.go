package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/internal/feedsignal"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Synchronous is SQLite's synchronous setting for the writer connection: how
// hard a commit waits for the disk.
type Synchronous string

const (
	// SyncFull waits for the write-ahead log to reach the disk (fsync) at
	// every commit: an acknowledged write survives a power loss. Concurrent
	// writes share one fsync (group commit).
	SyncFull Synchronous = "FULL"
	// SyncNormal does not wait for the disk at commit, only at checkpoints:
	// an acknowledged write survives the process being killed, but the last
	// commits may roll back after a power loss or an OS crash. The database
	// is never corrupted either way.
	SyncNormal Synchronous = "NORMAL"
)

// Options tune a Store. A nil *Options is valid; zero fields take their
// defaults.
type Options struct {
	// Synchronous is the commit durability. Defaults to SyncFull.
	Synchronous Synchronous
	// BusyTimeout is how long an operation waits for a lock held by another
	// process that has the same file open before it fails. Defaults to 5s.
	BusyTimeout time.Duration
	// SnapshotDue decides, on every append, whether to store a snapshot of
	// the release after it (lastSnapshotSeq is the Seq of its latest
	// snapshot, 0 for none). Defaults to store.SnapshotDue, which keeps the
	// snapshot cost per appended event constant.
	SnapshotDue func(r *release.Release, lastSnapshotSeq int64) bool
	// ReadConns is the number of read connections: reads run in parallel
	// with each other and with the writer. Defaults to 4.
	ReadConns int
	// MaxBatch is the most write requests the writer commits in one
	// transaction. Defaults to 128.
	MaxBatch int
	// IntegrityCheck runs SQLite's quick_check over the whole file in Open,
	// which then refuses a damaged file with ErrCorrupt. It reads every page
	// (time in proportion to the file's size). Defaults to false: Open only
	// checks the file's header and size, and damage further in is reported
	// by the operation that reads it.
	IntegrityCheck bool
	// DigestKey, when set, keys the digests the store keeps of each
	// release's head row, summary and snapshot (HMAC-SHA-256 instead of
	// SHA-256), so that someone who can write the file but does not hold
	// the key cannot edit a summary or snapshot and recompute its digest.
	// Keep it out of the file, like an anchoring key (release.Sealer). A
	// file must be opened with the key it was written with: with another,
	// or none, every release reads as corrupt (store.ErrCorrupt). Defaults
	// to nil: SHA-256, which catches damage and edits that leave the
	// digests alone.
	DigestKey []byte
	// WALLimit bounds the write-ahead log file. SQLite checkpoints it into
	// the database every 1,000 pages but can reset it only when no reader
	// is still using it; under constant reads it grows without end. When
	// the log has grown past WALLimit, the writer checkpoints it in full
	// and truncates it, waiting at most 100ms for readers (and trying again
	// later if they keep it); past four times WALLimit it waits up to
	// BusyTimeout, holding writes meanwhile. A log reset by SQLite's own
	// checkpoints is cut back to WALLimit (journal_size_limit). Defaults to
	// 64 MiB.
	WALLimit int64
}

// withDefaults returns a copy of o with the defaults applied, or an error
// naming a bad field.
func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	switch c.Synchronous {
	case "":
		c.Synchronous = SyncFull
	case SyncFull, SyncNormal:
	default:
		return c, fmt.Errorf("sqlite: Options.Synchronous %q: want %q or %q", c.Synchronous, SyncFull, SyncNormal)
	}
	switch {
	case c.BusyTimeout == 0:
		c.BusyTimeout = 5 * time.Second
	case c.BusyTimeout < 0:
		return c, fmt.Errorf("sqlite: Options.BusyTimeout %s: must not be negative", c.BusyTimeout)
	}
	if c.DigestKey != nil {
		if len(c.DigestKey) < 32 {
			return c, fmt.Errorf("sqlite: Options.DigestKey: %d bytes, want at least 32", len(c.DigestKey))
		}
		c.DigestKey = bytes.Clone(c.DigestKey)
	}
	if c.SnapshotDue == nil {
		c.SnapshotDue = store.SnapshotDue
	}
	switch {
	case c.ReadConns == 0:
		c.ReadConns = 4
	case c.ReadConns < 0:
		return c, fmt.Errorf("sqlite: Options.ReadConns %d: must not be negative", c.ReadConns)
	}
	switch {
	case c.WALLimit == 0:
		c.WALLimit = 64 << 20
	case c.WALLimit < 0:
		return c, fmt.Errorf("sqlite: Options.WALLimit %d: must not be negative", c.WALLimit)
	}
	switch {
	case c.MaxBatch == 0:
		c.MaxBatch = 128
	case c.MaxBatch < 0:
		return c, fmt.Errorf("sqlite: Options.MaxBatch %d: must not be negative", c.MaxBatch)
	}
	return c, nil
}

// Store is a store.Store and store.Leaser kept in one SQLite file. It is
// safe for concurrent use; Open makes one and Close releases it.
//
// Writes share one write connection. A write that finds it idle runs at
// once in the caller's goroutine; writes that arrive while a transaction
// runs queue for the writer goroutine, which commits all of them in the
// next transaction (group commit: with SyncFull, one fsync for the lot).
// A request that fails its own check (a stale expected sequence number)
// writes nothing and fails alone; one that fails after writing is rolled
// back with its transaction, which runs again without it. Reads use a pool
// of read connections that see the last commit (WAL).
type Store struct {
	path string
	opts Options
	dg   digester // the digests' key is opts.DigestKey
	lock *os.File // holds the exclusive lock on path's lock file (lock.go)

	wdb   *sql.DB   // one connection: the writer's
	wconn *sql.Conn // owned by the writer goroutine after Open
	rdb   *sql.DB   // the read pool
	w     *wtx
	// wmu is held while a batch runs, by the writer goroutine or by a
	// caller running its own request; it guards w, batch and results.
	wmu   sync.Mutex
	batch []*request
	// expect is how many requests the next batch expects (runQueued),
	// lastBatch how long the last one took, linger the timer of the wait.
	expect    int
	lastBatch time.Duration
	linger    *time.Timer
	// batches and batched count the batches run and the requests in them
	// (for the benchmarks: requests per transaction).
	batches, batched atomic.Int64
	// sinceWALCheck counts the batches since the writer last looked at the
	// log's size (boundWAL); truncations counts the logs it truncated.
	sinceWALCheck int
	truncations   atomic.Int64
	results       []error
	reqs          chan *request
	quit          chan struct{}
	closed        atomic.Bool

	stopped   chan struct{} // closed when the writer goroutine has returned
	closeOnce sync.Once
	closeErr  error

	// procs decodes the processes of the releases loaded: they share one
	// read-only copy per process version.
	procs release.ProcessCache

	// feedSignals are the subscribers of SubscribeFeed, told after each
	// batch that adds feed rows commits.
	feedSignals feedsignal.Signals
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.Leaser      = (*Store)(nil)
	_ store.AnchorStore = (*Store)(nil)
)

// Open opens the Baton database at path, creating the file when it does
// not exist and bringing its schema to SchemaVersion. opts may be nil.
//
// Open refuses, leaving the file as it is: a file that is not an SQLite
// database or is truncated (ErrCorrupt), a database of another application
// (ErrNotBaton), and a database from a newer version of this package (a
// *SchemaVersionError naming both versions). With Options.IntegrityCheck it
// also refuses a database SQLite finds damaged.
//
// The Store starts a writer goroutine; Close stops it.
func Open(path string, opts *Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("sqlite: open: path: missing")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	lock, err := lockFile(abs)
	if err != nil {
		return nil, err
	}
	if err := checkFile(abs); err != nil {
		lock.Close()
		return nil, err
	}
	s := &Store{path: abs, opts: o, dg: digester{key: o.DigestKey}, lock: lock}
	if err := s.open(); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.reqs = make(chan *request, 4*o.MaxBatch)
	s.batch = make([]*request, 0, o.MaxBatch)
	s.results = make([]error, o.MaxBatch)
	s.quit = make(chan struct{})
	s.stopped = make(chan struct{})
	go s.writeLoop()
	return s, nil
}

// dsn returns the driver name for the file with the given pragmas.
func (s *Store) dsn(pragmas ...string) string {
	u := url.URL{Scheme: "file", Path: s.path}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	// file:/abs/path?... (no authority): SQLite's URI form.
	return "file:" + u.EscapedPath() + "?" + q.Encode()
}

func (s *Store) open() error {
	ctx := context.Background()
	busy := fmt.Sprintf("busy_timeout(%d)", s.opts.BusyTimeout.Milliseconds())
	wdb, err := sql.Open("sqlite", s.dsn(busy))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	s.wdb = wdb
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	conn, err := wdb.Conn(ctx)
	if err != nil {
		return wrapDB("open "+s.path, err)
	}
	s.wconn = conn
	if err := s.prepareFile(ctx, conn); err != nil {
		return err
	}
	s.w = newWtx(s, conn)

	rdb, err := sql.Open("sqlite", s.dsn(busy, "query_only(1)"))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	s.rdb = rdb
	rdb.SetMaxOpenConns(s.opts.ReadConns)
	rdb.SetMaxIdleConns(s.opts.ReadConns)
	if err := rdb.PingContext(ctx); err != nil {
		return wrapDB("open "+s.path, err)
	}
	return nil
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close stops the writer goroutine and closes the database. Requests still
// queued fail with ErrClosed (nothing of theirs is written); so does every
// method called after Close. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.quit)
		<-s.stopped
		s.wmu.Lock() // a caller may be running a batch
		defer s.wmu.Unlock()
		s.w.closeStmts()
		s.closeErr = s.closeDBs()
		s.feedSignals.Close()
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = wrapDB("close", err)
		}
	}
	if s.wconn != nil {
		keep(s.wconn.Close())
	}
	if s.rdb != nil {
		keep(s.rdb.Close())
	}
	if s.wdb != nil {
		keep(s.wdb.Close())
	}
	if s.lock != nil {
		keep(s.lock.Close()) // last: the file is free once its connections are closed
	}
	return first
}

// readTx runs fn in a read transaction: every query in it sees one commit.
func (s *Store) readTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return wrapDB(op, err)
	}
	defer tx.Rollback() //nolint:errcheck // read only: nothing to undo
	return fn(tx)
}
