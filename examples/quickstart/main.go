package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

//go:embed release.yaml
var sample []byte

//go:embed smoke-tests.yaml
var smokeTests []byte

type options struct {
	db      string
	plan    bool
	pace    float64
	live    bool // redraw the view in place (a terminal)
	version string
	fresh   bool // abort a release an interrupted run left, and start a new one
}

func main() {
	var o options
	flag.StringVar(&o.db, "db", "baton-quickstart.db", "the SQLite store file (created if missing; kept between runs)")
	flag.BoolVar(&o.plan, "plan", false, "only validate and plan a process document (the sample, or the file given) and draw it")
	flag.Float64Var(&o.pace, "pace", 1, "scale the simulated work: 0.2 runs five times faster")
	flag.StringVar(&o.version, "version", "", "the version to release (default 2.4.N, N counting the releases in the store)")
	flag.BoolVar(&o.fresh, "fresh", false, "abort a release an interrupted run left unfinished, and start a new one (by default it is resumed)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `usage: quickstart [flags]
       quickstart -plan [process.yaml]

Runs Baton's sample release (examples/quickstart/release.yaml, a weekly
mobile release train) for real, in about 10 seconds: on the embedded SQLite
store (the -db file, created if missing), with local adapters that simulate
a CI build, a deployment and a feature-flag flip, and scripted people who
complete the manual regression task and approve the QA sign-off. You see
one line per phase with a progress bar, the running activities and what
waits on whom, then a summary: status, duration of each phase, the critical
path, the audit chain verified, the releases kept in the store file (run it
twice: the first release is still there), the release report (each phase
planned against actual, waits on people, approvals), and the Mermaid graph.

A release that an interrupted run (Ctrl-C, a kill) left unfinished in the
file is resumed by the next run, from where it stopped; -fresh aborts it
and starts a new one instead.

With -plan it only loads a process document, validates it and prints its
plan in parallel waves with the critical path.

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.plan {
		if err := printPlan(os.Stdout, flag.Arg(0)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "quickstart: unexpected argument %q (to plan your own document: quickstart -plan %s)\n", flag.Arg(0), flag.Arg(0))
		os.Exit(2)
	}
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb" {
		o.live = true
	}
	if err := runRelease(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// deadline bounds a whole run; the sample takes about 10s at pace 1.
const deadline = 2 * time.Minute
