package expr

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHostFunctionsAreCalledWithTheirArgumentsAndCheckedForArity(t *testing.T) {
	env := &Env{
		Roots: map[string][]string{"release": {"labels", "id"}},
		Funcs: map[string]int{"between": 2, "nothing": 0, "any-count": -1},
	}
	scope := &Scope{
		Roots: map[string]any{"release": map[string]any{"labels": map[string]any{"env": "prod", "team-x": "a"}, "id": "r1"}},
		Funcs: map[string]func(args ...any) (any, error){
			"between": func(args ...any) (any, error) { return args[0].(string) < args[1].(string), nil },
			"nothing": func(args ...any) (any, error) { return true, nil },
			"any-count": func(args ...any) (any, error) {
				return len(args), nil
			},
		},
	}
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{`between("a", "b")`, true},
		{`between("b", "a")`, false},
		{`nothing() && release.labels.env == "prod"`, true},
		{`release.labels.team-x == "a" && release.id == "r1"`, true},
		{`any-count() == 0 && any-count(1, [2, 3], {a: 1}) == 3`, true},
		{`between(release.labels["env"], "zzz")`, true},
	} {
		c, err := CompileCondition(tc.src, env)
		require.NoError(t, err, tc.src)
		got, err := c.Eval(scope)
		require.NoError(t, err, tc.src)
		require.Equal(t, tc.want, got, tc.src)
	}
	for _, tc := range []struct{ src, msg string }{
		{`between("a")`, "between takes 2 arguments, got 1"},
		{`between("a", "b", "c")`, "between takes 2 arguments, got 3"},
		{`nothing(1)`, "nothing takes 0 arguments, got 1"},
		{`release.name == ""`, `unknown release field "name"`},
		{`inputs.x`, `undeclared input "x"`},
		{`other()`, `unknown function "other"`},
	} {
		_, err := CompileCondition(tc.src, env)
		require.Error(t, err, tc.src)
		var xe *Error
		require.True(t, errors.As(err, &xe), tc.src)
		require.True(t, strings.Contains(xe.Msg, tc.msg), "%s: %s", tc.src, xe.Msg)
	}
	// An implementation missing at run time fails the evaluation.
	c, err := CompileCondition(`nothing()`, env)
	require.NoError(t, err)
	_, err = c.Eval(&Scope{})
	require.ErrorIs(t, err, ErrEval)
	// A host function's error is an evaluation error naming it.
	_, err = c.Eval(&Scope{Funcs: map[string]func(...any) (any, error){"nothing": func(...any) (any, error) { return nil, errors.New("boom") }}})
	require.ErrorIs(t, err, ErrEval)
	require.Contains(t, err.Error(), "nothing: boom")
	// What a host function returns is charged to the memory budget.
	_, err = c.Eval(&Scope{Funcs: map[string]func(...any) (any, error){"nothing": func(...any) (any, error) { return strings.Repeat("x", MaxMemory+1), nil }}})
	require.ErrorIs(t, err, ErrLimit)
}
