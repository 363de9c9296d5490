package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
)

// printPlan is the -plan mode: it loads a process document (the bundled
// sample when path is empty), validates it, and prints its plan in
// parallel waves, the critical path by expected duration, and a Mermaid
// graph.
func printPlan(w io.Writer, path string) error {
	data, name := sample, "examples/quickstart/release.yaml (bundled)"
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return err
		}
		name = path
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
			parts[j] = fmt.Sprintf("%s [%s]", r, describe(c.Activity(r)))
		}
		fmt.Fprintf(w, "  wave %d: %s\n", i+1, strings.Join(parts, ", "))
	}
	path2, total := c.CriticalPath(expected)
	fmt.Fprintf(w, "\nCritical path (%s expected): %s\n", total, joinRefs(path2))
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

func joinRefs(refs []process.ActivityRef) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.String()
	}
	return strings.Join(names, " → ")
}
