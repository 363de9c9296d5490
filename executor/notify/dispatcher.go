package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ErrNoFeed is returned by New for a store that keeps no durable feed or no
// cursors (store.FeedStore, store.CursorStore).
var ErrNoFeed = errors.New("notify: the store keeps no durable feed of events or no consumer cursors")

// Dispatcher follows the store's durable feed of events from its stored
// cursor and delivers the messages its rules make, at least once: the
// cursor moves only past events whose messages were all delivered, so a
// crash re-sends (with the same Message.Key), never loses. It also sends
// the clock's notifications (RunningLate, Reminder, Escalation).
//
// A Dispatcher reads the store and never talks to an executor: it runs
// beside the executors, in the host's own goroutine (go d.Run(ctx)), on
// any instance, and a slow or failing receiver never slows a release.
// Instances that share a Config.Consumer share one cursor, written with
// compare-and-set; on a store that implements store.Leaser only the
// instance that holds the consumer's lease delivers, the others stand by.
type Dispatcher struct {
	cfg     Config
	st      store.Store
	feed    store.FeedStore
	cursors store.CursorStore
	leaser  store.Leaser // nil: every instance delivers

	mu     sync.Mutex // one Poll at a time; guards everything below
	loaded bool
	cursor string // delivered up to here
	stored string // the cursor as stored
	rev    int64  // its revision
	// sent holds the keys delivered of the event (or clock check) in
	// progress, so that retrying it after a failure skips them.
	sent     map[string]bool
	failures int
	lastHeld time.Time // last clock check
	watches  map[release.ID]*watch
	waits    map[waitKey]*wait
	renewAt  time.Time // when the lease is next renewed; zero: not held
	savedAt  time.Time // when the cursor was last stored
}

// watch is an unfinished release the clock checks look at.
type watch struct {
	last release.Event
	told map[release.HealthStatus]bool
	// looked is set once the clock check has judged the release, and
	// cleared by each of its events; recheck is then when its health may
	// next change without an event (release.HealthReport.Recheck; zero:
	// not before an event). A check judges only the releases not looked
	// at or whose recheck has passed.
	looked  bool
	recheck time.Time
}

// due reports whether the clock check at now judges the release.
func (w *watch) due(now time.Time) bool {
	return !w.looked || (!w.recheck.IsZero() && now.After(w.recheck))
}

type waitKey struct {
	release  release.ID
	activity release.ActivityKey
	rule     string
}

// wait is a wait a rule with Remind follows.
type wait struct {
	rule      *Rule
	since     time.Time
	event     release.Event
	typ       Type
	reminders int
	escalated bool
}

// New returns a Dispatcher over st, which must implement store.FeedStore
// and store.CursorStore (found through store.Find), else ErrNoFeed. A bad
// cfg returns an error matching ErrInvalid that names the field.
func New(st store.Store, cfg *Config) (*Dispatcher, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	feed, ok, err := store.Find[store.FeedStore](st)
	if err != nil {
		return nil, err
	}
	cursors, ok2, err := store.Find[store.CursorStore](st)
	if err != nil {
		return nil, err
	}
	if !ok || !ok2 {
		return nil, fmt.Errorf("%w: %T", ErrNoFeed, st)
	}
	leaser, _, err := store.Find[store.Leaser](st)
	if err != nil {
		return nil, err
	}
	return &Dispatcher{cfg: c, st: st, feed: feed, cursors: cursors, leaser: leaser,
		sent: map[string]bool{}, watches: map[release.ID]*watch{}, waits: map[waitKey]*wait{}}, nil
}

