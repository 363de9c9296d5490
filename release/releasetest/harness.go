package releasetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// defaultStart is Config.Start's default.
func defaultStart() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) }

// DefaultLimit bounds the virtual time of a run when Config.Limit is zero.
const DefaultLimit = 30 * 24 * time.Hour

// DefaultInitiator is who creates the release when Config.Initiator is
// empty.
const DefaultInitiator = "initiator"

// Config describes a run. A nil *Config is valid: every zero field takes
// the default its comment names.
type Config struct {
	// Start is the virtual time the release is created and started at.
	// Defaults to Monday 5 January 2026, 09:00 UTC.
	Start time.Time
	// Inputs are the release's inputs; the process's defaults fill the
	// rest. Defaults to none.
	Inputs map[string]any
	// Initiator creates and starts the release (it matters to approvals
	// with forbid-initiator). Defaults to DefaultInitiator.
	Initiator string
	// Name and Version label the release. Name defaults to the process's
	// name; Version to "".
	Name    string
	Version string
	// ID is the release's id. Defaults to a UUIDv7 derived from Start and
	// the process, the same on every run.
	ID release.ID
	// Labels are the release's labels (what freezes, policies and an
	// authorizer may judge it on). Defaults to none.
	Labels map[string]string
	// Group puts the release in a release group of its process, which
	// Setup must store (executor.Executor.PutGroup). Defaults to none.
	Group release.GroupID
	// Setup, when set, runs at Start inside the run, before the release is
	// created, with the run's executor (not running yet) and after the
	// processes are stored: put the freezes, policies, release groups and
	// input sets the release should meet there, through the executor as a
	// host does. An error fails the test. Defaults to nil.
	Setup func(ctx context.Context, ex *executor.Executor) error
	// Adapters perform the automated activities: adaptertest.Fake values
	// or any adapters.Adapter (Validator and Poller capabilities are kept).
	// Every kind the process uses must be here. Defaults to none.
	Adapters []adapters.Adapter
	// Processes are other processes the release may run as subprocesses.
	// Defaults to none.
	Processes []*process.Process
	// Groups resolves approver groups: Groups["qa-leads"] lists the members
	// of "group:qa-leads". Used when Executor.ResolveGroup is nil. Defaults
	// to none.
	Groups map[string][]string
	// Limit bounds the virtual time a run may take: Run stops when the
	// release has not ended by Start+Limit. Defaults to DefaultLimit.
	Limit time.Duration
	// Executor tunes the executor (Parallelism, MaxDepth, PollInterval,
	// Authorize, Observers, ...). Its Clock is replaced by the harness's
	// virtual clock and its Jitter disabled, and an empty InstanceID
	// becomes "executor" (the executor's default is unique per instance),
	// so runs repeat exactly. A zero RescanInterval becomes negative: the
	// executor is alone on its store, and periodic re-reads would only add
	// steps. Defaults to the executor's defaults.
	Executor *executor.Config
}

// Harness runs one release of a process to its end on a virtual clock, with
// fake adapters and scripted people, for a host's own tests. Build one with
// New or NewYAML, script people with its methods (Approve, CompleteTask,
// ...), then call Run once.
type Harness struct {
	tb    testing.TB
	proc  *process.Process
	cfg   Config
	clock *Clock
	gate  gate
	steps []*Step
	ran   bool
}

// New returns a harness for process p. It fails t at once when the config
// is unusable.
func New(t testing.TB, p *process.Process, cfg *Config) *Harness {
	t.Helper()
	if p == nil {
		t.Fatalf("releasetest: new: process is nil")
	}
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Start.IsZero() {
		c.Start = defaultStart()
	}
	if c.Initiator == "" {
		c.Initiator = DefaultInitiator
	}
	if c.Limit < 0 {
		t.Fatalf("releasetest: config: Limit %v: must not be negative", c.Limit)
	}
	if c.Limit == 0 {
		c.Limit = DefaultLimit
	}
	reg := &adapters.Registry{}
	for i, a := range c.Adapters {
		if err := reg.Register(a); err != nil {
			t.Fatalf("releasetest: config: Adapters[%d]: %v", i, err)
		}
	}
	if err := reg.ValidateProcess(p); err != nil {
		t.Fatalf("releasetest: process %s does not fit Config.Adapters: %v", p.ID, err)
	}
	return &Harness{tb: t, proc: p, cfg: c, clock: newClock(c.Start)}
}

