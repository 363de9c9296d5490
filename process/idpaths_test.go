package process_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

// A problem in the 37th of 40 activities names it by id in the error
// text, with its line; Path keeps the position for tools.
func TestProblemsNameTheActivityByIDNotPosition(t *testing.T) {
	var b strings.Builder
	b.WriteString("id: big\nphases:\n  - id: build\n    activities:\n")
	for i := 0; i < 40; i++ {
		uses := "ci.step"
		if i == 36 {
			uses = "Bad Kind!"
		}
		fmt.Fprintf(&b, "      - {id: step-%02d, uses: '%s'}\n", i, uses)
	}
	_, err := process.Parse([]byte(b.String()))
	var verr *process.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Problems, 1)
	p := verr.Problems[0]
	require.Equal(t, "phases[0].activities[36].uses", p.Path)
	require.Equal(t, "phases.build.activities.step-36.uses", p.IDPath)
	require.Equal(t, 41, p.Line)
	require.Contains(t, err.Error(), "phases.build.activities.step-36.uses (line 41, column")
}

func TestIDPathsKeepPositionsWhereAnIDCannotName(t *testing.T) {
	for _, c := range []struct {
		name, doc, want string
	}{
		{"duplicate activity ids", "id: d\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: x}\n      - {id: a, uses: x}\n",
			"phases.p.activities[1].id"},
		{"invalid phase id", "id: d\nphases:\n  - id: P!\n    activities:\n      - {id: a, uses: 'Bad!'}\n",
			"phases[0].activities[0].uses"},
		{"a task by id", "id: d\nphases:\n  - id: p\n    activities:\n      - {id: m, type: manual, tasks: [{id: t, assignees: ['group:']}]}\n",
			"phases.p.activities.m.tasks.t.assignees[0]"},
		{"the phase itself", "id: d\nphases:\n  - id: p\n    depends-on: [q]\n    activities:\n      - {id: a, uses: x}\n",
			"phases.p.depends-on[0]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := process.Parse([]byte(c.doc))
			require.ErrorContains(t, err, c.want)
		})
	}
}
