package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/sqlite"
	"github.com/stretchr/testify/require"
)

// The property test: random processes (phases with dependencies, activities
// with dependencies, failures, permanent failures, retries with backoff,
// every on-failure strategy, rollbacks, manual tasks and approvals with
// quorums (some nobody acts on until their timeout), subprocesses whose
// child succeeds, fails or hangs until its timeout, if conditions on
// phases and on outputs, Parallelism 1-4),
// each run to its end on a fake clock with people who complete tasks,
// submit outputs, approve or now and then reject, and an operator who
// retries or ignores what is held and now and then pauses, skips, rolls
// back or aborts (driveToEnd). Some first attempts hang until their
// timeout. Whatever the process, the execution rules (dependencies, retries, on-failure, approvals) must hold in the
// stored result, the adapter calls (checkRules) and the child releases
// (checkChildren). Every tenth seed runs on SQLite instead of memstore;
// every third crashes its executor at a random write (3rd to 14th, applied
// or not) and finishes on a fresh one, where the rules that must survive a
// crash are checked (an attempt may then run twice, with the same
// idempotency key, but never unrecorded). 300 seeds by default;
// BATON_PROPERTY_SEEDS for more. The bugs it found each have a
// deterministic test of their own (see the commits that fixed them).

// randomSpec is a generated process and what its adapter will do.
type randomSpec struct {
	doc         string
	parallelism int
	acts        []randomAct
	phaseDeps   map[string][]string // phase -> the phases it depends on
}

type randomAct struct {
	key       release.ActivityKey
	phase     string
	deps      []release.ActivityKey // within its phase
	cond      release.ActivityKey   // runs if this dependency's output v is not "substitute" ("": no if)
	phaseOff  bool                  // its phase's if is false
	slow      bool                  // people do not act on its first attempt, which times out
	fails     int                   // attempts that fail before one succeeds
	permanent bool                  // its failures are permanent (no retry helps)
	attempts  int                   // retry max-attempts (1: no retries)
	onFailure string                // "" (hold, the default), fail, ignore, hold, rollback
	rollback  bool                  // has a rollback (uses: undo)
	human     string                // "" (automated, uses: work), manual, approval or subprocess
	hangs     bool                  // its first attempt hangs until its timeout
}

const randomTimeout = 30 * time.Second

// withSubprocesses adds subprocess activities to the generated processes
// (BATON_PROPERTY_SUBPROCESS=0 leaves them out). They found two bugs, each
// now with a test of its own: a look for a missing child reloaded the
// parent, which asked for another look before making the child, without
// end (TestAMissingChildIsCreatedOnResume); and a child made after its
// parent was aborted ran (TestAChildMadeAfterItsParentWasAbortedIsAborted).
var withSubprocesses = os.Getenv("BATON_PROPERTY_SUBPROCESS") != "0"

// The child processes a subprocess activity runs: one succeeds, one
// fails (and with it the subprocess activity), one hangs until the
// subprocess's timeout aborts it.
const (
	childOK = `
id: child-ok
phases:
  - id: c
    activities:
      - {id: x, uses: work, outputs: [v], with: {fails: 0, permanent: false, hang: false}}
`
	childBad = `
id: child-bad
phases:
  - id: c
    activities:
      - {id: x, uses: work, on-failure: fail, with: {fails: 1, permanent: true, hang: false}}
`
	childSlow = `
id: child-slow
phases:
  - id: c
    activities:
      - {id: x, uses: work, with: {fails: 0, permanent: false, hang: true}}
`
)

const randomBackoff = 10 * time.Second

