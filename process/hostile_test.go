package process_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

// fill builds a document of head, then item(0), item(1), ... while they fit
// in size bytes with tail after them.
func fill(size int, head string, item func(i int) string, tail string) []byte {
	var b strings.Builder
	b.Grow(size)
	b.WriteString(head)
	for i := 0; ; i++ {
		s := item(i)
		if b.Len()+len(s)+len(tail) > size {
			break
		}
		b.WriteString(s)
	}
	b.WriteString(tail)
	return []byte(b.String())
}

const onePhase = "id: app\nphases:\n- id: p\n  activities:\n"

// siblings is 1,000 valid activities, for shapes that look names up among
// many.
func siblings() string {
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "  - {id: s%d, uses: k, outputs: [o]}\n", i)
	}
	return b.String()
}

// hostile are documents built to make parsing slow: each used to cost time
// quadratic in its size (or worse) and must now cost time linear in it.
type hostileShape struct {
	name  string
	doc   func(size int) []byte
	valid bool
}

var hostile = []hostileShape{
	{"valid activities (the baseline)", func(n int) []byte {
		return fill(n, onePhase, func(i int) string { return fmt.Sprintf("  - {id: a%d, uses: k}\n", i) }, "")
	}, true},
	{"bad activity ids", func(n int) []byte {
		return fill(n, onePhase, func(i int) string { return fmt.Sprintf("  - {id: A%d, uses: k}\n", i) }, "")
	}, false},
	{"duplicate activity ids", func(n int) []byte {
		return fill(n, onePhase, func(int) string { return "  - {id: a, uses: k}\n" }, "")
	}, false},
	{"bad ids and unknown keys", func(n int) []byte {
		return fill(n, onePhase, func(i int) string { return fmt.Sprintf("  - {id: A%d, uses: k, tmeout: 1}\n", i) }, "")
	}, false},
	{"unknown dependencies among many activities", func(n int) []byte {
		return fill(n, onePhase+siblings(), func(i int) string { return fmt.Sprintf("  - {id: a%d, uses: k, depends-on: [s%dx]}\n", i, i%1000) }, "")
	}, false},
	{"a long depends-on list of unknown ids", func(n int) []byte {
		return fill(n, onePhase+siblings()+"  - id: a\n    uses: k\n    depends-on:\n", func(i int) string { return fmt.Sprintf("    - s%dx\n", i%1000) }, "")
	}, false},
	{"unknown phase dependencies among many phases", func(n int) []byte {
		return fill(n, "id: app\nphases:\n", func(i int) string {
			return fmt.Sprintf("- {id: p%d, depends-on: [q%d], activities: [{id: a, uses: k}]}\n", i, i)
		}, "")
	}, false},
	{"many inputs", func(n int) []byte {
		return fill(n, "id: app\nphases: [{id: p, activities: [{id: a, uses: k}]}]\ninputs:\n", func(i int) string { return fmt.Sprintf("  i%d: {}\n", i) }, "")
	}, true},
	{"many bad input names", func(n int) []byte {
		return fill(n, "id: app\nphases: [{id: p, activities: [{id: a, uses: k}]}]\ninputs:\n", func(i int) string { return fmt.Sprintf("  -%d: {}\n", i) }, "")
	}, false},
	{"many duplicate approvers", func(n int) []byte {
		return fill(n, onePhase+"  - id: a\n    type: approval\n    approval:\n      approvers:\n", func(int) string { return "      - bob\n" }, "")
	}, false},
	{"many outputs", func(n int) []byte {
		return fill(n, onePhase+"  - id: a\n    uses: k\n    outputs:\n", func(i int) string { return fmt.Sprintf("    - o%d\n", i) }, "")
	}, true},
	{"many tasks", func(n int) []byte {
		return fill(n, onePhase+"  - id: a\n    type: manual\n    tasks:\n", func(i int) string { return fmt.Sprintf("    - {id: t%d}\n", i) }, "")
	}, true},
	{"many duplicate keys", func(n int) []byte {
		return fill(n, onePhase+"  - id: a\n    uses: k\n    with:\n", func(int) string { return "      k: 1\n" }, "")
	}, false},
	{"expressions reading outputs they do not depend on", func(n int) []byte {
		return fill(n, onePhase+siblings(), func(i int) string {
			return fmt.Sprintf("  - {id: b%d, uses: k, with: {x: '${{ phases.p.activities.s%d.outputs.o }}'}}\n", i, i%1000)
		}, "")
	}, false},
	{"expressions reading undeclared names among many", func(n int) []byte {
		return fill(n, "id: app\nphases: [{id: p, activities: [{id: a, uses: k}]}]\ninputs:\n"+strings.Repeat("  x: {}\n", 0)+
			func() string {
				var b strings.Builder
				for i := range 5000 {
					fmt.Fprintf(&b, "  i%d: {}\n", i)
				}
				return b.String()
			}()+"variables:\n", func(i int) string { return fmt.Sprintf("  v%d: ${{ inputs.i%d-x }}\n", i, i) }, "")
	}, false},
	{"many distinct expressions", func(n int) []byte {
		return fill(n, "id: app\nphases: [{id: p, activities: [{id: a, uses: k}]}]\nvariables:\n  v0: x\n",
			func(i int) string { return fmt.Sprintf("  v%d: ${{ vars.v%d }}\n", i+1, i) }, "")
	}, true},
	{"an enum of many values the default is not in", func(n int) []byte {
		return fill(n, "id: app\nphases: [{id: p, activities: [{id: a, uses: k}]}]\ninputs:\n  x:\n    type: integer\n    default: 1\n    enum: [", func(int) string { return "2," }, "2]\n")
	}, false},
	{"a long key over a long list", func(n int) []byte {
		return fill(n, onePhase+"  - id: a\n    uses: k\n    with:\n      ? "+strings.Repeat("k", n/4)+"\n      : [", func(int) string { return "1," }, "1]\n")
	}, true},
	{"a long key over many duplicate keys", func(n int) []byte {
		return fill(n, onePhase+"  - id: a\n    uses: k\n    with:\n      ? "+strings.Repeat("k", n/4)+"\n      : {", func(int) string { return "a: 1," }, "b: 1}\n")
	}, false},
	{"a long input name over an enum of many bad values", func(n int) []byte {
		return fill(n, "id: app\nphases: [{id: p, activities: [{id: a, uses: k}]}]\ninputs:\n  ? "+strings.Repeat("k", n/4)+
			"\n  :\n    type: integer\n    enum: [", func(int) string { return "x," }, "2]\n")
	}, false},
	{"expressions under many long keys", func(n int) []byte {
		var deep strings.Builder
		for range 60 {
			deep.WriteString("{" + strings.Repeat("k", 500) + ": ")
		}
		return fill(n, "id: app\ninputs: {x: {}}\nphases:\n- id: p\n  activities:\n  - {id: a, uses: k, with: "+deep.String()+"{",
			func(i int) string { return fmt.Sprintf("a%d: '${{ inputs.x }}',", i) }, "b: 1}"+strings.Repeat("}", 60)+"}\n")
	}, true},
	{"bad expressions under many long keys", func(n int) []byte {
		var deep strings.Builder
		for range 60 {
			deep.WriteString("{" + strings.Repeat("k", 500) + ": ")
		}
		return fill(n, "id: app\ninputs: {x: {}}\nphases:\n- id: p\n  activities:\n  - {id: a, uses: k, with: "+deep.String()+"{",
			func(i int) string { return fmt.Sprintf("a%d: '${{ inputs.y }}',", i) }, "b: 1}"+strings.Repeat("}", 60)+"}\n")
	}, false},
	{"an unknown key of dots", func(n int) []byte {
		return []byte(`{"id":"app","` + strings.Repeat(".", n-100) + `":1}`)
	}, false},
	{"many phases", func(n int) []byte {
		return fill(n, "id: app\nphases:\n", func(i int) string { return fmt.Sprintf("- {id: p%d, activities: [{id: a, uses: k}]}\n", i) }, "")
	}, true},
	{"a very long bad id", func(n int) []byte {
		return []byte("id: app\nphases: [{id: p, activities: [{id: \"" + strings.Repeat("A", n-100) + "\", uses: k}]}]\n")
	}, false},
}

