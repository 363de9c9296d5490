package expr

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	exprrt "github.com/expr-lang/expr/vm/runtime"
)

// The memory budget of one evaluation.
//
// expr-lang's own MemoryBudget counts ranges, literals and a few builtins,
// but not what string builders allocate: one 186-byte template of 22 nested
// toJSON calls built 12.5 MB (each level doubles). So the guard patcher
// routes every operation that builds a value through a charging function
// that carries the evaluation's runtime:
//
//   - a + b: each operand that is not a number, bool or nil literal is
//     passed through __baton_size, which charges the length of a string
//     operand (the concatenation allocates exactly their sum) and returns it
//     unchanged, so expr-lang type-checks the + as before;
//   - a..b becomes __baton_range(__baton_rt, a, b);
//   - a builtin that builds a value (toJSON, string, upper, split, join,
//     keys, concat, flatten, ...) becomes __baton_fn_NAME(__baton_rt, ...),
//     which charges what the builtin will build, then calls it.
//
// A charge that would pass MaxMemory fails with an ErrLimit error before
// the value is built when its size is known in advance (ranges, +, join,
// split, concat, flatten, keys, values, reverse, uniq). toJSON, string,
// upper and lower charge a lower bound first (so a value already over the
// budget is refused unbuilt) and the exact size right after; such a call
// allocates at most a small multiple of what was left.

// Names of the charging functions the guard inserts.
const (
	sizeName  = "__baton_size"
	rangeName = "__baton_range"
	fnPrefix  = "__baton_fn_"
)

// maxSizeDepth bounds the nesting sizeOf follows; deeper values count as
// over any limit (encoding/json refuses the same depth).
const maxSizeDepth = 10_000

// left is what remains of the evaluation's memory budget.
func (rt *runtime) left() int { return MaxMemory - rt.mem }

// charge adds n to the memory used, or fails when that would pass MaxMemory.
func (rt *runtime) charge(n int, what string) error {
	if n <= 0 {
		return nil
	}
	if n > rt.left() {
		return &limitError{fmt.Sprintf("%s would pass the memory budget of %d bytes or elements", what, MaxMemory)}
	}
	rt.mem += n
	return nil
}

// ResultSize estimates how many bytes v takes when interpolated: a string's
// length, an integer's digits, and for lists and maps their elements counted
// recursively plus brackets and separators (strings inside count without
// quotes or escapes, floats and other values as 1, so the estimate is a
// lower bound of their JSON encoding). Counting stops as soon as the estimate
// passes MaxResultLen, which keeps it cheap on huge or cyclic values: a
// result above MaxResultLen only says "too large".
func ResultSize(v any) int { return sizeOf(v, MaxResultLen) }

// sizeOf is ResultSize counting up to limit: once the estimate passes limit
// it stops and returns a value above limit.
func sizeOf(v any, limit int) int {
	s := sizer{limit: limit}
	s.add(v, 0)
	return s.n
}

type sizer struct{ n, limit int }

// add counts v and reports whether the total is still within the limit.
func (s *sizer) add(v any, depth int) bool {
	if depth > maxSizeDepth {
		s.n = s.limit + 1
		return false
	}
	switch x := v.(type) {
	case nil:
		s.n += 4
	case string:
		s.n += len(x)
	case bool:
		s.n += 4
	case int:
		s.n += intLen(int64(x))
	case int64:
		s.n += intLen(x)
	case float64:
		s.n++
	case []any:
		s.n += 2 + max(len(x)-1, 0) // brackets and commas
		for _, e := range x {
			if s.n > s.limit || !s.add(e, depth+1) {
				return false
			}
		}
	case map[string]any:
		s.n += 2 + max(2*len(x)-1, 0) // braces, colons and commas
		for k, e := range x {
			s.n += len(k)
			if s.n > s.limit || !s.add(e, depth+1) {
				return false
			}
		}
	default:
		s.addReflect(reflect.ValueOf(v), depth)
	}
	return s.n <= s.limit
}

