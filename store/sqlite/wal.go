package sqlite

import (
	"context"
	"fmt"
	"os"
	"time"
)

// The writer looks at the log's size every walCheckEvery batches. Past
// Options.WALLimit a truncating checkpoint waits at most walBusyWait for
// the readers still using the log; past walHardFactor times the limit (the
// readers kept it every time), as long as Options.BusyTimeout.
const (
	walCheckEvery = 32
	walBusyWait   = 100 * time.Millisecond
	walHardFactor = 4
)

// boundWAL checkpoints the write-ahead log in full and truncates it when it
// has grown past Options.WALLimit: readers that keep using the log starve
// SQLite's own checkpoints of the moment they need to start it again from
// the beginning, and the file grows. It runs on the writer connection
// between batches (s.wmu held), so no write waits on it longer than
// walBusyWait; when readers still hold the log then, the next check tries
// again, and past walHardFactor times the limit it waits as long as any
// operation waits for a lock. A failure is not the batch's: the log is only
// left larger.
func (s *Store) boundWAL() {
	fi, err := os.Stat(s.path + "-wal")
	if err != nil || fi.Size() <= s.opts.WALLimit {
		return
	}
	wait := walBusyWait
	if fi.Size() > walHardFactor*s.opts.WALLimit {
		wait = max(wait, s.opts.BusyTimeout)
	}
	ctx := context.Background()
	conn := s.wconn
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout=%d", wait.Milliseconds())); err != nil {
		return
	}
	defer conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout=%d", s.opts.BusyTimeout.Milliseconds())) //nolint:errcheck // the next statement reports a broken connection
	var busy, logPages, done int64
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logPages, &done); err != nil || busy != 0 {
		return
	}
	s.truncations.Add(1)
}
