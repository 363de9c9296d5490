package sqlite

import (
	"encoding/json"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// The errors of this package, beyond the store sentinels (store.ErrNotFound
// and the others, which it returns as the contract says). Test with
// errors.Is.
var (
	// ErrClosed: the Store has been closed.
	ErrClosed = errors.New("sqlite: store closed")
	// ErrCorrupt: the database file is damaged: truncated, not an SQLite
	// database, or reported malformed by SQLite. Open refuses such a file
	// when it can tell at once (see Options.IntegrityCheck); otherwise the
	// first operation that reads the damaged part returns this error.
	// Nothing is written to a file found corrupt. It matches
	// store.ErrCorrupt.
	ErrCorrupt = fmt.Errorf("sqlite: database file is corrupt: %w", store.ErrCorrupt)
	// ErrSchemaTooNew: the database was written by a newer version of this
	// package (matched by every *SchemaVersionError). Open refuses it and
	// leaves it as it is.
	ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this package")
	// ErrNotBaton: the file is an SQLite database that belongs to another
	// application. Open refuses it and leaves it as it is.
	ErrNotBaton = errors.New("sqlite: not a baton database")
)

// SchemaVersionError reports a database whose schema version is newer than
// the newest this package knows. It matches ErrSchemaTooNew.
type SchemaVersionError struct {
	Path      string
	Found     int // the database's schema version
	Supported int // the newest version this package knows (SchemaVersion)
}

func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("sqlite: %s: database schema version %d is newer than version %d, the newest this package supports: upgrade github.com/batonhq/baton to open it",
		e.Path, e.Found, e.Supported)
}

// Is reports whether target is ErrSchemaTooNew.
func (e *SchemaVersionError) Is(target error) bool { return target == ErrSchemaTooNew }

// DecodeError reports a stored document that cannot be decoded: a release's
// snapshot, summary or event, a process version, an input set or a group.
// The stored data is left as it is. errors.As reaches the decoder's error
// through Unwrap (a *release.SnapshotError for a snapshot, a
// *release.EventError for an event that does not fold).
type DecodeError struct {
	// What is "snapshot", "summary", "event", "anchor", "process",
	// "input set", "group", "freeze", "policy" or "lease".
	What string
	// ID names the document's owner: the release, process, input set or
	// group id, or the lease key.
	ID string
	// Seq is the event's or snapshot's sequence number, or the process
	// version; 0 when it does not apply.
	Seq int64
	Err error
}

func (e *DecodeError) Error() string {
	switch {
	case e.What == "process":
		return fmt.Sprintf("sqlite: process %s version %d: decoding the stored document: %v", e.ID, e.Seq, e.Err)
	case e.Seq != 0:
		return fmt.Sprintf("sqlite: release %s: %s at seq %d: decoding the stored document: %v", e.ID, e.What, e.Seq, e.Err)
	case e.What == "summary":
		return fmt.Sprintf("sqlite: release %s: summary: decoding the stored document: %v", e.ID, e.Err)
	}
	return fmt.Sprintf("sqlite: %s %s: decoding the stored document: %v", e.What, e.ID, e.Err)
}

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is reports whether target is store.ErrCorrupt: a stored document that
// cannot be decoded is corrupt.
func (e *DecodeError) Is(target error) bool { return target == store.ErrCorrupt }

// corrupt returns a *store.CorruptError about release id.
func corrupt(id release.ID, what string, seq int64, format string, args ...any) error {
	return &store.CorruptError{Store: "sqlite", Release: id, What: what, Seq: seq, Err: fmt.Errorf(format, args...)}
}

// sqliteCode returns the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *msqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// isPrimaryKeyError reports whether err is SQLite's refusal of a row whose
// primary key is taken.
func isPrimaryKeyError(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// wrapDB wraps a driver error for an operation, marking corruption with
// ErrCorrupt.
func wrapDB(op string, err error) error {
	if err == nil {
		return nil
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("sqlite: %s: %w: %w", op, ErrCorrupt, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

func errf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("sqlite: "+format+": %w", append(args, sentinel)...)
}

// decodeDoc decodes the JSON document doc of the stored object id, a what
// ("freeze", "policy", "group", "input set"), into a new T.
func decodeDoc[T any](what, id string, doc []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(doc, v); err != nil {
		return nil, &DecodeError{What: what, ID: id, Err: err}
	}
	return v, nil
}