// Run polls until ctx is done, then returns ctx's error: it delivers what
// the feed holds, then waits until the store signals new events
// (store.FeedNotifier, when the store implements it) or
// Config.PollInterval has passed, and looks again; after a failed
// delivery it waits a backoff (Config.Backoff doubling up to MaxBackoff)
// and retries, whatever the store signals meanwhile. Errors are logged,
// never returned: Run stops only with ctx.
func (d *Dispatcher) Run(ctx context.Context) error {
	defer d.release()
	added := d.subscribe(ctx)
	signalled := false
	for {
		_, err := d.pollOnce(ctx, signalled)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait, signal := d.cfg.PollInterval, added
		if err != nil {
			wait, signal = d.backoff(), nil
			d.cfg.Logger.WarnContext(ctx, "notify: delivery failed; retrying", "consumer", d.cfg.Consumer, "in", wait, "error", err)
		}
		signalled = false
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.cfg.Clock.After(wait):
		case _, ok := <-signal:
			if !ok {
				added = nil // the store closed it: poll from now on
			}
			signalled = ok
		}
	}
}

// subscribe returns the store's signal of events added to the feed, or
// nil when it gives none (Run then only polls).
func (d *Dispatcher) subscribe(ctx context.Context) <-chan struct{} {
	fn, ok, err := store.Find[store.FeedNotifier](d.st)
	if err != nil || !ok {
		return nil
	}
	ch, err := fn.SubscribeFeed(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Logger.WarnContext(ctx, "notify: the store does not signal new events; polling only", "consumer", d.cfg.Consumer, "every", d.cfg.PollInterval, "error", err)
		}
		return nil
	}
	return ch
}

// backoff is the wait before the next retry.
func (d *Dispatcher) backoff() time.Duration {
	d.mu.Lock()
	n := d.failures
	d.mu.Unlock()
	b := d.cfg.Backoff
	for i := 1; i < n && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.cfg.MaxBackoff)
}

// Poll delivers what is due now: the messages of the feed's events after
// the cursor, page by page, storing the cursor every Config.CursorEvery
// events and at the end of the feed, then the
// clock's notifications when Config.CheckInterval has passed since the
// last look. It returns the number of events it moved past, and the first
// error: a delivery that failed (the cursor is stored up to the events
// before it; the next Poll retries it) or a store error. Run calls it; a
// host may call it instead of Run (one call at a time per Dispatcher).
func (d *Dispatcher) Poll(ctx context.Context) (int, error) {
	return d.pollOnce(ctx, false)
}

// pollOnce is Poll. When lazy (Run woken by the store's signal, which may
// come once per write), reaching the end of the feed stores the cursor only
// if it was last stored Config.PollInterval ago or more, so that following
// a busy store costs at most one cursor write per PollInterval (and one
// per CursorEvery events): a crash re-sends the messages of up to that
// many events, and Run stores the cursor when it returns.
func (d *Dispatcher) pollOnce(ctx context.Context, lazy bool) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := d.poll(ctx, lazy)
	if err != nil {
		d.failures++
		return n, err
	}
	d.failures = 0
	return n, nil
}

// leaseKey is the key of the lease of the dispatcher's consumer.
func (d *Dispatcher) leaseKey() string { return "notify/" + d.cfg.Consumer }

// hold takes or renews the lease when it is due. It returns false when
// another instance holds it: this one stands by, and forgets what it had
// loaded (the other moves the cursor).
func (d *Dispatcher) hold(ctx context.Context) (bool, error) {
	if d.leaser == nil {
		return true, nil
	}
	now := d.cfg.Clock.Now()
	if !d.renewAt.IsZero() && now.Before(d.renewAt) {
		return true, nil
	}
	_, err := d.leaser.AcquireLease(ctx, &store.LeaseParams{Key: d.leaseKey(), Owner: d.cfg.Instance, Now: now, TTL: d.cfg.LeaseTTL})
	if errors.Is(err, store.ErrConflict) {
		if d.loaded || !d.renewAt.IsZero() {
			d.cfg.Logger.InfoContext(ctx, "notify: another instance delivers; standing by", "consumer", d.cfg.Consumer, "instance", d.cfg.Instance)
		}
		d.renewAt, d.loaded = time.Time{}, false
		clear(d.sent)
		clear(d.watches)
		clear(d.waits)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("notify: taking the lease %s: %w", d.leaseKey(), err)
	}
	d.renewAt = now.Add(d.cfg.LeaseTTL / 3)
	return true, nil
}