func (s *sizer) addReflect(rv reflect.Value, depth int) {
	switch rv.Kind() {
	case reflect.String:
		s.n += rv.Len()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s.n += intLen(rv.Int())
	case reflect.Slice, reflect.Array:
		n := rv.Len()
		s.n += 2 + max(n-1, 0)
		for i := 0; i < n && s.n <= s.limit; i++ {
			if !s.add(rv.Index(i).Interface(), depth+1) {
				return
			}
		}
	case reflect.Map:
		s.n += 2 + max(2*rv.Len()-1, 0)
		for it := rv.MapRange(); it.Next() && s.n <= s.limit; {
			if !s.add(it.Key().Interface(), depth+1) || !s.add(it.Value().Interface(), depth+1) {
				return
			}
		}
	default:
		s.n++
	}
}

func intLen(i int64) int {
	n := 1
	if i < 0 {
		n++
		i = -(i + 1) // no overflow at MinInt64; same digit count
	}
	for i >= 10 {
		i /= 10
		n++
	}
	return n
}

// callSize charges the length of a string operand of + (numbers, times and
// durations cost nothing) and passes the operand through unchanged.
func callSize(args ...any) (any, error) {
	rt := args[0].(*runtime)
	if s, ok := args[1].(string); ok {
		if err := rt.charge(len(s), "string concatenation"); err != nil {
			return nil, err
		}
	}
	return args[1], nil
}

// callRange is a..b charged before the range is built.
func callRange(args ...any) (any, error) {
	rt := args[0].(*runtime)
	lo, hi := exprrt.ToInt(args[1]), exprrt.ToInt(args[2])
	if hi >= lo {
		// hi-lo+1 may overflow: compare without adding.
		if uint64(hi-lo) >= uint64(rt.left()) {
			return nil, &limitError{fmt.Sprintf("range %d..%d would pass the memory budget of %d bytes or elements", lo, hi, MaxMemory)}
		}
		rt.mem += hi - lo + 1
	}
	return exprrt.MakeRange(lo, hi), nil
}

// builder says what a value-building builtin costs. before returns the
// exact size of what the builtin will build, or a lower bound of it when
// exact is false (it is given what is left of the budget and may stop
// counting past it). after, when set, returns the exact size of the result;
// the part above before is charged then.
//
// call, when set, runs instead of the builtin (given as orig).
type builder struct {
	before func(args []any, left int) int
	after  func(out any) int
	call   func(rt *runtime, args []any, orig func([]any) (any, error)) (any, error)
}

// builders are the builtins of functions that build values. The others
// return scalars or share their argument's memory (trim*, take, first,
// last: Go strings and slices share the backing array).
var builders = map[string]builder{
	"toJSON":   {before: sizeArg, after: strLen},
	"string":   {before: sizeArg, after: strLen},
	"upper":    {before: strArgLen, after: strLen},
	"lower":    {before: strArgLen, after: strLen},
	"fromJSON": {before: strArgLen},
	"split":    {before: splitCount},
	"join":     {before: joinLen},
	"concat":   {before: concatLen},
	"flatten":  {before: flattenCount},
	"keys":     {before: argLen},
	"values":   {before: argLen},
	"reverse":  {before: argLen},
	"uniq":     {before: argLen, call: callUniq},
}

func sizeArg(args []any, left int) int {
	if len(args) == 0 {
		return 0
	}
	return sizeOf(args[0], left)
}

func strLen(out any) int {
	s, _ := out.(string)
	return len(s)
}

func strArgLen(args []any, _ int) int {
	if len(args) > 0 {
		if s, ok := args[0].(string); ok {
			return len(s)
		}
	}
	return 0
}

// argLen is the length of a list or map argument.
func argLen(args []any, _ int) int {
	if len(args) == 0 {
		return 0
	}
	switch rv := reflect.ValueOf(args[0]); rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return rv.Len()
	}
	return 0
}

// splitCount is the number of parts split(s, sep[, n]) returns.
func splitCount(args []any, _ int) int {
	if len(args) < 2 {
		return 0
	}
	s, ok1 := args[0].(string)
	sep, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return 0
	}
	var n int
	if sep == "" {
		n = utf8.RuneCountInString(s)
	} else {
		n = strings.Count(s, sep) + 1
	}
	if len(args) == 3 {
		if limit, ok := args[2].(int); ok && limit >= 0 {
			n = min(n, limit)
		}
	}
	return n
}

