package process_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"

	"github.com/batonhq/baton/process"
)

func loadDesign(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/design.yaml")
	require.NoError(t, err)
	return b
}

func TestParseDecodesTheDesignDocument(t *testing.T) {
	p, err := process.Parse(loadDesign(t))
	require.NoError(t, err)
	require.Equal(t, process.ID("mobile-app"), p.ID)
	require.Len(t, p.Inputs, 3)
	require.Equal(t, "version", p.Inputs[0].Name)
	require.True(t, p.Inputs[0].Required)
	require.Equal(t, []any{"api", "web"}, p.Inputs[2].Default)
	require.Equal(t, []process.Variable{{Name: "tag", Value: "v${{ inputs.version }}"}}, p.Variables)
	require.Len(t, p.Phases, 3)
	compile := p.Phases[0].Activities[0]
	require.Equal(t, "ci.pipeline", compile.Uses)
	require.Equal(t, process.Automated, compile.EffectiveType())
	require.Equal(t, 30*time.Minute, compile.Timeout.D())
	require.Equal(t, &process.RetryPolicy{MaxAttempts: 3, Backoff: process.Duration(30 * time.Second), MaxBackoff: process.Duration(5 * time.Minute)}, compile.Retry)
	signoff := p.Phases[1].Activities[1]
	require.Equal(t, process.Approval, signoff.Type)
	require.Equal(t, &process.ApprovalPolicy{Approvers: []string{"group:qa-leads"}, Min: 1,
		Deadline: process.Duration(24 * time.Hour), OnDeadline: process.RejectOnDeadline, ForbidInitiator: true}, signoff.Approval)
	require.Equal(t, `inputs.environment == "production"`, p.Phases[2].If)
	require.Equal(t, process.Rollback, p.Phases[2].Activities[0].OnFailure)
	require.Equal(t, process.ID("smoke-tests"), p.Phases[2].Activities[1].Process)
}

func TestEncodedProcessDecodesToAnEqualProcess(t *testing.T) {
	p, err := process.Parse(loadDesign(t))
	require.NoError(t, err)

	js, err := json.Marshal(p)
	require.NoError(t, err)
	fromJSON, err := process.Parse(js)
	require.NoError(t, err)
	require.Equal(t, p, fromJSON)

	var viaStd process.Process
	require.NoError(t, json.Unmarshal(js, &viaStd))
	require.Equal(t, p, &viaStd)

	ym, err := process.EncodeYAML(p)
	require.NoError(t, err)
	fromYAML, err := process.Parse(ym)
	require.NoError(t, err)
	require.Equal(t, p, fromYAML)

	var viaYAML process.Process
	require.NoError(t, yaml.Unmarshal(ym, &viaYAML))
	require.Equal(t, p, &viaYAML)
}

func TestValuesKeepTheirTypesThroughEncoding(t *testing.T) {
	doc := base + `        with:
          count: 3
          ratio: 0.5
          big: 1.0e+21
          whole-float: 2.0
          flag: true
          quoted-number: "42"
          quoted-bool: "true"
          nothing: null
          list: [1, two, {three: 3}]
          nested: {a: {b: [x]}}
`
	p, err := process.Parse([]byte(doc))
	require.NoError(t, err)
	with := p.Phases[0].Activities[0].With
	require.Equal(t, 3, with["count"])
	require.Equal(t, 0.5, with["ratio"])
	require.Equal(t, 2.0, with["whole-float"])
	require.Equal(t, "42", with["quoted-number"])
	require.Equal(t, "true", with["quoted-bool"])
	require.Nil(t, with["nothing"])
	for _, enc := range []func(*process.Process) ([]byte, error){
		func(p *process.Process) ([]byte, error) { return json.Marshal(p) },
		process.EncodeYAML,
	} {
		b, err := enc(p)
		require.NoError(t, err)
		back, err := process.Parse(b)
		require.NoError(t, err, string(b))
		require.Equal(t, p, back, string(b))
	}
}

func TestJSONDocumentsReportLinesToo(t *testing.T) {
	doc := `{
  "id": "app",
  "phases": [
    {
      "id": "build",
      "activities": [
        {"id": "compile", "uses": "ci.pipeline", "timout": "5m"}
      ]
    }
  ]
}`
	_, err := process.Parse([]byte(doc))
	requireProblems(t, err, problem{"phases[0].activities[0].timout", 7, `unknown key "timout"`})

	_, err = process.Parse([]byte(`{"id": "app", "phases": [}`))
	requireProblems(t, err, problem{"", 1, "not a valid YAML or JSON document"})
}