// release stores the cursor and gives the lease up (Run's end), so that
// another instance takes over at once where this one stopped.
func (d *Dispatcher) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if d.loaded && (d.leaser == nil || !d.renewAt.IsZero()) {
		if err := d.save(ctx); err != nil {
			d.cfg.Logger.WarnContext(ctx, "notify: storing the cursor on the way out", "consumer", d.cfg.Consumer, "error", err)
		}
	}
	if d.leaser == nil || d.renewAt.IsZero() {
		return
	}
	if err := d.leaser.ReleaseLease(ctx, &store.LeaseParams{Key: d.leaseKey(), Owner: d.cfg.Instance}); err != nil {
		d.cfg.Logger.WarnContext(ctx, "notify: releasing the lease", "consumer", d.cfg.Consumer, "error", err)
	}
	d.renewAt, d.loaded = time.Time{}, false
}

func (d *Dispatcher) poll(ctx context.Context, lazy bool) (int, error) {
	if ok, err := d.hold(ctx); !ok || err != nil {
		return 0, err
	}
	if !d.loaded {
		if err := d.load(ctx); err != nil {
			return 0, err
		}
	}
	n, unsaved := 0, 0
	for {
		if ok, err := d.hold(ctx); !ok || err != nil {
			return n, err // lost to another instance: it goes on from the stored cursor
		}
		page, err := d.feed.ListAllEvents(ctx, &store.ListAllEventsParams{After: d.cursor, Limit: d.cfg.PageSize})
		if err != nil {
			return n, errors.Join(fmt.Errorf("notify: reading the feed: %w", err), d.save(ctx))
		}
		for i := range page.Events {
			fe := &page.Events[i]
			if err := d.event(ctx, &fe.Event); err != nil {
				return n, errors.Join(err, d.save(ctx))
			}
			clear(d.sent) // the event's messages are all delivered
			d.cursor = fe.Cursor
			n++
			unsaved++
		}
		atEnd := len(page.Events) < d.cfg.PageSize
		if atEnd && lazy && unsaved < d.cfg.CursorEvery && d.cfg.Clock.Now().Sub(d.savedAt) < d.cfg.PollInterval {
			atEnd = false // stored at the next poll, or when Run returns
		}
		if atEnd || unsaved >= d.cfg.CursorEvery {
			if err := d.save(ctx); err != nil {
				return n, err
			}
			unsaved = 0
		}
		if len(page.Events) < d.cfg.PageSize {
			break
		}
	}
	now := d.cfg.Clock.Now()
	if d.lastHeld.IsZero() || now.Sub(d.lastHeld) >= d.cfg.CheckInterval {
		if err := d.check(ctx, now); err != nil {
			return n, err
		}
		clear(d.sent)
		d.lastHeld = now
	}
	return n, nil
}

// load reads the stored cursor (or starts one), and the unfinished
// releases the clock checks follow.
func (d *Dispatcher) load(ctx context.Context) error {
	c, err := d.cursors.GetCursor(ctx, d.cfg.Consumer)
	switch {
	case err == nil:
		d.cursor, d.stored, d.rev = c.Cursor, c.Cursor, c.Revision
	case errors.Is(err, store.ErrNotFound):
		d.rev, d.cursor = 0, ""
		if !d.cfg.FromStart {
			if d.cursor, err = d.feed.FeedEnd(ctx); err != nil {
				return fmt.Errorf("notify: reading the feed's end: %w", err)
			}
		}
		d.stored = ""
	default:
		return fmt.Errorf("notify: reading cursor %q: %w", d.cfg.Consumer, err)
	}
	if d.clockRules() {
		if err := d.seed(ctx); err != nil {
			return err
		}
	}
	d.loaded = true
	return nil
}

// reminds reports whether a rule reminds of waits.
func (d *Dispatcher) reminds() bool {
	for i := range d.cfg.Rules {
		if d.cfg.Rules[i].Remind != nil {
			return true
		}
	}
	return false
}