// checkBounded checks that err lists at most MaxListedProblems problems
// with a message of bounded length, and counts the rest.
func checkBounded(t *testing.T, err error) *process.ValidationError {
	t.Helper()
	var verr *process.ValidationError
	require.ErrorAs(t, err, &verr)
	require.LessOrEqual(t, len(verr.Problems), process.MaxListedProblems)
	msg := err.Error()
	// Each listed problem: a path and a message of at most about 512 bytes
	// each, and its line and column.
	require.Less(t, len(msg), 100+process.MaxListedProblems*1200)
	if verr.Omitted > 0 {
		require.Len(t, verr.Problems, process.MaxListedProblems)
		require.True(t, strings.HasSuffix(msg, fmt.Sprintf("\n  and %d more problems", verr.Omitted)), msg[len(msg)-200:])
		require.True(t, strings.HasPrefix(msg, fmt.Sprintf("process: %d problems:\n", verr.Omitted+process.MaxListedProblems)))
	}
	for i := 1; i < len(verr.Problems); i++ {
		a, b := verr.Problems[i-1], verr.Problems[i]
		require.True(t, a.Line < b.Line || a.Line == b.Line && a.Column <= b.Column, "problems out of document order: %v then %v", a, b)
	}
	return verr
}

func TestAHostileDocumentJustUnderTheSizeLimitGetsABoundedError(t *testing.T) {
	doc := hostile[1].doc(process.DefaultMaxBytes)
	require.Greater(t, len(doc), process.DefaultMaxBytes-100)
	_, err := process.Parse(doc)
	verr := checkBounded(t, err)
	// One problem per activity: every one is counted, the first 100 listed.
	require.Equal(t, strings.Count(string(doc), "{id: A"), len(verr.Problems)+verr.Omitted)
	require.Equal(t, "phases[0].activities[0].id", verr.Problems[0].Path)
	require.Equal(t, "phases[0].activities[99].id", verr.Problems[99].Path)
}