func genRandomSpec(seed uint64) randomSpec {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	s := randomSpec{parallelism: 1 + rng.IntN(4), phaseDeps: map[string][]string{}}
	var b strings.Builder
	b.WriteString("id: random\nphases:\n")
	phases := 1 + rng.IntN(4)
	for p := range phases {
		pid := fmt.Sprintf("p%d", p)
		fmt.Fprintf(&b, "  - id: %s\n", pid)
		for q := range p {
			if rng.IntN(2) == 0 {
				s.phaseDeps[pid] = append(s.phaseDeps[pid], fmt.Sprintf("p%d", q))
			}
		}
		if len(s.phaseDeps[pid]) > 0 {
			fmt.Fprintf(&b, "    depends-on: [%s]\n", strings.Join(s.phaseDeps[pid], ", "))
		}
		phaseOff := rng.IntN(10) == 0
		if phaseOff {
			b.WriteString("    if: '1 == 2'\n")
		}
		b.WriteString("    activities:\n")
		n := 1 + rng.IntN(6)
		for i := range n {
			a := randomAct{key: release.Key(process.PhaseID(pid), process.ActivityID(fmt.Sprintf("a%d", i))), phase: pid, attempts: 1, phaseOff: phaseOff}
			var deps []string
			for j := range i {
				if rng.IntN(3) == 0 {
					deps = append(deps, fmt.Sprintf("a%d", j))
					a.deps = append(a.deps, release.Key(process.PhaseID(pid), process.ActivityID(fmt.Sprintf("a%d", j))))
				}
			}
			a.onFailure = []string{"", "fail", "ignore", "hold", "rollback"}[rng.IntN(5)]
			kind := rng.IntN(10)
			if kind == 2 && !withSubprocesses {
				kind = 3 // automated
			}
			if kind <= 1 {
				a.slow = rng.IntN(4) == 0
			}
			switch kind {
			case 0:
				a.human = "manual"
				fmt.Fprintf(&b, "      - {id: a%d, type: manual, tasks: [{id: t, required: true}], outputs: [v]", i)
			case 1:
				a.human = "approval"
				fmt.Fprintf(&b, "      - {id: a%d, type: approval, approval: {approvers: [bob, carol, dave], min: %d}", i, 1+rng.IntN(3))
			case 2:
				a.human = "subprocess" // no adapter of its own: a child release runs
				child := []string{"child-ok", "child-bad", "child-slow"}[rng.IntN(3)]
				fmt.Fprintf(&b, "      - {id: a%d, type: subprocess, process: %s", i, child)
				if child == "child-slow" {
					fmt.Fprintf(&b, ", timeout: %s", randomTimeout)
				}
			default:
				if rng.IntN(2) == 0 {
					a.fails = 1 + rng.IntN(3)
					a.permanent = rng.IntN(4) == 0
				}
				if rng.IntN(2) == 0 {
					a.attempts = 2 + rng.IntN(2)
				}
				a.rollback = rng.IntN(2) == 0
				a.hangs = a.fails == 0 && rng.IntN(8) == 0
				fmt.Fprintf(&b, "      - {id: a%d, uses: work, outputs: [v], with: {fails: %d, permanent: %v, hang: %v}", i, a.fails, a.permanent, a.hangs)
				if a.hangs {
					fmt.Fprintf(&b, ", timeout: %s", randomTimeout)
				}
			}
			if a.slow {
				fmt.Fprintf(&b, ", timeout: %s", randomTimeout)
			}
			if len(deps) > 0 {
				fmt.Fprintf(&b, ", depends-on: [%s]", strings.Join(deps, ", "))
				var withV []int // dependencies that declare the output v
				for j, d := range a.deps {
					if slices.ContainsFunc(s.acts, func(x randomAct) bool { return x.key == d && (x.human == "" || x.human == "manual") }) {
						withV = append(withV, j)
					}
				}
				if len(withV) > 0 && rng.IntN(4) == 0 {
					j := withV[rng.IntN(len(withV))]
					a.cond = a.deps[j]
					fmt.Fprintf(&b, `, if: 'phases.%s.activities.%s.outputs.v != "substitute"'`, pid, deps[j])
				}
			}
			if a.attempts > 1 {
				fmt.Fprintf(&b, ", retry: {max-attempts: %d, backoff: %s}", a.attempts, randomBackoff)
			}
			if a.onFailure != "" {
				fmt.Fprintf(&b, ", on-failure: %s", a.onFailure)
			}
			if a.rollback {
				b.WriteString(", rollback: {uses: undo}")
			}
			b.WriteString("}\n")
			s.acts = append(s.acts, a)
		}
	}
	s.doc = b.String()
	return s
}

// randomCalls records the adapter calls of one run.
type randomCalls struct {
	mu    sync.Mutex
	work  map[release.ActivityKey][]int // attempts called, in order
	undo  []release.ActivityKey
	dupes []string
}

