package expr

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	exprlang "github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// A typical template and condition from a process document, and the
// programs the rewriter turns them into, for the raw expr-lang baselines.
const (
	benchTemplate  = "Deploy ${{ inputs.version }} to ${{ inputs.environment }} at ${{ inputs.canary-percent }}%"
	benchCondition = `inputs.environment == "production" && inputs.canary-percent >= 10`
)

var (
	benchParts     = []string{`inputs["version"]`, `inputs["environment"]`, `inputs["canary-percent"]`}
	benchLits      = []string{"Deploy ", " to ", " at ", "%"}
	benchCondCode  = `inputs["environment"] == "production" && inputs["canary-percent"] >= 10`
	benchEnv       = &Env{Inputs: []string{"version", "environment", "canary-percent"}}
	benchRawEnvDef = map[string]any{"inputs": map[string]any{}}
	benchScope     = &Scope{Inputs: map[string]any{"version": "1.4.0", "environment": "production", "canary-percent": 25}}
)

func BenchmarkCompileTemplate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompileTemplate(benchTemplate, benchEnv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileTemplateBaselineExpr(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, code := range benchParts {
			if _, err := exprlang.Compile(code, exprlang.Env(benchRawEnvDef)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkEvalTemplate(b *testing.B) { benchEval(b, benchTemplate) }

// benchEval measures evaluating the template src on benchScope.
func benchEval(b *testing.B, src string) {
	tpl, err := CompileTemplate(src, benchEnv)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Eval(benchScope); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalTemplateBaselineExpr(b *testing.B) {
	progs := make([]*vm.Program, len(benchParts))
	for i, code := range benchParts {
		p, err := exprlang.Compile(code, exprlang.Env(benchRawEnvDef))
		if err != nil {
			b.Fatal(err)
		}
		progs[i] = p
	}
	b.ReportAllocs()
	for b.Loop() {
		env := map[string]any{"inputs": benchScope.Inputs}
		var sb strings.Builder
		for i, p := range progs {
			sb.WriteString(benchLits[i])
			v, err := exprlang.Run(p, env)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprint(&sb, v)
		}
		sb.WriteString(benchLits[len(progs)])
		_ = sb.String()
	}
}

func BenchmarkEvalCondition(b *testing.B) {
	c, err := CompileCondition(benchCondition, benchEnv)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := c.Eval(benchScope); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkEvalConditionBaselineExpr(b *testing.B) {
	p, err := exprlang.Compile(benchCondCode, exprlang.Env(benchRawEnvDef), exprlang.AsBool())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		env := map[string]any{"inputs": benchScope.Inputs}
		v, err := exprlang.Run(p, env)
		if err != nil || v != true {
			b.Fatal(v, err)
		}
	}
}

func TestBenchmarkBaselinesMatchTheRewriter(t *testing.T) {
	// The baselines must measure the same programs the package compiles.
	tpl, err := CompileTemplate(benchTemplate, benchEnv)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range tpl.parts {
		if p.prog != nil {
			got = append(got, strings.TrimSpace(p.prog.p.code))
		}
	}
	if strings.Join(got, "|") != strings.Join(benchParts, "|") {
		t.Fatalf("rewritten parts %q, baseline uses %q", got, benchParts)
	}
	c, err := CompileCondition(benchCondition, benchEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.prog.p.code != benchCondCode {
		t.Fatalf("rewritten condition %q, baseline uses %q", c.prog.p.code, benchCondCode)
	}
}

// The 186-byte, 22-level toJSON bomb: with the memory budget it fails with
// ErrLimit; plain expr-lang builds its 12.5 MB.
var benchBomb = strings.Repeat("toJSON(", 22) + `'"'` + strings.Repeat(")", 22)

func BenchmarkEvalToJSONBomb(b *testing.B) {
	tpl, err := CompileTemplate("${{ "+benchBomb+" }}", benchEnv)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Eval(benchScope); !errors.Is(err, ErrLimit) {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalToJSONBombBaselineExpr(b *testing.B) {
	p, err := exprlang.Compile(benchBomb, exprlang.Env(benchRawEnvDef))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		v, err := exprlang.Run(p, map[string]any{"inputs": benchScope.Inputs})
		if err != nil || len(v.(string)) != 12_582_910 {
			b.Fatal(err)
		}
	}
}

// An ordinary template that calls value-building builtins and +, which the
// budget charges.
const benchBuilders = "${{ upper(inputs.environment) }}: ${{ inputs.version + '-rc' }} ${{ toJSON({v: inputs.version}) }}"

func BenchmarkEvalTemplateBuilders(b *testing.B) { benchEval(b, benchBuilders) }