func TestAKeyOfDotsJustUnderTheSizeLimitIsRefusedWithABoundedError(t *testing.T) {
	i := slices.IndexFunc(hostile, func(h hostileShape) bool { return h.name == "an unknown key of dots" })
	doc := hostile[i].doc(process.DefaultMaxBytes)
	_, err := process.Parse(doc)
	verr := checkBounded(t, err)
	require.Len(t, verr.Problems, 2) // the key, and the missing phases
	require.Equal(t, strings.Repeat(".", 512)+"...", verr.Problems[1].Path)
}

func TestEveryHostileShapeIsAnsweredWithABoundedError(t *testing.T) {
	const size = 128 << 10
	parser := process.Parser{MaxBytes: size}
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.doc(size)
			require.Greater(t, len(doc), size-100)
			_, err := parser.Parse(doc)
			if tt.valid {
				require.NoError(t, err)
				return
			}
			checkBounded(t, err)
		})
	}
}

func TestACycleStaysReachableWhenItsProblemIsNotListed(t *testing.T) {
	var doc strings.Builder
	doc.WriteString(onePhase)
	for i := range 2 * process.MaxListedProblems {
		fmt.Fprintf(&doc, "  - {id: A%d, uses: k}\n", i)
	}
	doc.WriteString("  - {id: x, uses: k, depends-on: [y]}\n  - {id: y, uses: k, depends-on: [x]}\n")
	_, err := process.Parse([]byte(doc.String()))
	verr := checkBounded(t, err)
	require.Equal(t, process.MaxListedProblems+1, verr.Omitted)
	var cyc *process.CycleError
	require.ErrorAs(t, err, &cyc)
	require.Equal(t, []string{"p.x", "p.y", "p.x"}, cyc.Path)
}

