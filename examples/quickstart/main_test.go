package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuickstartPrintsThePlanOfTheSample(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, nil))
	s := out.String()
	require.Contains(t, s, `process "mobile-app"`)
	require.Contains(t, s, "wave 1: build.compile [ci.pipeline], build.unit-tests [ci.pipeline]")
	require.Contains(t, s, "qa.signoff [approval]")
	require.Contains(t, s, "deploy.smoke [subprocess smoke-tests]")
	require.Contains(t, s, "Critical path")
	require.Contains(t, s, "flowchart LR")
}

func TestQuickstartReportsProblemsInAnotherFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte("id: x\nphases:\n  - id: a\n    activities: [{id: b, type: manual}]\n"), 0o600))
	var out bytes.Buffer
	err := run(&out, []string{path})
	require.Error(t, err)
	require.Contains(t, out.String(), "phases[0].activities[0] (line 4, column 18): a manual activity needs tasks or outputs")
}