func (l *randomCalls) adapters() []adapters.Adapter {
	seen := map[string]bool{}
	work := adapters.Func("work", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		l.mu.Lock()
		key := fmt.Sprintf("%s/%s#%d", req.Release, req.Activity, req.Attempt)
		if seen[key] {
			l.dupes = append(l.dupes, key)
		}
		seen[key] = true
		if !strings.HasPrefix(string(req.Activity), "c.") { // the parent's, not a child's
			l.work[req.Activity] = append(l.work[req.Activity], req.Attempt)
		}
		l.mu.Unlock()
		if req.With["hang"] == true && req.Attempt == 1 {
			<-ctx.Done() // until the timeout (or an abort) cancels it
			return nil, ctx.Err()
		}
		fails, _ := req.With["fails"].(float64)
		if req.Attempt <= int(fails) {
			err := fmt.Errorf("attempt %d of %s failed", req.Attempt, req.Activity)
			if req.With["permanent"] == true {
				return nil, adapters.Permanent(err)
			}
			return nil, err
		}
		return &adapters.Result{Outputs: map[string]any{"v": string(req.Activity)}}, nil
	})
	undo := adapters.Func("undo", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		l.mu.Lock()
		l.undo = append(l.undo, req.Activity)
		l.mu.Unlock()
		return nil, nil
	})
	return []adapters.Adapter{work, undo}
}

// writerFunc is an io.Writer made of a function.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestRandomReleasesKeepTheRules(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 40
	}
	if n, err := strconv.Atoi(os.Getenv("BATON_PROPERTY_SEEDS")); err == nil && n > 0 {
		seeds = n // e.g. BATON_PROPERTY_SEEDS=5000 to search further
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			spec := genRandomSpec(seed)
			calls := &randomCalls{work: map[release.ActivityKey][]int{}}
			var logBuf strings.Builder
			var logMu sync.Mutex
			logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
				logMu.Lock()
				defer logMu.Unlock()
				return logBuf.Write(p)
			}), &slog.HandlerOptions{Level: slog.LevelDebug}))
			defer func() {
				if t.Failed() {
					logMu.Lock()
					t.Logf("LOG:\n%s", logBuf.String())
					logMu.Unlock()
				}
			}()
			// The clock jumps 10 s a step while hundreds of these share two
			// cores: a lease renewed every 10 s of that clock could lapse
			// between two turns of the executor's timer goroutine, and a
			// lapsed lease lets another instance take over (making the
			// running calls again: right for a takeover, noise here). There
			// is one instance, so the lease is long.
			// Every tenth seed runs on a SQLite file (synchronous=NORMAL:
			// the commits are what matters here, not the fsyncs).
			var st store.Store = memstore.New(nil)
			if seed%10 == 9 {
				sq, err := sqlite.Open(filepath.Join(t.TempDir(), "baton.db"), &sqlite.Options{Synchronous: sqlite.SyncNormal})
				require.NoError(t, err)
				t.Cleanup(func() { require.NoError(t, sq.Close()) })
				st = sq
			}
			// Every third seed crashes: its first executor's store fails
			// every call from its Nth write on (that write applied or not),
			// and a fresh executor takes over on the same store.
			var fs *faultStore
			if seed%3 == 1 {
				rng := rand.New(rand.NewPCG(seed, 0xc7a5))
				fs = newFaultStore(st, 3+rng.IntN(12), rng.IntN(2) == 0)
			}
			h := newHarnessOn(t, st, &Config{Parallelism: spec.parallelism, LeaseDuration: 1000 * time.Hour, Logger: logger}, calls.adapters()...)
			h.put(childOK)
			h.put(childBad)
			h.put(childSlow)
			h.put(spec.doc)
			if fs != nil {
				h.shutdown()
				h.store = fs
				h.start()
			}
			// The crash may come during Create itself (the release stored,
			// its start not): the fresh executor starts it.
			sum, err := h.ex.Create(context.Background(), &CreateParams{Process: "random", By: By{Actor: "alice"}})
			if err != nil {
				require.ErrorIs(t, err, errCrashed)
				require.NotEmpty(t, sum.ID, "Create says which release it stored: %v", err)
			}
			id := sum.ID
			crashed := false
			recover := func() {
				if fs != nil && !crashed && fs.isCrashed() {
					crashed = true
					t.Logf("crashed at write %d (applied: %v); a fresh executor takes over", fs.crashAt, fs.after)
					h.shutdown()
					h.store = st
					h.start()
				}
			}
			rel, aborted, operatorRolledBack := driveToEnd(t, h, id, spec, seed, recover)
			events := storedEvents(t, h.store, id)
			calls.mu.Lock()
			defer calls.mu.Unlock()
			defer func() {
				if t.Failed() {
					t.Logf("process:\n%s\n%s", spec.doc, dump(rel))
					for _, e := range events {
						t.Logf("%3d %s %-22s %-8s %s", e.Seq, e.Time.Format("15:04:05"), e.Kind, e.Actor, e.Payload)
					}
					t.Logf("calls: %v undo: %v crashed: %v", calls.work, calls.undo, crashed)
				}
			}()
			checkRules(t, spec, rel, events, calls, aborted, operatorRolledBack, crashed)
			checkChildren(t, h, spec, rel)
			logMu.Lock()
			defer logMu.Unlock()
			require.NotRegexp(t, refusedRecord, logBuf.String(), "the executor tried to record an event the release refused")
		})
	}
}

