package report_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/executor/report"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var errNotYours = errors.New("not your group")

// webOnly is a reader who may see the releases of group web only.
func webOnly(seen *[]release.ID) report.Viewer {
	return func(_ context.Context, s *release.Summary) error {
		if seen != nil {
			*seen = append(*seen, s.ID)
		}
		if s.Group != "web" {
			return errNotYours
		}
		return nil
	}
}

// A Viewer limits lists, metrics and release reports to what the reader
// may see: for a reader of group web only, the train's figures are those
// of the group web filter, and r6 (group api) is refused.
func TestAViewerLimitsReportsToWhatTheReaderMaySee(t *testing.T) {
	for name, mk := range metricsStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := mk()
			scriptTrain(t, s)
			byGroup := window()
			byGroup.Group = "web"
			want, err := report.ComputeMetrics(ctx, s, byGroup)
			require.NoError(t, err)
			for round := range 2 { // the second round reads kept digests, if any
				var seen []release.ID
				p := window()
				p.Viewer = webOnly(&seen)
				got, err := report.ComputeMetrics(ctx, s, p)
				require.NoError(t, err)
				require.Equal(t, want, got, "round %d", round)
				require.Equal(t, 6, got.Releases, "r6 left out")
				require.Contains(t, seen, release.ID("r6"), "the viewer was asked")
			}
			m := report.MetricsOf(nil, &report.MetricsParams{From: day(1), To: day(11), Filter: report.Filter{Viewer: webOnly(nil)}})
			require.Zero(t, m.Releases)

			l, err := report.List(ctx, s, &report.ListParams{Filter: report.Filter{Viewer: webOnly(nil)}})
			require.NoError(t, err)
			var ids []release.ID
			for _, r := range l.Rows {
				ids = append(ids, r.Release)
			}
			require.Equal(t, []release.ID{"r1", "r2", "r3", "r4", "r5", "r7", "r8"}, ids)

			_, err = report.GetVisible(ctx, s, "r6", day(20), webOnly(nil))
			require.ErrorIs(t, err, errNotYours)
			rep, err := report.GetVisible(ctx, s, "r4", day(20), webOnly(nil))
			require.NoError(t, err)
			require.Equal(t, release.ID("r4"), rep.Release)
			_, err = report.GetVisible(ctx, s, "nope", day(20), webOnly(nil))
			require.ErrorIs(t, err, store.ErrNotFound)
			rep, err = report.GetVisible(ctx, s, "r6", day(20), nil)
			require.NoError(t, err, "no viewer: everything")
			require.Equal(t, release.ID("r6"), rep.Release)
		})
	}
}
