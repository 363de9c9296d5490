package executor

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// declaredKinds returns the values of every ActionKind constant declared
// in this package's source, so that a kind added without a verb fails
// here rather than being refused by every role model.
func declaredKinds(t *testing.T) []ActionKind {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	require.NoError(t, err)
	var kinds []ActionKind
	for _, f := range pkgs["executor"].Files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "ActionKind" {
				return true
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					kinds = append(kinds, ActionKind(strings.Trim(lit.Value, `"`)))
				}
			}
			return true
		})
	}
	slices.Sort(kinds)
	return kinds
}

func TestEveryActionKindHasOneVerb(t *testing.T) {
	declared := declaredKinds(t)
	require.Greater(t, len(declared), 30)
	require.Equal(t, declared, ActionKinds(), "ActionKinds lists exactly the declared kinds")
	for _, k := range declared {
		require.NotEmpty(t, k.Verb(), "kind %s has no verb", k)
	}
	require.Equal(t, Verb(""), ActionKind("no-such-kind").Verb())
	require.Equal(t, VerbBypassApproval, ActionBypassApproval.Verb(), "bypassing is not approving")
	require.Equal(t, VerbOverrideFreeze, ActionOverrideFreeze.Verb())
	require.Equal(t, VerbOverridePolicy, ActionOverridePolicy.Verb())
	require.Equal(t, VerbApprove, ActionReject.Verb())
}
