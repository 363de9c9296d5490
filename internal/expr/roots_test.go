package expr

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func rootsEnv() *Env {
	return &Env{Vars: []string{"x"}, Roots: map[string][]string{
		"group":      {"id", "name", "labels"},
		"occurrence": {"date", "weekday"},
		"sequence":   nil,
	}}
}

func TestDeclaredRootsAreReadByFieldOrWhole(t *testing.T) {
	scope := &Scope{Vars: map[string]any{"x": "v"}, Roots: map[string]any{
		"group":      map[string]any{"id": "g", "name": "Mobile train", "labels": map[string]any{"env": "prod"}},
		"occurrence": map[string]any{"date": "2026-03-02", "weekday": "Monday"},
		"sequence":   7,
	}}
	for _, tc := range []struct{ src, want string }{
		{"${{ group.name }} ${{ occurrence.date }}", "Mobile train 2026-03-02"},
		{"1.${{ sequence }}.0", "1.7.0"},
		{"1.${{ sequence + 1 }}", "1.8"},
		{"${{ group.labels.env }}-${{ vars.x }}", "prod-v"},
		{`${{ group["id"] }}`, "g"},
		{"${{ upper(occurrence.weekday) }}", "MONDAY"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			tpl, err := CompileTemplate(tc.src, rootsEnv())
			require.NoError(t, err)
			v, err := tpl.Eval(scope)
			require.NoError(t, err)
			require.Equal(t, tc.want, v)
		})
	}
}

func TestDeclaredRootsRefuseUnknownFieldsAndUndeclaredRoots(t *testing.T) {
	for _, tc := range []struct {
		src  string
		env  *Env
		want string
	}{
		{"${{ group.nmae }}", rootsEnv(), `unknown group field "nmae" (want id, name, labels)`},
		{"${{ group }}", rootsEnv(), "expected .NAME after group"},
		{"${{ occurence.date }}", rootsEnv(), `unknown name "occurence" (expressions may read inputs, vars, release, phases, group, occurrence, sequence)`},
		{"${{ group.name }}", &Env{}, `unknown name "group" (expressions may read inputs, vars, release and phases)`},
		{"${{ __baton_roots.group }}", rootsEnv(), `unknown name "__baton_roots"`},
	} {
		t.Run(tc.src, func(t *testing.T) {
			_, err := CompileTemplate(tc.src, tc.env)
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrUndeclared) || errors.Is(err, ErrSyntax), "%v", err)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestDeclaredRootsAreRecordedAsRefs(t *testing.T) {
	tpl, err := CompileTemplate("${{ group.name }}-${{ sequence }}", rootsEnv())
	require.NoError(t, err)
	require.Equal(t, []Ref{{Kind: RefRoot, Name: "group.name", Offset: 4}, {Kind: RefRoot, Name: "sequence", Offset: 22}}, tpl.Refs())
}
