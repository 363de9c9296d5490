package baton_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/sqlite"
)

// build is what a CI client returns.
type build struct{ Artifact string }

// ci stands for the host's CI client.
var ci = struct {
	Trigger func(ctx context.Context, pipeline any, key string) (*build, error)
}{
	Trigger: func(ctx context.Context, pipeline any, key string) (*build, error) {
		return &build{Artifact: fmt.Sprintf("s3://builds/%v.ipa", pipeline)}, nil
	},
}

const doc = `
id: mobile-app
inputs:
  version: {type: string, required: true}
phases:
  - id: build
    activities:
      - id: compile
        uses: ci.pipeline
        with: {pipeline: mobile-build}
        outputs: [artifact]
`

// wire is the README's "Wiring it in" snippet, as a function.
func wire(ctx context.Context, dir string) (release.Summary, *executor.Executor, func(), error) {
	var rel release.Summary
	st, err := sqlite.Open(filepath.Join(dir, "baton.db"), nil) // or memstore.New(nil) in tests
	if err != nil {
		return rel, nil, nil, err
	}
	p, err := process.Parse([]byte(doc)) // YAML or JSON: every problem at once (the first 100 listed), each with its path and line
	if err != nil {
		return rel, nil, nil, err
	}
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "platform", Now: time.Now()}); err != nil {
		return rel, nil, nil, err
	}
	reg := adapters.NewRegistry(adapters.Func("ci.pipeline", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		build, err := ci.Trigger(ctx, req.With["pipeline"], req.IdempotencyKey) // your CI client
		if err != nil {
			return nil, err
		}
		return &adapters.Result{Outputs: map[string]any{"artifact": build.Artifact}}, nil
	}))
	ex, err := executor.New(st, reg, nil) // a nil Config takes the documented defaults
	if err != nil {
		return rel, nil, nil, err
	}
	if err := ex.Launch(ctx); err != nil { // drives every unfinished release; resumes them after a restart
		return rel, nil, nil, err
	}
	stop := func() { // graceful: adapter calls in flight finish, for up to 30 s, then are cancelled
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := ex.Shutdown(stopCtx); err != nil {
			log.Printf("baton: %v", err)
		}
		st.Close()
	}
	rel, err = ex.Create(ctx, &executor.CreateParams{Process: p.ID, Inputs: map[string]any{"version": "2.4.0"}, By: executor.By{Actor: "alice"}})
	if err != nil {
		stop()
		return rel, nil, nil, err
	}
	return rel, ex, stop, nil
}

// The wiring of the package documentation and the README, run.
func Example() {
	dir, err := os.MkdirTemp("", "baton-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	rel, ex, stop, err := wire(ctx, dir)
	if err != nil {
		panic(err)
	}
	defer stop()
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindReleaseSucceeded}}, Buffer: 1})
	defer sub.Close()
	if r, _ := ex.Get(ctx, rel.ID, nil); r.Status != release.Succeeded {
		<-sub.C()
	}
	r, _ := ex.Get(ctx, rel.ID, nil)
	fmt.Println(r.Status, r.Activity("build.compile").Outputs["artifact"])
	// Output:
	// Succeeded s3://builds/mobile-build.ipa
}

// prodNeedsCAB is the README's policy snippet, as a function.
func prodNeedsCAB(ctx context.Context, ex *executor.Executor) error {
	_, err := ex.PutPolicy(ctx, &executor.PutPolicyParams{By: executor.By{Actor: "alice"}, Policy: &release.Policy{
		ID: "prod-needs-cab", Enabled: true, Scope: release.FreezeScope{All: true},
		When:    []release.PolicyPoint{release.PolicyActivityStart},
		Rule:    `activity.labels.env != "production" || approvedBy("cab")`,
		Message: "a production change needs a CAB approval in this release",
	}})
	return err
}

func TestREADMEPolicySnippetStoresThePolicy(t *testing.T) {
	ex, err := executor.New(memstore.New(nil), adapters.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := prodNeedsCAB(ctx, ex); err != nil {
		t.Fatal(err)
	}
	p, err := ex.GetPolicy(ctx, "prod-needs-cab", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 || !p.Enabled {
		t.Fatalf("stored %+v", p)
	}
}

// Every line of every Go snippet of the README is a line of this file
// (wire, prodNeedsCAB), so the README shows code that compiles and runs.
func TestREADMEGoSnippetsAreCompiledHere(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(src), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	rest, n := string(readme), 0
	for {
		var ok bool
		if _, rest, ok = strings.Cut(rest, "```go\n"); !ok {
			break
		}
		var snippet string
		snippet, rest, _ = strings.Cut(rest, "```")
		n++
		for i, l := range strings.Split(snippet, "\n") {
			if l = strings.TrimSpace(l); l != "" && !have[l] {
				t.Errorf("README.md Go snippet %d, line %d: %q is not a line of the compiled examples (example_test.go)", n, i+1, l)
			}
		}
	}
	if n < 2 {
		t.Fatalf("README.md: found %d Go snippets, want the wiring and the policy", n)
	}
}
