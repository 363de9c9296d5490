package process

import (
	"strconv"
	"strings"
)

// nameProblemPaths sets each problem's IDPath: its Path with positions
// replaced by the ids they hold, so that an error in a document of forty
// activities says which one: "phases[0].activities[3].uses" is
// "phases.build.activities.compile.uses" (and tasks[k] is tasks.ID). A
// position whose id is missing, not valid, or not unique among its
// siblings stays a position. IDPath stays empty when no position was
// named. It runs on the listed problems only (at most MaxListedProblems).
func nameProblemPaths(p *Process, problems []Problem) {
	if p == nil {
		return
	}
	for i := range problems {
		if path := problems[i].Path; path != "" {
			if named := namePath(p, path); named != path {
				problems[i].IDPath = clipText(named)
			}
		}
	}
}

// namePath rewrites one path (see nameProblemPaths).
func namePath(p *Process, path string) string {
	rest, ok := strings.CutPrefix(path, "phases[")
	if !ok {
		return path
	}
	i, rest, ok := cutIndex(rest)
	if !ok || i >= len(p.Phases) {
		return path
	}
	ph := &p.Phases[i]
	var b strings.Builder
	b.WriteString("phases")
	if !uniqueID(string(ph.ID), len(p.Phases), func(k int) string { return string(p.Phases[k].ID) }) {
		return path
	}
	b.WriteString("." + string(ph.ID))
	after, ok := strings.CutPrefix(rest, ".activities[")
	if !ok {
		return b.String() + rest
	}
	j, after, ok := cutIndex(after)
	if !ok || j >= len(ph.Activities) ||
		!uniqueID(string(ph.Activities[j].ID), len(ph.Activities), func(k int) string { return string(ph.Activities[k].ID) }) {
		return b.String() + rest
	}
	a := &ph.Activities[j]
	b.WriteString(".activities." + string(a.ID))
	tail, ok := strings.CutPrefix(after, ".tasks[")
	if !ok {
		return b.String() + after
	}
	k, tail, ok := cutIndex(tail)
	if !ok || k >= len(a.Tasks) ||
		!uniqueID(a.Tasks[k].ID, len(a.Tasks), func(n int) string { return a.Tasks[n].ID }) {
		return b.String() + after
	}
	return b.String() + ".tasks." + a.Tasks[k].ID + tail
}

// cutIndex reads "N]" at the start of s.
func cutIndex(s string) (int, string, bool) {
	end := strings.IndexByte(s, ']')
	if end <= 0 {
		return 0, s, false
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil || n < 0 {
		return 0, s, false
	}
	return n, s[end+1:], true
}

// uniqueID reports whether id is a valid id held by exactly one of n
// siblings.
func uniqueID(id string, n int, at func(int) string) bool {
	if !ValidID(id) {
		return false
	}
	seen := 0
	for k := 0; k < n; k++ {
		if at(k) == id {
			seen++
		}
	}
	return seen == 1
}
