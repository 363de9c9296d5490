package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ArchiveSink receives the audit bundles of the releases that retention
// archives (and that DeleteRelease deletes while Config.Retention has a
// Sink): the host's object store, file system or records system.
type ArchiveSink interface {
	// Put stores the audit bundle of release id, read from r in the file
	// form of release.WriteBundle (checkable alone with
	// release.CheckBundle, and with the key with release.VerifyBundle),
	// and returns where it went (a URL, an object key): the deletion
	// record keeps it. The release is deleted only after Put returned
	// nil; an error keeps the release, and a later sweep tries again.
	//
	// Put may be called more than once for a release: when the executor
	// stopped between Put and the deletion, or the deletion failed, the
	// next sweep archives it again. The bundles are then equal, or the
	// later one extends the earlier (an event recorded on the finished
	// release meanwhile); keep the later one, or both.
	Put(ctx context.Context, id release.ID, r io.Reader) (string, error)
}

// ArchiveSinkFunc adapts a function to an ArchiveSink.
type ArchiveSinkFunc func(ctx context.Context, id release.ID, r io.Reader) (string, error)

// Put calls f.
func (f ArchiveSinkFunc) Put(ctx context.Context, id release.ID, r io.Reader) (string, error) {
	return f(ctx, id, r)
}

// RetentionAction says what a retention rule does with a release it no
// longer keeps.
type RetentionAction string

// The retention actions.
const (
	// RetentionArchive writes the release's audit bundle to
	// RetentionConfig.Sink, then deletes the release once the sink took
	// it.
	RetentionArchive RetentionAction = "archive"
	// RetentionDelete deletes the release without an archive: its
	// deletion record (head hash and last anchor) is all that is left.
	RetentionDelete RetentionAction = "delete"
)

// RetentionRule says how long the finished releases of a process or a
// group, or every other one, are kept. A release is governed by the rule
// of its group when there is one, else by the rule of its process, else
// by the default rule (neither Process nor Group); without any, it is
// kept.
type RetentionRule struct {
	// Name identifies the rule in the deletion records; required and
	// unique.
	Name string
	// Process, when set, makes this the rule of the process's releases.
	Process process.ID
	// Group, when set, makes this the rule of the group's releases. At
	// most one of Process and Group is set; at most one rule names a
	// process or a group, and at most one rule is the default.
	Group release.GroupID
	// Keep is how long a release is kept after it ended; required,
	// positive.
	Keep time.Duration
	// Action is what happens to the release then. Defaults to
	// RetentionArchive.
	Action RetentionAction
}

// RetentionConfig configures retention (Config.Retention): which finished
// releases are deleted, when, and where their audit bundles go first.
//
// Run sweeps at once, then every Interval: for each rule it lists the
// releases that ended more than Keep ago (an index of end times, in
// stores that keep one) and archives and deletes up to Batch of them.
// A release that has not ended is never touched, nor is one a subprocess
// activity of a release that has not ended started (its parent still
// needs it). When several executors share a store that implements
// store.Leaser, one sweeps at a time: the sweep holds the lease
// RetentionLeaseKey. Every deletion is recorded in the store's deletion
// log (store.RetentionStore.ListDeletions, Executor.Deletions), which
// outlives the release.
type RetentionConfig struct {
	// Rules are the retention rules. Defaults to none: nothing is
	// deleted by the executor.
	Rules []RetentionRule
	// Sink receives the bundles of the releases archived; required when a
	// rule archives. While it is set, DeleteRelease archives too. Defaults
	// to nil.
	Sink ArchiveSink
	// Interval is the time between two sweeps. Defaults to
	// DefaultRetentionInterval.
	Interval time.Duration
	// Batch bounds the releases one sweep deletes; it looks at no more
	// than ten times as many. Defaults to DefaultRetentionBatch.
	Batch int
}

// The defaults of RetentionConfig.
const (
	DefaultRetentionInterval = time.Hour
	DefaultRetentionBatch    = 100
)