func TestSyntaxErrorsNameTheLine(t *testing.T) {
	_, err := process.Parse([]byte("id: app\nphases:\n  - id: [build\n"))
	requireProblems(t, err, problem{"", 0, "not a valid YAML or JSON document"})
	_, err = process.Parse([]byte("id: app\n---\nid: other\n"))
	requireProblems(t, err, problem{"", 0, "a second document"})
	_, err = process.Parse([]byte("   \n"))
	requireProblems(t, err, problem{"", 0, "empty document"})
	_, err = process.Parse([]byte("- just\n- a list\n"))
	requireProblems(t, err, problem{"", 1, "want a mapping"})
}

func TestHostileDocumentsGetErrorsNotCrashes(t *testing.T) {
	t.Run("over the size limit", func(t *testing.T) {
		big := []byte(base + "# " + strings.Repeat("x", process.DefaultMaxBytes))
		_, err := process.Parse(big)
		require.ErrorIs(t, err, process.ErrTooLarge)
		_, err = process.Parser{MaxBytes: 100}.Parse([]byte(base + strings.Repeat("#", 100)))
		require.ErrorIs(t, err, process.ErrTooLarge)
		_, err = process.Parser{MaxBytes: 20 << 20}.Parse(big)
		require.NoError(t, err, "a larger limit accepts it")
	})
	t.Run("billion laughs", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("id: app\nx: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
		for i := 1; i < 10; i++ {
			b.WriteString("x" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
			for j := 0; j < 10; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString("*a" + string(rune('0'+i-1)))
			}
			b.WriteString("]\n")
		}
		b.WriteString("phases:\n  - id: p\n    activities:\n      - id: a\n        uses: k\n        with: {bomb: *a9}\n")
		start := time.Now()
		_, err := process.Parse([]byte(b.String()))
		requireProblems(t, err, problem{"", 0, "an alias bomb"})
		require.Less(t, time.Since(start), 30*time.Second, "sanity bound only")
	})
	t.Run("ten thousand levels of nesting", func(t *testing.T) {
		deep := base + "        with: {x: " + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + "}\n"
		_, err := process.Parse([]byte(deep))
		requireProblems(t, err, problem{"phases[0].activities[0].with.x" + strings.Repeat("[0]", 63), 7, "nested deeper than 64 levels"})
		deeper := base + "        with: {x: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}\n"
		_, err = process.Parse([]byte(deeper))
		requireProblems(t, err, problem{"", 7, "exceeded max depth"})
		deepJSON := `{"id": "app", "phases": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
		_, err = process.Parse([]byte(deepJSON))
		requireProblems(t, err, problem{"", 0, "nested deeper"})
	})
	t.Run("expressions that loop or allocate without end", func(t *testing.T) {
		for _, src := range []string{
			"${{ len(map(1..1000000000, # * 2)) }}",
			"${{ len(filter(1..100000000, true)) }}",
			"${{ repeat('x', 1000000000) }}",
			"${{ map(1..100000, map(1..100000, #)) }}",
		} {
			doc := base + "        with: {x: \"" + src + "\"}\n"
			p, err := process.Parse([]byte(doc))
			if err != nil {
				continue // refused at compile time: fine
			}
			c, err := process.Compile(p)
			require.NoError(t, err)
			_, err = c.With(process.ActivityRef{Phase: "build", Activity: "compile"}, &process.Scope{})
			require.Error(t, err, src)
		}
	})
}

func TestALeadingByteOrderMarkIsIgnored(t *testing.T) {
	const bom = "\ufeff"
	jsonDoc := `{"id":"app","phases":[{"id":"build","activities":[{"id":"compile","uses":"ci.pipeline"}]}]}`
	tests := []struct {
		name string
		doc  string
	}{
		{"JSON", bom + jsonDoc},
		{"JSON after blank lines", bom + "\n\n" + jsonDoc},
		{"YAML", bom + base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := process.Parse([]byte(tt.doc))
			require.NoError(t, err)
			require.Equal(t, process.ID("app"), p.ID)
			require.Equal(t, "ci.pipeline", p.Phases[0].Activities[0].Uses)
		})
	}
}

func TestAByteOrderMarkDoesNotShiftColumns(t *testing.T) {
	// The id is invalid so the problem carries the column of its value.
	_, err := process.Parse([]byte("\ufeff" + `{"id":"App!","phases":[{"id":"b","activities":[{"id":"c","uses":"k"}]}]}`))
	var verr *process.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Problems, 1)
	require.Equal(t, process.Problem{Path: "id", Line: 1, Column: 7, Msg: verr.Problems[0].Msg}, verr.Problems[0])
}

func TestAByteOrderMarkInsideTheDocumentIsStillAnError(t *testing.T) {
	_, err := process.Parse([]byte(`{"id":"app",` + "\ufeff" + `"phases":[]}`))
	require.ErrorIs(t, err, process.ErrInvalid)
}