// clockRules reports whether a rule wants clock notifications.
func (d *Dispatcher) clockRules() bool {
	for i := range d.cfg.Rules {
		if r := &d.cfg.Rules[i]; r.wants(RunningLate) || r.Remind != nil {
			return true
		}
	}
	return false
}

// seed follows the releases unfinished now: their health and waits.
func (d *Dispatcher) seed(ctx context.Context) error {
	p := &store.ListReleasesParams{Statuses: []release.Status{release.Scheduled, release.Running, release.Paused}, Limit: store.MaxLimit}
	for {
		page, err := d.st.ListReleases(ctx, p)
		if err != nil {
			return fmt.Errorf("notify: listing unfinished releases: %w", err)
		}
		for i := range page.Releases {
			sum := &page.Releases[i]
			if d.lateFor(sum) {
				d.watches[sum.ID] = &watch{told: map[release.HealthStatus]bool{}}
			}
			if !sum.WaitingForInput || !d.reminds() {
				continue
			}
			r, err := d.st.GetRelease(ctx, sum.ID)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted since it was listed
			} else if err != nil {
				return fmt.Errorf("notify: loading release %s: %w", sum.ID, err)
			}
			for _, w := range release.Waiting(r) {
				typ := WaitingForPerson
				if w.Kind == release.WaitOperator {
					typ = ActivityOnHold
				}
				d.follow(sum, typ, w.Activity, w.Since, release.Event{})
			}
		}
		if page.Next == "" {
			return nil
		}
		p.Cursor = page.Next
	}
}

// follow registers a wait for the reminders of the rules that notify it.
func (d *Dispatcher) follow(sum *release.Summary, typ Type, activity release.ActivityKey, since time.Time, e release.Event) {
	for i := range d.cfg.Rules {
		r := &d.cfg.Rules[i]
		if r.Remind == nil || !r.matches(typ, sum) {
			continue
		}
		k := waitKey{sum.ID, activity, r.Name}
		if _, ok := d.waits[k]; !ok {
			d.waits[k] = &wait{rule: r, since: since, event: e, typ: typ}
		}
	}
}

// save stores the cursor when it moved. A conflict (another instance of
// the consumer moved it) adopts the stored one.
func (d *Dispatcher) save(ctx context.Context) error {
	if d.cursor == d.stored {
		return nil
	}
	c, err := d.cursors.PutCursor(ctx, &store.PutCursorParams{Consumer: d.cfg.Consumer, Cursor: d.cursor, ExpectedRevision: d.rev})
	if errors.Is(err, store.ErrConflict) {
		got, gerr := d.cursors.GetCursor(ctx, d.cfg.Consumer)
		if gerr != nil {
			return fmt.Errorf("notify: storing cursor %q: %w", d.cfg.Consumer, errors.Join(err, gerr))
		}
		d.cfg.Logger.WarnContext(ctx, "notify: another instance moved the cursor; following it", "consumer", d.cfg.Consumer)
		d.cursor, d.stored, d.rev = got.Cursor, got.Cursor, got.Revision
		clear(d.sent)
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: storing cursor %q: %w", d.cfg.Consumer, err)
	}
	d.stored, d.rev, d.savedAt = c.Cursor, c.Revision, d.cfg.Clock.Now()
	return nil
}

// ended are the event kinds after which an activity no longer waits.
var ended = map[release.EventKind]bool{
	release.KindActivityResumed: true, release.KindActivitySucceeded: true, release.KindActivityFailed: true,
	release.KindActivityIgnored: true, release.KindActivitySkipped: true, release.KindActivityAborted: true,
	release.KindActivityRolledBack: true, release.KindActivityStarted: true,
}

