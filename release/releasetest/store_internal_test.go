package releasetest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// storeInterfaces reads the store package's source and returns each
// exported interface it declares with its methods.
func storeInterfaces(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	out := map[string][]string{}
	embedded := map[string][]string{}
	files, err := filepath.Glob("../../store/*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !ts.Name.IsExported() {
				return true
			}
			it, ok := ts.Type.(*ast.InterfaceType)
			if !ok {
				return true
			}
			var methods []string
			for _, m := range it.Methods.List {
				if id, ok := m.Type.(*ast.Ident); ok && len(m.Names) == 0 {
					embedded[ts.Name.Name] = append(embedded[ts.Name.Name], id.Name)
				}
				for _, name := range m.Names {
					methods = append(methods, name.Name)
				}
			}
			out[ts.Name.Name] = methods
			return true
		})
	}
	require.Contains(t, out, "Leaser", "the store package's interfaces were read")
	for name, inner := range embedded { // one level: Store embeds the four basic roles
		for _, e := range inner {
			require.Contains(t, out, e, "store.%s embeds store.%s", name, e)
			out[name] = append(out[name], out[e]...)
		}
	}
	return out
}

func hasMethods(typ reflect.Type, methods []string) bool {
	for _, m := range methods {
		if _, ok := typ.MethodByName(m); !ok {
			return false
		}
	}
	return true
}

// The store of a run offers every capability of memstore that the store
// package declares, except leasing: a capability added to the store
// package (and to memstore) is there without a change here, and this
// test fails if it is not. Every capability the executor and its packages
// look for is among them.
func TestTheRunStoreOffersEveryCapabilityButLeasing(t *testing.T) {
	ifaces := storeInterfaces(t)
	mem := reflect.TypeFor[*memstore.Store]()
	run := reflect.TypeFor[runStore]()
	var exposed []string
	for name, methods := range ifaces {
		switch {
		case name == "Unwrapper" || len(methods) == 0:
			continue
		case name == "Leaser":
			for _, m := range methods {
				_, ok := run.MethodByName(m)
				require.False(t, ok, "the run store has no %s method (leasing is hidden)", m)
			}
		case !hasMethods(mem, methods):
			t.Logf("memstore lacks store.%s: the run store cannot offer it", name)
		default:
			require.True(t, hasMethods(run, methods), "the run store hides store.%s, which memstore implements", name)
			exposed = append(exposed, name)
		}
	}
	slices.Sort(exposed)
	t.Logf("the run store offers %s", strings.Join(exposed, ", "))

	st := newRunStore()
	_, ok, err := store.Find[store.Leaser](st)
	require.NoError(t, err, "the run store hides leasing on purpose")
	require.False(t, ok)

	used := executorCapabilities(t)
	require.NotEmpty(t, used)
	for _, c := range used {
		if c == "Leaser" {
			continue
		}
		require.Contains(t, exposed, c, "the executor looks for store.%s: the run store must offer it", c)
	}
}

// executorCapabilities lists the store capabilities the executor and its
// packages look for (store.Find[store.X] and .(store.X) in their source).
func executorCapabilities(t *testing.T) []string {
	t.Helper()
	re := regexp.MustCompile(`store\.Find\[store\.(\w+)\]|\.\(store\.(\w+)\)`)
	seen := map[string]bool{}
	err := filepath.WalkDir("../../executor", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := readFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			seen[m[1]+m[2]] = true
		}
		return nil
	})
	require.NoError(t, err)
	var out []string
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
