package process_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

func ptr(f float64) *float64 { return &f }

func TestResolveInputsAppliesDefaultsThenSetThenOverrides(t *testing.T) {
	spec := []process.InputSpec{
		{Name: "version", Required: true, Pattern: `^\d+\.\d+\.\d+$`},
		{Name: "environment", Enum: []any{"staging", "production"}, Default: "staging"},
		{Name: "canary-percent", Type: process.Integer, Default: 5, Min: ptr(0), Max: ptr(100)},
		{Name: "services", Type: process.List, Default: []any{"api"}},
		{Name: "dry-run", Type: process.Boolean},
	}
	set := &process.InputSet{Name: "production", Values: map[string]any{"environment": "production", "canary-percent": 10}}
	got, err := process.ResolveInputs(spec, set, map[string]any{"version": "1.4.0", "canary-percent": 25.0})
	require.NoError(t, err)
	require.Equal(t, map[string]any{
		"version":        "1.4.0",
		"environment":    "production",
		"canary-percent": 25, // an override wins, normalised to int
		"services":       []any{"api"},
	}, got)
}

func TestResolveInputsReportsEveryProblem(t *testing.T) {
	spec := []process.InputSpec{
		{Name: "version", Required: true, Pattern: `^\d+\.\d+\.\d+$`},
		{Name: "environment", Enum: []any{"staging", "production"}},
		{Name: "canary-percent", Type: process.Integer, Min: ptr(0), Max: ptr(100)},
		{Name: "ratio", Type: process.Number},
		{Name: "services", Type: process.List, Min: ptr(1)},
		{Name: "extra", Type: process.Object},
		{Name: "ticket", Required: true},
	}
	set := &process.InputSet{Name: "qa", Values: map[string]any{"environment": "prod", "colour": "red"}}
	_, err := process.ResolveInputs(spec, set, map[string]any{
		"version": "v1", "canary-percent": 150, "ratio": "high", "services": []any{}, "extra": "x",
	})
	requireProblems(t, err,
		problem{"inputs.version", 0, `override value "v1" does not match pattern`},
		problem{"inputs.environment", 0, `input set "qa" value "prod" is not one of ["staging", "production"]`},
		problem{"inputs.colour", 0, `input set "qa" gives unknown input "colour"`},
		problem{"inputs.canary-percent", 0, "above the maximum 100"},
		problem{"inputs.ratio", 0, `"high" is not a number`},
		problem{"inputs.services", 0, "length 0 is below the minimum 1"},
		problem{"inputs.extra", 0, "is not an object"},
		problem{"inputs.ticket", 0, `required input "ticket" has no value`},
	)
	var verr *process.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Problems, 8)
}

func TestResolveInputsChecksIntegers(t *testing.T) {
	spec := []process.InputSpec{{Name: "n", Type: process.Integer}}
	_, err := process.ResolveInputs(spec, nil, map[string]any{"n": 2.5})
	requireProblems(t, err, problem{"inputs.n", 0, "not a whole number"})
	got, err := process.ResolveInputs(spec, nil, map[string]any{"n": 2.0})
	require.NoError(t, err)
	require.Equal(t, 2, got["n"])
}

func TestResolveInputsRefusesValuesThatAreNotData(t *testing.T) {
	spec := []process.InputSpec{{Name: "n", Type: process.Number, Required: true}, {Name: "o", Type: process.Object}}
	cyclic := map[string]any{}
	cyclic["me"] = []any{cyclic}
	for _, tc := range []struct {
		name   string
		values map[string]any
		path   string
		msg    string
	}{
		{"NaN", map[string]any{"n": math.NaN()}, "inputs.n", "not a finite number"},
		{"nested Inf", map[string]any{"n": 1, "o": map[string]any{"a b": []any{0, math.Inf(-1)}}}, `inputs.o["a b"][1]`, "not a finite number"},
		{"func", map[string]any{"n": 1, "o": map[string]any{"f": func() {}}}, "inputs.o.f", "func() is not data"},
		{"pointer", map[string]any{"n": 1, "o": map[string]any{"p": new(int)}}, "inputs.o.p", "pointer"},
		{"cycle through a list", map[string]any{"n": 1, "o": cyclic}, "inputs.o.me[0]", "contains itself"},
		{"bad json.Number", map[string]any{"n": json.Number("1e")}, "inputs.n", "not a number"},
		{"bytes", map[string]any{"n": 1, "o": map[string]any{"raw": json.RawMessage(`{"a":1}`)}}, "inputs.o.raw", "bytes, not data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := process.ResolveInputs(spec, nil, tc.values)
			var ve *process.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Problems, 1, "a bad value is not also reported as missing: %v", err)
			require.Equal(t, tc.path, ve.Problems[0].Path)
			require.Contains(t, ve.Problems[0].Msg, tc.msg)
			require.Contains(t, ve.Problems[0].Msg, "override value: ")
		})
	}
}
