package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuickstartRunsTheSampleReleaseAndKeepsItInTheFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "baton.db")
	var out bytes.Buffer
	require.NoError(t, runRelease(context.Background(), &out, options{db: db, pace: 0.2}))
	s := out.String()
	require.Contains(t, s, "0 earlier release(s) in the file")
	require.Contains(t, s, "erin approves the QA sign-off")
	require.Regexp(t, `qa\.signoff waits for approval on group:qa-leads \(1 needed\)`, s)
	require.Regexp(t, `status\s+Succeeded in`, s)
	require.Regexp(t, `phases\s+build \S+ · qa \S+ · deploy \S+`, s)
	require.Regexp(t, `critical path\s+build\.compile → build\.publish → qa\.deploy-staging → qa\.regression → qa\.signoff → deploy\.rollout → deploy\.enable-flags → deploy\.smoke → deploy\.announce`, s)
	require.Contains(t, s, "deployment mobile-app to production")
	require.Regexp(t, `audit chain\s+✔ verified: \d+ events of the release \(head [0-9a-f]{12}…\), \d+ of its smoke-tests subprocess`, s)
	require.Contains(t, s, "holds 1 release(s) of mobile-app")
	require.Regexp(t, `Release report \(from the event log`, s)
	require.Regexp(t, `(?m)^  release\s+planned 5h57m0s\s+took \S+\s+waited on people \S+$`, s)
	require.Regexp(t, `(?m)^  qa\s+planned 5h5m0s\s+took \S+\s+waited on people \S+ \(qa\.regression \S+, qa\.signoff \S+\)$`, s)
	require.Regexp(t, `decisions\s+qa\.signoff approved by erin at \d\d:\d\d:\d\d`, s)
	require.Contains(t, s, "flowchart LR")

	// A second run finds the first release in the file.
	out.Reset()
	require.NoError(t, runRelease(context.Background(), &out, options{db: db, pace: 0.2}))
	s = out.String()
	require.Contains(t, s, "1 earlier release(s) in the file")
	require.Contains(t, s, "holds 2 release(s) of mobile-app")
	require.Len(t, regexp.MustCompile(`(?m)^\s+\S{36}  2\.4\.[01]\s+Succeeded`).FindAllString(s, -1), 2)
}

func TestPlanPrintsThePlanOfTheSample(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, printPlan(&out, ""))
	s := out.String()
	require.Contains(t, s, `process "mobile-app"`)
	require.Contains(t, s, "wave 1: build.compile [ci.pipeline], build.unit-tests [ci.pipeline]")
	require.Contains(t, s, "qa.signoff [approval]")
	require.Contains(t, s, "deploy.smoke [subprocess smoke-tests]")
	require.Contains(t, s, "Critical path")
	require.Contains(t, s, "flowchart LR")
}

func TestPlanReportsProblemsInAnotherFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte("id: x\nphases:\n  - id: a\n    activities: [{id: b, type: manual}]\n"), 0o600))
	var out bytes.Buffer
	err := printPlan(&out, path)
	require.Error(t, err)
	require.Contains(t, out.String(), "phases.a.activities.b (line 4, column 18): a manual activity needs tasks or outputs")
}
