package sqlite_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// filled makes a closed store file holding one process and one release of
// n transitions, and returns its path and the release's id.
func filled(t *testing.T, n int, opts *sqlite.Options) (string, release.ID) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "baton.db")
	s, err := sqlite.Open(path, opts)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = s.PutProcess(ctx, &store.PutProcessParams{Process: testProcess("deploy", 3), CreatedBy: "alice", Now: t0})
	require.NoError(t, err)
	d := newDriver(t, s, 1, 10)
	for range n {
		require.NoError(t, d.step(ctx, s))
	}
	require.NoError(t, s.Close())
	return path, d.r.ID
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return sha256.Sum256(b)
}

// rawDB opens the file without this package, to damage it.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	return db
}

func TestOpenRefusesDamagedFilesAndLeavesThemAsTheyAre(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string
	}{
		{"truncated to half", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, fi.Size()/2))
		}, "truncated"},
		{"truncated inside the header", func(t *testing.T, path string) {
			require.NoError(t, os.Truncate(path, 60))
		}, "shorter than the 100-byte SQLite header"},
		{"not an SQLite file", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte("release: 2.4.0\n"+string(make([]byte, 4096))), 0o600))
		}, "not an SQLite database"},
		{"bad page size", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte{0x03, 0x00}, 16) // 768: not a power of two
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, "page size 768"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, _ := filled(t, 300, nil)
			c.damage(t, path)
			before := fileSum(t, path)
			s, err := sqlite.Open(path, nil)
			require.ErrorIs(t, err, sqlite.ErrCorrupt)
			require.Nil(t, s)
			require.ErrorContains(t, err, c.want)
			require.ErrorContains(t, err, path)
			require.Equal(t, before, fileSum(t, path), "the file was modified")
			require.NoFileExists(t, path+"-wal")
		})
	}
}

