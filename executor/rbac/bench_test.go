package rbac_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/rbac"
	"github.com/batonhq/baton/internal/cputime"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// benchRules are 100 bindings as a mid-size organisation might have them:
// 60 people over a process, a label selector or both, 30 groups (each of
// 10 people, resolved through a TTL cache) and 10 people over everything.
// The acting person ("person-59") is bound last among the people, and
// "member-29-9" through the last group.
func benchRules() (*rbac.Rules, func(context.Context, string) ([]string, error)) {
	var bs []rbac.Binding
	for i := range 60 {
		sc := rbac.Scope{Process: process.ID(fmt.Sprintf("proc-%d", i%20))}
		if i%3 == 1 {
			sc = rbac.Scope{Labels: map[string]string{"env": "prod", "team": fmt.Sprintf("team-%d", i%7)}}
		} else if i%3 == 2 {
			sc.Labels = map[string]string{"env": "staging"}
		}
		bs = append(bs, rbac.Binding{Subject: fmt.Sprintf("person-%d", i), Role: rbac.Operator, Scope: sc})
	}
	bs[59].Scope = rbac.Scope{Process: "bench", Labels: map[string]string{"env": "prod"}}
	groups := map[string][]string{}
	for i := range 30 {
		name := fmt.Sprintf("group-%d", i)
		for j := range 10 {
			groups[name] = append(groups[name], fmt.Sprintf("member-%d-%d", i, j))
		}
		sc := rbac.Scope{Labels: map[string]string{"env": "prod"}}
		if i%2 == 0 {
			sc = rbac.Scope{Process: process.ID(fmt.Sprintf("proc-%d", i))}
		}
		bs = append(bs, rbac.Binding{Subject: "group:" + name, Role: rbac.ReleaseManager, Scope: sc})
	}
	for i := range 10 {
		bs = append(bs, rbac.Binding{Subject: fmt.Sprintf("admin-%d", i), Role: rbac.Viewer, Scope: rbac.Everything})
	}
	return &rbac.Rules{Bindings: bs}, func(_ context.Context, g string) ([]string, error) { return groups[g], nil }
}

