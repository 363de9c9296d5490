package report

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Filter selects releases. Zero fields do not filter; set fields must all
// match.
type Filter struct {
	Process process.ID
	Group   release.GroupID
	// Labels must all be on the release with these values.
	Labels map[string]string
	// Viewer, when set, is the reader the report is for: only the
	// releases it lets through (nil error) count. Defaults to nil: every
	// release that matches (the package reads the store directly, not
	// through an executor's authorizer). executor.Executor.Viewer makes
	// one from the executor's authorizer.
	Viewer Viewer
}

// Viewer decides whether the reader of a report may see a release: nil
// to let it through, else the refusal (GetVisible returns it; lists and
// metrics leave the release out). It is given the release's summary,
// which it must not keep or modify; from a kept digest (ComputeMetrics)
// the summary has only ID, ProcessID, Group, Labels, Status,
// ScheduledFor, StartedAt and EndedAt set (ProcessVersion is 0).
type Viewer func(ctx context.Context, s *release.Summary) error

// visible reports whether f's Viewer lets the release of s through.
func (f *Filter) visible(ctx context.Context, s *release.Summary) bool {
	return f.Viewer == nil || f.Viewer(ctx, s) == nil
}

func (f *Filter) matchLabels(labels map[string]string) bool {
	for k, v := range f.Labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// ListParams are the arguments of List.
type ListParams struct {
	Filter
	// From and To select the releases scheduled in [From, To) (their
	// ScheduledFor: the time given at creation, or the time they were
	// created). A zero From or To leaves that side open.
	From, To time.Time
	// Statuses, when set, keeps only releases in one of them.
	Statuses []release.Status
}

// ReleaseRow is one release of a List: its outcome and timings. Planned
// times are the release's expected start and end (zero when it has none).
type ReleaseRow struct {
	Release        release.ID        `json:"release"`
	Name           string            `json:"name"`
	Version        string            `json:"version,omitempty"`
	Process        process.ID        `json:"process"`
	ProcessVersion int               `json:"process-version"`
	Group          release.GroupID   `json:"group,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Status         release.Status    `json:"status"`
	CreatedBy      string            `json:"created-by"`
	CreatedAt      time.Time         `json:"created-at"`
	ScheduledFor   time.Time         `json:"scheduled-for"`
	Times
	// StartDelay is how late it started against its planned start
	// (negative when early); zero when either is unknown.
	StartDelay time.Duration `json:"start-delay"`
	// EndDelay is how late it ended against its planned end (negative
	// when early); zero when either is unknown.
	EndDelay        time.Duration `json:"end-delay"`
	ActivitiesDone  int           `json:"activities-done"`
	ActivitiesTotal int           `json:"activities-total"`
}

// ReleaseList is the result of List.
type ReleaseList struct {
	Params ListParams   `json:"-"`
	Rows   []ReleaseRow `json:"releases"` // ordered by (CreatedAt, ID)
}

// List returns every release that matches p, with its outcome and
// timings, read page by page through the store's ListReleases (labels are
// matched here). It reads summaries only, never events, and holds the
// whole result in memory.
func List(ctx context.Context, s store.ReleaseStore, p *ListParams) (*ReleaseList, error) {
	if p == nil {
		p = &ListParams{}
	}
	if !p.From.IsZero() && !p.To.IsZero() && p.To.Before(p.From) {
		return nil, fmt.Errorf("%w: To (%s) is before From (%s)", ErrInvalid, p.To, p.From)
	}
	out := &ReleaseList{Params: *p, Rows: []ReleaseRow{}}
	lp := &store.ListReleasesParams{Statuses: p.Statuses, Group: p.Group, Process: p.Process,
		ScheduledFrom: p.From, ScheduledTo: p.To, Limit: store.MaxLimit}
	for {
		page, err := s.ListReleases(ctx, lp)
		if err != nil {
			return nil, fmt.Errorf("report: listing releases: %w", err)
		}
		for i := range page.Releases {
			if sum := &page.Releases[i]; p.matchLabels(sum.Labels) && p.visible(ctx, sum) {
				out.Rows = append(out.Rows, rowOf(sum))
			}
		}
		if page.Next == "" {
			return out, nil
		}
		lp.Cursor = page.Next
	}
}

func rowOf(s *release.Summary) ReleaseRow {
	var end time.Time
	if s.Status.Terminal() {
		end = s.EndedAt
	}
	row := ReleaseRow{
		Release: s.ID, Name: s.Name, Version: s.Version, Process: s.ProcessID, ProcessVersion: s.ProcessVersion,
		Group: s.Group, Labels: maps.Clone(s.Labels), Status: s.Status, CreatedBy: s.CreatedBy,
		CreatedAt: s.CreatedAt, ScheduledFor: s.ScheduledFor,
		Times:          newTimes(s.ExpectedStart, s.ExpectedEnd, s.StartedAt, end),
		ActivitiesDone: s.ActivitiesDone, ActivitiesTotal: s.ActivitiesTotal,
	}
	row.StartDelay = delay(s.ExpectedStart, s.StartedAt)
	row.EndDelay = delay(s.ExpectedEnd, end)
	return row
}

func delay(planned, actual time.Time) time.Duration {
	if planned.IsZero() || actual.IsZero() {
		return 0
	}
	return actual.Sub(planned)
}

// ListCSVHeader is the header row of ReleaseList.WriteCSV.
var ListCSVHeader = []string{
	"release", "name", "version", "process", "process_version", "group", "labels", "status", "created_by",
	"created_at", "scheduled_for", "planned_start", "planned_end", "planned_duration_s",
	"start", "end", "duration_s", "start_delay_s", "end_delay_s", "activities_done", "activities_total",
}

// WriteCSV writes the list as CSV: the header ListCSVHeader, then one row
// per release. Times are UTC RFC 3339 with nanoseconds (empty when
// unknown), durations in seconds, labels as k=v pairs sorted by key and
// separated by ";".
func (l *ReleaseList) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ListCSVHeader); err != nil {
		return err
	}
	for i := range l.Rows {
		r := &l.Rows[i]
		keys := slices.Sorted(maps.Keys(r.Labels))
		labels := make([]string, len(keys))
		for j, k := range keys {
			labels[j] = k + "=" + r.Labels[k]
		}
		if err := cw.Write([]string{string(r.Release), r.Name, r.Version, string(r.Process), strconv.Itoa(r.ProcessVersion),
			string(r.Group), strings.Join(labels, ";"), string(r.Status), r.CreatedBy,
			csvTime(r.CreatedAt), csvTime(r.ScheduledFor), csvTime(r.PlannedStart), csvTime(r.PlannedEnd), csvDuration(r.PlannedDuration),
			csvTime(r.Start), csvTime(r.End), csvDuration(r.Duration), csvDuration(r.StartDelay), csvDuration(r.EndDelay),
			strconv.Itoa(r.ActivitiesDone), strconv.Itoa(r.ActivitiesTotal)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
