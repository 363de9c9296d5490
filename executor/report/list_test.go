package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/executor/report"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store/memstore"
)

func TestListGivesEveryReleaseOfAGroupInARangeWithItsOutcomeAndTimings(t *testing.T) {
	s := memstore.New(nil)
	scriptTrain(t, s)
	ctx := context.Background()

	l, err := report.List(ctx, s, &report.ListParams{Filter: report.Filter{Group: "web"}, From: day(2), To: day(8)})
	require.NoError(t, err)
	var ids []release.ID
	for _, r := range l.Rows {
		ids = append(ids, r.Release)
	}
	require.Equal(t, []release.ID{"r2", "r3", "r4", "r5", "r7"}, ids, "r1 is before the range, r6 of group api, r8 after")
	r4 := l.Rows[2]
	require.Equal(t, release.Succeeded, r4.Status)
	require.Equal(t, day(4), r4.Start)
	require.Equal(t, day(4).Add(80*time.Minute), r4.End)
	require.Equal(t, 80*time.Minute, r4.Duration)
	require.Equal(t, 2, r4.ActivitiesDone)
	require.True(t, l.Rows[4].End.IsZero(), "r7 runs")
	require.Zero(t, l.Rows[4].Duration)

	// Labels and statuses filter too.
	l2, err := report.List(ctx, s, &report.ListParams{Filter: report.Filter{Labels: map[string]string{"env": "test"}}})
	require.NoError(t, err)
	require.Len(t, l2.Rows, 1)
	require.Equal(t, release.ID("r5"), l2.Rows[0].Release)
	l3, err := report.List(ctx, s, &report.ListParams{Statuses: []release.Status{release.Failed, release.RolledBack}})
	require.NoError(t, err)
	require.Len(t, l3.Rows, 3)

	_, err = report.List(ctx, s, &report.ListParams{From: day(3), To: day(2)})
	require.ErrorIs(t, err, report.ErrInvalid)

	// CSV parsed back.
	var buf bytes.Buffer
	require.NoError(t, l.WriteCSV(&buf))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+5)
	require.Equal(t, report.ListCSVHeader, rows[0])
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	require.Equal(t, "r4", rows[3][col["release"]])
	require.Equal(t, "Succeeded", rows[3][col["status"]])
	require.Equal(t, "4800", rows[3][col["duration_s"]])
	require.Equal(t, "env=prod", rows[3][col["labels"]])
	require.Equal(t, "2026-01-04T11:20:00Z", rows[3][col["end"]])
	require.Equal(t, "", rows[5][col["end"]])

	// JSON round trip.
	raw, err := json.Marshal(l)
	require.NoError(t, err)
	var back report.ReleaseList
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, l.Rows, back.Rows)
}

func TestReleaseReportCountsTimeOnHoldPausedAndStillWaiting(t *testing.T) {
	s := memstore.New(nil)
	scriptTrain(t, s)
	ctx := context.Background()

	// r4: approved after 10m; the rollout runs 5m, is on hold 1h, runs
	// again 5m: 2 attempts.
	rep, err := report.Get(ctx, s, "r4", time.Time{})
	require.NoError(t, err)
	require.Equal(t, time.Hour, rep.OnHold)
	require.Equal(t, 10*time.Minute, rep.Waiting)
	rollout := rep.Activities[1]
	require.Equal(t, release.ActivityKey("deploy.rollout"), rollout.Activity)
	require.Equal(t, time.Hour, rollout.OnHold)
	require.Equal(t, 2, rollout.Attempts)
	require.Equal(t, 1, rollout.Retries)
	require.Equal(t, day(4).Add(10*time.Minute), rollout.Start)
	require.Equal(t, day(4).Add(80*time.Minute), rollout.End)

	// r7 still waits on its approval: counted up to now.
	rep, err = report.Get(ctx, s, "r7", day(7).Add(3*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 3*time.Hour, rep.Waiting)
	require.Equal(t, day(7).Add(3*time.Hour), rep.AsOf)
	require.True(t, rep.End.IsZero())

	// A pause of 20m, still going 10m later, then resumed.
	b := newScripted(t, s, "p1", "web", day(9), nil).start().
		rec(5*time.Minute, "ops", release.ReleasePausedPayload{})
	rep, err = report.Get(ctx, s, "p1", day(9).Add(15*time.Minute))
	require.NoError(t, err)
	require.Equal(t, 10*time.Minute, rep.Paused)
	b.rec(15*time.Minute, "ops", release.ReleaseResumedPayload{}).approved(time.Minute).succeed(time.Minute)
	rep, err = report.Get(ctx, s, "p1", day(10))
	require.NoError(t, err)
	require.Equal(t, 15*time.Minute, rep.Paused)
	require.Equal(t, 21*time.Minute, rep.Waiting, "the approval waited through the pause")
	require.Equal(t, day(9).Add(22*time.Minute), rep.AsOf, "a finished release is counted to its end")
}
