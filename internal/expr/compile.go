package expr

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	exprlang "github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Limits applied to every expression. They are deliberately generous for
// release documents and tight enough that a hostile document fails fast.
const (
	// MaxSourceLen is the longest accepted expression, in bytes (the text
	// inside one ${{ }} or one condition).
	MaxSourceLen = 4 << 10
	// MaxTemplateLen is the longest accepted template string, in bytes.
	MaxTemplateLen = 64 << 10
	// MaxNodes bounds the expr-lang AST of one expression.
	MaxNodes = 2000
	// MaxSteps bounds the predicate iterations (map, filter, all, ...) of
	// one evaluation, nested loops included.
	MaxSteps = 100_000
	// MaxMemory is the memory budget of one evaluation (all parts of a
	// template together): every value an expression builds is charged to it
	// (string bytes, list and map elements), from ranges, +, toJSON, join,
	// split and the other builtins that build values to the values predicate
	// bodies produce; expr-lang's own budget for literals is what is left.
	MaxMemory = 1 << 20
	// MaxResultLen bounds a template's result: the length of an interpolated
	// string, or the [ResultSize] of the value of a template that is a single
	// ${{ }}.
	MaxResultLen = 1 << 20
)

const startDelim, endDelim = "${{", "}}"

// Contains reports whether s has a ${{ (so it is a template with at least one
// expression, or an unterminated one).
func Contains(s string) bool { return strings.Contains(s, startDelim) }

// part is a literal text or one compiled ${{ }} expression.
type part struct {
	lit  string
	prog *compiled // nil for a literal
}

// Template is a string with zero or more ${{ }} parts. It is immutable and
// safe for concurrent use.
type Template struct {
	src   string
	parts []part
	refs  []Ref
}

// CompileTemplate parses src, resolves every reference against env and
// compiles each ${{ }} part. Errors are *Error with the offset in src.
func CompileTemplate(src string, env *Env) (*Template, error) {
	t := &Template{src: src}
	if len(src) > MaxTemplateLen {
		return nil, errAt(src, MaxTemplateLen, ErrLimit, "template longer than %d bytes", MaxTemplateLen)
	}
	at := 0
	for {
		k := strings.Index(src[at:], startDelim)
		if k < 0 {
			break
		}
		open := at + k
		if open > at {
			t.parts = append(t.parts, part{lit: src[at:open]})
		}
		body := open + len(startDelim)
		toks, end, lerr := lexExpr(src, body, true, open)
		if lerr != nil {
			return nil, lerr
		}
		c, err := compileExpr(src, body, end, toks, env, &t.refs)
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, part{prog: c})
		at = end + len(endDelim)
	}
	if at < len(src) {
		t.parts = append(t.parts, part{lit: src[at:]})
	}
	return t, nil
}

// Source returns the template text as given.
func (t *Template) Source() string { return t.src }

// Refs returns the references of all parts, in source order. The caller must
// not modify the returned slice.
func (t *Template) Refs() []Ref { return t.refs }

// IsLiteral reports whether the template has no ${{ }} at all.
func (t *Template) IsLiteral() bool {
	for _, p := range t.parts {
		if p.prog != nil {
			return false
		}
	}
	return true
}

// Eval evaluates the template. A template that is exactly one ${{ }} and
// nothing else returns that value, typed (a list stays a list, a number a
// number); its [ResultSize] must not pass MaxResultLen either. Otherwise the result is a string with each part formatted: strings
// as-is, numbers without trailing zeros, booleans true/false, nil as empty,
// lists and maps as compact JSON. A literal template returns its text.
func (t *Template) Eval(s *Scope) (any, error) {
	if t.IsLiteral() {
		return t.src, nil
	}
	e := newEvaluation(s)
	if len(t.parts) == 1 {
		v, err := t.parts[0].prog.run(t.src, e)
		if err != nil {
			return nil, err
		}
		if sizeOf(v, MaxResultLen) > MaxResultLen {
			return nil, errAt(t.src, 0, ErrLimit, "result longer than %d bytes", MaxResultLen)
		}
		return v, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.lit)
		} else {
			v, err := p.prog.run(t.src, e)
			if err != nil {
				return nil, err
			}
			// Refuse a value too large to format before formatting it.
			if left := MaxResultLen - b.Len(); sizeOf(v, left) > left {
				return nil, errAt(t.src, 0, ErrLimit, "result longer than %d bytes", MaxResultLen)
			}
			if err := format(&b, v); err != nil {
				return nil, errAt(t.src, p.prog.p.start, ErrEval, "cannot format %T: %v", v, err)
			}
		}
		if b.Len() > MaxResultLen {
			return nil, errAt(t.src, 0, ErrLimit, "result longer than %d bytes", MaxResultLen)
		}
	}
	return b.String(), nil
}