// eventsRootPage returns the page number of the events table's root.
func eventsRootPage(t *testing.T, path string) int64 {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var root, pageSize int64
	require.NoError(t, db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'events'`).Scan(&root))
	require.NoError(t, db.QueryRow(`PRAGMA page_size`).Scan(&pageSize))
	require.Greater(t, root, int64(1))
	return (root - 1) * pageSize
}

func TestCorruptPageIsReportedByWhatReadsItAndNothingIsRewritten(t *testing.T) {
	path, id := filled(t, 300, nil)
	off := eventsRootPage(t, path)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	garbage := make([]byte, 512)
	for i := range garbage {
		garbage[i] = byte(i*7 + 3)
	}
	_, err = f.WriteAt(garbage, off)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	before := fileSum(t, path)
	ctx := context.Background()

	t.Run("IntegrityCheck refuses it at Open", func(t *testing.T) {
		s, err := sqlite.Open(path, &sqlite.Options{IntegrityCheck: true})
		require.ErrorIs(t, err, sqlite.ErrCorrupt)
		require.ErrorContains(t, err, "integrity check")
		require.Nil(t, s)
		require.Equal(t, before, fileSum(t, path))
	})
	t.Run("reads and writes of the damaged table fail; the rest reads", func(t *testing.T) {
		s, err := sqlite.Open(path, nil)
		require.NoError(t, err) // the header and schema are whole
		_, err = s.ListEvents(ctx, &store.ListEventsParams{Release: id})
		require.ErrorIs(t, err, sqlite.ErrCorrupt)
		_, err = s.GetRelease(ctx, id)
		require.ErrorIs(t, err, sqlite.ErrCorrupt)
		// The summary's head is the release's last event: it reads the
		// damaged table too.
		_, err = s.GetReleaseSummary(ctx, id)
		require.ErrorIs(t, err, sqlite.ErrCorrupt)
		p, err := s.GetProcess(ctx, "deploy", 0)
		require.NoError(t, err)
		require.Equal(t, process.ID("deploy"), p.ID)
		// An append must not write around the damage.
		r, created, err := release.Create(newID(t, 77), t0, "alice", "", release.ReleaseCreatedPayload{Name: "x", Process: testProcess("x", 1)})
		require.NoError(t, err)
		err = s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
		require.ErrorIs(t, err, sqlite.ErrCorrupt)
		require.NoError(t, s.Close())
		require.Equal(t, before, fileSum(t, path), "the file was modified")
	})
}

func TestOpenRefusesANewerSchemaNamingBothVersions(t *testing.T) {
	path, _ := filled(t, 5, nil)
	db := rawDB(t, path)
	_, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", sqlite.SchemaVersion+1))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	before := fileSum(t, path)

	s, err := sqlite.Open(path, nil)
	require.Nil(t, s)
	require.ErrorIs(t, err, sqlite.ErrSchemaTooNew)
	var ve *sqlite.SchemaVersionError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, sqlite.SchemaVersion+1, ve.Found)
	require.Equal(t, sqlite.SchemaVersion, ve.Supported)
	require.ErrorContains(t, err, fmt.Sprintf("version %d is newer than version %d", sqlite.SchemaVersion+1, sqlite.SchemaVersion))
	require.Equal(t, before, fileSum(t, path), "the file was modified")
}

func TestOpenRefusesAnotherApplicationsDatabase(t *testing.T) {
	for name, setup := range map[string]string{
		"tables without a version": `CREATE TABLE invoices (id INTEGER PRIMARY KEY)`,
		"another application id":   `PRAGMA application_id = 42`,
		"a version without our id": `PRAGMA user_version = 1`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "other.db")
			db := rawDB(t, path)
			_, err := db.Exec(setup)
			require.NoError(t, err)
			_, err = db.Exec(`CREATE TABLE IF NOT EXISTS keep (v TEXT)`)
			require.NoError(t, err)
			require.NoError(t, db.Close())
			before := fileSum(t, path)
			s, err := sqlite.Open(path, nil)
			require.Nil(t, s)
			require.ErrorIs(t, err, sqlite.ErrNotBaton)
			require.Equal(t, before, fileSum(t, path))
		})
	}
}

func TestReopenKeepsEverythingAndMigratesNothing(t *testing.T) {
	path, id := filled(t, 50, nil)
	s, err := sqlite.Open(path, nil)
	require.NoError(t, err)
	defer s.Close()
	r, err := s.GetRelease(context.Background(), id)
	require.NoError(t, err)
	// created, started, a phase, 10 activities started, then 50 transitions
	// of one event (Running -> Waiting) or two (Waiting -> Running, with outputs).
	require.Equal(t, int64(1+1+1+10+10*1+10*2+10*1+10*2+10*1), r.Seq)
	events, err := s.ListEvents(context.Background(), &store.ListEventsParams{Release: id, Limit: store.MaxLimit})
	require.NoError(t, err)
	require.NoError(t, release.VerifyChain(events))
}

func TestUnknownEventKindIsStoredAndReturnedAsGiven(t *testing.T) {
	s := openTemp(t, nil)
	ctx := context.Background()
	d := newDriver(t, s, 1, 2)
	custom := release.Event{Kind: "acme.canary-checked", Time: t0.Add(time.Hour), Actor: "acme-bot", Reason: "hourly",
		Payload: json.RawMessage(`{"zone":"eu-1","ok":true,"latency-ms":12.5}`)}
	expected := d.r.Seq
	sealed, err := d.r.Record(custom)
	require.NoError(t, err)
	require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: d.r}))
	require.NoError(t, d.step(ctx, s)) // and the log goes on after it

	got, err := s.ListEvents(ctx, &store.ListEventsParams{Release: d.r.ID, AfterSeq: expected, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, sealed, got)
	r, err := s.GetRelease(ctx, d.r.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1), r.Unknown["acme.canary-checked"])
	require.Equal(t, d.r.Seq, r.Seq)
}

// TestUndecodableStoredDocumentIsAClearErrorAndNothingIsLost damages one
// stored document: the read that meets it fails with ErrCorrupt naming the
// release, the part and its seq (a *DecodeError when the document cannot
// be decoded, a *store.CorruptError when its digest or hash gives it away
// first).
func TestUndecodableStoredDocumentIsAClearErrorAndNothingIsLost(t *testing.T) {
	cases := []struct {
		name    string
		damage  string // SQL run on the file; ? is the release id
		read    func(s *sqlite.Store, id release.ID) error
		what    string
		seq     int64
		message string
	}{
		{
			name:   "snapshot",
			damage: `UPDATE snapshots SET doc = '{"id": "half a snap' WHERE release_id = ?`,
			read: func(s *sqlite.Store, id release.ID) error {
				_, err := s.GetRelease(context.Background(), id)
				return err
			},
			what: "snapshot", seq: 20, message: "snapshot at seq 20: corrupt: the snapshot does not match its digest",
		},
		{
			name:   "event time",
			damage: `UPDATE events SET time = 'yesterday' WHERE key = (SELECT rid << 32 FROM releases WHERE id = ?) + 14`,
			read: func(s *sqlite.Store, id release.ID) error {
				_, err := s.ListEvents(context.Background(), &store.ListEventsParams{Release: id})
				return err
			},
			what: "event", seq: 14, message: "event at seq 14",
		},
		{
			name:   "event payload that does not fold",
			damage: `UPDATE events SET payload = CAST('{"activity": 7}' AS BLOB) WHERE key = (SELECT rid << 32 FROM releases WHERE id = ?) + 22`,
			read: func(s *sqlite.Store, id release.ID) error {
				_, err := s.GetRelease(context.Background(), id)
				return err
			},
			what: "event", seq: 22, message: "event at seq 22: corrupt: release: event 22 (index 1): altered",
		},
		{
			name:   "summary",
			damage: `UPDATE releases SET summary = CAST('[1,2' AS BLOB) WHERE id = ?`,
			read: func(s *sqlite.Store, id release.ID) error {
				_, err := s.GetReleaseSummary(context.Background(), id)
				return err
			},
			what: "summary", seq: 13, message: "summary at seq 13: corrupt: the summary does not match its digest",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// One snapshot, at seq 20: the release reaches seq 13 at once,
			// then 10 transitions of one event each (seq 14..23).
			opts := &sqlite.Options{SnapshotDue: func(r *release.Release, last int64) bool { return last == 0 && r.Seq >= 20 }}
			path, id := filled(t, 10, opts)
			db := rawDB(t, path)
			var events int
			require.NoError(t, db.QueryRow(`SELECT count(*) FROM events WHERE key >> 32 = (SELECT rid FROM releases WHERE id = ?)`, string(id)).Scan(&events))
			res, err := db.Exec(c.damage, string(id))
			require.NoError(t, err)
			n, err := res.RowsAffected()
			require.NoError(t, err)
			require.Equal(t, int64(1), n, "the damage hit nothing")
			require.NoError(t, db.Close())

			s, err := sqlite.Open(path, opts)
			require.NoError(t, err)
			defer s.Close()
			err = c.read(s, id)
			require.ErrorIs(t, err, store.ErrCorrupt)
			var de *sqlite.DecodeError
			var ce *store.CorruptError
			switch {
			case errors.As(err, &de):
				require.Equal(t, [3]any{c.what, string(id), c.seq}, [3]any{de.What, de.ID, de.Seq})
			case errors.As(err, &ce):
				require.Equal(t, [3]any{c.what, string(id), c.seq}, [3]any{ce.What, string(ce.Release), ce.Seq})
			default:
				require.Fail(t, "neither a DecodeError nor a CorruptError", "%v", err)
			}
			require.ErrorContains(t, err, string(id))
			require.ErrorContains(t, err, c.message)

			// Nothing else is lost: every event is still there.
			db = rawDB(t, path)
			defer db.Close()
			var after int
			require.NoError(t, db.QueryRow(`SELECT count(*) FROM events WHERE key >> 32 = (SELECT rid FROM releases WHERE id = ?)`, string(id)).Scan(&after))
			require.Equal(t, events, after)
		})
	}
}

func TestOpenOptionsAreChecked(t *testing.T) {
	for name, c := range map[string]struct {
		opts *sqlite.Options
		want string
	}{
		"synchronous":  {&sqlite.Options{Synchronous: "OFF"}, `Options.Synchronous "OFF"`},
		"busy timeout": {&sqlite.Options{BusyTimeout: -time.Second}, "Options.BusyTimeout -1s"},
		"read conns":   {&sqlite.Options{ReadConns: -1}, "Options.ReadConns -1"},
		"max batch":    {&sqlite.Options{MaxBatch: -2}, "Options.MaxBatch -2"},
		"wal limit":    {&sqlite.Options{WALLimit: -1}, "Options.WALLimit -1"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "x.db"), c.opts)
			require.Nil(t, s)
			require.ErrorContains(t, err, c.want)
		})
	}
	_, err := sqlite.Open("", nil)
	require.ErrorContains(t, err, "path: missing")
	_, err = sqlite.Open(t.TempDir(), nil)
	require.ErrorContains(t, err, "is a directory")
}

func TestCloseStopsTheWriterAndLaterCallsFail(t *testing.T) {
	base := runtime.NumGoroutine()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "x.db"), nil)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = s.CreateGroup(ctx, &release.Group{ID: "weekly", Process: "deploy"})
	require.NoError(t, err)
	require.Greater(t, runtime.NumGoroutine(), base)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	// Poll in this goroutine (require.Eventually would add its own).
	left := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); left > base && time.Now().Before(deadline); left = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, left, base, "goroutines left after Close")
	_, err = s.CreateGroup(ctx, &release.Group{ID: "daily", Process: "deploy"})
	require.ErrorIs(t, err, sqlite.ErrClosed)
	_, err = s.GetGroup(ctx, "weekly")
	require.ErrorIs(t, err, sqlite.ErrClosed)
}

// TestBatchedAppendsFailAlone appends from many goroutines at once, half of
// them at a stale sequence number: the stale ones fail with ErrConflict
// without failing the appends committed in the same transaction.
func TestBatchedAppendsFailAlone(t *testing.T) {
	for _, mode := range syncModes {
		t.Run(string(mode), func(t *testing.T) {
			s := openTemp(t, &sqlite.Options{Synchronous: mode})
			ctx := context.Background()
			const n = 16
			drivers := make([]*driver, n)
			stale := make([]int64, n)
			for i := range drivers {
				drivers[i] = newDriver(t, s, i+1, 3)
				stale[i] = drivers[i].r.Seq - 1
			}
			var wg sync.WaitGroup
			errs := make([]error, 2*n)
			for i, d := range drivers {
				wg.Go(func() { errs[2*i] = d.step(ctx, s) })
				wg.Go(func() {
					// A copy of the release one event behind: a writer that read
					// before another appended.
					r, err := s.GetRelease(ctx, d.r.ID)
					if err != nil {
						errs[2*i+1] = err
						return
					}
					e := mustEvent(t, t0.Add(time.Hour), release.CommentAddedPayload{Text: "late"})
					r.Seq, r.Hash = stale[i], [32]byte{} // pretend to be at the stale head
					sealed, err := release.Seal(release.Head{Release: r.ID, Seq: stale[i]}, []release.Event{e})
					if err != nil {
						errs[2*i+1] = err
						return
					}
					r.Seq, r.Hash = sealed[0].Seq, sealed[0].Hash
					errs[2*i+1] = s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: stale[i], Events: sealed, Release: r})
				})
			}
			wg.Wait()
			for i, d := range drivers {
				require.NoError(t, errs[2*i], "release %d", i)
				require.ErrorIs(t, errs[2*i+1], store.ErrConflict, "release %d", i)
				got, err := s.GetRelease(ctx, d.r.ID)
				require.NoError(t, err)
				requireSameRelease(t, d.r, got)
			}
		})
	}
}

// TestAppendFailingAfterItsFirstWriteLeavesNothingAndFailsAlone makes the
// snapshot policy panic for one release, after its append has started
// writing: that append fails, nothing of it stays, and the appends batched
// with it commit.
func TestAppendFailingAfterItsFirstWriteLeavesNothingAndFailsAlone(t *testing.T) {
	victim := newID(t, 1)
	opts := &sqlite.Options{Synchronous: sqlite.SyncNormal, SnapshotDue: func(r *release.Release, last int64) bool {
		if r.ID == victim && r.Seq > 20 {
			panic("policy broken")
		}
		return store.SnapshotDue(r, last)
	}}
	path := filepath.Join(t.TempDir(), "baton.db")
	s, err := sqlite.Open(path, opts)
	require.NoError(t, err)
	ctx := context.Background()
	const n = 8
	drivers := make([]*driver, n)
	for i := range drivers {
		drivers[i] = newDriver(t, s, i+1, 3) // seq 6: below the panic
	}
	head := drivers[0].r.Seq
	// Reopen: a writer that does not know a release reads its row and
	// head, queues the events (a write: they go in with the batch's
	// INSERT) and calls the policy after that, so the panic comes after a
	// write (and clears what the writer remembers, so it does every
	// round).
	require.NoError(t, s.Close())
	s, err = sqlite.Open(path, opts)
	require.NoError(t, err)
	defer s.Close()
	for round := range 10 {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, d := range drivers {
			if i == 0 {
				wg.Go(func() {
					// Always the same events at the same head: the release
					// after them reaches seq > 20, where the policy panics.
					r, err := s.GetRelease(ctx, victim)
					if err != nil {
						errs[i] = err
						return
					}
					var events []release.Event
					for range 16 {
						events = append(events, mustEvent(t, t0, release.CommentAddedPayload{Text: "x"}))
					}
					sealed, err := r.Record(events...)
					if err != nil {
						errs[i] = err
						return
					}
					errs[i] = s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: head, Events: sealed, Release: r})
				})
				continue
			}
			wg.Go(func() { errs[i] = d.step(ctx, s) })
		}
		wg.Wait()
		require.ErrorContains(t, errs[0], "policy broken", "round %d", round)
		for i := 1; i < n; i++ {
			require.NoError(t, errs[i], "round %d, release %d", round, i)
		}
	}
	sum, err := s.GetReleaseSummary(ctx, victim)
	require.NoError(t, err)
	require.Equal(t, head, sum.Seq)
	events, err := s.ListEvents(ctx, &store.ListEventsParams{Release: victim, Limit: store.MaxLimit})
	require.NoError(t, err)
	require.Len(t, events, int(head))
	for _, d := range drivers[1:] {
		got, err := s.GetRelease(ctx, d.r.ID)
		require.NoError(t, err)
		requireSameRelease(t, d.r, got)
	}
}

// TestRandomByteCorruptionsNeverGiveAWrongAnswer damages a copy of a store
// file one random byte at a time: every read of a release (GetRelease,
// GetReleaseSummary) must then return exactly what the undamaged file
// gives, or an error; never a release cut short or altered. 300 damages by
// default; BATON_CORRUPTIONS=N for more.
func TestRandomByteCorruptionsNeverGiveAWrongAnswer(t *testing.T) {
	n := 300
	if v := os.Getenv("BATON_CORRUPTIONS"); v != "" {
		_, err := fmt.Sscan(v, &n)
		require.NoError(t, err)
	}
	opts := &sqlite.Options{Synchronous: sqlite.SyncNormal,
		SnapshotDue: func(r *release.Release, last int64) bool { return r.Seq-last >= 25 }}
	path := filepath.Join(t.TempDir(), "baton.db")
	s, err := sqlite.Open(path, opts)
	require.NoError(t, err)
	ctx := context.Background()
	var ids []release.ID
	for i := range 4 {
		d := newDriver(t, s, i+1, 5+i)
		for range 20 + 15*i {
			require.NoError(t, d.step(ctx, s))
		}
		ids = append(ids, d.r.ID)
	}
	// What the undamaged file gives.
	want := map[release.ID][2][]byte{}
	for _, id := range ids {
		r, err := s.GetRelease(ctx, id)
		require.NoError(t, err)
		sum, err := s.GetReleaseSummary(ctx, id)
		require.NoError(t, err)
		rj, err := r.MarshalSnapshot()
		require.NoError(t, err)
		sj, err := json.Marshal(sum)
		require.NoError(t, err)
		want[id] = [2][]byte{rj, sj}
	}
	require.NoError(t, s.Close())
	clean, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoFileExists(t, path+"-wal")

	rng := rand.New(rand.NewPCG(12, uint64(n)))
	damaged := filepath.Join(t.TempDir(), "damaged.db")
	var refused, failed, same int
	for i := range n {
		data := bytes.Clone(clean)
		off := rng.IntN(len(data))
		data[off] ^= byte(1 + rng.IntN(255))
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(damaged + suffix)
		}
		require.NoError(t, os.WriteFile(damaged, data, 0o600))
		s, err := sqlite.Open(damaged, opts)
		if err != nil {
			refused++
			continue
		}
		for _, id := range ids {
			r, err := s.GetRelease(ctx, id)
			if err == nil {
				got, err := r.MarshalSnapshot()
				require.NoError(t, err)
				require.Equal(t, string(want[id][0]), string(got), "damage %d: byte %d: release %s loaded altered", i, off, id)
				same++
			} else {
				failed++
			}
			sum, err := s.GetReleaseSummary(ctx, id)
			if err == nil {
				got, err := json.Marshal(sum)
				require.NoError(t, err)
				require.Equal(t, string(want[id][1]), string(got), "damage %d: byte %d: summary of release %s altered", i, off, id)
				same++
			} else {
				failed++
			}
		}
		s.Close() //nolint:errcheck // the file is damaged
	}
	t.Logf("%d damages of a %d-byte file: %d refused at Open; %d reads as before, %d errors, 0 wrong", n, len(clean), refused, same, failed)
}