// joinLen is the length of join(list, glue): the parts plus the glue
// between them.
func joinLen(args []any, _ int) int {
	if len(args) == 0 {
		return 0
	}
	glue := ""
	if len(args) == 2 {
		glue, _ = args[1].(string)
	}
	n, parts := 0, 0
	switch x := args[0].(type) {
	case []string:
		for _, s := range x {
			n += len(s)
		}
		parts = len(x)
	case []any:
		for _, e := range x {
			s, _ := e.(string)
			n += len(s)
		}
		parts = len(x)
	}
	if parts > 1 {
		n += (parts - 1) * len(glue)
	}
	return n
}

// concatLen is the number of elements concat(lists...) returns.
func concatLen(args []any, _ int) int {
	n := 0
	for _, a := range args {
		switch rv := reflect.ValueOf(a); rv.Kind() {
		case reflect.Slice, reflect.Array:
			n += rv.Len()
		}
	}
	return n
}

// flattenCount is the number of elements flatten(list) returns, counted up
// to just past left (a list may hold the same big list many times).
func flattenCount(args []any, left int) int {
	if len(args) == 0 {
		return 0
	}
	n := 0
	var walk func(rv reflect.Value, depth int) bool
	walk = func(rv reflect.Value, depth int) bool {
		if depth > maxSizeDepth {
			n = left + 1
			return false
		}
		for i := 0; i < rv.Len(); i++ {
			e := rv.Index(i)
			if e.Kind() == reflect.Interface {
				e = e.Elem()
			}
			if e.Kind() == reflect.Slice || e.Kind() == reflect.Array {
				if !walk(e, depth+1) {
					return false
				}
				continue
			}
			if n++; n > left {
				return false
			}
		}
		return true
	}
	if rv := reflect.ValueOf(args[0]); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		walk(rv, 0)
	}
	return n
}

// builderFunctions are the charging versions of builders, keyed by the name
// the guard calls them by (fnPrefix + builtin name). Each keeps the
// builtin's name (for expr-lang's messages) and signatures, with the
// runtime as a first argument.
var builderFunctions = func() map[string]*builtin.Function {
	m := make(map[string]*builtin.Function, len(builders))
	for _, f := range builtin.Builtins {
		b, ok := builders[f.Name]
		if !ok {
			continue
		}
		m[fnPrefix+f.Name] = chargingFunction(f, b)
	}
	if len(m) != len(builders) {
		panic("expr: a builder is not an expr-lang builtin")
	}
	return m
}()

var runtimeType = reflect.TypeOf((*runtime)(nil))

func chargingFunction(f *builtin.Function, b builder) *builtin.Function {
	call := func(args []any) (any, error) {
		switch {
		case f.Fast != nil && len(args) == 1:
			return f.Fast(args[0]), nil
		case f.Func != nil:
			return f.Func(args...)
		case f.Safe != nil:
			out, _, err := f.Safe(args...)
			return out, err
		}
		return nil, fmt.Errorf("%s: invalid number of arguments", f.Name)
	}
	what := f.Name + "()"
	w := &builtin.Function{
		Name: f.Name,
		Func: func(args ...any) (any, error) {
			rt := args[0].(*runtime)
			args = args[1:]
			pre := b.before(args, rt.left())
			if err := rt.charge(pre, what); err != nil {
				return nil, err
			}
			var out any
			var err error
			if b.call != nil {
				out, err = b.call(rt, args, call)
			} else {
				out, err = call(args)
			}
			if err != nil {
				return nil, err
			}
			if b.after != nil {
				if err := rt.charge(b.after(out)-pre, what); err != nil {
					return nil, err
				}
			}
			return out, nil
		},
	}
	if f.Validate != nil {
		w.Validate = func(args []reflect.Type) (reflect.Type, error) {
			if len(args) == 0 {
				return nil, errors.New("internal: bad builder call")
			}
			return f.Validate(args[1:])
		}
	}
	for _, t := range f.Types {
		in := make([]reflect.Type, 0, t.NumIn()+1)
		in = append(in, runtimeType)
		for i := range t.NumIn() {
			in = append(in, t.In(i))
		}
		out := make([]reflect.Type, t.NumOut())
		for i := range out {
			out[i] = t.Out(i)
		}
		w.Types = append(w.Types, reflect.FuncOf(in, out, t.IsVariadic()))
	}
	return w
}

// uniqComparisonsPerStep is how many element comparisons of uniq count as
// one of the MaxSteps iterations.
const uniqComparisonsPerStep = 64