// event updates what the clock checks follow and delivers e's messages.
func (d *Dispatcher) event(ctx context.Context, e *release.Event) error {
	if w := d.watches[e.Release]; w != nil {
		w.last = e.Clone()
		w.looked = false
	}
	if act, ok := e.Activity(); ok && ended[e.Kind] {
		for k := range d.waits {
			if k.release == e.Release && k.activity == act {
				delete(d.waits, k)
			}
		}
	}
	typ := typeOf(e.Kind)
	terminal := typ == ReleaseSucceeded || typ == ReleaseFailed || typ == ReleaseAborted || typ == ReleaseRolledBack
	if terminal {
		delete(d.watches, e.Release)
		for k := range d.waits {
			if k.release == e.Release {
				delete(d.waits, k)
			}
		}
	} else if e.Kind == release.KindReleaseCreated && d.watches[e.Release] == nil && d.anyWants(RunningLate) {
		// A new release: followed when a RunningLate rule matches it.
		// (Releases created before the dispatcher's cursor were found by
		// seed.)
		sum, err := d.st.GetReleaseSummary(ctx, e.Release)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("notify: reading release %s: %w", e.Release, err)
		}
		if err == nil && d.lateFor(sum) {
			d.watches[e.Release] = &watch{last: e.Clone(), told: map[release.HealthStatus]bool{}}
		}
	}
	if typ == "" || !d.anyWants(typ) {
		return nil
	}
	sum, err := d.st.GetReleaseSummary(ctx, e.Release)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since: nothing to tell
	} else if err != nil {
		return fmt.Errorf("notify: reading release %s: %w", e.Release, err)
	}
	var activity release.ActivityKey
	var phase process.PhaseID
	if a, ok := e.Activity(); ok {
		activity = a
	}
	if strings.HasPrefix(string(e.Kind), "phase.") {
		phase = payloadOf(e).Phase
	}
	var waits []release.Wait
	if typ == WaitingForPerson || typ == ActivityOnHold {
		r, err := d.st.GetRelease(ctx, e.Release)
		if err != nil {
			return fmt.Errorf("notify: loading release %s: %w", e.Release, err)
		}
		waits = waitsAt(r, activity, e)
		d.follow(sum, typ, activity, e.Time, *e)
	}
	for i := range d.cfg.Rules {
		r := &d.cfg.Rules[i]
		if !r.matches(typ, sum) {
			continue
		}
		m := &Message{Key: fmt.Sprintf("%s/%d/%s", e.Release, e.Seq, r.Name), Rule: r.Name, Type: typ,
			Release: *sum, Event: *e, Activity: activity, Phase: phase}
		if e.Kind == release.KindReleaseCreated {
			m.Event.Payload = nil
		}
		recipients := slices.Clone(r.Recipients)
		if len(waits) > 0 {
			m.Wait = &waits[0]
			for _, w := range waits {
				recipients = append(recipients, w.On...)
			}
		}
		m.Recipients = d.resolve(ctx, recipients)
		m.Text = text(m)
		if err := d.deliver(ctx, r, m); err != nil {
			return err
		}
	}
	return nil
}

// payloadFields are the payload fields messages use, whatever the kind.
type payloadFields struct {
	Phase process.PhaseID `json:"phase"`
	Error string          `json:"error"`
}

func payloadOf(e *release.Event) payloadFields {
	var f payloadFields
	_ = json.Unmarshal(e.Payload, &f) // a payload without them reads as zero
	return f
}

// lateFor reports whether a rule sends RunningLate for the release.
func (d *Dispatcher) lateFor(sum *release.Summary) bool {
	for i := range d.cfg.Rules {
		if d.cfg.Rules[i].matches(RunningLate, sum) {
			return true
		}
	}
	return false
}

func (d *Dispatcher) anyWants(typ Type) bool {
	for i := range d.cfg.Rules {
		if d.cfg.Rules[i].wants(typ) {
			return true
		}
	}
	return false
}

