package report_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/batonhq/baton/executor/report"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// exampleRelease stores a release of a one-phase process: an approval
// granted by carol after 40 minutes, then a rollout of 10 minutes that
// links a commit and a production deployment; it fails when fail is set.
func exampleRelease(st store.ReleaseStore, id release.ID, at time.Time, fail bool) {
	proc := &process.Process{ID: "web", Version: 1, Phases: []process.Phase{{ID: "ship", Activities: []process.Activity{
		{ID: "approve", Type: process.Approval, ExpectedDuration: process.Duration(30 * time.Minute),
			Approval: &process.ApprovalPolicy{Approvers: []string{"carol"}, Min: 1}},
		{ID: "rollout", Uses: "cd", DependsOn: []string{"approve"}, ExpectedDuration: process.Duration(15 * time.Minute)},
	}}}}
	r, created, err := release.Create(id, at, "alice", "", release.ReleaseCreatedPayload{Name: "web", Process: proc, Group: "daily"})
	if err != nil {
		panic(err)
	}
	events := []release.Event{created}
	rec := func(d time.Duration, actor string, ps ...release.Payload) {
		at = at.Add(d)
		for _, p := range ps {
			e, err := r.RecordPayload(at, actor, "", p)
			if err != nil {
				panic(err)
			}
			events = append(events, e)
		}
	}
	rec(0, "executor", release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "ship"},
		release.ActivityStartedPayload{Activity: "ship.approve"}, release.ActivityWaitingPayload{Activity: "ship.approve"},
		release.LinkAddedPayload{Link: release.Link{Kind: release.LinkCommit, Ref: "9f2c1e"}})
	rec(40*time.Minute, "carol", release.ApprovalGrantedPayload{Activity: "ship.approve"})
	rec(0, "executor", release.ActivitySucceededPayload{Activity: "ship.approve"}, release.ActivityStartedPayload{Activity: "ship.rollout"})
	if fail {
		rec(10*time.Minute, "executor", release.ActivityFailedPayload{Activity: "ship.rollout", Error: "canary unhealthy"},
			release.PhaseFailedPayload{Phase: "ship"}, release.ReleaseFailedPayload{Error: "canary unhealthy"})
	} else {
		rec(10*time.Minute, "executor", release.LinkAddedPayload{Link: release.Link{Kind: release.LinkDeployment, Ref: "v2", Service: "web", Environment: "production"}},
			release.ActivitySucceededPayload{Activity: "ship.rollout"}, release.PhaseSucceededPayload{Phase: "ship"}, release.ReleaseSucceededPayload{})
	}
	if err := st.CreateRelease(context.Background(), &store.CreateReleaseParams{Events: events, Release: r}); err != nil {
		panic(err)
	}
}

func ExampleGet() {
	st := memstore.New(nil)
	exampleRelease(st, "r1", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), false)

	rep, err := report.Get(context.Background(), st, "r1", time.Time{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: planned %s, took %s, waited on people %s\n", rep.Status, rep.PlannedDuration, rep.Duration, rep.Waiting)
	for _, a := range rep.Activities {
		fmt.Printf("%s: planned %s-%s, ran %s-%s, decisions %v\n", a.Activity,
			a.PlannedStart.Format("15:04"), a.PlannedEnd.Format("15:04"), a.Start.Format("15:04"), a.End.Format("15:04"), a.Decisions)
	}
	if err := rep.WriteCSV(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// Succeeded: planned 45m0s, took 50m0s, waited on people 40m0s
	// ship.approve: planned 09:00-09:30, ran 09:00-09:40, decisions [carol approved at 2026-03-02T09:40:00Z]
	// ship.rollout: planned 09:30-09:45, ran 09:40-09:50, decisions []
	// level,id,status,planned_start,planned_end,planned_duration_s,start,end,duration_s,waiting_s,on_hold_s,attempts,retries,decisions,error
	// release,r1,Succeeded,2026-03-02T09:00:00Z,2026-03-02T09:45:00Z,2700,2026-03-02T09:00:00Z,2026-03-02T09:50:00Z,3000,2400,0,,0,,
	// phase,ship,Succeeded,2026-03-02T09:00:00Z,2026-03-02T09:45:00Z,2700,2026-03-02T09:00:00Z,2026-03-02T09:50:00Z,3000,2400,0,,0,,
	// activity,ship.approve,Succeeded,2026-03-02T09:00:00Z,2026-03-02T09:30:00Z,1800,2026-03-02T09:00:00Z,2026-03-02T09:40:00Z,2400,2400,0,1,0,carol approved at 2026-03-02T09:40:00Z,
	// activity,ship.rollout,Succeeded,2026-03-02T09:30:00Z,2026-03-02T09:45:00Z,900,2026-03-02T09:40:00Z,2026-03-02T09:50:00Z,600,0,0,1,0,,
}

func ExampleComputeMetrics() {
	st := memstore.New(nil)
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	exampleRelease(st, "r1", day, true)                    // fails at 09:50
	exampleRelease(st, "r2", day.Add(24*time.Hour), false) // succeeds the next day at 09:50
	exampleRelease(st, "r3", day.Add(48*time.Hour), false)

	m, err := report.ComputeMetrics(context.Background(), st, &report.MetricsParams{
		From: day, To: day.Add(7 * 24 * time.Hour), Filter: report.Filter{Group: "daily"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d releases, %.2f a day, success rate %.2f, change failure rate %.2f\n", m.Finished, m.PerDay, m.SuccessRate, m.ChangeFailureRate)
	fmt.Printf("lead time %s, time to restore %s, approval cycle %s\n", m.LeadTime.Mean, m.TimeToRestore.Mean, m.ApprovalCycleTime.Mean)
	// Output:
	// 3 releases, 0.43 a day, success rate 0.67, change failure rate 0.33
	// lead time 50m0s, time to restore 24h0m0s, approval cycle 40m0s
}