// RetentionLeaseKey is the lease a retention sweep holds (store.Leaser).
const RetentionLeaseKey = "baton/retention"

// withDefaults returns a copy of c with its defaults, or an error naming
// a rule or field that is wrong.
func (c *RetentionConfig) withDefaults() (*RetentionConfig, error) {
	if c == nil {
		return nil, nil
	}
	out := *c
	out.Rules = append([]RetentionRule(nil), c.Rules...)
	if out.Interval < 0 || out.Batch < 0 {
		return nil, fmt.Errorf("executor: config: Retention: Interval %v and Batch %d must not be negative", out.Interval, out.Batch)
	}
	if out.Interval == 0 {
		out.Interval = DefaultRetentionInterval
	}
	if out.Batch == 0 {
		out.Batch = DefaultRetentionBatch
	}
	names := map[string]bool{}
	procs := map[process.ID]bool{}
	groups := map[release.GroupID]bool{}
	deflt := false
	for i := range out.Rules {
		r := &out.Rules[i]
		at := fmt.Sprintf("executor: config: Retention.Rules[%d] (%q)", i, r.Name)
		if r.Action == "" {
			r.Action = RetentionArchive
		}
		switch {
		case r.Name == "":
			return nil, fmt.Errorf("%s: Name: required", at)
		case names[r.Name]:
			return nil, fmt.Errorf("%s: Name: another rule has it", at)
		case r.Keep <= 0:
			return nil, fmt.Errorf("%s: Keep %v: must be positive", at, r.Keep)
		case r.Action != RetentionArchive && r.Action != RetentionDelete:
			return nil, fmt.Errorf("%s: Action %q: want %q or %q", at, r.Action, RetentionArchive, RetentionDelete)
		case r.Action == RetentionArchive && out.Sink == nil:
			return nil, fmt.Errorf("%s: archives, but Retention.Sink is nil", at)
		case r.Process != "" && r.Group != "":
			return nil, fmt.Errorf("%s: Process and Group: set at most one", at)
		case r.Process != "" && procs[r.Process]:
			return nil, fmt.Errorf("%s: Process %q: another rule governs it", at, r.Process)
		case r.Group != "" && groups[r.Group]:
			return nil, fmt.Errorf("%s: Group %q: another rule governs it", at, r.Group)
		case r.Process == "" && r.Group == "" && deflt:
			return nil, fmt.Errorf("%s: another rule is the default (no Process, no Group)", at)
		}
		names[r.Name] = true
		switch {
		case r.Process != "":
			procs[r.Process] = true
		case r.Group != "":
			groups[r.Group] = true
		default:
			deflt = true
		}
	}
	return &out, nil
}

// retentionQueries returns, for each rule, the ListEnded params that
// select exactly the releases it governs (a group's rule first, then a
// process's, then the default), given the time now.
func (c *RetentionConfig) retentionQueries(now time.Time) []store.ListEndedParams {
	var procs []process.ID
	var groups []release.GroupID
	for _, r := range c.Rules {
		if r.Process != "" {
			procs = append(procs, r.Process)
		}
		if r.Group != "" {
			groups = append(groups, r.Group)
		}
	}
	qs := make([]store.ListEndedParams, len(c.Rules))
	for i, r := range c.Rules {
		q := store.ListEndedParams{EndedBefore: now.Add(-r.Keep), Process: r.Process, Group: r.Group}
		switch {
		case r.Group != "":
		case r.Process != "":
			q.ExcludeGroups = groups
		default:
			q.ExcludeProcesses, q.ExcludeGroups = procs, groups
		}
		qs[i] = q
	}
	return qs
}

// RetentionReport says what a sweep did.
type RetentionReport struct {
	// Deleted are the records of the releases deleted, in order.
	Deleted []store.Deletion
	// Kept counts the releases a rule let go that were kept this time: a
	// parent has not ended, an event came after they were listed, the
	// bundle did not check.
	Kept int
	// Skipped is set when another sweep was running (in this executor, or
	// in another that holds RetentionLeaseKey): this one did nothing.
	Skipped bool
}

