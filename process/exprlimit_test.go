package process_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

// limitProcess has an activity whose with: (and rollback with:) holds keys
// copies of ${{ inputs.big }}, half of them nested one level down.
func limitProcess(t *testing.T, keys int) *process.Compiled {
	t.Helper()
	var with strings.Builder
	for i := range keys {
		if i%2 == 0 {
			fmt.Fprintf(&with, "k%d: '${{ inputs.big }}', ", i)
		} else {
			fmt.Fprintf(&with, "n%d: [{v: '${{ inputs.big }}'}], ", i)
		}
	}
	w := "{" + strings.TrimSuffix(with.String(), ", ") + "}"
	doc := `id: app
inputs:
  big: {type: string}
phases:
  - id: ship
    activities:
      - id: deploy
        uses: cd.deploy
        on-failure: rollback
        with: ` + w + `
        rollback: {uses: cd.rollback, with: ` + w + `}
`
	p, err := process.Parse([]byte(doc))
	require.NoError(t, err)
	c, err := process.Compile(p)
	require.NoError(t, err)
	return c
}

func TestWithValuesAreBoundedTogether(t *testing.T) {
	scope := &process.Scope{Inputs: map[string]any{"big": strings.Repeat("x", 30_000)}}
	// 30 values of 30 kB fit in 1 MiB; 50 each far below the limit do not.
	c := limitProcess(t, 30)
	with, err := c.With(ref("ship.deploy"), scope)
	require.NoError(t, err)
	require.Len(t, with, 30)
	rb, err := c.RollbackWith(ref("ship.deploy"), scope)
	require.NoError(t, err)
	require.Len(t, rb, 30)

	c = limitProcess(t, 50)
	for name, eval := range map[string]func(process.ActivityRef, *process.Scope) (map[string]any, error){
		"with": c.With, "rollback.with": c.RollbackWith,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := eval(ref("ship.deploy"), scope)
			require.ErrorIs(t, err, process.ErrLimit)
			require.ErrorContains(t, err, "ship.deploy: "+name)
			require.ErrorContains(t, err, "add up to more than 1048576 bytes")
			require.Nil(t, got)
		})
	}
}

func TestAnExpressionOverItsBudgetInWithIsALimitError(t *testing.T) {
	bomb := "${{ " + strings.Repeat("toJSON(", 22) + `'"'` + strings.Repeat(")", 22) + " }}"
	p, err := process.Parse([]byte("id: app\nphases:\n  - id: ship\n    activities:\n      - id: deploy\n        uses: cd.deploy\n        with: {payload: '" + strings.ReplaceAll(bomb, "'", "''") + "'}\n"))
	require.NoError(t, err)
	c, err := process.Compile(p)
	require.NoError(t, err)
	got, err := c.With(ref("ship.deploy"), &process.Scope{})
	require.ErrorIs(t, err, process.ErrLimit)
	require.ErrorContains(t, err, "ship.deploy: with: payload:")
	require.Nil(t, got)
}
