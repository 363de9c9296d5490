package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// groups are the approver and assignee groups of the sample.
var groups = map[string][]string{
	"qa":       {"dave", "grace"},
	"qa-leads": {"erin", "frank"},
}

const initiator = "alice"

// runRelease runs the sample release on the store file o.db and reports it
// to w.
func runRelease(ctx context.Context, w io.Writer, o options) error {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	st, err := sqlite.Open(o.db, nil)
	if err != nil {
		return fmt.Errorf("quickstart: opening the store %s: %w", o.db, err)
	}
	defer st.Close()

	proc, err := process.Parse(sample)
	if err != nil {
		return fmt.Errorf("quickstart: release.yaml: %w", err)
	}
	smoke, err := process.Parse(smokeTests)
	if err != nil {
		return fmt.Errorf("quickstart: smoke-tests.yaml: %w", err)
	}
	prev, err := listReleases(ctx, st, proc.ID)
	if err != nil {
		return err
	}
	// Each run stores the documents again: the store keeps every version,
	// and a release pins the one it was created from.
	now := time.Now()
	for _, p := range []*process.Process{smoke, proc} {
		if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: initiator, Now: now}); err != nil {
			return fmt.Errorf("quickstart: storing process %s: %w", p.ID, err)
		}
	}

	ex, err := executor.New(st, simulated(o.pace), &executor.Config{
		InstanceID: "quickstart",
		ResolveGroup: func(_ context.Context, g string) ([]string, error) {
			if m, ok := groups[g]; ok {
				return m, nil
			}
			return nil, fmt.Errorf("no group %q", g)
		},
	})
	if err != nil {
		return err
	}
	if err := ex.Launch(ctx); err != nil {
		return err
	}
	defer func() {
		// Let adapter calls in flight finish, for up to 10 seconds.
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := ex.Shutdown(stopCtx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()

	id, version, err := resumeOrCreate(ctx, w, ex, o, proc, prev)
	if err != nil {
		return err
	}
	pace := func(d time.Duration) time.Duration { return time.Duration(float64(d) * o.pace) }
	people := []*actor{
		{activity: "qa.regression", after: pace(1500 * time.Millisecond), who: "dave", what: "submits the regression report and completes the tasks",
			act: func(ctx context.Context, a *release.ActivityState) error {
				// What an interrupted run did already is not done again.
				if a.Outputs["report-url"] == nil {
					if err := ex.SubmitOutputs(ctx, id, "qa.regression", &executor.OutputsParams{By: executor.By{Actor: "dave"},
						Outputs: map[string]any{"report-url": "https://qa.example.com/reports/mobile-" + version}}); err != nil {
						return err
					}
				}
				for _, task := range []struct{ id, reason string }{{"exploratory", ""}, {"run-suite", "412 passed, 0 failed"}} {
					if i := slices.IndexFunc(a.Tasks, func(t release.TaskState) bool { return t.ID == task.id }); i >= 0 && a.Tasks[i].Status == release.TaskSucceeded {
						continue
					}
					if err := ex.CompleteTask(ctx, id, "qa.regression", task.id, &executor.By{Actor: "dave", Reason: task.reason}); err != nil {
						return err
					}
				}
				return nil
			}},
		{activity: "qa.signoff", after: pace(time.Second), who: "erin", what: "approves the QA sign-off",
			act: func(ctx context.Context, _ *release.ActivityState) error {
				return ex.Approve(ctx, id, "qa.signoff", &executor.DecisionParams{By: executor.By{Actor: "erin", Reason: "regression green"}})
			}},
	}

	v := newView(w, o.live)
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var rel *release.Release
	for {
		if rel, err = ex.Get(ctx, id, nil); err != nil {
			return err
		}
		v.draw(rel, time.Since(start))
		if rel.Status.Terminal() {
			break
		}
		for _, a := range people {
			st := rel.Activities[a.activity]
			if a.done || st.Status != release.ActivityWaiting || time.Since(st.Since) < a.after {
				continue
			}
			a.done = true
			v.note(fmt.Sprintf("%s %s", a.who, a.what))
			if err := a.act(ctx, st); err != nil {
				return fmt.Errorf("quickstart: %s: %w", a, err)
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return fmt.Errorf("quickstart: interrupted: release %s is left %s in %s; run again to resume it, or with -fresh to abort it", id, rel.Status, o.db)
			}
			return fmt.Errorf("quickstart: the release did not end in %v: %w", deadline, ctx.Err())
		case <-tick.C:
		}
	}
	v.finish(rel, time.Since(start))
	return summarize(ctx, w, ex, st, rel, o.db)
}

// resumeOrCreate returns the release this run drives: the one an
// interrupted run left unfinished (the executor resumed it when it
// started), or, when there is none or o.fresh asks for a new one (the
// unfinished one is then aborted), a new release.
func resumeOrCreate(ctx context.Context, w io.Writer, ex *executor.Executor, o options, proc *process.Process, prev []release.Summary) (release.ID, string, error) {
	var left *release.Summary
	for i := range prev {
		if !prev[i].Status.Terminal() {
			left = &prev[i] // the latest one
		}
	}
	switch {
	case left != nil && !o.fresh:
		fmt.Fprintf(w, "Baton quickstart: resuming %s %s on %s: release %s was left %s by an interrupted run (created %s).\n"+
			"Run with -fresh to abort it and start a new release.\n\n",
			proc.Name, left.Version, o.db, left.ID, left.Status, left.CreatedAt.Local().Format("2006-01-02 15:04:05"))
		return left.ID, left.Version, nil
	case left != nil:
		if err := ex.Abort(ctx, left.ID, &executor.By{Actor: initiator, Reason: "quickstart -fresh: left by an interrupted run"}); err != nil {
			return "", "", fmt.Errorf("quickstart: aborting release %s left by an interrupted run: %w", left.ID, err)
		}
		fmt.Fprintf(w, "Aborted release %s (%s %s), left %s by an interrupted run (-fresh).\n", left.ID, proc.Name, left.Version, left.Status)
	}
	version := o.version
	if version == "" {
		version = fmt.Sprintf("2.4.%d", len(prev))
	}
	fmt.Fprintf(w, "Baton quickstart: releasing %s %s on %s (%d earlier release(s) in the file)\n\n", proc.Name, version, o.db, len(prev))
	sum, err := ex.Create(ctx, &executor.CreateParams{
		Process: proc.ID, By: executor.By{Actor: initiator, Reason: "quickstart"}, Version: version,
		Inputs: map[string]any{"version": version, "environment": "production"},
	})
	if err != nil {
		return "", "", fmt.Errorf("quickstart: creating the release: %w", err)
	}
	return sum.ID, version, nil
}

func listReleases(ctx context.Context, st store.Store, id process.ID) ([]release.Summary, error) {
	var out []release.Summary
	p := &store.ListReleasesParams{Process: id, Limit: store.MaxLimit}
	for {
		page, err := st.ListReleases(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("quickstart: listing releases: %w", err)
		}
		out = append(out, page.Releases...)
		if page.Next == "" {
			break
		}
		p.Cursor = page.Next
	}
	slices.SortFunc(out, func(a, b release.Summary) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func allEvents(ctx context.Context, ex *executor.Executor, id release.ID) ([]release.Event, error) {
	var out []release.Event
	for ev, err := range ex.Events(ctx, id, nil) { // paged underneath
		if err != nil {
			return nil, fmt.Errorf("quickstart: reading events of %s: %w", id, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// summarize prints the outcome: status, phases, critical path, the audit
// chain check, the releases in the file, and the Mermaid graph.
func summarize(ctx context.Context, w io.Writer, ex *executor.Executor, st store.Store, rel *release.Release, db string) error {
	fmt.Fprintf(w, "\nSummary\n")
	fmt.Fprintf(w, "  status         %s in %s (release %s, version %s)\n", rel.Status, round(rel.EndedAt.Sub(rel.StartedAt)), rel.ID, rel.Version)
	if rel.Error != "" {
		fmt.Fprintf(w, "  error          %s\n", rel.Error)
	}
	var phases []string
	for _, ph := range rel.Process.Phases {
		ps := rel.Phases[ph.ID]
		if ps.Status == release.PhaseSkipped {
			phases = append(phases, fmt.Sprintf("%s skipped", ph.ID))
			continue
		}
		phases = append(phases, fmt.Sprintf("%s %s", ph.ID, round(ps.EndedAt.Sub(ps.StartedAt))))
	}
	fmt.Fprintf(w, "  phases         %s\n", strings.Join(phases, " · "))

	c, err := process.Compile(rel.Process)
	if err != nil {
		return err
	}
	path, total := c.CriticalPath(func(ref process.ActivityRef) time.Duration {
		a := rel.Activities[release.Key(ref.Phase, ref.Activity)]
		if a == nil || a.StartedAt.IsZero() || a.EndedAt.IsZero() {
			return 0
		}
		return a.EndedAt.Sub(a.StartedAt)
	})
	fmt.Fprintf(w, "  critical path  %s (%s of work and waiting)\n", joinRefs(path), round(total))
	var links []string
	for _, ph := range rel.Process.Phases {
		for _, a := range ph.Activities {
			for _, l := range rel.Activities[release.Key(ph.ID, a.ID)].Links {
				ref := l.Ref
				if l.Kind == release.LinkDeployment {
					ref = l.Service + " to " + l.Environment
				}
				links = append(links, fmt.Sprintf("%s %s", l.Kind, ref))
			}
		}
	}
	if len(links) > 0 {
		fmt.Fprintf(w, "  links          %s\n", strings.Join(links, " · "))
	}

	evs, err := allEvents(ctx, ex, rel.ID)
	if err != nil {
		return err
	}
	chains := []string{}
	if err := release.VerifyChain(evs); err != nil {
		return fmt.Errorf("quickstart: audit chain of %s: %w", rel.ID, err)
	}
	chains = append(chains, fmt.Sprintf("%d events of the release (head %s…)", len(evs), evs[len(evs)-1].Hash.String()[:12]))
	children, err := listReleases(ctx, st, "smoke-tests")
	if err != nil {
		return err
	}
	for _, ch := range children {
		if ch.Labels[executor.LabelParent] != string(rel.ID) {
			continue
		}
		cevs, err := allEvents(ctx, ex, ch.ID)
		if err != nil {
			return err
		}
		if err := release.VerifyChain(cevs); err != nil {
			return fmt.Errorf("quickstart: audit chain of %s: %w", ch.ID, err)
		}
		chains = append(chains, fmt.Sprintf("%d of its smoke-tests subprocess", len(cevs)))
	}
	fmt.Fprintf(w, "  audit chain    ✔ verified: %s\n", strings.Join(chains, ", "))

	all, err := listReleases(ctx, st, rel.ProcessID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  store          %s holds %d release(s) of %s:\n", db, len(all), rel.ProcessID)
	for _, s := range all {
		mark := ""
		if s.ID == rel.ID {
			mark = "  ← this run"
		}
		fmt.Fprintf(w, "                   %s  %-8s %-15s %s%s\n", s.ID, s.Version, s.Status, s.CreatedAt.Local().Format("2006-01-02 15:04:05"), mark)
	}
	if err := printReport(ctx, w, st, rel.ID); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nThe process as a Mermaid graph (paste it into any Markdown viewer that renders Mermaid):\n\n```mermaid\n%s```\n", process.Mermaid(rel.Process))
	fmt.Fprintf(w, "\nNext: run it again (the releases stay in %s); write an adapter of your own (examples/customadapter);\n"+
		"test your release logic on a virtual clock (examples/hosttest, package release/releasetest).\n", db)
	if rel.Status != release.Succeeded {
		return errors.New("quickstart: the release did not succeed")
	}
	return nil
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
