package expr

import (
	"strings"
	"testing"

	exprlang "github.com/expr-lang/expr"
	"github.com/stretchr/testify/require"
)

// toJSONBomb is ${{ toJSON(toJSON(...'"'...)) }}, levels deep: each level
// doubles the string (22 levels: 186 bytes of source, 12.5 MB of result).
func toJSONBomb(levels int) string {
	return "${{ " + strings.Repeat("toJSON(", levels) + `'"'` + strings.Repeat(")", levels) + " }}"
}

// evalIn compiles src against testEnv and evaluates it on s.
func evalIn(t *testing.T, src string, s *Scope) (any, error) {
	t.Helper()
	tpl, err := CompileTemplate(src, testEnv)
	require.NoError(t, err)
	return tpl.Eval(s)
}

func bigRefs(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat("inputs.big, ", n), ", ") + "]"
}

func TestEveryBuiltValueIsChargedToTheMemoryBudget(t *testing.T) {
	tests := []struct {
		name, src string
	}{
		{"toJSON bomb of 22 levels", toJSONBomb(22)},
		{"toJSON bomb of 24 levels", toJSONBomb(24)},
		{"toJSON of many references to one string", "${{ toJSON(" + bigRefs(20) + ") }}"},
		{"string of many references to one string", "${{ string(" + bigRefs(20) + ") }}"},
		{"string concatenation", "${{ " + strings.Repeat("inputs.big + ", 19) + "inputs.big }}"},
		{"concatenation inside upper", "${{ upper(" + strings.Repeat("inputs.big + ", 19) + "inputs.big) }}"},
		{"join with a large glue", "${{ join(take(split(inputs.big, ''), 40), inputs.big) }}"},
		{"split into many parts", "${{ concat(" + strings.TrimSuffix(strings.Repeat("split(inputs.big, ''), ", 17), ", ") + ") }}"},
		{"flatten of a repeated list", "${{ flatten(map(1..900, inputs.list)) }}"},
		{"ranges in two parts", "${{ len(1..600000) }} ${{ len(1..600000) }}"},
		{"range with overflowing bounds", "${{ len((-9223372036854775807 - 1)..9223372036854775807) }}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evalIn(t, tt.src, bigScope())
			require.ErrorIs(t, err, ErrLimit)
			require.Nil(t, got)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.src, e.Source)
		})
	}
}

func TestTheToJSONBombFailsBeforeBuildingMuch(t *testing.T) {
	tpl, err := CompileTemplate(toJSONBomb(24), testEnv)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1, func() {
		_, err = tpl.Eval(testScope())
	})
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "toJSON() would pass the memory budget")
	require.Less(t, allocs, 1000.0) // unbounded, 24 levels build 50 MB
}