// NewYAML parses a process document (YAML or JSON) and returns a harness
// for it; a document that does not parse fails t with every problem.
func NewYAML(t testing.TB, doc string, cfg *Config) *Harness {
	t.Helper()
	return New(t, Parse(t, doc), cfg)
}

// Parse parses a process document (YAML or JSON) or fails t with every
// problem and its line. Use it for Config.Processes.
func Parse(t testing.TB, doc string) *process.Process {
	t.Helper()
	p, err := process.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("releasetest: process document: %v", err)
	}
	return p
}

// Clock returns the harness's virtual clock, for fakes that wait in virtual
// time (adaptertest.NewFake(kind, h.Clock())).
func (h *Harness) Clock() *Clock { return h.clock }

// Result is what Run produced: the release as stored at the end, its event
// log, and the store for anything else.
type Result struct {
	// Release is the release Run created, as stored when Run returned.
	Release *release.Release
	// Events is its event log, first to last.
	Events []release.Event
	// Children are the subprocess releases (children, their children,
	// ...), ordered by id, and ChildEvents their event logs by release id.
	// Child finds one by its path.
	Children    []*release.Release
	ChildEvents map[release.ID][]release.Event
	// Start and End are the virtual times Run began and stopped.
	Start, End time.Time
	// Stopped says why Run stopped before the release ended ("" when it
	// ended): the time limit, or nothing left that could happen (a
	// release waiting on a person no step scripts).
	Stopped string
	// Unused lists the scripted steps that never happened (Run fails the
	// test for those not marked Optional).
	Unused []string
	// StepErrors are the errors of the steps marked MayFail that the
	// executor refused, by the step's description.
	StepErrors map[string]error
	// Store is the in-memory store the run used.
	Store store.Store
}

