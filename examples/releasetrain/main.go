package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// train is the process both groups release: a build, then a rollout in a
// phase labelled env: prod.
const train = `
id: train
name: Release train
phases:
  - id: build
    activities:
      - {id: compile, uses: noop}
  - id: ship
    depends-on: [build]
    labels: {env: prod}
    activities:
      - {id: rollout, uses: noop}
`

const (
	weeks = 6
	actor = "release-manager"
)

func main() {
	out := flag.String("out", ".", "the directory calendar.ics is written to")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `usage: releasetrain [-out dir]

Simulates six weeks of two release groups (a weekly mobile train, a monthly
web release) with a recurring weekend freeze and a one-off audit freeze, on
a fast manual clock, printing each week's calendar, then writes the period
as an iCalendar feed, calendar.ics, in the -out directory.

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *out); err != nil {
		fmt.Fprintln(os.Stderr, "releasetrain:", err)
		os.Exit(1)
	}
}

// run simulates the weeks, writing the calendars to w and calendar.ics to
// dir.
func run(ctx context.Context, w io.Writer, dir string) error {
	began := time.Now()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return err
	}
	start := time.Date(2026, 11, 30, 0, 0, 0, 0, berlin) // a Monday
	clk := newSimClock(start)
	st := memstore.New(nil)
	p, err := process.Parse([]byte(train))
	if err != nil {
		return err
	}
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: actor, Now: start}); err != nil {
		return err
	}
	noop := adapters.Func("noop", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{}, nil
	})
	ex, err := executor.New(st, adapters.NewRegistry(noop), &executor.Config{
		Clock: clk, Jitter: -1, Logger: slog.New(slog.DiscardHandler),
		// One executor that holds its releases for the whole simulation:
		// the clock jumps an hour at a time.
		LeaseDuration: 90 * 24 * time.Hour,
	})
	if err != nil {
		return err
	}
	if err := setUp(ctx, ex, start, berlin); err != nil {
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
	// Both groups' first releases are due at once (their lead time has
	// begun): once they exist, the executor's loop is running.
	if err := waitFor(ctx, func() (bool, error) {
		page, err := st.ListReleases(ctx, &store.ListReleasesParams{Limit: 2})
		return err == nil && len(page.Releases) == 2, err
	}); err != nil {
		return fmt.Errorf("the first releases: %w", err)
	}
	fmt.Fprintf(w, "Two groups and two freezes; %d weeks from %s, in %s.\n", weeks, start.Format("Mon 2 Jan 2006"), berlin)
	for wk := range weeks {
		from := start.AddDate(0, 0, 7*wk)
		to := from.AddDate(0, 0, 7)
		for t := from.Add(time.Hour); !t.After(to); t = t.Add(time.Hour) {
			if err := step(ctx, clk, st, t); err != nil {
				return err
			}
		}
		c, err := ex.Calendar(ctx, &executor.CalendarParams{From: from, To: to, By: executor.By{Actor: actor}})
		if err != nil {
			return err
		}
		if err := printWeek(ctx, w, ex, wk+1, c, berlin); err != nil {
			return err
		}
	}
	// The feed: the six weeks and the plan of the next four.
	c, err := ex.Calendar(ctx, &executor.CalendarParams{From: start, To: start.AddDate(0, 0, 7*(weeks+4)), By: executor.By{Actor: actor}})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nThe next four weeks:\n")
	for _, r := range c.Releases {
		if r.Status == release.Scheduled {
			fmt.Fprintf(w, "  release  %s  %s %s, made ahead (%s)\n", r.PlannedStart.In(berlin).Format("Mon 02 Jan 15:04"), r.Name, r.Version, r.Status)
		}
	}
	for _, p := range c.Planned {
		note := ""
		if p.Frozen != "" && !p.ShiftedTo.IsZero() {
			note = fmt.Sprintf(", frozen by %s: shifts to %s", p.Frozen, p.ShiftedTo.In(berlin).Format("15:04"))
		} else if p.Frozen != "" {
			note = fmt.Sprintf(", frozen by %s: skipped", p.Frozen)
		}
		fmt.Fprintf(w, "  planned  %s  %s, made %s%s\n", p.Occurrence.In(berlin).Format("Mon 02 Jan 15:04"), p.GroupName,
			p.CreateAt.In(berlin).Format("Mon 02 Jan 15:04"), note)
	}
	feed := c.ICal("Release trains")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "calendar.ics")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := feed.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nWrote %s: %d events (%d releases, %d planned occurrences, %d freeze windows).\n",
		path, len(feed.Events), len(c.Releases), len(c.Planned), len(c.Freezes))
	fmt.Fprintf(w, "%d simulated weeks took %s.\n", weeks, time.Since(began).Round(100*time.Millisecond))
	return nil
}

// setUp stores the freezes and the groups.
func setUp(ctx context.Context, ex *executor.Executor, start time.Time, loc *time.Location) error {
	prod := map[string]string{"env": "prod"}
	freezes := []*release.Freeze{{
		ID: "weekend", Name: "Weekend freeze", Reason: "no production changes from Friday 16:00 to Monday 11:00", Enabled: true,
		Recurring: []release.RecurringFreeze{{Schedule: "weekly on fri at 16:00", Timezone: loc.String(), Days: 2, Duration: process.Duration(19 * time.Hour)}},
		Scope:     release.FreezeScope{Labels: prod},
	}, {
		ID: "audit", Name: "Audit freeze", Reason: "the year-end audit", Enabled: true,
		Windows: []release.FreezeWindow{{Start: time.Date(2027, 1, 5, 0, 0, 0, 0, loc), End: time.Date(2027, 1, 7, 0, 0, 0, 0, loc)}},
		Scope:   release.FreezeScope{All: true},
	}}
	for _, f := range freezes {
		if _, err := ex.PutFreeze(ctx, &executor.PutFreezeParams{Freeze: f, By: executor.By{Actor: actor}}); err != nil {
			return err
		}
	}
	groups := []*release.Group{{
		ID: "mobile-weekly", Name: "Mobile train", Process: "train", Enabled: true, AutoExecute: true,
		Cadence: "weekly on mon at 10:00", Timezone: loc.String(), Start: start,
		LeadTime: process.Duration(48 * time.Hour), ReleaseDuration: process.Duration(2 * time.Hour),
		NameTemplate: "${{ group.name }} ${{ occurrence.date }}", VersionTemplate: "2.${{ sequence }}.0",
		Labels: map[string]string{"env": "prod", "team": "mobile"}, FreezePolicy: release.FreezeShift,
	}, {
		ID: "web-monthly", Name: "Web release", Process: "train", Enabled: true, AutoExecute: true,
		Cadence: "monthly on the 1st wed at 14:00", Timezone: loc.String(), Start: start,
		LeadTime: process.Duration(72 * time.Hour), ReleaseDuration: process.Duration(3 * time.Hour),
		NameTemplate: "${{ group.name }} ${{ occurrence.year }}-${{ occurrence.month }}", VersionTemplate: "${{ occurrence.year }}.${{ occurrence.month }}",
		Labels: map[string]string{"env": "prod", "team": "web"}, FreezePolicy: release.FreezeSkip,
	}}
	for _, g := range groups {
		if _, err := ex.PutGroup(ctx, &executor.PutGroupParams{Group: g, By: executor.By{Actor: actor}}); err != nil {
			return err
		}
	}
	return nil
}

// step moves the clock to t, lets the executor take the timers that fell
// due, and waits until every release due to start by then has started and
// ended: so each starts at its time, however loaded the machine.
func step(ctx context.Context, clk *simClock, st store.Store, t time.Time) error {
	clk.Set(t)
	time.Sleep(200 * time.Microsecond)
	return waitFor(ctx, func() (bool, error) {
		page, err := st.ListReleases(ctx, &store.ListReleasesParams{Statuses: []release.Status{release.Scheduled, release.Running}, Limit: store.MaxLimit})
		if err != nil {
			return false, err
		}
		return !slices.ContainsFunc(page.Releases, func(s release.Summary) bool {
			return s.Status == release.Running || !s.ScheduledFor.After(t)
		}), nil
	})
}

// waitFor polls cond until it holds or ctx ends. The simulation runs on a
// fake clock, so no real-time deadline says how long the executor may take
// on a loaded machine; a generous bound only turns a hang into an error.
func waitFor(ctx context.Context, cond func() (bool, error)) error {
	const bound = 5 * time.Minute
	ctx, stop := context.WithTimeout(ctx, bound)
	defer stop()
	for {
		ok, err := cond()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("the executor did not get there within %v of real time (is it stuck?)", bound)
			}
			return ctx.Err()
		case <-time.After(200 * time.Microsecond):
		}
	}
}

// printWeek writes one week's calendar as text: freezes, releases (planned
// against actual), the occurrences still planned, the overlaps, and what
// the groups decided about the week's occurrences.
func printWeek(ctx context.Context, w io.Writer, ex *executor.Executor, n int, c *executor.Calendar, loc *time.Location) error {
	at := func(t time.Time) string { return t.In(loc).Format("Mon 02 Jan 15:04") }
	hm := func(t time.Time) string { return t.In(loc).Format("15:04") }
	fmt.Fprintf(w, "\nWeek %d: %s to %s\n", n, c.From.In(loc).Format("Mon 02 Jan 2006"), c.To.Add(-time.Nanosecond).In(loc).Format("Mon 02 Jan 2006"))
	for _, f := range c.Freezes {
		fmt.Fprintf(w, "  freeze   %s to %s  %s\n", at(f.Start), at(f.End), f.Name)
	}
	for _, r := range c.Releases {
		ran := "not started"
		if !r.ActualStart.IsZero() {
			ran = "ran " + hm(r.ActualStart)
			if !r.ActualEnd.IsZero() {
				ran += "-" + hm(r.ActualEnd)
			}
		}
		fmt.Fprintf(w, "  release  %s  %-26s %-8s %s, %s (planned %s-%s; %s)\n",
			at(r.PlannedStart), r.Name, r.Version, r.Status, r.Health, hm(r.PlannedStart), hm(r.PlannedEnd), ran)
	}
	for _, p := range c.Planned {
		note := ""
		if p.Frozen != "" {
			note = fmt.Sprintf(" (frozen by %s", p.Frozen)
			if !p.ShiftedTo.IsZero() {
				note += ": shifts to " + at(p.ShiftedTo)
			} else {
				note += ": skipped"
			}
			note += ")"
		}
		fmt.Fprintf(w, "  planned  %s  %s, made %s%s\n", at(p.Occurrence), p.GroupName, at(p.CreateAt), note)
	}
	for _, o := range c.Overlaps {
		var names []string
		for _, e := range o.Entries {
			names = append(names, e.Name)
		}
		fmt.Fprintf(w, "  overlap  %s to %s  %s %s: %s\n", at(o.Start), hm(o.End), o.Kind, o.Key, strings.Join(names, ", "))
	}
	for _, g := range []release.GroupID{"mobile-weekly", "web-monthly"} {
		page, err := ex.GroupHistory(ctx, &executor.GroupHistoryParams{ListGroupHistoryParams: store.ListGroupHistoryParams{Group: g, Limit: store.MaxLimit}})
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if r.Occurrence.Before(c.From) || !r.Occurrence.Before(c.To) {
				continue
			}
			switch r.Decision {
			case release.DecisionShifted:
				fmt.Fprintf(w, "  decided  %s  %s shifted to %s by %s\n", at(r.Occurrence), g, hm(r.ShiftedTo), r.Freeze)
			case release.DecisionSkipped, release.DecisionMissed:
				fmt.Fprintf(w, "  decided  %s  %s %s: %s\n", at(r.Occurrence), g, r.Decision, r.Reason)
			}
		}
	}
	return nil
}