func TestRepeatsAreReportedOncePerRepeatedItem(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"outputs", onePhase + "  - {id: a, uses: k, outputs: [o, o, p, o]}\n",
			[]string{"phases[0].activities[0].outputs[1]", "phases[0].activities[0].outputs[3]"}},
		{"approvers", onePhase + "  - {id: a, type: approval, approval: {approvers: [bob, bob, ann, bob]}}\n",
			[]string{"phases[0].activities[0].approval.approvers[1]", "phases[0].activities[0].approval.approvers[3]"}},
		{"tasks", onePhase + "  - {id: a, type: manual, tasks: [{id: t}, {id: t}, {id: u}, {id: t}]}\n",
			[]string{"phases[0].activities[0].tasks[1].id", "phases[0].activities[0].tasks[3].id"}},
		{"long lists", onePhase + "  - {id: a, uses: k, outputs: [" + strings.Repeat("o, ", 20) + "p]}\n",
			func() []string {
				var out []string
				for i := 1; i < 20; i++ {
					out = append(out, fmt.Sprintf("phases[0].activities[0].outputs[%d]", i))
				}
				return out
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := process.Parse([]byte(tt.doc))
			var verr *process.ValidationError
			require.ErrorAs(t, err, &verr)
			var got []string
			for _, p := range verr.Problems {
				got = append(got, p.Path)
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestAFewProblemsAreAllListed(t *testing.T) {
	_, err := process.Parse([]byte(onePhase + "  - {id: A, uses: k}\n  - {id: B, uses: k}\n"))
	verr := checkBounded(t, err)
	require.Len(t, verr.Problems, 2)
	require.Zero(t, verr.Omitted)
	require.NotContains(t, err.Error(), "more problems")
	require.True(t, errors.Is(err, process.ErrInvalid))
}

func TestADocumentOfTooManyExpressionsIsRefused(t *testing.T) {
	doc := fill(4000, "id: app\nphases: [{id: p, activities: [{id: a, uses: k, if: 'inputs.x == \"1\"'}]}]\ninputs: {x: {}}\nvariables:\n  v0: x\n",
		func(i int) string { return fmt.Sprintf("  v%d: ${{ vars.v%d }}\n", i+1, i) }, "")
	tests := []struct {
		name  string
		limit int
		want  string // the path of the problem, or "" for none
	}{
		{"under the limit", 1000, ""},
		// The condition comes last: it is compiled after every variable.
		{"the condition over the limit", strings.Count(string(doc), "\n  v"), "phases[0].activities[0].if"},
		{"a variable over the limit", 10, "variables.v10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := process.Parser{MaxExpressions: tt.limit}.Parse(doc)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, process.ErrTooLarge)
			verr := checkBounded(t, err)
			require.Len(t, verr.Problems, 1)
			require.Equal(t, tt.want, verr.Problems[0].Path)
			require.Contains(t, verr.Problems[0].Msg, fmt.Sprintf("more than %d distinct expressions", tt.limit))
		})
	}
}

// BenchmarkParseHostile parses documents just under DefaultMaxBytes: valid
// activities (the baseline), one bad id per activity (the shape),
// and the slowest shapes found.
//
//	go test -run='^$' -bench=ParseHostile -benchmem -benchtime=2x -count=3 ./process/
func BenchmarkParseHostile(b *testing.B) {
	for _, name := range []string{
		"valid activities (the baseline)",
		"bad activity ids",
		"many phases",
		"a long key over a long list",
		"a long key over many duplicate keys",
		"a long input name over an enum of many bad values",
	} {
		i := slices.IndexFunc(hostile, func(h hostileShape) bool { return h.name == name })
		doc := hostile[i].doc(process.DefaultMaxBytes)
		b.Run(strings.ReplaceAll(name, " ", "-"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			cpu := processCPU()
			for b.Loop() {
				if _, err := process.Parse(doc); (err == nil) != hostile[i].valid {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

func TestAnExpressionThatDoesNotCompileIsReportedWhereverItIsUsedButCompiledOnce(t *testing.T) {
	doc := onePhase + "  - {id: a, uses: k, with: {x: '${{ inputs.nope }}'}}\n" +
		"  - {id: b, uses: k, with: {x: '${{ inputs.nope }}', y: ['${{ inputs.nope }}']}}\n"
	_, err := process.Parser{MaxExpressions: 1}.Parse([]byte(doc))
	require.NotErrorIs(t, err, process.ErrTooLarge)
	verr := checkBounded(t, err)
	var got []string
	for _, p := range verr.Problems {
		require.Contains(t, p.Msg, `undeclared input "nope"`)
		got = append(got, fmt.Sprintf("%s@%d:%d", p.Path, p.Line, p.Column))
	}
	require.Equal(t, []string{"phases[0].activities[0].with.x@5:32", "phases[0].activities[1].with.x@6:32", "phases[0].activities[1].with.y[0]@6:58"}, got)
}