// EventLog returns every event of the run as JSON lines: the release's
// events, then each child's (by id). The same inputs give the same bytes,
// which makes it a good golden file.
func (r *Result) EventLog() []byte {
	var buf bytes.Buffer
	write := func(evs []release.Event) {
		for _, e := range evs {
			b, err := json.Marshal(e)
			if err != nil { // an event read from the store always encodes
				panic(err)
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
	}
	write(r.Events)
	for _, c := range r.Children {
		write(r.ChildEvents[c.ID])
	}
	return buf.Bytes()
}

// Run creates the release, starts it and drives it to its end: adapters are
// called (one at a time, in a fixed order, so the run is deterministic),
// scripted people act when their step is due, and whenever everything
// waits the virtual clock jumps to the next timer (a retry backoff, a
// fake's delay, an approval deadline, a step's After). Weeks of release
// take milliseconds, and the same inputs give the same event log, byte for
// byte.
//
// Run stops when the release has ended, when nothing more can happen (it
// waits on a person no step scripts), or at Config.Limit; check the
// outcome with the Require functions. It runs everything inside a
// testing/synctest bubble, hence the *testing.T, and must not be called
// from inside one. Call it once per Harness.
func (h *Harness) Run(t *testing.T) *Result {
	t.Helper()
	if h.ran {
		t.Fatalf("releasetest: Run called twice; build a new Harness for each run")
	}
	h.ran = true
	var res *Result
	synctest.Test(t, func(t *testing.T) {
		t.Helper()
		res = h.run(t)
	})
	if res == nil {
		t.FailNow()
	}
	return res
}

func (h *Harness) run(t *testing.T) *Result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.clock.begin()
	defer h.clock.end()
	h.gate.open()

	st := newRunStore()
	reg := &adapters.Registry{}
	for _, a := range h.cfg.Adapters {
		if err := reg.Register(wrap(&h.gate, a)); err != nil {
			t.Fatalf("releasetest: config: Adapters: %v", err)
		}
	}
	for i, p := range h.cfg.Processes {
		if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: h.cfg.Initiator, Now: h.clock.Now()}); err != nil {
			t.Fatalf("releasetest: config: Processes[%d]: %v", i, err)
		}
	}
	proc, err := st.PutProcess(ctx, &store.PutProcessParams{Process: h.proc, CreatedBy: h.cfg.Initiator, Now: h.clock.Now()})
	if err != nil {
		t.Fatalf("releasetest: storing process %s: %v", h.proc.ID, err)
	}
	h.checkSteps(t, proc)

	var ecfg executor.Config
	if h.cfg.Executor != nil {
		ecfg = *h.cfg.Executor
	}
	ecfg.Clock, ecfg.Jitter = h.clock, -1
	if ecfg.RescanInterval == 0 {
		ecfg.RescanInterval = -1
	}
	if ecfg.InstanceID == "" {
		// A fixed id, so that the event log (whose executor-recorded events
		// name the instance as their actor) repeats byte for byte.
		ecfg.InstanceID = "executor"
	}
	if ecfg.ResolveGroup == nil && h.cfg.Groups != nil {
		groups := h.cfg.Groups
		ecfg.ResolveGroup = func(_ context.Context, g string) ([]string, error) {
			m, ok := groups[g]
			if !ok {
				return nil, fmt.Errorf("releasetest: no group %q in Config.Groups", g)
			}
			return m, nil
		}
	}
	rn := &runner{t: t, ctx: ctx, newExecutor: func() (*executor.Executor, error) { return executor.New(st, reg, &ecfg) }}
	ex, err := rn.newExecutor()
	if err != nil {
		t.Fatalf("releasetest: %v", err)
	}
	rn.ex = ex
	id, err := h.releaseID(proc)
	if err != nil {
		t.Fatalf("%v", err)
	}
	rn.sub = ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{}, Buffer: 4096})
	defer func() { rn.sub.Close() }()
	if h.cfg.Setup != nil {
		if err := h.cfg.Setup(ctx, ex); err != nil {
			t.Fatalf("releasetest: Config.Setup: %v", err)
		}
	}
	// Created and started as a host does (executor.Create), before Run:
	// the executor records the first steps and Run picks the adapter calls
	// up, as after a restart.
	if _, err := ex.Create(ctx, &executor.CreateParams{
		ID: id, Process: proc.ID, ProcessVersion: proc.Version,
		Inputs: h.cfg.Inputs, Name: h.cfg.Name, Version: h.cfg.Version, By: executor.By{Actor: h.cfg.Initiator},
		Labels: h.cfg.Labels, Group: h.cfg.Group,
	}); err != nil {
		t.Fatalf("releasetest: creating the release: %v", err)
	}
	rn.start()
	stopped := h.drive(ctx, t, rn, st, id)
	rn.stop()
	cancel()
	synctest.Wait()

	res := &Result{Start: h.cfg.Start, End: h.clock.Now(), Stopped: stopped, Store: st, ChildEvents: map[release.ID][]release.Event{}}
	bg := context.Background()
	if res.Release, err = st.GetRelease(bg, id); err != nil {
		t.Fatalf("releasetest: reading the release: %v", err)
	}
	res.Events = events(t, st, id)
	page, err := st.ListReleases(bg, &store.ListReleasesParams{Limit: store.MaxLimit})
	if err != nil {
		t.Fatalf("releasetest: listing releases: %v", err)
	}
	for _, s := range descendants(id, page.Releases) {
		c, err := st.GetRelease(bg, s)
		if err != nil {
			t.Fatalf("releasetest: reading release %s: %v", s, err)
		}
		res.Children = append(res.Children, c)
		res.ChildEvents[s] = events(t, st, s)
	}
	slices.SortFunc(res.Children, func(a, b *release.Release) int { return strings.Compare(string(a.ID), string(b.ID)) })
	var missed []string
	for _, s := range h.steps {
		if s.done && s.err != nil && s.mayFail {
			if res.StepErrors == nil {
				res.StepErrors = map[string]error{}
			}
			res.StepErrors[s.String()] = s.err
		}
		if !s.done {
			res.Unused = append(res.Unused, s.String())
			if !s.optional {
				missed = append(missed, s.String())
			}
		}
	}
	if stopped != "" {
		t.Logf("releasetest: release %s is %s: %s", id, res.Release.Status, stopped)
		for _, w := range release.Waiting(res.Release) {
			t.Logf("releasetest:   %s", describeWait(w))
		}
	}
	if len(missed) > 0 {
		t.Errorf("releasetest: scripted steps that never happened (mark a step Optional if that is expected): %s", strings.Join(missed, "; "))
	}
	return res
}