// Condition is a bare boolean expression, as in `if:`. It is immutable and
// safe for concurrent use.
type Condition struct {
	src  string
	prog *compiled
	refs []Ref
}

// CompileCondition compiles a bare boolean expression. The whole condition
// may also be wrapped in one ${{ }} (surrounding blanks allowed). It must
// type-check to bool where its type can be told: `"yes"` and `1 + 2` are
// refused, and so is `inputs.n + 1` when env.InputKinds declares n an
// integer; `inputs.x` of unknown kind and activity outputs are accepted and
// checked when the condition runs.
func CompileCondition(src string, env *Env) (*Condition, error) {
	c := &Condition{src: src}
	if len(src) > MaxSourceLen+len(startDelim)+len(endDelim)+64 {
		return nil, errAt(src, 0, ErrLimit, "condition longer than %d bytes", MaxSourceLen)
	}
	start, end := 0, len(src)
	var toks []token
	trimmed := strings.TrimLeft(src, " \t\r\n")
	if strings.HasPrefix(trimmed, startDelim) {
		open := len(src) - len(trimmed)
		start = open + len(startDelim)
		var lerr *Error
		toks, end, lerr = lexExpr(src, start, true, open)
		if lerr != nil {
			return nil, lerr
		}
		if rest := strings.TrimSpace(src[end+len(endDelim):]); rest != "" {
			return nil, errAt(src, end+len(endDelim), ErrSyntax,
				"a condition is a bare expression or a single ${{ }}, found text after }}")
		}
	} else {
		var lerr *Error
		toks, _, lerr = lexExpr(src, 0, false, 0)
		if lerr != nil {
			return nil, lerr
		}
	}
	if strings.TrimSpace(src[start:end]) == "" {
		return nil, errAt(src, start, ErrSyntax, "empty condition")
	}
	prog, err := compileExpr(src, start, end, toks, env, &c.refs)
	if err != nil {
		return nil, err
	}
	if t := prog.typ; t != nil && t.Kind() != reflect.Bool && t.Kind() != reflect.Interface {
		return nil, errAt(src, start, ErrType, "condition must be boolean: want a boolean, got %s", typeKindName(t))
	}
	if env != nil {
		if k := staticKind(prog.vm.Node(), env.InputKinds, 0); k != KindUnknown && k != KindBool {
			return nil, errAt(src, start, ErrType, "condition must be boolean: want a boolean, got %s", k)
		}
	}
	c.prog = prog
	return c, nil
}

// Source returns the condition text as given.
func (c *Condition) Source() string { return c.src }

// Refs returns the references of the condition, in source order. The caller
// must not modify the returned slice.
func (c *Condition) Refs() []Ref { return c.refs }

// Eval evaluates the condition; a non-boolean result is an ErrType error.
func (c *Condition) Eval(s *Scope) (bool, error) {
	return c.eval(newEvaluation(s))
}

// Evaluator evaluates many conditions over one Scope, reusing what one
// evaluation needs (the environment, the virtual machine); each
// evaluation still has its own budgets. It is not safe for concurrent
// use, and its Scope must not change while it is in use.
type Evaluator struct{ e *evaluation }

// NewEvaluator returns an Evaluator over s.
func NewEvaluator(s *Scope) *Evaluator { return &Evaluator{e: newEvaluation(s)} }

