package report

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// DefaultProduction is the environment MetricsParams.Production defaults
// to.
const DefaultProduction = "production"

// MetricsParams are the arguments of ComputeMetrics.
type MetricsParams struct {
	Filter
	// From and To are the window: the releases scheduled in [From, To)
	// (their ScheduledFor) count. Both required.
	From, To time.Time
	// Production is the environment of the deployment links that count
	// as reaching production, for lead time. Defaults to
	// DefaultProduction.
	Production string
}

// Stat sums up a set of durations. Zero values when Count is 0.
type Stat struct {
	Count  int           `json:"count"`
	Total  time.Duration `json:"total"`
	Mean   time.Duration `json:"mean"`
	Median time.Duration `json:"median"` // the lower middle of an even count
	Max    time.Duration `json:"max"`
}

func statOf(ds []time.Duration) Stat {
	if len(ds) == 0 {
		return Stat{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	st := Stat{Count: len(s), Median: s[(len(s)-1)/2], Max: s[len(s)-1]}
	for _, d := range s {
		st.Total += d
	}
	st.Mean = st.Total / time.Duration(len(s))
	return st
}

// Metrics are delivery metrics over a window, computed from the releases'
// event logs (through their digests: see Digest).
type Metrics struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Releases counts the releases in the window that match the filter;
	// Finished those that ended (a terminal status), Unfinished the rest.
	Releases   int `json:"releases"`
	Finished   int `json:"finished"`
	Unfinished int `json:"unfinished"`
	// By outcome, among the finished.
	Succeeded      int `json:"succeeded"`
	PartialSuccess int `json:"partial-success"`
	Failed         int `json:"failed"`
	RolledBack     int `json:"rolled-back"`
	Aborted        int `json:"aborted"`
	// PerDay is the release frequency: finished releases per day of the
	// window.
	PerDay float64 `json:"per-day"`
	// SuccessRate is (Succeeded + PartialSuccess) / Finished;
	// ChangeFailureRate is (Failed + RolledBack) / Finished. Both 0 when
	// nothing finished.
	SuccessRate       float64 `json:"success-rate"`
	ChangeFailureRate float64 `json:"change-failure-rate"`
	// LeadTime is, for each release with a commit link and a deployment
	// link to the production environment, the time from its earliest
	// commit link to its first production deployment link (a deployment
	// linked before the commit does not count).
	LeadTime Stat `json:"lead-time"`
	// TimeToRestore is, for each failed or rolled-back release of a group,
	// the time from its end to the end of the next release of the same
	// group that succeeded (fully or partially), among the releases of the
	// window. Unrestored counts the failures no later success followed.
	// Releases of no group are not counted.
	TimeToRestore Stat `json:"time-to-restore"`
	Unrestored    int  `json:"unrestored"`
	// ApprovalCycleTime is the time from an approval activity beginning to
	// wait to its decision, over every decided approval wait.
	ApprovalCycleTime Stat `json:"approval-cycle-time"`
	// TimeOnHold is, for each release whose activities went on hold, the
	// time they spent on hold (summed over its activities).
	TimeOnHold Stat `json:"time-on-hold"`
}

// ComputeMetrics computes delivery metrics over the releases of s that
// match p, from their events. When s keeps digests (store.DigestStore)
// it reads one digest per release and computes, and keeps, only the
// missing ones (releases that ended since the last call): so the first
// call over many releases reads their events, and later ones do not;
// ComputeMetrics writes to s then. Without that capability it reads every
// release's events.
func ComputeMetrics(ctx context.Context, s store.ReleaseStore, p *MetricsParams) (*Metrics, error) {
	if p == nil || p.From.IsZero() || p.To.IsZero() || !p.To.After(p.From) {
		return nil, fmt.Errorf("%w: metrics: From and To are required, To after From", ErrInvalid)
	}
	acc := newMetricsAcc(p)
	acc.ctx = ctx
	var err error
	if dst, ok := digestStore(s); ok {
		err = digestsKept(ctx, s, dst, p, acc)
	} else {
		err = digestsFromEvents(ctx, s, p, acc)
	}
	if err != nil {
		return nil, err
	}
	return acc.result(), nil
}

// computeWorkers bounds the digests ComputeMetrics computes at once: their
// events are read, and their digests kept, in parallel, so that a store
// that batches writes (SQLite) keeps many in one transaction.
const computeWorkers = 8

// digestsKept adds to acc the digests a DigestStore keeps, computing (and
// keeping) the missing ones. It decodes one digest at a time into the
// same memory: over many releases it keeps none alive, only the figures.
func digestsKept(ctx context.Context, s store.ReleaseStore, dst store.DigestStore, p *MetricsParams, acc *metricsAcc) error {
	var dec digestDecoder
	var missing []*store.ReleaseDigestEntry
	lp := &store.ListReleaseDigestsParams{Group: p.Group, Process: p.Process, ScheduledFrom: p.From, ScheduledTo: p.To, Limit: store.MaxLimit}
	for {
		page, err := dst.ListReleaseDigests(ctx, lp)
		if err != nil {
			return fmt.Errorf("report: listing release digests: %w", err)
		}
		missing = missing[:0]
		for i := range page.Releases {
			e := &page.Releases[i]
			if e.Data != nil {
				if d, err := dec.decode(e.Data, e.Release, e.Seq); err == nil {
					acc.add(d)
					continue
				} // else computed again
			}
			missing = append(missing, e)
		}
		ds := make([]*Digest, len(missing))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(computeWorkers)
		for i, e := range missing {
			g.Go(func() error {
				events, err := readEvents(gctx, s, e.Release)
				if err != nil {
					return err
				}
				d, err := DigestOf(events)
				if err != nil {
					return err
				}
				if d.Status.Terminal() {
					if err := keep(gctx, dst, d, events[len(events)-1].Hash); err != nil {
						return err
					}
				}
				ds[i] = d
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for _, d := range ds {
			acc.add(d)
		}
		if page.Next == "" {
			return nil
		}
		lp.Cursor = page.Next
	}
}

// digestsFromEvents adds to acc the digest of every release that matches,
// computed from its events.
func digestsFromEvents(ctx context.Context, s store.ReleaseStore, p *MetricsParams, acc *metricsAcc) error {
	lp := &store.ListReleasesParams{Group: p.Group, Process: p.Process, ScheduledFrom: p.From, ScheduledTo: p.To, Limit: store.MaxLimit}
	for {
		page, err := s.ListReleases(ctx, lp)
		if err != nil {
			return fmt.Errorf("report: listing releases: %w", err)
		}
		for i := range page.Releases {
			sum := &page.Releases[i]
			if !p.matchLabels(sum.Labels) {
				continue
			}
			events, err := readEvents(ctx, s, sum.ID)
			if err != nil {
				return err
			}
			d, err := DigestOf(events)
			if err != nil {
				return err
			}
			acc.add(d)
		}
		if page.Next == "" {
			return nil
		}
		lp.Cursor = page.Next
	}
}

// MetricsOf computes delivery metrics over the given digests: those in
// p's window that match its filter (and that p.Viewer, when set, lets
// through: it is called with context.Background()) count. ComputeMetrics
// reads the digests and computes the same figures as it goes.
func MetricsOf(digests []*Digest, p *MetricsParams) *Metrics {
	acc := newMetricsAcc(p)
	acc.ctx = context.Background()
	for _, d := range digests {
		acc.add(d)
	}
	return acc.result()
}

// metricsAcc computes delivery metrics over digests added one at a time:
// it keeps the figures it needs of each (durations, and the end of each
// finished release of a group), never the digest.
type metricsAcc struct {
	ctx                context.Context // given to p.Viewer
	p                  *MetricsParams
	prod               string
	m                  Metrics
	lead, cycles, held []time.Duration
	byGroup            map[release.GroupID][]ended
}

// ended is what time to restore needs of a finished release of a group.
type ended struct {
	at     time.Time
	id     release.ID
	status release.Status
}

func newMetricsAcc(p *MetricsParams) *metricsAcc {
	return &metricsAcc{p: p, prod: cmp.Or(p.Production, DefaultProduction), m: Metrics{From: p.From, To: p.To},
		byGroup: map[release.GroupID][]ended{}}
}

// add counts d when it is in the window and matches the filter. It keeps
// nothing of d's maps or slices.
func (a *metricsAcc) add(d *Digest) {
	p, m := a.p, &a.m
	if d.ScheduledFor.Before(p.From) || !d.ScheduledFor.Before(p.To) ||
		(p.Process != "" && d.Process != p.Process) || (p.Group != "" && d.Group != p.Group) || !p.matchLabels(d.Labels) {
		return
	}
	if p.Viewer != nil {
		sum := release.Summary{ID: d.Release, ProcessID: d.Process, Group: d.Group, Labels: d.Labels, Status: d.Status,
			ScheduledFor: d.ScheduledFor, StartedAt: d.StartedAt, EndedAt: d.EndedAt}
		if p.Viewer(a.ctx, &sum) != nil {
			return
		}
	}
	m.Releases++
	switch d.Status {
	case release.Succeeded:
		m.Succeeded++
	case release.PartialSuccess:
		m.PartialSuccess++
	case release.Failed:
		m.Failed++
	case release.RolledBack:
		m.RolledBack++
	case release.Aborted:
		m.Aborted++
	default:
		m.Unfinished++
	}
	if d.Status.Terminal() && d.Group != "" {
		a.byGroup[d.Group] = append(a.byGroup[d.Group], ended{d.EndedAt, d.Release, d.Status})
	}
	if dep, ok := d.Deployments[a.prod]; ok && !d.FirstCommit.IsZero() && !dep.Before(d.FirstCommit) {
		a.lead = append(a.lead, dep.Sub(d.FirstCommit))
	}
	a.cycles = append(a.cycles, d.ApprovalCycles...)
	if d.OnHold > 0 {
		a.held = append(a.held, d.OnHold)
	}
}

// result computes the metrics of the digests added.
func (a *metricsAcc) result() *Metrics {
	m, p := a.m, a.p
	m.Finished = m.Releases - m.Unfinished
	if m.Finished > 0 {
		m.SuccessRate = float64(m.Succeeded+m.PartialSuccess) / float64(m.Finished)
		m.ChangeFailureRate = float64(m.Failed+m.RolledBack) / float64(m.Finished)
	}
	m.PerDay = float64(m.Finished) / (float64(p.To.Sub(p.From)) / float64(24*time.Hour))
	var restore []time.Duration
	for _, g := range slices.Sorted(maps.Keys(a.byGroup)) {
		rs := a.byGroup[g]
		slices.SortFunc(rs, func(a, b ended) int {
			return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.id, b.id))
		})
		for i, d := range rs {
			if d.status != release.Failed && d.status != release.RolledBack {
				continue
			}
			restored := false
			for _, next := range rs[i+1:] {
				if (next.status == release.Succeeded || next.status == release.PartialSuccess) && next.at.After(d.at) {
					restore = append(restore, next.at.Sub(d.at))
					restored = true
					break
				}
			}
			if !restored {
				m.Unrestored++
			}
		}
	}
	m.LeadTime, m.TimeToRestore = statOf(a.lead), statOf(restore)
	m.ApprovalCycleTime, m.TimeOnHold = statOf(a.cycles), statOf(a.held)
	return &m
}

// MetricsCSVHeader is the header row of Metrics.WriteCSV.
var MetricsCSVHeader = []string{"metric", "value", "unit"}

// WriteCSV writes the metrics as CSV, one metric a row: the header
// MetricsCSVHeader, then rows named as the JSON fields ("releases",
// "success-rate", "lead-time-mean", ...). Counts have unit "count", rates
// "ratio" (0 to 1), frequency "per-day", durations "s" (seconds), times
// "time" (UTC RFC 3339). Each Stat gives -count, -total, -mean, -median and
// -max rows.
func (m *Metrics) WriteCSV(w io.Writer) error {
	rows := [][]string{MetricsCSVHeader,
		{"from", csvTime(m.From), "time"}, {"to", csvTime(m.To), "time"}}
	count := func(name string, n int) { rows = append(rows, []string{name, fmt.Sprint(n), "count"}) }
	count("releases", m.Releases)
	count("finished", m.Finished)
	count("unfinished", m.Unfinished)
	count("succeeded", m.Succeeded)
	count("partial-success", m.PartialSuccess)
	count("failed", m.Failed)
	count("rolled-back", m.RolledBack)
	count("aborted", m.Aborted)
	rows = append(rows, []string{"per-day", csvFloat(m.PerDay), "per-day"},
		[]string{"success-rate", csvFloat(m.SuccessRate), "ratio"},
		[]string{"change-failure-rate", csvFloat(m.ChangeFailureRate), "ratio"})
	stat := func(name string, s Stat) {
		count(name+"-count", s.Count)
		for _, x := range []struct {
			n string
			d time.Duration
		}{{"total", s.Total}, {"mean", s.Mean}, {"median", s.Median}, {"max", s.Max}} {
			rows = append(rows, []string{name + "-" + x.n, csvDuration(x.d), "s"})
		}
	}
	stat("lead-time", m.LeadTime)
	stat("time-to-restore", m.TimeToRestore)
	count("unrestored", m.Unrestored)
	stat("approval-cycle-time", m.ApprovalCycleTime)
	stat("time-on-hold", m.TimeOnHold)
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}