// refusedRecord matches the error of an event the release refused
// (run.record's "release X: recording activity.started: ...").
var refusedRecord = regexp.MustCompile(`release \S+: recording [a-z]+\.[a-z-]+: `)

// driveToEnd lets time pass and plays an operator until the release
// ends: a held activity is retried with inputs that make it succeed,
// retried as it was, or ignored with substitute outputs; now and then the
// operator pauses the release (and resumes it at the next step), skips an
// activity not yet started, or aborts the release. Refusals (the state
// moved on meanwhile) must be ErrIllegal.
func driveToEnd(t *testing.T, h *harness, id release.ID, spec randomSpec, seed uint64, recover func()) (_ *release.Release, aborted, rolledBack bool) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x0be7))
	by := By{Actor: "oncall", Reason: "property test"}
	refused := func(err error) {
		t.Helper()
		// Refusals that the state explains: the state moved on meanwhile,
		// a person decided twice, or the store crashed under the call.
		if err != nil && !errors.Is(err, ErrIllegal) && !errors.Is(err, ErrForbidden) && !errors.Is(err, errCrashed) {
			require.NoError(t, err)
		}
	}
	aborted, paused, rolledBack := false, false, false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		recover()
		r, err := h.store.GetRelease(ctx, id)
		if errors.Is(err, errCrashed) {
			continue
		}
		require.NoError(t, err)
		if r.Status.Terminal() {
			// Let anything still in flight settle: nothing may move after
			// the end (checked below).
			time.Sleep(5 * time.Millisecond)
			recover()
			return h.get(id), aborted, rolledBack
		}
		if paused {
			refused(h.ex.Resume(ctx, id, &by))
			paused = false
		}
		for _, a := range spec.acts {
			st := r.Activities[a.key]
			switch {
			case st.Status == release.ActivityOnHold:
				switch choice := rng.IntN(4); {
				case choice == 0 && len(st.Attempts) < 4 || a.human == "approval":
					// A rejected approval is asked again, never ignored.
					refused(h.ex.Retry(ctx, id, a.key, &RetryParams{By: By{Actor: "oncall", Reason: "again"}}))
				case choice == 1:
					refused(h.ex.Ignore(ctx, id, a.key, &IgnoreParams{By: By{Actor: "oncall", Reason: "not needed"}, Outputs: map[string]any{"v": "substitute"}}))
				case a.human != "":
					// Only automated activities take new inputs.
					refused(h.ex.Retry(ctx, id, a.key, &RetryParams{By: By{Actor: "oncall", Reason: "fixed"}}))
				default:
					refused(h.ex.Retry(ctx, id, a.key, &RetryParams{By: By{Actor: "oncall", Reason: "fixed"}, Inputs: map[string]any{"fails": 0, "permanent": false}}))
				}
			case st.Status == release.ActivityWaiting && a.slow && len(st.Attempts) == 1:
				// Nobody gets to it: it times out.
			case st.Status == release.ActivityWaiting && a.human == "manual":
				if st.Outputs["v"] == nil {
					refused(h.ex.SubmitOutputs(ctx, id, a.key, &OutputsParams{By: By{Actor: "qa"}, Outputs: map[string]any{"v": "checked"}}))
				}
				refused(h.ex.CompleteTask(ctx, id, a.key, "t", &By{Actor: "qa"}))
			case st.Status == release.ActivityWaiting && a.human == "approval":
				for _, who := range []string{"bob", "carol", "dave"} {
					if rng.IntN(8) == 0 {
						refused(h.ex.Reject(ctx, id, a.key, &DecisionParams{By: By{Actor: who, Reason: "not yet"}}))
					} else {
						refused(h.ex.Approve(ctx, id, a.key, &DecisionParams{By: By{Actor: who}}))
					}
				}
			case st.Status == release.ActivityPending && rng.IntN(40) == 0:
				if a.human == "approval" {
					if err := h.ex.Skip(ctx, id, a.key, &by); !errors.Is(err, errCrashed) {
						require.ErrorIs(t, err, ErrInvalid, "an approval is never skipped")
					}
					break
				}
				refused(h.ex.Skip(ctx, id, a.key, &by))
			}
		}
		switch rng.IntN(60) {
		case 0:
			refused(h.ex.Pause(ctx, id, &by))
			paused = true
		case 1:
			refused(h.ex.Abort(ctx, id, &by))
			aborted = true
		case 2:
			refused(h.ex.RollBack(ctx, id, &by))
			rolledBack = true
		}
		h.advance(randomBackoff)
		time.Sleep(time.Millisecond)
	}
	r := h.get(id)
	t.Fatalf("release did not end:\n%s\n%s", spec.doc, dump(r))
	return nil, false, false
}

