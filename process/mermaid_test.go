package process_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

func TestMermaidDrawsPhasesActivitiesAndDependencies(t *testing.T) {
	p, err := process.Parse(loadDesign(t))
	require.NoError(t, err)
	out := process.Mermaid(p)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Equal(t, "flowchart LR", lines[0])

	// Every subgraph is closed, every node has one of the four shapes,
	// every arrow joins declared ids.
	opened, closed := 0, 0
	declared := map[string]bool{}
	node := regexp.MustCompile(`^    (p\d+a\d+)(\["|\[/"|\{"|\[\[")[^"]*("\]|"/\]|"\}|"\]\]):::(automated|manual|approval|subprocess)$`)
	arrow := regexp.MustCompile(`^  (p\d+(?:a\d+)?) --> (p\d+(?:a\d+)?)$`)
	var arrows [][2]string
	for _, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, "  subgraph "):
			opened++
			declared[strings.Fields(l)[1][:strings.Index(strings.Fields(l)[1], "[")]] = true
		case l == "  end":
			closed++
		case node.MatchString(l):
			declared[node.FindStringSubmatch(l)[1]] = true
		case arrow.MatchString(l):
			m := arrow.FindStringSubmatch(l)
			arrows = append(arrows, [2]string{m[1], m[2]})
		case strings.HasPrefix(l, "  classDef "):
		default:
			t.Fatalf("unexpected line %q", l)
		}
	}
	require.Equal(t, 3, opened)
	require.Equal(t, opened, closed)
	for _, a := range arrows {
		require.True(t, declared[a[0]] && declared[a[1]], "arrow %v joins undeclared ids", a)
	}
	require.Contains(t, arrows, [2]string{"p0", "p1"}, "phase build -> qa")
	require.Contains(t, arrows, [2]string{"p1a0", "p1a1"}, "regression -> signoff")
	require.Contains(t, out, `p1a1{"signoff"}:::approval`)
	require.Contains(t, out, `p1a0[/"regression"/]:::manual`)
	require.Contains(t, out, `p2a1[["smoke<br/><i>process smoke-tests</i>"]]:::subprocess`)
	require.Contains(t, out, `subgraph p2["deploy · if inputs.environment == #quot;production#quot;"]`)
}