// deliver sends m through r's notifier unless it was sent already for
// the event (or clock check) in progress. A permanent error is logged and
// dropped.
func (d *Dispatcher) deliver(ctx context.Context, r *Rule, m *Message) error {
	if d.sent[m.Key] {
		return nil
	}
	if r.Viewer != nil {
		if err := r.Viewer(ctx, &m.Release); err != nil {
			d.cfg.Logger.DebugContext(ctx, "notify: the rule's viewer may not see the release; not sent", "key", m.Key, "rule", r.Name, "error", err)
			return nil
		}
	}
	err := r.Notifier.Notify(ctx, m)
	if errors.Is(err, ErrPermanent) {
		d.cfg.Logger.ErrorContext(ctx, "notify: message refused for good; dropped", "key", m.Key, "rule", r.Name, "error", err)
		err = nil
	}
	if err != nil {
		return fmt.Errorf("notify: delivering %s (rule %s): %w", m.Key, r.Name, err)
	}
	d.sent[m.Key] = true
	return nil
}

// resolve expands "group:NAME" entries through Config.ResolveGroup and
// removes duplicates, keeping the first order.
func (d *Dispatcher) resolve(ctx context.Context, in []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range in {
		name, ok := strings.CutPrefix(s, "group:")
		if !ok || d.cfg.ResolveGroup == nil {
			add(s)
			continue
		}
		members, err := d.cfg.ResolveGroup(ctx, name)
		if err != nil || len(members) == 0 {
			d.cfg.Logger.WarnContext(ctx, "notify: group not resolved; told as written", "group", name, "error", err)
			add(s)
			continue
		}
		for _, m := range members {
			add(m)
		}
	}
	return out
}

// check sends the clock's notifications due at now: reminders and
// escalations of the waits followed, and the health of the unfinished
// releases followed (when a rule wants RunningLate). Releases and waits go
// in id order, so that the messages are in a stable order.
func (d *Dispatcher) check(ctx context.Context, now time.Time) error {
	keys := make([]waitKey, 0, len(d.waits))
	for k := range d.waits {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b waitKey) int {
		return cmp.Or(cmp.Compare(a.release, b.release), cmp.Compare(a.activity, b.activity), cmp.Compare(a.rule, b.rule))
	})
	loaded := map[release.ID]*release.Release{}
	get := func(id release.ID) (*release.Release, error) {
		if r, ok := loaded[id]; ok {
			return r, nil
		}
		r, err := d.st.GetRelease(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("notify: loading release %s: %w", id, err)
		}
		loaded[id] = r
		return r, nil
	}
	for _, k := range keys {
		w := d.waits[k]
		m := w.rule.Remind
		elapsed := now.Sub(w.since)
		due := 0
		if m.After > 0 && elapsed >= m.After {
			due = 1
			if m.Every > 0 {
				due += int((elapsed - m.After) / m.Every)
			}
		}
		escalate := m.EscalateAfter > 0 && elapsed >= m.EscalateAfter && !w.escalated
		if due <= w.reminders && !escalate {
			continue
		}
		r, err := get(k.release)
		if errors.Is(err, store.ErrNotFound) {
			delete(d.waits, k)
			continue
		} else if err != nil {
			return err
		}
		var still *release.Wait
		for _, x := range release.Waiting(r) {
			if x.Activity == k.activity {
				still = &x
				break
			}
		}
		if still == nil {
			delete(d.waits, k)
			continue
		}
		sum := r.Summary()
		base := fmt.Sprintf("%s/%s@%d/%s", k.release, k.activity, w.since.UnixNano(), k.rule)
		if due > w.reminders {
			msg := &Message{Key: fmt.Sprintf("%s/reminder-%d", base, due), Rule: k.rule, Type: Reminder, Release: sum,
				Event: w.event, Activity: k.activity, Wait: still}
			msg.Recipients = d.resolve(ctx, append(slices.Clone(w.rule.Recipients), still.On...))
			msg.Text = fmt.Sprintf("reminder: %s (waiting %s)", waitText(&sum, k.activity, still), elapsed.Round(time.Second))
			if err := d.deliver(ctx, w.rule, msg); err != nil {
				return err
			}
			w.reminders = due
		}
		if escalate {
			msg := &Message{Key: base + "/escalation", Rule: k.rule, Type: Escalation, Release: sum,
				Event: w.event, Activity: k.activity, Wait: still}
			msg.Recipients = d.resolve(ctx, m.EscalateTo)
			msg.Text = fmt.Sprintf("escalation: %s (waiting %s)", waitText(&sum, k.activity, still), elapsed.Round(time.Second))
			if err := d.deliver(ctx, w.rule, msg); err != nil {
				return err
			}
			w.escalated = true
		}
	}
	if !d.anyWants(RunningLate) {
		return nil
	}
	var ids []release.ID
	for id, w := range d.watches {
		if w.due(now) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		w := d.watches[id]
		r, err := get(id)
		if errors.Is(err, store.ErrNotFound) {
			delete(d.watches, id)
			continue
		} else if err != nil {
			return err
		}
		if r.Status.Terminal() {
			delete(d.watches, id)
			continue
		}
		h := release.Health(r, now)
		if h.Status == release.OnTrack || w.told[h.Status] {
			w.looked, w.recheck = true, h.Recheck
			continue
		}
		sum := r.Summary()
		for i := range d.cfg.Rules {
			rule := &d.cfg.Rules[i]
			if !rule.matches(RunningLate, &sum) {
				continue
			}
			hc := h
			msg := &Message{Key: fmt.Sprintf("%s/%s/%s", id, h.Status, rule.Name), Rule: rule.Name, Type: RunningLate,
				Release: sum, Event: w.last, Health: &hc}
			msg.Recipients = d.resolve(ctx, rule.Recipients)
			msg.Text = fmt.Sprintf("release %q is %s: %s", sum.Name, h.Status, strings.Join(h.Reasons, "; "))
			if err := d.deliver(ctx, rule, msg); err != nil {
				return err
			}
		}
		w.told[h.Status] = true
		w.looked, w.recheck = true, h.Recheck
	}
	return nil
}