// callUniq is uniq in linear time when every element is a string, every
// one an int or every one a bool (a set gives the same result: equal values
// of one such type are ==). Otherwise expr-lang's uniq compares each element
// with those kept before it, up to n*(n-1)/2 comparisons: they are charged to
// the iterations before it runs (uniq of 20,000 mixed values would take
// seconds).
func callUniq(rt *runtime, args []any, orig func([]any) (any, error)) (any, error) {
	if len(args) != 1 {
		return orig(args)
	}
	if out, ok := uniqSet(args[0]); ok {
		return out, nil
	}
	n := argLen(args, 0)
	rt.steps += n * (n - 1) / 2 / uniqComparisonsPerStep
	if rt.steps > MaxSteps {
		return nil, &limitError{fmt.Sprintf("uniq() of %d values of mixed types would pass %d predicate iterations", n, MaxSteps)}
	}
	return orig(args)
}

// uniqSet is uniq through a set, for lists of only strings, only ints or
// only bools; ok is false for any other list.
func uniqSet(list any) (out []any, ok bool) {
	rv := reflect.ValueOf(list)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	n := rv.Len()
	if n == 0 {
		return []any{}, true
	}
	var kind reflect.Type
	for i := range n {
		t := reflect.TypeOf(rv.Index(i).Interface())
		switch {
		case t == nil:
			return nil, false
		case i == 0:
			kind = t
		case t != kind:
			return nil, false
		}
	}
	switch kind.Kind() {
	case reflect.String, reflect.Int, reflect.Bool:
	default:
		return nil, false
	}
	seen := make(map[any]struct{}, n)
	out = []any{}
	for i := range n {
		v := rv.Index(i).Interface()
		if _, dup := seen[v]; !dup {
			seen[v] = struct{}{}
			out = append(out, v)
		}
	}
	return out, true
}

var (
	sizeFunction = &builtin.Function{
		Name: sizeName,
		Func: callSize,
		Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) != 2 {
				return nil, errors.New("internal: bad size call")
			}
			return args[1], nil // transparent: + type-checks as before
		},
	}
	rangeFunction = &builtin.Function{
		Name: rangeName,
		Func: callRange,
		Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) != 3 {
				return nil, errors.New("internal: bad range call")
			}
			for _, t := range args[1:] {
				if t == nil { // the nil literal
					return nil, fmt.Errorf("invalid operation: .. (mismatched types %s and %s)", typeString(args[1]), typeString(args[2]))
				}
				if k := t.Kind(); k != reflect.Interface && (k < reflect.Int || k > reflect.Uint64) {
					return nil, fmt.Errorf("invalid operation: .. (mismatched types %s and %s)", typeString(args[1]), typeString(args[2]))
				}
			}
			return reflect.TypeOf([]int(nil)), nil
		},
	}
)

func typeString(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	return t.String()
}

// chargingOperand wraps an operand of + in __baton_size, unless it is a
// literal that cannot be a string (nothing to charge, and expr-lang keeps
// checking nil + 1 at compile time).
func chargingOperand(n ast.Node) ast.Node {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode:
		return n
	}
	return charging(n, sizeName, n)
}

// charging returns a call of the charging function name on the runtime and
// args, placed where at is.
func charging(at ast.Node, name string, args ...ast.Node) *ast.CallNode {
	loc := at.Location()
	callee := &ast.IdentifierNode{Value: name}
	rt := &ast.IdentifierNode{Value: rtName}
	callee.SetLocation(loc)
	rt.SetLocation(loc)
	call := &ast.CallNode{Callee: callee, Arguments: append([]ast.Node{rt}, args...)}
	call.SetLocation(loc)
	return call
}

// constantRange returns m..n for a charging range call whose bounds are
// integer literals, and nil for anything else.
func constantRange(node ast.Node) ast.Node {
	call, ok := node.(*ast.CallNode)
	if !ok || len(call.Arguments) != 3 {
		return nil
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != rangeName {
		return nil
	}
	from, ok1 := call.Arguments[1].(*ast.IntegerNode)
	to, ok2 := call.Arguments[2].(*ast.IntegerNode)
	if !ok1 || !ok2 {
		return nil
	}
	r := &ast.BinaryNode{Operator: "..", Left: from, Right: to}
	r.SetLocation(call.Location())
	return r
}