// checkRules checks what every run must show, whatever the process.
func checkRules(t *testing.T, spec randomSpec, rel *release.Release, events []release.Event, calls *randomCalls, aborted, operatorRolledBack, crashed bool) {
	t.Helper()
	// The log is the truth: it verifies, and folding it gives the release.
	require.NoError(t, release.VerifyChain(events))
	folded, err := release.Fold(events)
	require.NoError(t, err)
	require.Equal(t, outcomeOf(rel), outcomeOf(folded), "folding the log reproduces the stored release")

	// Nothing runs or waits once the release has ended.
	require.True(t, rel.Status.Terminal(), "release %s", rel.Status)
	done := func(s release.ActivityStatus) bool {
		return s == release.ActivitySucceeded || s == release.ActivityIgnored || s == release.ActivitySkipped
	}
	ignored := 0
	for _, a := range spec.acts {
		st := rel.Activities[a.key].Status
		require.NotContains(t, []release.ActivityStatus{release.ActivityRunning, release.ActivityWaiting, release.ActivityOnHold}, st,
			"activity %s is %s in a %s release", a.key, st, rel.Status)
		if st == release.ActivityIgnored {
			ignored++
		}
	}
	switch rel.Status {
	case release.Succeeded, release.PartialSuccess:
		for _, a := range spec.acts {
			require.True(t, done(rel.Activities[a.key].Status), "activity %s is %s in a %s release", a.key, rel.Activities[a.key].Status, rel.Status)
		}
		require.Equal(t, rel.Status == release.PartialSuccess, ignored > 0, "PartialSuccess iff a failure was ignored (%d ignored)", ignored)
	case release.Failed, release.RolledBack:
		strategy := map[release.Status][]string{release.Failed: {"fail"}, release.RolledBack: {"rollback"}}[rel.Status]
		var culprit bool
		for _, a := range spec.acts {
			st := rel.Activities[a.key]
			failedOnce := st.Status == release.ActivityFailed
			for _, at := range st.Attempts {
				failedOnce = failedOnce || at.Error != ""
			}
			culprit = culprit || (failedOnce && slices.Contains(strategy, a.onFailure))
		}
		require.True(t, culprit || (rel.Status == release.RolledBack && operatorRolledBack),
			"a %s release has an activity that failed with on-failure %v, or an operator rolled it back", rel.Status, strategy)
	case release.Aborted:
		require.True(t, aborted, "release aborted, but nobody aborted it")
	default:
		t.Fatalf("release ended %s", rel.Status)
	}

	// Every attempt recorded was called once, and every call recorded.
	// After a crash an attempt that was running is run again with the
	// same idempotency key: called more than once, never unrecorded.
	if !crashed {
		require.Empty(t, calls.dupes, "adapter called twice for the same attempt")
	}
	for _, a := range spec.acts {
		if a.human != "" {
			continue // no adapter; people decide when it ends
		}
		called := calls.work[a.key]
		if crashed {
			called = slices.Compact(slices.Clone(called))
		}
		var recorded []int
		for _, at := range rel.Activities[a.key].Attempts {
			if at.TimedOut && !slices.Contains(called, at.Number) {
				// Timed out before a worker got to the call (a loaded
				// machine, and the fake clock runs on): the call is
				// never made.
				continue
			}
			recorded = append(recorded, at.Number)
		}
		if rel.Activities[a.key].Status == release.ActivityAborted && len(called) == len(recorded)-1 {
			// Aborted between recording its start and making the call:
			// the call is never made.
			recorded = recorded[:len(recorded)-1]
		}
		if len(recorded) == 0 {
			recorded = nil
		}
		require.Equal(t, recorded, called, "attempts of %s: recorded vs called", a.key)
		// A hanging first attempt ends when its timeout says (or an abort,
		// a rollback or a crash cuts it short).
		atts := rel.Activities[a.key].Attempts
		if a.hangs && len(atts) > 1 {
			require.True(t, atts[0].TimedOut, "attempt 1 of %s hung: it ends timed out", a.key)
			require.GreaterOrEqual(t, atts[0].EndedAt.Sub(atts[0].StartedAt), randomTimeout, "attempt 1 of %s timed out early", a.key)
		}
		// Automatic retries wait at least the backoff after a failure.
		for i := 1; i < len(atts); i++ {
			if atts[i].Actor == "oncall" {
				continue // an operator's retry waits for nobody
			}
			require.GreaterOrEqual(t, atts[i].StartedAt.Sub(atts[i-1].EndedAt), randomBackoff,
				"attempt %d of %s started %v after attempt %d ended", i+1, a.key, atts[i].StartedAt.Sub(atts[i-1].EndedAt), i)
		}
	}

	// People's timeouts: an attempt of work for people that timed out
	// waited the whole timeout; the first attempt of a slow one, which
	// nobody acts on, never succeeds.
	for _, a := range spec.acts {
		if a.human != "manual" && a.human != "approval" {
			continue
		}
		for _, at := range rel.Activities[a.key].Attempts {
			if at.TimedOut {
				require.True(t, a.slow, "attempt %d of %s timed out without a timeout", at.Number, a.key)
				require.GreaterOrEqual(t, at.EndedAt.Sub(at.StartedAt), randomTimeout, "attempt %d of %s timed out early", at.Number, a.key)
			}
		}
		if st := rel.Activities[a.key]; a.slow && len(st.Attempts) == 1 {
			require.NotEqual(t, release.ActivitySucceeded, st.Status, "%s succeeded though nobody acted on it", a.key)
		}
	}

	// Conditions: an activity of a phase whose if is false never starts; an
	// activity whose if reads a dependency's output starts iff the output
	// was not the operator's substitute (it is skipped otherwise: not by
	// the operator).
	skippedBy := map[release.ActivityKey]release.Event{}
	for _, e := range events {
		var ref struct {
			Activity release.ActivityKey `json:"activity"`
		}
		if e.Kind == release.KindActivitySkipped && json.Unmarshal(e.Payload, &ref) == nil {
			skippedBy[ref.Activity] = e
		}
	}
	for _, a := range spec.acts {
		st := rel.Activities[a.key]
		if a.phaseOff {
			require.Empty(t, st.Attempts, "%s started in a phase whose if is false", a.key)
			continue
		}
		if a.cond == "" {
			continue
		}
		// A dependency skipped has no output: the condition cannot be
		// evaluated, and the activity is skipped saying so.
		v, has := rel.Activities[a.cond].Outputs["v"]
		if len(st.Attempts) > 0 {
			require.True(t, has && v != "substitute", "%s started though %s's output is %v", a.key, a.cond, v)
		}
		if e, ok := skippedBy[a.key]; ok && e.Actor != "oncall" {
			require.True(t, !has || v == "substitute", "%s was skipped (%q) though %s's output is %v", a.key, e.Reason, a.cond, v)
			if !has {
				require.Contains(t, e.Reason, "condition could not be evaluated")
			}
		}
	}

	// Order: an activity starts only once its dependencies (its own and
	// its phase's) are done, and never more than Parallelism run at once.
	type activityRef struct {
		Activity release.ActivityKey `json:"activity"`
	}
	doneAt := map[release.ActivityKey]int64{}
	running := map[release.ActivityKey]bool{}
	byKey := map[release.ActivityKey]randomAct{}
	for _, a := range spec.acts {
		byKey[a.key] = a
	}
	var rolledBack []release.ActivityKey
	for _, e := range events {
		if e.Kind == release.KindPhaseSkipped { // its activities are skipped with it: done
			var ph struct {
				Phase string `json:"phase"`
			}
			require.NoError(t, json.Unmarshal(e.Payload, &ph))
			for _, a := range spec.acts {
				if a.phase == ph.Phase {
					doneAt[a.key] = e.Seq
				}
			}
			continue
		}
		var ref activityRef
		if !strings.HasPrefix(string(e.Kind), "activity.") || json.Unmarshal(e.Payload, &ref) != nil || ref.Activity == "" {
			continue
		}
		a := byKey[ref.Activity]
		switch e.Kind {
		case release.KindActivityStarted:
			for _, d := range deps(spec, a) {
				seq, ok := doneAt[d]
				require.True(t, ok && seq < e.Seq, "%s started (event %d) before its dependency %s was done", a.key, e.Seq, d)
			}
			if a.human == "manual" || a.human == "approval" {
				continue // waiting on people takes no slot
			}
			running[a.key] = true
			n := 0
			for _, r := range running {
				if r {
					n++
				}
			}
			if e.Actor != "oncall" { // an operator's retry starts at once (Config.Parallelism)
				require.LessOrEqual(t, n, spec.parallelism, "event %d: %d activities running, Parallelism %d", e.Seq, n, spec.parallelism)
			}
		case release.KindActivitySucceeded, release.KindActivityIgnored, release.KindActivitySkipped:
			running[a.key] = false
			doneAt[a.key] = e.Seq
		case release.KindActivityFailed, release.KindActivityHeld, release.KindActivityAborted:
			running[a.key] = false
		case release.KindActivityRolledBack:
			rolledBack = append(rolledBack, a.key)
		}
	}

	// Rollbacks run in reverse dependency order: a dependent is undone
	// before what it depends on, and only activities that succeeded and
	// have a rollback are undone.
	undone := calls.undo
	if crashed {
		undone = uniqueInOrder(undone)
	}
	if rel.Status == release.Aborted && len(undone) > len(rolledBack) {
		// Aborted during the rollback: the undo calls in flight were
		// cancelled, and their results not recorded.
		undone = undone[:len(rolledBack)]
	}
	require.True(t, slices.Equal(rolledBack, undone), "rollback events %v vs undo calls %v", rolledBack, undone)
	for i, later := range rolledBack {
		require.True(t, byKey[later].rollback, "%s has no rollback but was rolled back", later)
		for _, earlier := range rolledBack[:i] {
			require.False(t, dependsOn(spec, later, earlier), "%s was undone after %s, which depends on it", later, earlier)
		}
	}
}