// waitsAt returns what activity waited for at e (activity.waiting or
// activity.held). While that wait lasts (the activity is in the status e
// gave it, since e), release.Waiting says it best: the tasks not done,
// the approvers who have not decided. Once it is over, the process says
// whom it waited on: the approvers, or the assignees of the tasks.
func waitsAt(r *release.Release, activity release.ActivityKey, e *release.Event) []release.Wait {
	st := r.Activity(activity)
	same := release.ActivityWaiting
	if e.Kind == release.KindActivityHeld {
		same = release.ActivityOnHold
	}
	if st != nil && st.Since.Equal(e.Time) && st.Status == same {
		var out []release.Wait
		for _, w := range release.Waiting(r) {
			if w.Activity == activity {
				out = append(out, w)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	if r.Process == nil {
		return nil
	}
	var ph *process.Phase
	var a *process.Activity
	for i := range r.Process.Phases {
		if p := &r.Process.Phases[i]; p.ID == activity.Phase() {
			ph = p
			for j := range p.Activities {
				if p.Activities[j].ID == activity.Activity() {
					a = &p.Activities[j]
				}
			}
		}
	}
	if a == nil {
		return nil
	}
	w := release.Wait{Activity: activity, Since: e.Time}
	switch {
	case e.Kind == release.KindActivityHeld:
		w.Kind, w.On, w.Detail = release.WaitOperator, slices.Clone(ph.Owners), payloadOf(e).Error
		if len(w.On) == 0 {
			w.On = []string{"operator"}
		}
	case a.Approval != nil:
		w.Kind, w.On, w.Needed = release.WaitApproval, slices.Clone(a.Approval.Approvers), max(a.Approval.Min, 1)
	case len(a.Tasks) > 0:
		anyRequired := slices.ContainsFunc(a.Tasks, func(t process.Task) bool { return t.Required })
		var out []release.Wait
		for _, t := range a.Tasks {
			if anyRequired && !t.Required {
				continue
			}
			tw := w
			tw.Kind, tw.Task, tw.On = release.WaitTask, t.ID, slices.Clone(t.Assignees)
			out = append(out, tw)
		}
		return out
	default:
		w.Kind, w.On = release.WaitSignOff, slices.Clone(ph.Owners)
	}
	return []release.Wait{w}
}