func TestChargingKeepsWhatTheBuiltinsReturn(t *testing.T) {
	// Each expression gives what plain expr-lang gives.
	for _, code := range []string{
		"toJSON(inputs.cfg)", "toJSON('\"')", "string(inputs.list)", "string(1.5)",
		"upper('abc')", "lower('ÀB')", "split('a,b,c', ',')", "split('a,b,c', ',', 2)",
		"split('héllo', '')", "join(['a', 'b'], '-')", "join(['a', 'b'])", "inputs.services | join(',')",
		"concat([1], [2, 3])", "flatten([[1], [2, [3]]])", "keys({'a': 1})", "values({'a': 1})",
		"reverse([1, 2])", "uniq([1, 1, 2, 1.0])", "uniq(['a', 'b', 'a'])", "uniq([true, false, true])",
		"uniq([2, 1, 2, 3, 1])", "uniq([])", "uniq([nil, nil])", "uniq(inputs.services)", "fromJSON('{\"a\":[1]}')",
		"'a' + 'b'", "1 + 2", "1.5 + 2", "inputs.version + '-rc'", "1..3", "5..1",
		"map(inputs.list, # + 1)", "'x' + string(len(inputs.list))", "2 in 1..3",
		"sum(1..10)", "len(toJSON(inputs.list))",
	} {
		t.Run(code, func(t *testing.T) {
			got, err := evalIn(t, "${{ "+code+" }}", testScope())
			require.NoError(t, err)
			want, err := exprlang.Eval(code, map[string]any{"inputs": testScope().Inputs})
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

func TestChargingKeepsCompileTimeTypeChecks(t *testing.T) {
	tests := []struct{ src, msg string }{
		{"${{ 1 + 'a' }}", "mismatched types int and string"},
		{"${{ 'a'..2 }}", "invalid operation: .."},
		{"${{ nil..2 }}", "invalid operation: .. (mismatched types nil and int)"},
		{"${{ nil + 1 }}", "invalid operation: +"},
		{"${{ join(1) }}", "join"},
		{"${{ toJSON() }}", "not enough arguments to call toJSON"},
		{"${{ upper(1) }}", "upper"},
		{"${{ keys(1) }}", "keys"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := CompileTemplate(tt.src, testEnv)
			require.ErrorIs(t, err, ErrSyntax)
			require.ErrorContains(t, err, tt.msg)
			require.NotContains(t, err.Error(), "__baton")
		})
	}
	// Conditions still know the static type of what charging wraps.
	_, err := CompileCondition("'a' + 'b'", testEnv)
	require.ErrorIs(t, err, ErrType)
	_, err = CompileCondition("upper(inputs.version) + '' == '1.2.3'", testEnv)
	require.NoError(t, err)
}

func TestTheBudgetIsSharedByAllPartsOfATemplate(t *testing.T) {
	// Each part builds 320 KiB: three fit, four pass the budget.
	part := "${{ len(inputs.big + inputs.big + inputs.big) }}"
	_, err := evalIn(t, strings.Repeat(part, 3), bigScope())
	require.NoError(t, err)
	_, err = evalIn(t, strings.Repeat(part, 4), bigScope())
	require.ErrorIs(t, err, ErrLimit)
}

func TestASinglePartTemplateResultIsBounded(t *testing.T) {
	tests := []struct {
		name, src string
		scope     func() *Scope
	}{
		{"a list of references to one big string", "${{ " + bigRefs(20) + " }}", bigScope},
		{"a map of them", "${{ {a: " + bigRefs(10) + ", b: " + bigRefs(10) + "} }}", bigScope},
		{"an input that is too long", "${{ inputs.big }}", func() *Scope {
			s := testScope()
			s.Inputs["big"] = strings.Repeat("x", MaxResultLen+1)
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evalIn(t, tt.src, tt.scope())
			require.ErrorIs(t, err, ErrLimit)
			require.ErrorContains(t, err, "result longer than")
			require.Nil(t, got)
		})
	}
	// Below the limit the value is returned typed.
	got, err := evalIn(t, "${{ "+bigRefs(10)+" }}", bigScope())
	require.NoError(t, err)
	require.Len(t, got, 10)
}

func TestResultSizeEstimatesTheInterpolatedLength(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	deep := []any{}
	for range maxSizeDepth + 1 {
		deep = []any{deep}
	}
	tests := []struct {
		name string
		v    any
		want int
	}{
		{"string", "abc", 3},
		{"int", 123, 3},
		{"negative int", -5, 2},
		{"min int64", int64(-9223372036854775808), 20},
		{"nil", nil, 4},
		{"bool", true, 4},
		{"empty list", []any{}, 2},
		{"list", []any{"a", "b"}, 5},
		{"typed list", []string{"a", "b"}, 5},
		{"empty map", map[string]any{}, 2},
		{"map", map[string]any{"k": "v", "l": 10}, 10},
		{"typed map", map[string]int{"k": 1}, 5},
		{"nested", []any{[]any{1}, map[string]any{"k": []any{}}}, 12},
		{"too large", []any{strings.Repeat("x", MaxResultLen), "y"}, MaxResultLen + 3},
		{"cyclic", cyclic, -1},
		{"too deep", deep, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ResultSize(tt.v)
			if tt.want < 0 {
				require.Greater(t, got, MaxResultLen)
				return
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestUniqIsLinearOrCharged(t *testing.T) {
	// Only ints: a set, linear, whatever the length.
	got, err := evalIn(t, "${{ len(uniq(concat(1..20000, 1..20000))) }}", testScope())
	require.NoError(t, err)
	require.Equal(t, 20000, got)
	// Mixed types: expr-lang's quadratic comparisons, charged to the
	// iterations before they run.
	_, err = evalIn(t, "${{ len(uniq(concat(1..5000, ['a']))) }}", testScope())
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "uniq() of 5001 values of mixed types")
	got, err = evalIn(t, "${{ len(uniq(concat(1..1000, ['a']))) }}", testScope())
	require.NoError(t, err)
	require.Equal(t, 1001, got)
}

func TestASumOfAConstantRangeIsFoldedNotBuilt(t *testing.T) {
	// expr-lang computes sum(m..n) of constants at compile time; charging
	// the range must not turn that into a limit error.
	got, err := evalIn(t, "${{ sum(1..100000000) }}", testScope())
	require.NoError(t, err)
	require.Equal(t, 5000000050000000, got)
	// A range that is not folded is charged.
	_, err = evalIn(t, "${{ sum(1..inputs.a * 1000000) }}", testScope())
	require.ErrorIs(t, err, ErrLimit)
}