// describeWait reads "qa.signoff waits for approval on group:qa-leads (1
// needed) since 2026-01-05T13:00:00Z".
func describeWait(w release.Wait) string {
	s := fmt.Sprintf("%s waits for %s", w.Activity, w.Kind)
	if w.Task != "" {
		s += " " + w.Task
	}
	if len(w.On) > 0 {
		s += " on " + strings.Join(w.On, ", ")
	}
	if w.Needed > 0 {
		s += fmt.Sprintf(" (%d needed)", w.Needed)
	}
	if len(w.Missing) > 0 {
		s += " (missing " + strings.Join(w.Missing, ", ") + ")"
	}
	if w.Detail != "" {
		s += ": " + w.Detail
	}
	return s + " since " + w.Since.UTC().Format(time.RFC3339)
}

// checkSteps fails t when a step names an activity the process (or, for
// a path, a subprocess's process in Config.Processes) lacks.
func (h *Harness) checkSteps(t *testing.T, p *process.Process) {
	t.Helper()
	for _, s := range h.steps {
		var err error
		switch {
		case s.releaseWide() && s.child != "":
			err = h.checkPath(p, s.child, true)
		case !s.releaseWide():
			err = h.checkPath(p, s.activity, false)
		}
		if err == nil && s.whenRunning != "" {
			if err = h.checkPath(p, s.whenRunning, false); err != nil {
				err = fmt.Errorf("WhenRunning: %w", err)
			}
		}
		if err != nil {
			t.Fatalf("releasetest: step %q: %v", s, err)
		}
	}
}

// checkPath checks that path names an activity of p, through subprocess
// activities and the processes they run (see locate for whole).
func (h *Harness) checkPath(p *process.Process, path release.ActivityKey, whole bool) error {
	keys := splitPath(path)
	for i, k := range keys {
		a := activityOf(p, k)
		if a == nil {
			return fmt.Errorf("process %s has no activity %q (it has %s)", p.ID, k, strings.Join(activityKeys(p), ", "))
		}
		if i == len(keys)-1 && !whole {
			return nil
		}
		if a.EffectiveType() != process.Subprocess {
			return fmt.Errorf("%s: activity %s of process %s is not a subprocess", path, k, p.ID)
		}
		if p = h.subprocess(a.Process, a.ProcessVersion); p == nil {
			return fmt.Errorf("%s: activity %s runs process %s, which is not in Config.Processes", path, k, a.Process)
		}
	}
	return nil
}

// subprocess returns version v (0: the latest) of process id among
// Config.Processes, numbered as Run stores them.
func (h *Harness) subprocess(id process.ID, v int) *process.Process {
	var versions []*process.Process
	for _, p := range h.cfg.Processes {
		if p.ID == id {
			versions = append(versions, p)
		}
	}
	switch {
	case len(versions) == 0:
		return nil
	case v > 0 && v <= len(versions):
		return versions[v-1]
	}
	return versions[len(versions)-1]
}

// activityOf returns activity k of p, nil when there is none.
func activityOf(p *process.Process, k release.ActivityKey) *process.Activity {
	for _, ph := range p.Phases {
		if ph.ID != k.Phase() {
			continue
		}
		for i := range ph.Activities {
			if ph.Activities[i].ID == k.Activity() {
				return &ph.Activities[i]
			}
		}
	}
	return nil
}

// activityKeys lists p's activities as keys.
func activityKeys(p *process.Process) []string {
	var keys []string
	for _, ph := range p.Phases {
		for _, a := range ph.Activities {
			keys = append(keys, string(release.Key(ph.ID, a.ID)))
		}
	}
	return keys
}

// releaseID is the release's id: Config.ID, or one derived from the
// process, the name and the start, the same on every run (Create draws a
// random one when given none).
func (h *Harness) releaseID(p *process.Process) (release.ID, error) {
	if h.cfg.ID != "" {
		return h.cfg.ID, nil
	}
	now := h.clock.Now()
	seed := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%s", p.ID, p.Version, h.cfg.Name, now.UTC().Format(time.RFC3339Nano)))
	id, err := release.NewID(now, rand.NewChaCha8(seed))
	if err != nil {
		return "", fmt.Errorf("releasetest: %w", err)
	}
	return id, nil
}

