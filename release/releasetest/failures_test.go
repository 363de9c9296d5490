package releasetest_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/release/releasetest"
)

// Run's own failures (a step that never happened, a step on an unknown
// activity, a refused action, inputs the process refuses) fail the test
// that called Run. Each case runs
// in a child test process, whose failure this test checks.
func TestRunFailsTheTestWhenTheScriptIsWrong(t *testing.T) {
	if name := os.Getenv("RELEASETEST_CASE"); name != "" {
		if name == "inputs" {
			// Created through executor.Create: its input checks apply.
			doc := "id: versioned\ninputs:\n  version: {type: string, required: true, pattern: '^\\d+\\.\\d+\\.\\d+$'}\n" +
				"phases:\n  - id: ship\n    activities:\n      - {id: deploy, uses: cd.deploy}\n"
			releasetest.NewYAML(t, doc, &releasetest.Config{
				Adapters: []adapters.Adapter{adaptertest.NewFake("cd.deploy", nil)},
				Inputs:   map[string]any{"version": "two"},
			}).Run(t)
			return
		}
		h := releasetest.NewYAML(t, gate, &releasetest.Config{Adapters: []adapters.Adapter{adaptertest.NewFake("cd.deploy", nil)}})
		switch name {
		case "unused":
			h.Approve("qa.signoff", "bob")
			h.Retry("ship.deploy", "oncall")
		case "unknown":
			h.Approve("qa.sign-off", "bob")
		case "path":
			h.Approve("qa.signoff/checks.signoff", "bob")
		case "refused":
			h.Approve("qa.signoff", "mallory")
		case "expected":
			h.Approve("qa.signoff", "mallory").ExpectError(executor.ErrForbidden)
			h.Approve("qa.signoff", "bob")
		}
		h.Run(t)
		return
	}
	cases := map[string]string{
		"unused":   `scripted steps that never happened (mark a step Optional if that is expected): oncall retry ship.deploy`,
		"unknown":  `step "bob approve qa.sign-off": process gate has no activity "qa.sign-off" (it has qa.signoff, ship.deploy)`,
		"path":     `step "bob approve qa.signoff/checks.signoff": qa.signoff/checks.signoff: activity qa.signoff of process gate is not a subprocess`,
		"refused":  `step "mallory approve qa.signoff" at 2026-01-05T09:00:00Z: executor: approve:`,
		"expected": "",
		"inputs":   `releasetest: creating the release: executor: create: invalid argument: process: inputs.version:`,
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRunFailsTheTestWhenTheScriptIsWrong$", "-test.v")
			cmd.Env = append(os.Environ(), "RELEASETEST_CASE="+name)
			out, err := cmd.CombinedOutput()
			if want == "" {
				require.NoError(t, err, "%s", out)
				return
			}
			require.Error(t, err, "the child test passed:\n%s", out)
			require.Contains(t, string(out), want)
		})
	}
}