// checkChildren checks the child releases of the subprocess activities:
// at most one per attempt, named by childID, each with a log that verifies;
// every child ends (a parent that ends aborts the children it leaves
// running, a timed-out attempt its child, even across a crash); an attempt
// that succeeded has its child's outputs, one that failed because of its
// child says how the child ended.
func checkChildren(t *testing.T, h *harness, spec randomSpec, rel *release.Release) {
	t.Helper()
	var kids []release.Summary
	ended := waitFor(func() bool {
		kids = children(t, h, rel.ID)
		for _, k := range kids {
			if !k.Status.Terminal() {
				h.advance(randomBackoff) // time goes on, as in driveToEnd
				return false
			}
		}
		return true
	})
	if !ended {
		for _, k := range kids {
			t.Logf("child %s (%s, of %s attempt %s):", k.ID, k.Status, k.Labels[LabelParentActivity], k.Labels[LabelParentAttempt])
			for _, e := range storedEvents(t, h.store, k.ID) {
				t.Logf("%3d %s %-22s %-8s %s", e.Seq, e.Time.Format("15:04:05"), e.Kind, e.Actor, e.Payload)
			}
		}
	}
	require.True(t, ended, "every child release ends: %v", kids)
	byAttempt := map[string]release.Summary{}
	for _, k := range kids {
		key := release.ActivityKey(k.Labels[LabelParentActivity])
		n, err := strconv.Atoi(k.Labels[LabelParentAttempt])
		require.NoError(t, err)
		st := rel.Activities[key]
		require.NotNil(t, st, "child %s of unknown activity %s", k.ID, key)
		require.True(t, n >= 1 && n <= len(st.Attempts), "child %s of attempt %d of %s, which has %d", k.ID, n, key, len(st.Attempts))
		require.Equal(t, childID(rel.ID, key, n), k.ID)
		byAttempt[fmt.Sprintf("%s#%d", key, n)] = k
		require.NoError(t, release.VerifyChain(storedEvents(t, h.store, k.ID)), "log of child %s", k.ID)
	}
	for _, a := range spec.acts {
		if a.human != "subprocess" {
			continue
		}
		st := rel.Activities[a.key]
		for _, at := range st.Attempts {
			kid, ok := byAttempt[fmt.Sprintf("%s#%d", a.key, at.Number)]
			if at.TimedOut && ok {
				require.Equal(t, release.Aborted, kid.Status, "attempt %d of %s timed out: its child is aborted", at.Number, a.key)
			}
			if msg, found := strings.CutPrefix(at.Error, "subprocess release "); found {
				require.True(t, ok, "attempt %d of %s failed because of a child that does not exist: %s", at.Number, a.key, at.Error)
				require.True(t, strings.HasPrefix(msg, string(kid.ID)+" ended "+string(kid.Status)), "attempt %d of %s: %q, child %s", at.Number, a.key, at.Error, kid.Status)
			}
		}
		if st.Status == release.ActivitySucceeded {
			last := st.Attempts[len(st.Attempts)-1]
			kid, ok := byAttempt[fmt.Sprintf("%s#%d", a.key, last.Number)]
			require.True(t, ok, "%s succeeded without a child", a.key)
			require.Contains(t, []release.Status{release.Succeeded, release.PartialSuccess}, kid.Status, "%s succeeded, its child %s", a.key, kid.Status)
			require.Equal(t, map[string]any{"v": "c.x"}, st.Outputs, "%s has its child's outputs", a.key)
		}
	}
}