// drive lets adapter calls through and performs steps until the release
// ends or nothing more can happen; it returns why it stopped early.
func (h *Harness) drive(ctx context.Context, t *testing.T, rn *runner, st store.Store, id release.ID) string {
	t.Helper()
	limit := h.cfg.Start.Add(h.cfg.Limit)
	for {
		synctest.Wait()
		if _, ok := h.gate.next(); ok {
			// Steps scripted WhenRunning act before the call goes through.
			if h.hasRunningSteps() {
				rel, err := st.GetRelease(ctx, id)
				if err != nil {
					t.Fatalf("releasetest: reading release: %v", err)
				}
				if _, acted := h.step(ctx, t, rn, st, rel, h.clock.Now(), true); acted {
					continue
				}
			}
			h.gate.admit()
			continue
		}
		rel, err := st.GetRelease(ctx, id)
		if err != nil {
			t.Fatalf("releasetest: reading release: %v", err)
		}
		if rel.Status.Terminal() && h.gate.idle() {
			return ""
		}
		now := h.clock.Now()
		next, acted := h.step(ctx, t, rn, st, rel, now, false)
		if acted {
			continue
		}
		if !now.Before(limit) {
			return fmt.Sprintf("not ended after %v of virtual time (Config.Limit)", h.cfg.Limit)
		}
		if next.IsZero() && h.gate.idle() && !h.clock.waiting(now) {
			return "nothing more can happen: no adapter runs, no timer is set and no scripted step fits"
		}
		wake := limit
		if !next.IsZero() && next.Before(wake) {
			wake = next
		}
		timer := time.NewTimer(wake.Sub(now))
		select {
		case <-h.gate.notify:
		case <-rn.sub.C():
		case <-timer.C:
		}
		timer.Stop()
	drain:
		for {
			select {
			case <-rn.sub.C():
			default:
				break drain
			}
		}
	}
}

// step performs the first step that is due and reports it; otherwise it
// returns when the next step that fits will be due (zero if none). With
// running set, only steps scripted WhenRunning are considered.
func (h *Harness) step(ctx context.Context, t *testing.T, rn *runner, st store.Store, root *release.Release, now time.Time, running bool) (time.Time, bool) {
	t.Helper()
	get := func(id release.ID) (*release.Release, error) { return st.GetRelease(ctx, id) }
	var next time.Time
	blocked := map[release.ActivityKey]bool{} // an earlier step on the activity is pending
	for _, s := range h.steps {
		if s.done {
			continue
		}
		if blocked[s.activity] {
			continue
		}
		blocked[s.activity] = true
		if running && s.whenRunning == "" {
			continue
		}
		rel, k, since, ok, err := s.fits(get, root)
		if err != nil {
			t.Fatalf("releasetest: step %q: reading a child release: %v", s, err)
		}
		if !ok {
			continue
		}
		due := since.Add(s.after)
		if due.After(now) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		s.done, s.at = true, now
		if s.kind == stepRestart {
			rn.restart()
			return time.Time{}, true
		}
		s.err = s.perform(ctx, rn.ex, rel.ID, k)
		switch {
		case s.mayFail:
		case s.expectOK && !errors.Is(s.err, s.expect):
			t.Errorf("releasetest: step %q at %s: got error %v, want one matching %v", s, now.Format(time.RFC3339), s.err, s.expect)
		case !s.expectOK && s.err != nil:
			t.Errorf("releasetest: step %q at %s: %v", s, now.Format(time.RFC3339), s.err)
		}
		return time.Time{}, true
	}
	return next, false
}

// events reads a release's whole event log.
func events(t *testing.T, st store.Store, id release.ID) []release.Event {
	t.Helper()
	var out []release.Event
	after := int64(0)
	for {
		evs, err := st.ListEvents(context.Background(), &store.ListEventsParams{Release: id, AfterSeq: after, Limit: store.MaxLimit})
		if err != nil {
			t.Fatalf("releasetest: reading events of %s: %v", id, err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Seq
	}
}
