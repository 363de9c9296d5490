package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/executor/report"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// eventsOnly hides every capability of a store but ReleaseStore: metrics
// are computed from the events alone.
type eventsOnly struct{ store.ReleaseStore }

func window() *report.MetricsParams { return &report.MetricsParams{From: day(1), To: day(11)} }

// metricsStores make the stores metrics are computed on: with kept
// digests, and from the events alone.
var metricsStores = map[string]func() store.ReleaseStore{
	"memstore":    func() store.ReleaseStore { return memstore.New(nil) },
	"events only": func() store.ReleaseStore { return eventsOnly{memstore.New(nil)} },
}

func TestMetricsOverAScriptedTrain(t *testing.T) {
	for name, mk := range metricsStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := mk()
			scriptTrain(t, s)
			for round := range 2 { // the second round reads kept digests, if any
				m, err := report.ComputeMetrics(ctx, s, window())
				require.NoError(t, err, "round %d", round)
				want := &report.Metrics{
					From: day(1), To: day(11),
					Releases: 7, Finished: 6, Unfinished: 1,
					Succeeded: 2, Failed: 2, RolledBack: 1, Aborted: 1,
					PerDay: 0.6, SuccessRate: 2.0 / 6, ChangeFailureRate: 0.5,
					LeadTime: report.Stat{Count: 2, Total: 2 * time.Hour, Mean: time.Hour, Median: 40 * time.Minute, Max: 80 * time.Minute},
					// r2 (Jan 2 11:05) and r3 (Jan 3 12:10) restored by r4 (Jan 4 11:20); r6 never.
					TimeToRestore: report.Stat{Count: 2, Total: 71*time.Hour + 25*time.Minute,
						Mean: 35*time.Hour + 42*time.Minute + 30*time.Second, Median: 23*time.Hour + 10*time.Minute, Max: 48*time.Hour + 15*time.Minute},
					Unrestored: 1,
					// r1 30m, r2 1h, r3 2h, r4 10m, r6 20m.
					ApprovalCycleTime: report.Stat{Count: 5, Total: 4 * time.Hour, Mean: 48 * time.Minute, Median: 30 * time.Minute, Max: 2 * time.Hour},
					TimeOnHold:        report.Stat{Count: 1, Total: time.Hour, Mean: time.Hour, Median: time.Hour, Max: time.Hour},
				}
				require.Equal(t, want, m, "round %d", round)
			}

			// Filters: labels, group, another production environment.
			p := window()
			p.Labels = prod
			m, err := report.ComputeMetrics(ctx, s, p)
			require.NoError(t, err)
			require.Equal(t, 6, m.Releases)
			require.Equal(t, 0, m.Aborted)
			require.InDelta(t, 0.5, m.PerDay, 1e-12)

			p = window()
			p.Group = "api"
			m, err = report.ComputeMetrics(ctx, s, p)
			require.NoError(t, err)
			require.Equal(t, 1, m.Releases)
			require.Equal(t, 1, m.Failed)
			require.Equal(t, 1, m.Unrestored)
			require.Equal(t, 1.0, m.ChangeFailureRate)

			p = window()
			p.Production = "staging"
			m, err = report.ComputeMetrics(ctx, s, p)
			require.NoError(t, err)
			require.Equal(t, report.Stat{Count: 1, Total: 20 * time.Minute, Mean: 20 * time.Minute, Median: 20 * time.Minute, Max: 20 * time.Minute}, m.LeadTime)

			// A link added to a finished release after its digest was kept
			// counts: r5 gets a commit and, 15m later, a production
			// deployment.
			b := &scripted{t: t, s: s, at: day(6)}
			b.r = getRelease(t, s, "r5")
			b.link(0, commit("a5")).link(15*time.Minute, deployment("production"))
			m, err = report.ComputeMetrics(ctx, s, window())
			require.NoError(t, err)
			require.Equal(t, report.Stat{Count: 3, Total: 135 * time.Minute, Mean: 45 * time.Minute, Median: 40 * time.Minute, Max: 80 * time.Minute}, m.LeadTime)
		})
	}
}

func TestMetricsCSVParsesBackToTheValues(t *testing.T) {
	s := memstore.New(nil)
	scriptTrain(t, s)
	m, err := report.ComputeMetrics(context.Background(), s, window())
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, m.WriteCSV(&buf))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Equal(t, report.MetricsCSVHeader, rows[0])
	got := map[string][2]string{}
	for _, r := range rows[1:] {
		require.Len(t, r, 3)
		require.NotContains(t, got, r[0], "metric %s twice", r[0])
		got[r[0]] = [2]string{r[1], r[2]}
	}
	for name, want := range map[string][2]string{
		"from":                       {"2026-01-01T10:00:00Z", "time"},
		"releases":                   {"7", "count"},
		"finished":                   {"6", "count"},
		"rolled-back":                {"1", "count"},
		"per-day":                    {"0.6", "per-day"},
		"change-failure-rate":        {"0.5", "ratio"},
		"lead-time-count":            {"2", "count"},
		"lead-time-mean":             {"3600", "s"},
		"time-to-restore-max":        {"173700", "s"},
		"unrestored":                 {"1", "count"},
		"approval-cycle-time-median": {"1800", "s"},
		"time-on-hold-total":         {"3600", "s"},
	} {
		require.Equal(t, want, got[name], name)
	}
}

func TestMetricsRefuseAWindowThatIsNotOne(t *testing.T) {
	s := memstore.New(nil)
	for _, p := range []*report.MetricsParams{nil, {From: day(2)}, {To: day(2)}, {From: day(2), To: day(1)}, {From: day(2), To: day(2)}} {
		_, err := report.ComputeMetrics(context.Background(), s, p)
		require.ErrorIs(t, err, report.ErrInvalid)
	}
}
