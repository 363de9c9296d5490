package executor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/executor/report"
	"github.com/batonhq/baton/release"
)

// Viewer asks the authorizer what Get asks (the same Action), refuses as
// Get refuses (ErrUnauthorized and the authorizer's error), and gives a
// report built around the executor only what its reader may see.
func TestViewerAsksWhatGetAsksAndLimitsAReport(t *testing.T) {
	g := &aliceGate{}
	h := newHarness(t, &Config{Authorize: g.authorize}, &recorder{kind: "noop"})
	ctx := context.Background()
	alice, mallory := By{Actor: "alice"}, By{Actor: "mallory"}
	_, err := h.ex.PutProcess(ctx, &PutProcessParams{By: alice, Process: mustDecode(t, authzDoc)})
	require.NoError(t, err)
	sum, err := h.ex.Create(ctx, &CreateParams{By: alice, Process: "web", Labels: map[string]string{"team": "web"}})
	require.NoError(t, err)
	h.waitStatus(sum.ID, release.Succeeded)
	stored, err := h.store.GetReleaseSummary(ctx, sum.ID)
	require.NoError(t, err)
	g.asked()

	_, err = h.ex.Get(ctx, sum.ID, &mallory)
	require.ErrorIs(t, err, ErrUnauthorized)
	byGet := g.asked()
	err = h.ex.Viewer(mallory)(ctx, stored)
	require.ErrorIs(t, err, ErrUnauthorized)
	require.ErrorIs(t, err, errNotAlice)
	byViewer := g.asked()
	require.Len(t, byViewer, 1)
	require.Equal(t, byGet, byViewer, "the same Action as Get's")
	require.Equal(t, VerbView, byViewer[0].Verb)
	require.Equal(t, map[string]string{"team": "web"}, byViewer[0].Labels)
	require.NoError(t, h.ex.Viewer(alice)(ctx, stored))
	require.NoError(t, ViewerOf(nil, mallory)(ctx, stored), "no authorizer: everything")

	for _, tc := range []struct {
		by   By
		rows int
	}{{alice, 1}, {mallory, 0}} {
		l, err := report.List(ctx, h.store, &report.ListParams{Filter: report.Filter{Viewer: h.ex.Viewer(tc.by)}})
		require.NoError(t, err)
		require.Len(t, l.Rows, tc.rows, tc.by.Actor)
	}
	_, err = report.GetVisible(ctx, h.store, sum.ID, t0, h.ex.Viewer(mallory))
	require.ErrorIs(t, err, ErrUnauthorized)
}