// EvalIn is Eval over the Evaluator's Scope.
func (c *Condition) EvalIn(ev *Evaluator) (bool, error) {
	ev.e.rt.steps, ev.e.rt.mem = 0, 0
	return c.eval(ev.e)
}

func (c *Condition) eval(e *evaluation) (bool, error) {
	v, err := c.prog.run(c.src, e)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, errAt(c.src, c.prog.p.start, ErrType, "condition must be boolean, got %s", typeName(v))
	}
	return b, nil
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}

// compiled is one expression ready to run.
type compiled struct {
	p   *program
	vm  *vm.Program
	typ reflect.Type // static result type; nil or interface when unknown
}

var anyType = reflect.TypeOf((*any)(nil)).Elem()

// compileEnv is the shape expr-lang checks programs against.
var compileEnv = map[string]any{
	"inputs":  map[string]any{},
	"vars":    map[string]any{},
	"release": map[string]any{},
	rtName:    (*runtime)(nil),
	rootName:  map[string]any{},
}

// disabledBuiltins holds every expr-lang builtin outside functions. expr-lang
// only reads this map, so one instance is shared by all compilations
// (building it per compile with DisableAllBuiltins/EnableBuiltin dominated
// compile time).
var disabledBuiltins = func() map[string]bool {
	m := make(map[string]bool)
	for _, f := range builtin.Builtins {
		if !slices.Contains(functions, f.Name) {
			m[f.Name] = true
		}
	}
	return m
}()

var (
	outFunction = &builtin.Function{
		Name: outName,
		Func: callOutput,
		Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) != 2 {
				return nil, errors.New("internal: bad output call")
			}
			return anyType, nil
		},
	}
	hostFunction = &builtin.Function{
		Name: hostName,
		Func: callHost,
		Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) < 2 {
				return nil, errors.New("internal: bad host call")
			}
			return anyType, nil
		},
	}
	stepFunction = &builtin.Function{
		Name: stepName,
		Func: callStep,
		Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) != 2 {
				return nil, errors.New("internal: bad step call")
			}
			return args[1], nil // transparent: keeps the body's static type
		},
	}
)

// baseOptions are shared by every compilation (the guard is per compile).
var baseOptions = []exprlang.Option{
	exprlang.Env(compileEnv),
	exprlang.MaxNodes(MaxNodes),
	func(c *conf.Config) {
		c.Disabled = disabledBuiltins
		c.Functions[outName] = outFunction
		c.Functions[stepName] = stepFunction
		c.Functions[hostName] = hostFunction
		c.Functions[sizeName] = sizeFunction
		c.Functions[rangeName] = rangeFunction
		maps.Copy(c.Functions, builderFunctions)
	},
}

func compileExpr(src string, start, end int, toks []token, env *Env, refs *[]Ref) (*compiled, error) {
	if end-start > MaxSourceLen {
		return nil, errAt(src, start, ErrLimit, "expression longer than %d bytes", MaxSourceLen)
	}
	if len(toks) == 0 {
		return nil, errAt(src, start, ErrSyntax, "empty expression")
	}
	p, rerr := rewrite(src, start, end, toks, env, refs)
	if rerr != nil {
		return nil, rerr
	}
	return compileProgram(src, p)
}

// programCache shares compiled programs between expressions whose rewritten
// code is the same: documents repeat their expressions, and expressions of
// one shape reading different outputs rewrite to the same code. Compiling
// dominates validation, so this makes a 100,000-activity document cheap.
// Only successful compilations are cached; the cache is bounded by
// forgetting everything when it is full.
var programCache = struct {
	sync.Mutex
	m map[string]*compiledCode
}{m: map[string]*compiledCode{}}

const programCacheSize = 4096

type compiledCode struct {
	vm  *vm.Program
	typ reflect.Type
}

// compileProgram compiles a rewritten program with expr-lang, re-checking it
// with the guard patcher.
func compileProgram(src string, p *program) (*compiled, error) {
	programCache.Lock()
	cc, ok := programCache.m[p.code]
	programCache.Unlock()
	if ok {
		return &compiled{p: p, vm: cc.vm, typ: cc.typ}, nil
	}
	c, err := compileFresh(src, p)
	if err != nil {
		return nil, err
	}
	programCache.Lock()
	if len(programCache.m) >= programCacheSize {
		clear(programCache.m)
	}
	programCache.m[p.code] = &compiledCode{vm: c.vm, typ: c.typ}
	programCache.Unlock()
	return c, nil
}

