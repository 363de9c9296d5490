package process_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

func ref(s string) process.ActivityRef {
	r, ok := process.ParseActivityRef(s)
	if !ok {
		panic("bad ref " + s)
	}
	return r
}

func refs(ss ...string) []process.ActivityRef {
	out := make([]process.ActivityRef, len(ss))
	for i, s := range ss {
		out[i] = ref(s)
	}
	return out
}

func compileDesign(t *testing.T) *process.Compiled {
	t.Helper()
	p, err := process.Parse(loadDesign(t))
	require.NoError(t, err)
	c, err := process.Compile(p)
	require.NoError(t, err)
	return c
}

func TestCompiledExpandsPhaseDependencies(t *testing.T) {
	c := compileDesign(t)
	require.Equal(t, [][]process.ActivityRef{
		refs("build.compile"),
		refs("qa.regression"),
		refs("qa.signoff"),
		refs("deploy.rollout"),
		refs("deploy.smoke"),
	}, c.Waves())
	require.True(t, c.DependsOn(ref("deploy.smoke"), ref("build.compile")), "through phase dependencies")
	require.True(t, c.DependsOn(ref("qa.signoff"), ref("qa.regression")))
	require.False(t, c.DependsOn(ref("build.compile"), ref("deploy.smoke")))
	require.False(t, c.DependsOn(ref("qa.regression"), ref("qa.regression")))
}

func TestCompiledCriticalPath(t *testing.T) {
	p, err := process.Parse([]byte(`id: app
phases:
  - id: build
    activities:
      - {id: api, uses: ci.build, expected-duration: 10m}
      - {id: web, uses: ci.build, expected-duration: 30m}
  - id: ship
    depends-on: [build]
    activities:
      - {id: deploy, uses: cd.deploy, expected-duration: 5m}
`))
	require.NoError(t, err)
	c, err := process.Compile(p)
	require.NoError(t, err)
	path, total := c.CriticalPath(func(r process.ActivityRef) time.Duration {
		return c.Activity(r).ExpectedDuration.D()
	})
	require.Equal(t, refs("build.web", "ship.deploy"), path)
	require.Equal(t, 35*time.Minute, total)
}

func TestCompiledEvaluatesExpressions(t *testing.T) {
	c := compileDesign(t)
	scope := &process.Scope{
		Inputs:  map[string]any{"version": "1.2.3", "environment": "production", "services": []any{"api"}},
		Release: map[string]any{"id": "r1"},
	}
	vars, err := c.Variables(scope)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"tag": "v1.2.3"}, vars)
	scope.Vars = vars

	with, err := c.With(ref("build.compile"), scope)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"pipeline": "mobile-build", "ref": "v1.2.3"}, with)

	on, err := c.PhaseEnabled("deploy", scope)
	require.NoError(t, err)
	require.True(t, on)
	scope.Inputs["environment"] = "staging"
	on, err = c.PhaseEnabled("deploy", scope)
	require.NoError(t, err)
	require.False(t, on)

	_, err = c.With(ref("deploy.rollout"), scope)
	require.Error(t, err, "compile has not run: its output is missing")
	require.Contains(t, err.Error(), "deploy.rollout")
	scope.Outputs = func(r process.ActivityRef) map[string]any {
		if r == ref("build.compile") {
			return map[string]any{"artifact": "app-1.2.3.ipa"}
		}
		return nil
	}
	with, err = c.With(ref("deploy.rollout"), scope)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"artifact": "app-1.2.3.ipa"}, with)
	rb, err := c.RollbackWith(ref("deploy.rollout"), scope)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"artifact": "app-1.2.3.ipa"}, rb)
}

func TestExpressionsReachHyphenatedNames(t *testing.T) {
	p, err := process.Parse([]byte(`id: app
inputs:
  canary-percent: {type: integer, default: 5}
phases:
  - id: prepare
    activities:
      - {id: cut-branch, uses: git.branch, outputs: [sha]}
  - id: ship
    depends-on: [prepare]
    activities:
      - id: deploy
        uses: cd.deploy
        if: inputs.canary-percent - 1 >= 4
        with:
          sha: '${{ phases.prepare.activities.cut-branch.outputs.sha }}'
          percent: '${{ inputs.canary-percent }}'
`))
	require.NoError(t, err)
	c, err := process.Compile(p)
	require.NoError(t, err)
	scope := &process.Scope{
		Inputs:  map[string]any{"canary-percent": 5},
		Outputs: func(process.ActivityRef) map[string]any { return map[string]any{"sha": "abc123"} },
	}
	on, err := c.ActivityEnabled(ref("ship.deploy"), scope)
	require.NoError(t, err)
	require.True(t, on)
	with, err := c.With(ref("ship.deploy"), scope)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"sha": "abc123", "percent": 5}, with, "a lone ${{ }} keeps its type")
}

func TestExpectedDurationComesFromTheActivityOrItsTasks(t *testing.T) {
	hour := process.Duration(time.Hour)
	require.Equal(t, 2*time.Hour, (&process.Activity{ExpectedDuration: 2 * hour, Tasks: []process.Task{{ExpectedDuration: 5 * hour}}}).Expected())
	require.Equal(t, 4*time.Hour, (&process.Activity{Tasks: []process.Task{{ExpectedDuration: 3 * hour}, {ExpectedDuration: hour}}}).Expected())
	require.Zero(t, (&process.Activity{}).Expected())
	var none *process.Activity
	require.Zero(t, none.Expected())
}
