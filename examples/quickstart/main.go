// Command quickstart shows Baton's process model on a sample release: it
// loads release.yaml, validates it, prints its plan in topological waves
// with the critical path, and draws it as a Mermaid graph.
//
//	go run ./examples/quickstart            # the bundled sample
//	go run ./examples/quickstart my.yaml    # your own process document
package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
)

//go:embed release.yaml
var sample []byte

func main() {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `usage: quickstart [process.yaml]

Loads a Baton process document (the bundled examples/quickstart/release.yaml
when no file is given), validates it, and prints its plan: the activities in
topological waves (each wave can run in parallel once the ones before it are
done), the critical path by expected duration, and a Mermaid graph you can
paste into any Markdown viewer that renders Mermaid.
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer, args []string) error {
	data, name := sample, "examples/quickstart/release.yaml (bundled)"
	if len(args) > 0 {
		var err error
		if data, err = os.ReadFile(args[0]); err != nil {
			return err
		}
		name = args[0]
	}
	p, err := process.Parse(data)
	if err != nil {
		var verr *process.ValidationError
		if errors.As(err, &verr) {
			fmt.Fprintf(w, "%s has %d problem(s):\n", name, len(verr.Problems))
			for _, pr := range verr.Problems {
				fmt.Fprintf(w, "  %s\n", pr)
			}
		}
		return fmt.Errorf("quickstart: %s is not a valid process", name)
	}
	c, err := process.Compile(p)
	if err != nil {
		return err
	}
	acts := c.Activities()
	fmt.Fprintf(w, "✔ %s: process %q (%s), %d phases, %d activities, valid\n\n", name, p.ID, p.Name, len(p.Phases), len(acts))

	fmt.Fprintln(w, "Plan (activities in the same wave can run in parallel):")
	expected := func(r process.ActivityRef) time.Duration { return c.Activity(r).ExpectedDuration.D() }
	for i, wave := range c.Waves() {
		parts := make([]string, len(wave))
		for j, r := range wave {
			a := c.Activity(r)
			parts[j] = fmt.Sprintf("%s [%s]", r, describe(a))
		}
		fmt.Fprintf(w, "  wave %d: %s\n", i+1, strings.Join(parts, ", "))
	}
	path, total := c.CriticalPath(expected)
	names := make([]string, len(path))
	for i, r := range path {
		names[i] = r.String()
	}
	fmt.Fprintf(w, "\nCritical path (%s expected): %s\n", total, strings.Join(names, " → "))
	fmt.Fprintf(w, "\nMermaid graph:\n\n```mermaid\n%s```\n", process.Mermaid(p))
	return nil
}

func describe(a *process.Activity) string {
	switch a.EffectiveType() {
	case process.Automated:
		return a.Uses
	case process.Subprocess:
		return "subprocess " + string(a.Process)
	}
	return string(a.EffectiveType())
}