// allEvents reads a release's whole log, page by page.
func storedEvents(t *testing.T, st store.Store, id release.ID) []release.Event {
	t.Helper()
	var out []release.Event
	for {
		page, err := st.ListEvents(context.Background(), &store.ListEventsParams{Release: id, AfterSeq: int64(len(out)), Limit: store.MaxLimit})
		require.NoError(t, err)
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
	}
}

// deps are the activities a must wait for: its own dependencies and every
// activity of the phases its phase depends on.
func deps(spec randomSpec, a randomAct) []release.ActivityKey {
	out := append([]release.ActivityKey(nil), a.deps...)
	for _, p := range spec.phaseDeps[a.phase] {
		for _, b := range spec.acts {
			if b.phase == p {
				out = append(out, b.key)
			}
		}
	}
	return out
}

// dependsOn reports whether a depends on b, directly or not.
func dependsOn(spec randomSpec, a, b release.ActivityKey) bool {
	byKey := map[release.ActivityKey]randomAct{}
	for _, x := range spec.acts {
		byKey[x.key] = x
	}
	seen := map[release.ActivityKey]bool{}
	var walk func(k release.ActivityKey) bool
	walk = func(k release.ActivityKey) bool {
		for _, d := range deps(spec, byKey[k]) {
			if d == b {
				return true
			}
			if !seen[d] {
				seen[d] = true
				if walk(d) {
					return true
				}
			}
		}
		return false
	}
	return walk(a)
}

// uniqueInOrder keeps the first of each key.
func uniqueInOrder(keys []release.ActivityKey) []release.ActivityKey {
	var out []release.ActivityKey
	for _, k := range keys {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}