func compileFresh(src string, p *program) (c *compiled, err error) {
	g := &guard{}
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, errAt(src, p.start, ErrSyntax, "expr-lang panicked while compiling: %v", r)
		}
	}()
	opts := append(slices.Clip(baseOptions), exprlang.Patch(g))
	prog, cerr := exprlang.Compile(p.code, opts...)
	if g.err != nil {
		return nil, errAt(src, p.origin(runeToByte(p.code, g.errAt)), ErrUndeclared, "%s", g.err)
	}
	if cerr != nil {
		return nil, exprError(src, p, cerr, ErrSyntax)
	}
	typ := prog.Node().Type()
	if typ == nil {
		typ = anyType
	}
	return &compiled{p: p, vm: prog, typ: typ}, nil
}

// exprError converts an expr-lang error into *Error with a source offset.
func exprError(src string, p *program, err error, kind error) *Error {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if kind == ErrEval {
			switch {
			case errors.Is(fe.Prev, ErrMissingOutput):
				kind = ErrMissingOutput
			case errors.Is(fe.Prev, ErrLimit), strings.Contains(msg, "memory budget exceeded"):
				kind = ErrLimit
			}
		}
		return &Error{Source: src, Offset: p.origin(runeToByte(p.code, fe.From)), Msg: msg, Err: kind}
	}
	return &Error{Source: src, Offset: p.start, Msg: err.Error(), Err: kind}
}

func runeToByte(s string, runes int) int {
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}

// guard is an AST patcher that re-checks the rewritten program (defence in
// depth behind the front end), makes every predicate body count its
// iterations and the size of what it produces, and routes every operation
// that builds a value through a function charging the memory budget
// (budget.go). Nodes it inserts are not visited again.
type guard struct {
	err   error
	errAt int
}

func (g *guard) fail(n ast.Node, format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf(format, args...)
		g.errAt = n.Location().From
	}
}

func (g *guard) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.VariableDeclaratorNode:
		g.fail(n, "let is not allowed in expressions")
	case *ast.BuiltinNode:
		if !slices.Contains(functions, n.Name) {
			g.fail(n, "unknown function %q", n.Name)
			return
		}
		if _, ok := builders[n.Name]; ok {
			*node = charging(n, fnPrefix+n.Name, n.Arguments...)
		}
		if n.Name == "sum" && len(n.Arguments) == 1 {
			// sum(m..n) of constants: expr-lang folds it to a number
			// without building the range; give it back its range.
			if r := constantRange(n.Arguments[0]); r != nil {
				n.Arguments[0] = r
			}
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "+":
			n.Left = chargingOperand(n.Left)
			n.Right = chargingOperand(n.Right)
		case "..":
			*node = charging(n, rangeName, n.Left, n.Right)
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || (id.Value != outName && id.Value != stepName && id.Value != hostName) {
			g.fail(n, "function calls other than builtins are not allowed")
		}
	case *ast.IdentifierNode:
		switch n.Value {
		case "inputs", "vars", "release", rtName, rootName, outName, stepName, hostName:
		default:
			g.fail(n, "unknown name %q", n.Value)
		}
	case *ast.PredicateNode:
		if c, ok := n.Node.(*ast.CallNode); ok {
			if id, ok := c.Callee.(*ast.IdentifierNode); ok && id.Value == stepName {
				return // already wrapped
			}
		}
		body := n.Node
		callee := &ast.IdentifierNode{Value: stepName}
		rt := &ast.IdentifierNode{Value: rtName}
		callee.SetLocation(body.Location())
		rt.SetLocation(body.Location())
		call := &ast.CallNode{Callee: callee, Arguments: []ast.Node{rt, body}}
		call.SetLocation(body.Location())
		n.Node = call
	}
}
