package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// crashEnv names the database file a crash child writes to. When it is set
// the test binary runs crashChild instead of the tests (see TestMain).
const crashEnv = "BATON_SQLITE_CRASH_CHILD"

const crashReleases = 4

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if path := os.Getenv(holdEnv); path != "" {
		holdChild(path)
		return
	}
	os.Exit(m.Run())
}

// crashSnapshots snapshots every 5 events, so that crashes hit snapshot
// writes too.
func crashSnapshots(r *release.Release, last int64) bool { return r.Seq-last >= 5 }

// crashSyncEnv names the child's synchronous setting.
const crashSyncEnv = "BATON_SQLITE_CRASH_SYNC"

// crashOptions are the child's and the checker's options. Mostly
// SyncNormal: a killed process loses nothing the OS has (only a power loss
// can undo the last commits under NORMAL), and it spares the shared disk an
// fsync per commit, so a child gets far enough between kills. SyncFull
// runs the group commit's other path (a batch waiting for writers).
func crashOptions(mode sqlite.Synchronous) *sqlite.Options {
	return &sqlite.Options{Synchronous: mode, SnapshotDue: crashSnapshots}
}

// crashChild appends to crashReleases releases from one goroutine each
// (so commits are grouped) until it is killed, printing "ack RELEASE SEQ"
// once each append is acknowledged.
func crashChild(path string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	s, err := sqlite.Open(path, crashOptions(sqlite.Synchronous(os.Getenv(crashSyncEnv))))
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	var out sync.Mutex
	ack := func(id release.ID, seq int64) {
		out.Lock()
		fmt.Fprintf(os.Stdout, "ack %s %d\n", id, seq) // os.Stdout is unbuffered
		out.Unlock()
	}
	var wg sync.WaitGroup
	for i := range crashReleases {
		wg.Go(func() {
			id := crashID(i)
			r, err := s.GetRelease(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				var created release.Event
				r, created, err = release.Create(id, t0, "alice", "", release.ReleaseCreatedPayload{Name: "crash", Process: testProcess("crash", 6)})
				if err != nil {
					fail(err)
				}
				if err = s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}); err != nil {
					fail(err)
				}
				ack(id, 1)
			} else if err != nil {
				fail(err)
			}
			for {
				expected := r.Seq
				sealed, err := r.Record(crashNext(r)...)
				if err != nil {
					fail(err)
				}
				if err := s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}); err != nil {
					fail(err)
				}
				ack(id, r.Seq)
			}
		})
	}
	wg.Wait()
}

func crashID(i int) release.ID {
	return release.ID(fmt.Sprintf("0190d000-0000-7000-8000-%012d", 900+i))
}

// crashNext returns the next events for r, chosen from r's state alone so
// that a restarted child carries on: start the release, its phases and
// activities, then move activities between Running and Waiting for ever,
// a resume always with an outputs.submitted in the same append, and now and
// then an event of a kind this package does not know.
func crashNext(r *release.Release) []release.Event {
	at := t0.Add(time.Duration(r.Seq) * time.Second)
	ev := func(p release.Payload) release.Event {
		e, err := release.NewEvent(at, "executor", "", p)
		if err != nil {
			panic(err)
		}
		return e
	}
	if r.Status == release.Scheduled {
		return []release.Event{ev(release.ReleaseStartedPayload{})}
	}
	for _, ph := range r.Process.Phases {
		if r.Phases[ph.ID].Status == release.PhasePending {
			return []release.Event{ev(release.PhaseStartedPayload{Phase: ph.ID})}
		}
		for _, a := range ph.Activities {
			if k := release.Key(ph.ID, a.ID); r.Activities[k].Status == release.ActivityPending {
				return []release.Event{ev(release.ActivityStartedPayload{Activity: k})}
			}
		}
	}
	if r.Seq%7 == 0 {
		return []release.Event{{Kind: "custom.heartbeat", Time: at, Actor: "host", Payload: []byte(`{"n":` + strconv.FormatInt(r.Seq, 10) + `}`)}}
	}
	keys := make([]release.ActivityKey, 0, len(r.Activities))
	for _, ph := range r.Process.Phases {
		for _, a := range ph.Activities {
			keys = append(keys, release.Key(ph.ID, a.ID))
		}
	}
	k := keys[int(r.Seq)%len(keys)]
	if r.Activities[k].Status == release.ActivityRunning {
		return []release.Event{ev(release.ActivityWaitingPayload{Activity: k})}
	}
	return []release.Event{
		ev(release.ActivityResumedPayload{Activity: k}),
		ev(release.OutputsSubmittedPayload{Activity: k, Outputs: map[string]any{"seq": r.Seq}}),
	}
}

// TestCrashKeepsEveryAcknowledgedAppend runs a writer in a child process,
// kills it with SIGKILL at random points mid stream, and after each kill
// reopens the file and checks that every append acknowledged before the
// kill is there, that nothing half-written is (summaries, snapshots and
// two-event appends are whole), and that every chain verifies. Four files
// take six kills each, in parallel: 24 kills.
func TestCrashKeepsEveryAcknowledgedAppend(t *testing.T) {
	const files, killsPerFile = 4, 6
	for f := range files {
		mode := sqlite.SyncNormal
		if f == files-1 {
			mode = sqlite.SyncFull
		}
		t.Run(fmt.Sprintf("file=%d/sync=%s", f, mode), func(t *testing.T) {
			t.Parallel()
			seed := uint64(time.Now().UnixNano()) + uint64(f)
			t.Logf("seed %d", seed)
			crashLoop(t, rand.New(rand.NewPCG(seed, seed)), killsPerFile, mode)
		})
	}
}

