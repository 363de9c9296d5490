package process_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

const labelled = `id: app
phases:
  - id: deploy
    labels: {env: prod, team: core}
    activities:
      - id: rollout
        uses: cd.deploy
        labels: {env: staging, region: eu-west-1}
      - id: smoke
        uses: http
`

func TestLabelsOnPhasesAndActivitiesDecodeEncodeAndMerge(t *testing.T) {
	p, err := process.Parse([]byte(labelled))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"env": "prod", "team": "core"}, p.Phases[0].Labels)
	require.Equal(t, map[string]string{"env": "staging", "region": "eu-west-1"}, p.Phases[0].Activities[0].Labels)
	require.Nil(t, p.Phases[0].Activities[1].Labels)

	js, err := json.Marshal(p)
	require.NoError(t, err)
	back, err := process.Parse(js)
	require.NoError(t, err)
	require.Equal(t, p, back)

	c, err := process.Compile(p)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"env": "staging", "team": "core", "region": "eu-west-1"},
		c.EffectiveLabels(process.ActivityRef{Phase: "deploy", Activity: "rollout"}), "the activity's own labels win over its phase's")
	require.Equal(t, map[string]string{"env": "prod", "team": "core"},
		c.EffectiveLabels(process.ActivityRef{Phase: "deploy", Activity: "smoke"}))
	require.Nil(t, c.EffectiveLabels(process.ActivityRef{Phase: "deploy", Activity: "nope"}))
}

func TestBadLabelsAreReportedWithPathAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, labels, path, msg string
	}{
		{"reserved prefix", `{baton.parent: x}`, "phases[0].activities[0].labels.baton.parent", "reserved"},
		{"upper-case key", `{Env: prod}`, "phases[0].activities[0].labels.Env", "not a valid label key"},
		{"key ending in a dot", `{env.: prod}`, "phases[0].activities[0].labels.env.", "not a valid label key"},
		{"list value", `{env: [prod]}`, "phases[0].activities[0].labels.env", "want a label value"},
		{"null value", `{env: null}`, "phases[0].activities[0].labels.env", "want a label value"},
		{"not a mapping", `[env, prod]`, "phases[0].activities[0].labels", "want a mapping of label keys"},
		{"control character", `{env: "a\tb"}`, "phases[0].activities[0].labels.env", "control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "id: app\nphases:\n  - id: a\n    activities:\n      - id: x\n        uses: k\n        labels: " + tc.labels + "\n"
			_, err := process.Parse([]byte(doc))
			var verr *process.ValidationError
			require.True(t, errors.As(err, &verr), "%v", err)
			require.Len(t, verr.Problems, 1, "%v", err)
			pr := verr.Problems[0]
			require.Equal(t, tc.path, pr.Path)
			require.Contains(t, pr.Msg, tc.msg)
			require.Equal(t, 7, pr.Line, "the labels line")
		})
	}
}

func TestPhaseLabelsAreValidatedToo(t *testing.T) {
	_, err := process.Parse([]byte("id: app\nphases:\n  - id: a\n    labels: {baton.depth: \"9\"}\n    activities: [{id: x, uses: k}]\n"))
	var verr *process.ValidationError
	require.True(t, errors.As(err, &verr), "%v", err)
	require.Equal(t, "phases[0].labels.baton.depth", verr.Problems[0].Path)
	require.Equal(t, 4, verr.Problems[0].Line)
}

func TestCheckLabel(t *testing.T) {
	for _, tc := range []struct {
		k, v string
		ok   bool
	}{
		{"env", "prod", true},
		{"team/app.tier", "", true},
		{"", "x", false},
		{"-env", "x", false},
		{"env-", "x", false},
		{"ENV", "x", false},
		{"env", "line\nbreak", false},
	} {
		err := process.CheckLabel(tc.k, tc.v)
		require.Equal(t, tc.ok, err == nil, "%q=%q: %v", tc.k, tc.v, err)
	}
}
