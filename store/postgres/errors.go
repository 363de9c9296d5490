package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// The errors of this package, beyond the store sentinels (store.ErrNotFound
// and the others, which it returns as the contract says). Test with
// errors.Is.
var (
	// ErrClosed: the Store has been closed.
	ErrClosed = errors.New("postgres: store closed")
	// ErrSchemaTooNew: the schema was written by a newer version of this
	// package (matched by a *SchemaVersionError). New refuses it and leaves
	// it as it is.
	ErrSchemaTooNew = errors.New("postgres: database schema is newer than this package")
	// ErrMigrationNeeded: the schema is missing or older than this package
	// and Options.NoMigrate forbids migrating it (matched by a
	// *SchemaVersionError).
	ErrMigrationNeeded = errors.New("postgres: database schema needs migrating")
)

// SchemaVersionError reports a schema whose version New will not use: newer
// than this package knows (it matches ErrSchemaTooNew), or older with
// Options.NoMigrate set (it matches ErrMigrationNeeded).
type SchemaVersionError struct {
	Schema    string // the PostgreSQL schema
	Found     int    // the schema's version; 0 when it has none
	Supported int    // the version this package writes (SchemaVersion)
}

func (e *SchemaVersionError) Error() string {
	if e.Found > e.Supported {
		return fmt.Sprintf("postgres: schema %q is at version %d, newer than version %d, the newest this package supports: upgrade github.com/batonhq/baton to open it",
			e.Schema, e.Found, e.Supported)
	}
	return fmt.Sprintf("postgres: schema %q is at version %d, older than version %d, and Options.NoMigrate forbids migrating it",
		e.Schema, e.Found, e.Supported)
}

// Is reports whether target is ErrSchemaTooNew (a newer schema) or
// ErrMigrationNeeded (an older one).
func (e *SchemaVersionError) Is(target error) bool {
	if e.Found > e.Supported {
		return target == ErrSchemaTooNew
	}
	return target == ErrMigrationNeeded
}

// DecodeError reports a stored document that cannot be decoded: a release's
// snapshot, summary or event, a process version, an input set or a group.
// It matches store.ErrCorrupt; errors.As reaches the decoder's error
// through Unwrap.
type DecodeError struct {
	// What is "snapshot", "summary", "event", "anchor", "process",
	// "input set", "group", "group history", "freeze" or "policy".
	What string
	// ID names the document's owner: the release, process, input set or
	// group id.
	ID string
	// Seq is the event's or snapshot's sequence number, or the process
	// version; 0 when it does not apply.
	Seq int64
	Err error
}

func (e *DecodeError) Error() string {
	switch {
	case e.What == "process":
		return fmt.Sprintf("postgres: process %s version %d: decoding the stored document: %v", e.ID, e.Seq, e.Err)
	case e.Seq != 0:
		return fmt.Sprintf("postgres: release %s: %s at seq %d: decoding the stored document: %v", e.ID, e.What, e.Seq, e.Err)
	case e.What == "summary":
		return fmt.Sprintf("postgres: release %s: summary: decoding the stored document: %v", e.ID, e.Err)
	}
	return fmt.Sprintf("postgres: %s %s: decoding the stored document: %v", e.What, e.ID, e.Err)
}

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is reports whether target is store.ErrCorrupt.
func (e *DecodeError) Is(target error) bool { return target == store.ErrCorrupt }

// corrupt returns a *store.CorruptError about release id.
func corrupt(id release.ID, what string, seq int64, format string, args ...any) error {
	return &store.CorruptError{Store: "postgres", Release: id, What: what, Seq: seq, Err: fmt.Errorf(format, args...)}
}

// PostgreSQL error codes this package tells apart.
const (
	codeUniqueViolation = "23505"
	codeDataCorrupted   = "XX001"
	codeIndexCorrupted  = "XX002"
)

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// uniqueViolation returns the name of the unique constraint or index err
// violates, or "" when err is not a unique violation.
func uniqueViolation(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
		return pe.ConstraintName, true
	}
	return "", false
}

// wrapDB wraps a driver error for an operation: ctx's error when ctx is
// done, ErrClosed after Close, store.ErrCorrupt for damage PostgreSQL
// reports.
func (s *Store) wrapDB(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.closed.Load() {
		return ErrClosed
	}
	switch pgCode(err) {
	case codeDataCorrupted, codeIndexCorrupted:
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrCorrupt, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

func errf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("postgres: "+format+": %w", append(args, sentinel)...)
}

// storable reports whether PostgreSQL's text type can hold v: valid UTF-8
// without NUL bytes. Ids, names, lease keys and owners, and events' kinds,
// actors and reasons are text columns; documents and payloads are bytea
// and hold anything.
func storable(v string) bool { return utf8.ValidString(v) && strings.IndexByte(v, 0) < 0 }

// checkText returns a store.ErrInvalid that names the field when one of
// the values (given as name, value pairs) is not storable.
func checkText(op string, fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if !storable(fields[i+1]) {
			return errf(store.ErrInvalid, "%s: %s %q: PostgreSQL text holds neither NUL bytes nor invalid UTF-8", op, fields[i], fields[i+1])
		}
	}
	return nil
}

// checkEvents checks the text fields of events with checkText.
func checkEvents(op string, events []release.Event) error {
	for i := range events {
		e := &events[i]
		if err := checkText(fmt.Sprintf("%s: event %d", op, e.Seq), "Kind", string(e.Kind), "Actor", e.Actor, "Reason", e.Reason); err != nil {
			return err
		}
	}
	return nil
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
