package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/batonhq/baton/executor/report"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// printReport prints the release report (package executor/report), read
// from the release's event log: each phase planned (from the process's
// expected durations) against actual, the time spent waiting on people,
// retries and who decided the approvals.
func printReport(ctx context.Context, w io.Writer, st store.Store, id release.ID) error {
	rep, err := report.Get(ctx, st, id, time.Now())
	if err != nil {
		return fmt.Errorf("quickstart: release report: %w", err)
	}
	fmt.Fprintf(w, "\nRelease report (from the event log; CSV and JSON too: package executor/report)\n")
	line := func(name string, t report.Times, waiting time.Duration, detail []string) {
		s := fmt.Sprintf("  %-14s planned %-8s took %-8s", name, t.PlannedDuration, round(t.Duration))
		if waiting > 0 {
			s += fmt.Sprintf(" waited on people %s", round(waiting))
		}
		if len(detail) > 0 {
			s += " (" + strings.Join(detail, ", ") + ")"
		}
		fmt.Fprintln(w, strings.TrimRight(s, " "))
	}
	line("release", rep.Times, rep.Waiting, nil)
	var decisions []string
	for _, p := range rep.Phases {
		if p.Status == release.PhaseSkipped {
			continue
		}
		var detail []string
		for _, a := range rep.Activities {
			if a.Activity.Phase() != p.Phase {
				continue
			}
			if a.Waiting > 0 {
				detail = append(detail, fmt.Sprintf("%s %s", a.Activity, round(a.Waiting)))
			}
			if a.Retries > 0 {
				detail = append(detail, fmt.Sprintf("%s retried %d×", a.Activity, a.Retries))
			}
			for _, d := range a.Decisions {
				what := "rejected"
				if d.Approved {
					what = "approved"
				}
				decisions = append(decisions, fmt.Sprintf("%s %s by %s at %s", a.Activity, what, d.Actor, d.At.Local().Format("15:04:05")))
			}
		}
		line(string(p.Phase), p.Times, p.Waiting, detail)
	}
	if len(decisions) > 0 {
		fmt.Fprintf(w, "  %-14s %s\n", "decisions", strings.Join(decisions, " · "))
	}
	return nil
}