// BenchmarkAuthorize is one Authorize call on an activity action (a task
// completed on an env=prod activity of process bench) with 100 bindings:
// allowed through a person binding, allowed through a group (members kept
// by GroupTTL), and refused (every group bound over env=prod looked at).
// noop is a host authorizer that allows everything, the baseline.
func BenchmarkAuthorize(b *testing.B) {
	rules, lookup := benchRules()
	authz, err := rbac.New(rules, &rbac.Config{ResolveGroup: lookup, GroupTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	noop := func(context.Context, *executor.Action) error { return nil }
	ctx := context.Background()
	for _, tc := range []struct {
		name, actor string
		fn          func(context.Context, *executor.Action) error
		allowed     bool
	}{
		{"noop", "person-59", noop, true},
		{"person", "person-59", authz.Authorize, true},
		{"group", "member-29-9", authz.Authorize, true},
		{"denied", "stranger", authz.Authorize, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			act := &executor.Action{Kind: executor.ActionUpdateTask, Verb: executor.VerbExecute, Resource: executor.ResourceActivity,
				Release: "0190a3c4-0000-7000-8000-000000000000", Activity: "ship.a7", Task: "t", Actor: tc.actor, Process: "bench",
				Labels: map[string]string{"team": "web"}, ActivityLabels: map[string]string{"env": "prod"}}
			if err := tc.fn(ctx, act); (err == nil) != tc.allowed {
				b.Fatalf("allowed %v, want %v: %v", err == nil, tc.allowed, err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			stop := cpuPer(b, 1, "cpu-ns/op")
			for range b.N {
				_ = tc.fn(ctx, act)
			}
			stop()
		})
	}
}

// manualProcess is n manual activities that wait at once, each with one
// task, labelled env=prod.
func manualProcess(n int) string {
	var sb strings.Builder
	sb.WriteString("id: bench\nphases:\n  - id: ship\n    labels: {env: prod}\n    activities:\n")
	for i := range n {
		fmt.Fprintf(&sb, "      - {id: a%d, type: manual, tasks: [{id: t, name: T}]}\n", i)
	}
	return sb.String()
}

// chainProcess is n no-op automated activities one after the other.
func chainProcess(n int) string {
	var sb strings.Builder
	sb.WriteString("id: chain\nphases:\n  - id: p\n    activities:\n")
	for i := range n {
		fmt.Fprintf(&sb, "      - id: a%d\n        uses: noop\n", i)
		if i > 0 {
			fmt.Fprintf(&sb, "        depends-on: [a%d]\n", i-1)
		}
	}
	return sb.String()
}

// BenchmarkPerActivity measures, on memstore, what an activity costs
// with the host allowing everything (noop) and with this package's
// Authorizer holding 100 bindings (rbac-100):
//
//   - automated: a release of 100 no-op automated activities in a chain,
//     created by an authorized person (the authorizer is asked once per
//     release; this is the per-activity cost the target divides by);
//   - manual: a release of 20 manual activities, each ended by a person
//     completing its task (the authorizer is asked once per activity).
//
// Both report ns/activity.
func BenchmarkPerActivity(b *testing.B) {
	for _, shape := range []struct {
		name, doc, proc string
		n               int
	}{{"automated", chainProcess(100), "chain", 100}, {"manual", manualProcess(20), "bench", 20}} {
		for _, mode := range []string{"noop", "rbac-100"} {
			b.Run(shape.name+"/"+mode, func(b *testing.B) {
				rules, lookup := benchRules()
				rules.Bindings = append(rules.Bindings, rbac.Binding{Subject: "person-59", Role: rbac.Operator, Scope: rbac.Scope{Process: "chain"}})
				authz, err := rbac.New(rules, &rbac.Config{ResolveGroup: lookup, GroupTTL: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				cfg := &executor.Config{Logger: slog.New(slog.DiscardHandler)}
				if mode == "rbac-100" {
					cfg.Authorize = authz.Authorize
				}
				ended := make(chan release.ID, 1)
				cfg.Observers = []executor.Observer{executor.ObserverFunc(func(e release.Event) {
					if e.Kind == release.KindReleaseSucceeded {
						ended <- e.Release
					}
				})}
				st := memstore.New(nil)
				p, err := process.Parse([]byte(shape.doc))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := st.PutProcess(context.Background(), &store.PutProcessParams{Process: p, Now: time.Now()}); err != nil {
					b.Fatal(err)
				}
				noop := adapters.Func("noop", func(context.Context, *adapters.Request) (*adapters.Result, error) { return &adapters.Result{}, nil })
				ex, err := executor.New(st, adapters.NewRegistry(noop), cfg)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); _ = ex.Run(ctx) }()
				defer func() { cancel(); <-done }()
				by := executor.By{Actor: "person-59"}
				run := func() {
					sum, err := ex.Create(context.Background(), &executor.CreateParams{Process: process.ID(shape.proc), By: by, Labels: map[string]string{"env": "prod"}})
					if err != nil {
						b.Fatal(err)
					}
					if shape.proc == "bench" {
						for i := range shape.n {
							if err := ex.CompleteTask(context.Background(), sum.ID, release.ActivityKey(fmt.Sprintf("ship.a%d", i)), "t", &by); err != nil {
								b.Fatal(err)
							}
						}
					}
					if got := <-ended; got != sum.ID {
						b.Fatalf("release %s ended, want %s", got, sum.ID)
					}
				}
				run() // warm up
				b.ReportAllocs()
				b.ResetTimer()
				stop := cpuPer(b, shape.n, "cpu-ns/activity")
				for range b.N {
					run()
				}
				b.StopTimer()
				stop()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*shape.n), "ns/activity")
			})
		}
	}
}

// cpuPer starts counting the process's CPU time; the function it returns
// reports it per b.N*per as unit (on a shared machine, wall time counts
// the waits for a core too). Nothing is reported where CPU time cannot be
// read.
func cpuPer(b *testing.B, per int, unit string) (stop func()) {
	start, ok := cputime.Process()
	return func() {
		if end, ok2 := cputime.Process(); ok && ok2 {
			b.ReportMetric(float64(end-start)/float64(b.N*per), unit)
		}
	}
}
