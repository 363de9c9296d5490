package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrInUse: another Store, in this process or another, has the database
// file open. Open refuses a second one rather than let two writers share
// the file (see the package doc). Test with errors.Is; the error is a
// *InUseError.
var ErrInUse = errors.New("sqlite: database file is in use by another Store")

// InUseError reports a database file another Store holds open. It matches
// ErrInUse.
type InUseError struct {
	Path string // the database file
	Lock string // the lock file beside it
	// PID is the process that holds it, as it wrote in the lock file; 0
	// when unknown.
	PID int
}

// Error names the file and, when known, the process that holds it.
func (e *InUseError) Error() string {
	msg := "sqlite: open " + e.Path + ": the database file is in use by another Store"
	if e.PID != 0 {
		msg += " (process " + strconv.Itoa(e.PID) + ")"
	}
	return msg + ": one Store at a time may open a file (" + e.Lock + " is locked); share it through that Store, or use store/postgres for many processes"
}

// Is reports whether target is ErrInUse.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// lockPath is the lock file of the database at path.
func lockPath(path string) string { return path + ".lock" }

// lockFile takes the exclusive lock on the database at path for the
// Store's lifetime: it opens (creating it when missing) the lock file
// beside the database and locks it without waiting. The operating system
// drops the lock when the file is closed or the process ends, however it
// ends (a kill included), so a crashed process never leaves the file
// locked. The lock file itself is never removed: removing it would let a
// third Store lock a new file while the second holds the old one.
func lockFile(path string) (*os.File, error) {
	lp := lockPath(path)
	if real, err := filepath.EvalSymlinks(path); err == nil {
		lp = lockPath(real) // one lock for every link to the file
	}
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: lock file: %w", path, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlite: open %s: locking %s: %w", path, lp, err)
	}
	if !held {
		pid := readPID(f)
		f.Close()
		return nil, &InUseError{Path: path, Lock: lp, PID: pid}
	}
	// Say who holds it, for the error of the next Open.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil {
		return 0
	}
	return pid
}