// errRetentionUnsupported is returned when the store does not delete
// releases.
func errRetentionUnsupported(s store.Store) error {
	return fmt.Errorf("executor: the store (%T) does not delete releases (store.RetentionStore): %w", s, errors.ErrUnsupported)
}

// SweepRetention applies Config.Retention's rules once, as Run does every
// RetentionConfig.Interval: it archives and deletes up to Batch of the
// finished releases the rules no longer keep, and returns what it did.
// One sweep runs at a time: in this executor, and with several executors
// on a store with leases, in the one holding RetentionLeaseKey; a call
// made meanwhile returns a report with Skipped set.
// It stops at the first error of the sink or the store (what was deleted
// before is in the report); a release it must keep is counted in Kept and
// passed over. Without rules it does nothing; a store that does not
// implement store.RetentionStore gives an error matching
// errors.ErrUnsupported.
func (e *Executor) SweepRetention(ctx context.Context) (*RetentionReport, error) {
	rep := &RetentionReport{Deleted: []store.Deletion{}}
	cfg := e.cfg.Retention
	if cfg == nil || len(cfg.Rules) == 0 {
		return rep, nil
	}
	if e.retention == nil {
		return rep, errRetentionUnsupported(e.store)
	}
	if !e.sweeping.TryLock() {
		rep.Skipped = true // this executor sweeps already
		return rep, nil
	}
	defer e.sweeping.Unlock()
	if e.leaser != nil {
		lp := &store.LeaseParams{Key: RetentionLeaseKey, Owner: e.cfg.InstanceID, Now: e.clock.Now(), TTL: e.cfg.LeaseDuration}
		if _, err := e.leaser.AcquireLease(ctx, lp); errors.Is(err, store.ErrConflict) {
			rep.Skipped = true
			return rep, nil
		} else if err != nil {
			return rep, fmt.Errorf("executor: retention: taking the lease: %w", err)
		}
		defer func() {
			lp.Now = e.clock.Now()
			if err := e.leaser.ReleaseLease(context.WithoutCancel(ctx), lp); err != nil {
				e.log.Debug("executor: retention: giving the lease back", "err", err)
			}
		}()
	}
	budget, looks := cfg.Batch, 10*cfg.Batch
	for i, q := range cfg.retentionQueries(e.clock.Now()) {
		rule := &cfg.Rules[i]
		q.Limit = min(cfg.Batch, store.MaxLimit)
		for budget > 0 && looks > 0 {
			page, err := e.retention.ListEnded(ctx, &q)
			if err != nil {
				return rep, fmt.Errorf("executor: retention: rule %s: %w", rule.Name, err)
			}
			for _, sum := range page.Releases {
				if budget == 0 || looks == 0 {
					break
				}
				looks--
				if err := e.renewRetentionLease(ctx); err != nil {
					return rep, err
				}
				d, err := e.retire(ctx, &sum, rule.Action == RetentionArchive, &store.DeleteReleaseParams{
					Actor: e.cfg.InstanceID, Rule: rule.Name,
					Reason: fmt.Sprintf("retention: ended %s, kept %s", sum.EndedAt.UTC().Format(time.RFC3339), rule.Keep),
				})
				switch {
				case err == nil:
					rep.Deleted = append(rep.Deleted, *d)
					budget--
					e.log.Info("executor: retention: deleted", "release", sum.ID, "rule", rule.Name, "archive", d.Archive)
				case keptByRule(err):
					rep.Kept++
					e.log.Debug("executor: retention: kept", "release", sum.ID, "rule", rule.Name, "err", err)
				case errors.Is(err, store.ErrCorrupt) || errors.Is(err, release.ErrChainBroken) || errors.Is(err, release.ErrAnchor):
					// Evidence of tampering is kept, and said loudly.
					rep.Kept++
					e.log.Error("executor: retention: kept a release whose record does not check", "release", sum.ID, "rule", rule.Name, "err", err)
				default:
					return rep, fmt.Errorf("executor: retention: rule %s: release %s: %w", rule.Name, sum.ID, err)
				}
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
	}
	return rep, nil
}

// keptByRule reports whether err says a release must be kept for now (an
// unfinished parent, an event after it was read, deleted meanwhile).
func keptByRule(err error) bool {
	return errors.Is(err, store.ErrNotFinished) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound)
}

// renewRetentionLease renews the sweep's lease, when the store has leases.
func (e *Executor) renewRetentionLease(ctx context.Context) error {
	if e.leaser == nil {
		return nil
	}
	lp := &store.LeaseParams{Key: RetentionLeaseKey, Owner: e.cfg.InstanceID, Now: e.clock.Now(), TTL: e.cfg.LeaseDuration}
	if _, err := e.leaser.RenewLease(ctx, lp); err != nil {
		return fmt.Errorf("executor: retention: the lease was lost (another executor sweeps now): %w", err)
	}
	return nil
}

// sweepOnTimer runs a sweep for the timer, then arms the next one.
func (e *Executor) sweepOnTimer(ctx context.Context) {
	rep, err := e.SweepRetention(ctx)
	if err != nil && ctx.Err() == nil {
		e.log.Warn("executor: retention sweep", "deleted", len(rep.Deleted), "err", err)
	}
	if ctx.Err() == nil {
		e.timers.set(timerKey{kind: timerRetention}, e.clock.Now().Add(e.cfg.Retention.Interval))
	}
}

// retire archives (when archive is set) and deletes the finished release
// sum names, with the deletion params d (Release, ExpectedSeq, Now and
// Archive are set here). A child whose parent has not ended is kept
// (*store.NotFinishedError with Parent set).
func (e *Executor) retire(ctx context.Context, sum *release.Summary, archive bool, d *store.DeleteReleaseParams) (*store.Deletion, error) {
	id := sum.ID
	if !sum.Status.Terminal() {
		return nil, &store.NotFinishedError{Release: id, Status: sum.Status}
	}
	if parent := release.ID(sum.Labels[LabelParent]); parent != "" {
		ps, err := e.store.GetReleaseSummary(ctx, parent)
		switch {
		case err == nil && !ps.Status.Terminal():
			return nil, &store.NotFinishedError{Release: id, Status: sum.Status, Parent: parent}
		case err != nil && !errors.Is(err, store.ErrNotFound): // a parent deleted has ended
			return nil, fmt.Errorf("reading its parent %s: %w", parent, err)
		}
	}
	d.Release, d.ExpectedSeq = id, sum.Seq
	if archive {
		b, err := e.bundle(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := release.CheckBundle(b); err != nil {
			return nil, err
		}
		last := b.Events[len(b.Events)-1].Seq
		if last < sum.Seq {
			return nil, &store.CorruptError{Store: "executor", Release: id, What: "head", Seq: sum.Seq,
				Err: fmt.Errorf("the log ends at seq %d, before the summary's head", last)}
		}
		var buf bytes.Buffer
		if err := release.WriteBundle(&buf, b); err != nil {
			return nil, err
		}
		where, err := e.cfg.Retention.Sink.Put(ctx, id, &buf)
		if err != nil {
			return nil, fmt.Errorf("archiving: %w", err)
		}
		// What was archived is what may be deleted: an event recorded
		// since makes the deletion a conflict, and the next sweep archives
		// again.
		d.ExpectedSeq, d.Archive = last, where
	}
	d.Now = e.clock.Now()
	return e.retention.DeleteRelease(ctx, d)
}

// bundle reads a release's audit bundle: its whole log and, when the
// store keeps them, its anchors, up to the last event read.
func (e *Executor) bundle(ctx context.Context, id release.ID) (*release.Bundle, error) {
	b := &release.Bundle{Release: id, Events: []release.Event{}, Anchors: []release.Anchor{}}
	for after := int64(0); ; {
		page, err := e.store.ListEvents(ctx, &store.ListEventsParams{Release: id, AfterSeq: after, Limit: store.MaxLimit})
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		b.Events = append(b.Events, page...)
		after = page[len(page)-1].Seq
	}
	if len(b.Events) == 0 {
		return nil, &store.CorruptError{Store: "executor", Release: id, What: "event", Seq: 1, Err: errors.New("no events")}
	}
	as, ok, _ := store.Find[store.AnchorStore](e.store)
	if !ok {
		return b, nil
	}
	last := b.Events[len(b.Events)-1].Seq
	for after := int64(0); after < last; {
		page, err := as.ListAnchors(ctx, &store.ListAnchorsParams{Release: id, AfterSeq: after, Limit: store.MaxLimit})
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, a := range page {
			if a.Seq <= last {
				b.Anchors = append(b.Anchors, a)
			}
		}
		after = page[len(page)-1].Seq
	}
	return b, nil
}

// DeleteRelease deletes a finished release on behalf of p.Actor, as a
// retention rule would: checked by Config.Authorize as
// ActionDeleteRelease (with the release's process, group and labels),
// archived first to Config.Retention.Sink when one is set, and recorded
// in the store's deletion log with p.Actor and p.Reason. It returns the
// record. A release that has not ended, or whose parent release has not
// ended, is refused with a *store.NotFinishedError (errors.Is
// store.ErrNotFinished). ErrInvalid without an actor; an error matching
// errors.ErrUnsupported when the store does not delete releases.
func (e *Executor) DeleteRelease(ctx context.Context, id release.ID, p *By) (*store.Deletion, error) {
	if p == nil || p.Actor == "" {
		return nil, invalidf(ActionDeleteRelease, "actor: required")
	}
	if e.retention == nil {
		return nil, errRetentionUnsupported(e.store)
	}
	sum, err := e.store.GetReleaseSummary(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("executor: delete release %s: %w", id, err)
	}
	a := &Action{Kind: ActionDeleteRelease, Resource: ResourceRelease, Release: id, Actor: p.Actor, Reason: p.Reason,
		Process: sum.ProcessID, ProcessVersion: sum.ProcessVersion, Group: sum.Group, Labels: sum.Labels}
	if err := e.authorize(ctx, a); err != nil {
		return nil, err
	}
	archive := e.cfg.Retention != nil && e.cfg.Retention.Sink != nil
	d, err := e.retire(ctx, sum, archive, &store.DeleteReleaseParams{Actor: p.Actor, Reason: p.Reason})
	if err != nil {
		return nil, fmt.Errorf("executor: delete release %s: %w", id, err)
	}
	return d, nil
}

// DeletionsParams are the arguments of Deletions: who reads, and which
// page of the log.
type DeletionsParams struct {
	By
	store.ListDeletionsParams
}

// Deletions returns a page of the store's deletion log (see
// store.RetentionStore.ListDeletions), leaving out the records of releases
// the reader may not view: each record is judged by Config.Authorize as
// ActionView on the release it describes (its process, group and labels,
// kept in the record), as List judges the releases it returns (the actor
// may be empty). A page may so hold fewer than Limit records with more to
// come (Next). A store that does not delete releases gives an empty page.
func (e *Executor) Deletions(ctx context.Context, p *DeletionsParams) (*store.DeletionPage, error) {
	if p == nil {
		p = &DeletionsParams{}
	}
	if e.retention == nil {
		return &store.DeletionPage{Deletions: []store.Deletion{}}, nil
	}
	page, err := e.retention.ListDeletions(ctx, &p.ListDeletionsParams)
	if err != nil {
		return nil, fmt.Errorf("executor: deletions: %w", err)
	}
	page.Deletions = viewable(ctx, e, page.Deletions, func(d store.Deletion) *Action { return deletionView(p.By, &d) })
	return page, nil
}
