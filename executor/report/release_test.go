package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/executor/report"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
)

const shopYAML = `
id: shop
name: Shop release
phases:
  - id: build
    activities:
      - id: compile
        uses: ci
        expected-duration: 10m
        retry: {max-attempts: 2, backoff: 1m}
  - id: qa
    depends-on: [build]
    activities:
      - id: test
        type: manual
        tasks: [{id: run, name: Run tests, assignees: [bob], expected-duration: 1h}]
      - id: signoff
        type: approval
        depends-on: [test]
        expected-duration: 2h
        approval: {approvers: [carol, dan], min: 1}
`

// runShop runs the shop release: compile fails once (5m), waits the 1m
// backoff and succeeds (5m); bob completes the test task 30m after it
// starts waiting; carol approves 45m after the sign-off starts waiting.
func runShop(t *testing.T) *releasetest.Result {
	ci := adaptertest.NewFake("ci", nil).WithDelay(5*time.Minute).FailTimes(1, nil)
	h := releasetest.NewYAML(t, shopYAML, &releasetest.Config{Adapters: []adapters.Adapter{ci}})
	h.CompleteTask("qa.test", "run", "bob").After(30 * time.Minute)
	h.Approve("qa.signoff", "carol").After(45 * time.Minute)
	res := h.Run(t)
	releasetest.RequireStatus(t, res, release.Succeeded)
	return res
}

func TestReleaseReportGivesPlannedAndActualTimesWaitsRetriesAndDecisions(t *testing.T) {
	res := runShop(t)
	t0 := res.Start
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	rep, err := report.Get(context.Background(), res.Store, res.Release.ID, time.Time{})
	require.NoError(t, err)

	// By hand: compile runs 5m, fails, waits 1m, runs 5m: 0 -> 11m.
	// qa.test starts at 11m and waits 30m for bob: 11m -> 41m.
	// qa.signoff starts at 41m and waits 45m for carol: 41m -> 86m.
	require.Equal(t, release.Succeeded, rep.Status)
	require.Equal(t, t0, rep.Start)
	require.Equal(t, at(86*time.Minute), rep.End)
	require.Equal(t, 86*time.Minute, rep.Duration)
	// Planned: compile 10m, test 1h (its task), signoff 2h, in a chain.
	require.Equal(t, t0, rep.PlannedStart)
	require.Equal(t, at(3*time.Hour+10*time.Minute), rep.PlannedEnd)
	require.Equal(t, 3*time.Hour+10*time.Minute, rep.PlannedDuration)
	require.Equal(t, 75*time.Minute, rep.Waiting)
	require.Zero(t, rep.OnHold)
	require.Equal(t, 1, rep.Retries)

	require.Len(t, rep.Phases, 2)
	build, qa := rep.Phases[0], rep.Phases[1]
	require.Equal(t, report.Times{PlannedStart: t0, PlannedEnd: at(10 * time.Minute), PlannedDuration: 10 * time.Minute,
		Start: t0, End: at(11 * time.Minute), Duration: 11 * time.Minute}, build.Times)
	require.Equal(t, 1, build.Retries)
	require.Equal(t, report.Times{PlannedStart: at(10 * time.Minute), PlannedEnd: at(3*time.Hour + 10*time.Minute), PlannedDuration: 3 * time.Hour,
		Start: at(11 * time.Minute), End: at(86 * time.Minute), Duration: 75 * time.Minute}, qa.Times)
	require.Equal(t, 75*time.Minute, qa.Waiting)

	require.Len(t, rep.Activities, 3)
	compile, test, signoff := rep.Activities[0], rep.Activities[1], rep.Activities[2]
	require.Equal(t, release.ActivityKey("build.compile"), compile.Activity)
	require.Equal(t, 2, compile.Attempts)
	require.Equal(t, 1, compile.Retries)
	require.Equal(t, 11*time.Minute, compile.Duration)
	require.Zero(t, compile.Waiting)

	require.Equal(t, report.Times{PlannedStart: at(10 * time.Minute), PlannedEnd: at(70 * time.Minute), PlannedDuration: time.Hour,
		Start: at(11 * time.Minute), End: at(41 * time.Minute), Duration: 30 * time.Minute}, test.Times)
	require.Equal(t, 30*time.Minute, test.Waiting)
	require.Equal(t, 0, test.Retries)

	require.Equal(t, at(70*time.Minute), signoff.PlannedStart)
	require.Equal(t, at(41*time.Minute), signoff.Start)
	require.Equal(t, 45*time.Minute, signoff.Waiting)
	require.Equal(t, []report.Decision{{Actor: "carol", Approved: true, At: at(86 * time.Minute), Attempt: 1}}, signoff.Decisions)

	// JSON round trip gives the same values.
	raw, err := json.Marshal(rep)
	require.NoError(t, err)
	var back report.ReleaseReport
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, rep.Activities[2].Decisions, back.Activities[2].Decisions)
	require.Equal(t, rep.Times, back.Times)

	// CSV parsed back.
	var buf bytes.Buffer
	require.NoError(t, rep.WriteCSV(&buf))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+1+2+3)
	require.Equal(t, report.ReleaseCSVHeader, rows[0])
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	require.Equal(t, []string{"release", string(res.Release.ID), "Succeeded"}, rows[1][:3])
	require.Equal(t, "5160", rows[1][col["duration_s"]])
	require.Equal(t, "4500", rows[1][col["waiting_s"]])
	require.Equal(t, "11400", rows[1][col["planned_duration_s"]])
	require.Equal(t, t0.Format(time.RFC3339Nano), rows[1][col["start"]])
	require.Equal(t, []string{"phase", "build", "Succeeded"}, rows[2][:3])
	require.Equal(t, []string{"activity", "build.compile", "Succeeded"}, rows[4][:3])
	require.Equal(t, "2", rows[4][col["attempts"]])
	require.Equal(t, "1", rows[4][col["retries"]])
	require.Equal(t, "660", rows[4][col["duration_s"]])
	require.Equal(t, "carol approved at "+at(86*time.Minute).Format(time.RFC3339), rows[6][col["decisions"]])
	require.Equal(t, "2700", rows[6][col["waiting_s"]])
}
