package expr

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompileConditionRefusesStaticallyNonBoolean(t *testing.T) {
	env := &Env{
		Inputs:     []string{"n", "s", "flag", "free"},
		InputKinds: map[string]Kind{"n": KindInteger, "s": KindString, "flag": KindBool},
		Outputs:    map[string]map[string][]string{"p": {"a": {"ok"}}},
	}
	env.Index()
	tests := []struct {
		src, got string // got: the kind named in the error, "" when accepted
	}{
		{"inputs.n + 1", "integer"},
		{"inputs.s", "string"},
		{`"yes"`, "string"},
		{"1 + 2", "integer"},
		{"inputs.n % 2", "integer"},
		{"inputs.s + inputs.s", "string"},
		{"[inputs.flag]", "list"},
		{"{a: inputs.flag}", "object"},
		{"nil", "nil"},
		{"inputs.n > 1", ""},
		{"inputs.flag", ""},
		{"true", ""},
		{"inputs.flag && (inputs.n > 1 || !inputs.flag)", ""},
		{"inputs.free", ""},     // no declared kind
		{"inputs.free + 1", ""}, // unknown operand
		{"phases.p.activities.a.outputs.ok", ""},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := CompileCondition(tt.src, env)
			if tt.got == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrType), "want ErrType, got %v", err)
			require.ErrorContains(t, err, "want a boolean, got "+tt.got)
		})
	}
	// Without InputKinds, inputs stay of unknown kind, as before.
	_, err := CompileCondition("inputs.n + 1", &Env{Inputs: []string{"n"}})
	require.NoError(t, err)
}