func crashLoop(t *testing.T, rng *rand.Rand, kills int, mode sqlite.Synchronous) {
	path := t.TempDir() + "/crash.db"
	acked := map[release.ID]int64{}
	total := 0
	for kill := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path, crashSyncEnv+"="+string(mode))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Kill at a random point once the child has acknowledged a random
		// number of appends (counted, not timed: a loaded machine writes
		// slowly, and the test must still kill mid-stream).
		var seen []string
		for want := 1 + rng.IntN(12); len(seen) < want; {
			line, ok := <-lines
			require.True(t, ok, "kill %d: the child stopped writing after %d lines: %s", kill, len(seen), stderr.String())
			seen = append(seen, line)
		}
		time.Sleep(time.Duration(rng.IntN(20_000)) * time.Microsecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		runAcks := 0
		for _, line := range append(seen, drain(lines)...) {
			var id string
			var seq int64
			_, err := fmt.Sscanf(line, "ack %s %d", &id, &seq)
			require.NoError(t, err, "kill %d: line %q", kill, line)
			acked[release.ID(id)] = max(acked[release.ID(id)], seq)
			runAcks++
		}
		err = cmd.Wait()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "kill %d: the child ended on its own: %s", kill, stderr.String())
		require.Equal(t, "signal: killed", exit.Error(), "kill %d: %s", kill, stderr.String())
		total += runAcks
		checkCrashedFile(t, path, acked, mode)
	}
	require.Len(t, acked, crashReleases)
	require.Greater(t, total, kills, "the children acknowledged too few appends to test anything")
	t.Logf("%d kills, %d acknowledged appends, heads %v", kills, total, acked)
}

func drain(lines <-chan string) []string {
	var out []string
	for l := range lines {
		out = append(out, l)
	}
	return out
}

// checkCrashedFile reopens the file after a kill and checks it.
func checkCrashedFile(t *testing.T, path string, acked map[release.ID]int64, mode sqlite.Synchronous) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(path, crashOptions(mode))
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	defer raw.Close()
	for id, seq := range acked {
		var events []release.Event
		for after := int64(0); ; {
			page, err := s.ListEvents(ctx, &store.ListEventsParams{Release: id, AfterSeq: after, Limit: store.MaxLimit})
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			events = append(events, page...)
			after = page[len(page)-1].Seq
		}
		require.NoError(t, release.VerifyChain(events), "release %s", id)
		last := events[len(events)-1]
		require.GreaterOrEqual(t, last.Seq, seq, "release %s: acknowledged seq %d is missing", id, seq)
		for i, e := range events {
			if e.Kind == release.KindActivityResumed {
				require.Less(t, i+1, len(events), "release %s: half an append stored (seq %d)", id, e.Seq)
				require.Equal(t, release.KindOutputsSubmitted, events[i+1].Kind, "release %s: half an append stored (seq %d)", id, e.Seq)
			}
		}
		sum, err := s.GetReleaseSummary(ctx, id)
		require.NoError(t, err)
		require.Equal(t, last.Seq, sum.Seq, "release %s: the summary's head", id)
		require.Equal(t, last.Hash, sum.Hash, "release %s: the summary's head", id)
		folded, err := release.Fold(events)
		require.NoError(t, err)
		require.Equal(t, folded.Summary(), sum.Clone(), "release %s: the summary", id)
		loaded, err := s.GetRelease(ctx, id)
		require.NoError(t, err)
		requireSameRelease(t, folded, loaded)

		var snapSeq, rowSnapSeq int64
		var doc []byte
		require.NoError(t, raw.QueryRow(`SELECT snapshot_seq FROM releases WHERE id = ?`, string(id)).Scan(&rowSnapSeq))
		err = raw.QueryRow(`SELECT seq, doc FROM snapshots WHERE release_id = ?`, string(id)).Scan(&snapSeq, &doc)
		if errors.Is(err, sql.ErrNoRows) {
			require.Zero(t, rowSnapSeq, "release %s: the summary names a missing snapshot", id)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, rowSnapSeq, snapSeq, "release %s: the summary and the snapshot disagree", id)
		require.LessOrEqual(t, snapSeq, last.Seq)
		snap, err := release.UnmarshalSnapshot(doc)
		require.NoError(t, err, "release %s: snapshot at %d", id, snapSeq)
		atSnap, err := release.Fold(events[:snapSeq])
		require.NoError(t, err)
		requireSameRelease(t, atSnap, snap)
	}
}

// requireSameRelease compares releases by their snapshot encoding (times
// and numbers as JSON keeps them).
func requireSameRelease(t *testing.T, want, got *release.Release) {
	t.Helper()
	w, err := want.MarshalSnapshot()
	require.NoError(t, err)
	g, err := got.MarshalSnapshot()
	require.NoError(t, err)
	require.JSONEq(t, string(w), string(g))
}
