package expr

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// RefKind says what a [Ref] reads.
type RefKind int

// Reference kinds.
const (
	RefInput   RefKind = iota + 1 // inputs.NAME
	RefVar                        // vars.NAME
	RefRelease                    // release.FIELD
	RefOutput                     // phases.P.activities.A.outputs.O
	RefRoot                       // ROOT or ROOT.FIELD, a root declared in Env.Roots
	RefFunc                       // NAME(...), a host function declared in Env.Funcs
)

func (k RefKind) String() string {
	switch k {
	case RefInput:
		return "input"
	case RefVar:
		return "var"
	case RefRelease:
		return "release"
	case RefOutput:
		return "output"
	case RefRoot:
		return "root"
	case RefFunc:
		return "func"
	}
	return "RefKind(" + strconv.Itoa(int(k)) + ")"
}

// Ref is one reference an expression makes, in source order.
type Ref struct {
	Kind            RefKind
	Name            string // input, variable, release field or output name; ROOT or ROOT.FIELD for RefRoot
	Phase, Activity string // set for RefOutput
	Offset          int    // byte offset of the reference in the source string
}

// Env declares what expressions may read. Names not declared are compile
// errors. A nil *Env declares nothing (only release fields may be read).
type Env struct {
	Inputs  []string                       // declared input names
	Vars    []string                       // declared variable names
	Outputs map[string]map[string][]string // phase -> activity -> declared output names
	// Roots declares further top-level names, for hosts of expressions
	// other than process documents (a release group's name template reads
	// `group.name`). A root mapped to a list of fields must be followed by
	// one of them (`group.name`); a root mapped to nil is a value read whole
	// (`sequence`). Their values come from Scope.Roots.
	// A root named like a built-in one (release) replaces it.
	Roots map[string][]string
	// Funcs declares host functions expressions may call, by name, with
	// the number of arguments each takes (a negative count: any number).
	// A call with another count is a compile error. Their implementations
	// come from Scope.Funcs; a name here shadows a builtin of that name.
	Funcs map[string]int
	// InputKinds, when set, gives the declared kind of inputs by name, so
	// CompileCondition can refuse a condition that is statically not
	// boolean (`inputs.n + 1` with an integer input). An input missing
	// here is of unknown kind.
	InputKinds map[string]Kind

	// names, when Index has run, holds every declared name keyed by
	// declaredKey, so a check costs the same however many there are.
	names map[string]struct{}
}

// Index prepares e for compiling many expressions: checking that a name is
// declared then takes constant time instead of time in the number of
// declared inputs, variables or outputs. Call it once e is filled in and
// before it is shared; e must not change afterwards.
func (e *Env) Index() {
	n := len(e.Inputs) + len(e.Vars)
	for _, acts := range e.Outputs {
		for _, outs := range acts {
			n += len(outs)
		}
	}
	e.names = make(map[string]struct{}, n)
	for _, s := range e.Inputs {
		e.names[declaredKey("inputs", "", "", s)] = struct{}{}
	}
	for _, s := range e.Vars {
		e.names[declaredKey("vars", "", "", s)] = struct{}{}
	}
	for phase, acts := range e.Outputs {
		for act, outs := range acts {
			for _, s := range outs {
				e.names[declaredKey("outputs", phase, act, s)] = struct{}{}
			}
		}
	}
}

func declaredKey(kind, phase, act, name string) string {
	return kind + "\x00" + phase + "\x00" + act + "\x00" + name
}

// declares reports whether list, the declared names of one kind (inputs,
// vars or the outputs of phase.act), holds name.
func (e *Env) declares(list []string, kind, phase, act, name string) bool {
	if e.names != nil {
		_, ok := e.names[declaredKey(kind, phase, act, name)]
		return ok
	}
	return slices.Contains(list, name)
}

// releaseFields are the fields `release.FIELD` may read.
var releaseFields = []string{"id", "name", "version", "group", "scheduled-for"}

// ReleaseFields returns the fields `release.FIELD` may read: id, name,
// version, group and scheduled-for.
func ReleaseFields() []string { return slices.Clone(releaseFields) }

// Builtins returns the expr-lang builtins expressions may call.
func Builtins() []string { return slices.Clone(functions) }

// functions are the builtins expressions may call. Everything else is
// disabled: reduce (its accumulator doubles a string per step), repeat and
// replace (output far larger than input), sortBy and groupBy, the clock and
// time zone readers (now, date, duration, timezone: this package is pure and
// deterministic), get (dynamic reads around the declared names), and the
// encoding and bitwise helpers nobody needs in a release document.
var functions = []string{
	"all", "any", "none", "one", "filter", "map", "count", "find", "findIndex",
	"findLast", "findLastIndex", "sum",
	"len", "type", "abs", "ceil", "floor", "round", "int", "float", "string",
	"trim", "trimPrefix", "trimSuffix", "upper", "lower", "split", "join",
	"indexOf", "lastIndexOf", "hasPrefix", "hasSuffix",
	"max", "min", "mean", "median", "toJSON", "fromJSON",
	"first", "last", "take", "keys", "values", "reverse", "uniq", "concat", "flatten",
}

var keywords = []string{
	"true", "false", "nil", "in", "not", "and", "or",
	"matches", "contains", "startsWith", "endsWith", "if", "else",
}

// Names of the internals the rewritten program uses. Users cannot reach
// them: the front end rejects every root identifier it does not know.
const (
	rtName   = "__baton_rt"
	rootName = "__baton_roots"
	hostName = "__baton_host"
	outName  = "__baton_out"
	stepName = "__baton_step"
)

type replacement struct {
	start, end int // byte range in the source
	text       string
}

// segment maps a run of the rewritten program back to the source.
type segment struct {
	rw, src, n int
	verbatim   bool
}

// program is one rewritten expression.
type program struct {
	code  string
	start int // source offset of the expression
	segs  []segment
	// outs are the outputs the program reads; the rewritten code names them
	// by index (__baton_out(__baton_rt, 0)), so expressions of the same
	// shape share one compiled program whatever activities they read.
	outs []outRef
}

// outRef is one output an expression reads.
type outRef struct{ phase, activity, name string }

// origin maps a byte offset of the rewritten program to a source offset.
func (p *program) origin(rw int) int {
	for i := len(p.segs) - 1; i >= 0; i-- {
		s := p.segs[i]
		if rw >= s.rw {
			if s.verbatim {
				return s.src + min(rw-s.rw, s.n)
			}
			return s.src
		}
	}
	return p.start
}

type rewriter struct {
	outs []outRef
	src  string
	env  *Env
	toks []token
	reps []replacement
	refs []Ref
}

// rewrite resolves the references of one tokenized expression spanning
// src[start:end] and returns the expr-lang program for it.
func rewrite(src string, start, end int, toks []token, env *Env, refs *[]Ref) (*program, *Error) {
	if env == nil {
		env = &Env{}
	}
	r := &rewriter{src: src, env: env, toks: toks, refs: *refs}
	if err := r.run(); err != nil {
		return nil, err
	}
	*refs = r.refs
	return r.emit(start, end), nil
}

func (r *rewriter) run() *Error {
	var brackets []byte
	for i := 0; i < len(r.toks); i++ {
		t := r.toks[i]
		var prev token
		if i > 0 {
			prev = r.toks[i-1]
		}
		switch t.kind {
		case tkPunct:
			switch t.text {
			case "(", "[", "{":
				brackets = append(brackets, t.text[0])
			case ")", "]", "}":
				if len(brackets) > 0 {
					brackets = brackets[:len(brackets)-1]
				}
			}
		case tkName:
			if r.next(i).is("(") {
				return errAt(r.src, t.start, ErrUndeclared, "method call %q is not allowed", t.text)
			}
			if !plainMember(t.text) {
				dot := prev // "." or "?."
				text := `[` + strconv.Quote(t.text) + `]`
				switch {
				case dot.is("?."):
					text = "?." + text
				case i < 2 || !r.toks[i-2].operand():
					text = "#" + text // predicate shorthand .field
				}
				r.reps = append(r.reps, replacement{dot.start, t.end, text})
			}
		case tkIdent:
			mapKey := len(brackets) > 0 && brackets[len(brackets)-1] == '{' &&
				(prev.is("{") || prev.is(",")) && r.next(i).is(":")
			if mapKey {
				if !plainMember(t.text) {
					r.reps = append(r.reps, replacement{t.start, t.end, strconv.Quote(t.text)})
				}
				continue
			}
			n, err := r.root(i)
			if err != nil {
				return err
			}
			i = n
		}
	}
	return nil
}

func (r *rewriter) next(i int) token {
	if i+1 < len(r.toks) {
		return r.toks[i+1]
	}
	return token{kind: tkPunct, start: len(r.src)}
}

// plainMember reports whether expr-lang accepts name after a dot as is.
func plainMember(name string) bool {
	return name != "" && !strings.Contains(name, "-") && !('0' <= name[0] && name[0] <= '9')
}

// root handles the identifier at toks[i] and returns the index of the last
// token it consumed.
func (r *rewriter) root(i int) (int, *Error) {
	t := r.toks[i]
	if fields, ok := r.env.Roots[t.text]; ok && t.text == "release" {
		return r.declaredRoot(i, fields)
	}
	if n, ok := r.env.Funcs[t.text]; ok && r.next(i).is("(") {
		return r.hostCall(i, n)
	}
	switch t.text {
	case "inputs", "vars", "release":
		name, n, err := r.segment(i, t.text)
		if err != nil {
			return 0, err
		}
		ref := Ref{Name: name, Offset: t.start}
		switch t.text {
		case "inputs":
			ref.Kind = RefInput
			if has := func(s string) bool { return r.env.declares(r.env.Inputs, "inputs", "", "", s) }; !has(name) {
				return 0, errAt(r.src, t.start, ErrUndeclared, "undeclared input %q%s", name, hyphenHint(name, has))
			}
		case "vars":
			ref.Kind = RefVar
			if has := func(s string) bool { return r.env.declares(r.env.Vars, "vars", "", "", s) }; !has(name) {
				return 0, errAt(r.src, t.start, ErrUndeclared, "undeclared variable %q%s", name, hyphenHint(name, has))
			}
		case "release":
			ref.Kind = RefRelease
			if !slices.Contains(releaseFields, name) {
				return 0, errAt(r.src, t.start, ErrUndeclared,
					"unknown release field %q (want id, name, version, group or scheduled-for)%s", name, hyphenHint(name, func(s string) bool { return slices.Contains(releaseFields, s) }))
			}
		}
		r.refs = append(r.refs, ref)
		r.reps = append(r.reps, replacement{t.start, r.toks[n].end, t.text + "[" + strconv.Quote(name) + "]"})
		return n, nil
	case "phases":
		return r.output(i)
	case "let":
		return 0, errAt(r.src, t.start, ErrUndeclared, "let is not allowed in expressions")
	}
	if fields, ok := r.env.Roots[t.text]; ok {
		return r.declaredRoot(i, fields)
	}
	if slices.Contains(keywords, t.text) {
		return i, nil
	}
	if r.next(i).is("(") {
		if slices.Contains(functions, t.text) {
			return i, nil
		}
		return 0, errAt(r.src, t.start, ErrUndeclared, "unknown function %q", t.text)
	}
	return 0, errAt(r.src, t.start, ErrUndeclared,
		"unknown name %q (expressions may read %s)%s", t.text, r.rootList(), hyphenHint(t.text, func(string) bool { return false }))
}

// rootList names the roots an expression may read, for error messages.
func (r *rewriter) rootList() string {
	if len(r.env.Roots) == 0 {
		return "inputs, vars, release and phases"
	}
	return "inputs, vars, release, phases, " + strings.Join(slices.Sorted(maps.Keys(r.env.Roots)), ", ")
}

// declaredRoot handles a root declared in Env.Roots at toks[i]: ROOT when
// fields is nil, else ROOT.FIELD with FIELD one of fields.
func (r *rewriter) declaredRoot(i int, fields []string) (int, *Error) {
	t := r.toks[i]
	ref := Ref{Kind: RefRoot, Name: t.text, Offset: t.start}
	n := i
	code := rootName + "[" + strconv.Quote(t.text) + "]"
	if fields != nil {
		name, m, err := r.segment(i, t.text)
		if err != nil {
			return 0, err
		}
		if !slices.Contains(fields, name) {
			return 0, errAt(r.src, t.start, ErrUndeclared, "unknown %s field %q (want %s)%s",
				t.text, name, strings.Join(fields, ", "), hyphenHint(name, func(s string) bool { return slices.Contains(fields, s) }))
		}
		ref.Name += "." + name
		code += "[" + strconv.Quote(name) + "]"
		n = m
	}
	r.refs = append(r.refs, ref)
	r.reps = append(r.reps, replacement{t.start, r.toks[n].end, code})
	return n, nil
}

// hostCall handles a call of the host function at toks[i], declared with
// want arguments (negative: any number): NAME(a, b) becomes
// __baton_host(__baton_rt, "NAME", a, b). It returns toks[i+1], the
// opening parenthesis, which it consumed.
func (r *rewriter) hostCall(i, want int) (int, *Error) {
	t := r.toks[i]
	depth, args, empty := 0, 0, true
	closed := false
	for j := i + 1; j < len(r.toks) && !closed; j++ {
		switch tj := r.toks[j]; {
		case tj.is("(") || tj.is("[") || tj.is("{"):
			depth++
		case tj.is(")") || tj.is("]") || tj.is("}"):
			depth--
			closed = depth == 0
		case tj.is(",") && depth == 1:
			args++
		}
		if j > i+1 && !closed {
			empty = false
		}
	}
	if !closed {
		return 0, errAt(r.src, t.start, ErrSyntax, "call of %s is not closed", t.text)
	}
	if !empty {
		args++
	}
	if want >= 0 && args != want {
		return 0, errAt(r.src, t.start, ErrSyntax, "%s takes %d arguments, got %d", t.text, want, args)
	}
	code := hostName + "(" + rtName + ", " + strconv.Quote(t.text)
	if !empty {
		code += ", "
	}
	r.refs = append(r.refs, Ref{Kind: RefFunc, Name: t.text, Offset: t.start})
	r.reps = append(r.reps, replacement{t.start, r.toks[i+1].end, code})
	return i + 1, nil
}

// hyphenHint explains "inputs.a-inputs.b" (read as the input "a-inputs"):
// it is given when a hyphen splits name into a declared name or a root.
func hyphenHint(name string, declared func(string) bool) string {
	if len(name) > 1024 {
		return "" // no typo of a subtraction, and a check per hyphen would cost its square
	}
	for i := 0; i < len(name); i++ {
		if name[i] != '-' {
			continue
		}
		before, after := name[:i], name[i+1:]
		if declared(before) || declared(after) ||
			slices.Contains([]string{"inputs", "vars", "release", "phases"}, after) {
			return "; a subtraction needs spaces around '-'"
		}
	}
	return ""
}

// segment reads ".name" or `["name"]` after toks[i]; what names the thing
// being indexed for the error message.
func (r *rewriter) segment(i int, what string) (string, int, *Error) {
	t := r.next(i)
	switch {
	case t.is(".") && i+2 < len(r.toks) && r.toks[i+2].kind == tkName:
		return r.toks[i+2].text, i + 2, nil
	case t.is("[") && i+2 < len(r.toks):
		if s, ok := stringValue(r.toks[i+2]); ok && i+3 < len(r.toks) && r.toks[i+3].is("]") {
			return s, i + 3, nil
		}
		return "", 0, errAt(r.src, r.toks[i+2].start, ErrSyntax, "%s[...] needs a constant string name", what)
	}
	return "", 0, errAt(r.src, r.after(i), ErrSyntax, "expected .NAME after %s", what)
}

// after is the offset where the token following toks[i] starts, or the end
// of toks[i] when it is the last one.
func (r *rewriter) after(i int) int {
	if i+1 < len(r.toks) {
		return r.toks[i+1].start
	}
	return r.toks[i].end
}

// keyword reads the fixed segment kw (".activities", ".outputs") after toks[i].
func (r *rewriter) keyword(i int, kw, what string) (int, *Error) {
	name, n, err := r.segment(i, what)
	if err != nil || name != kw {
		return 0, errAt(r.src, r.after(i), ErrSyntax, "expected .%s after %s", kw, what)
	}
	return n, nil
}

// output handles phases.P.activities.A.outputs.O at toks[i].
func (r *rewriter) output(i int) (int, *Error) {
	t := r.toks[i]
	phase, n, err := r.segment(i, "phases")
	if err != nil {
		return 0, err
	}
	n, err = r.keyword(n, "activities", "phases."+phase)
	if err != nil {
		return 0, err
	}
	act, n, err := r.segment(n, "phases."+phase+".activities")
	if err != nil {
		return 0, err
	}
	path := "phases." + phase + ".activities." + act
	n, err = r.keyword(n, "outputs", path)
	if err != nil {
		return 0, err
	}
	name, n, err := r.segment(n, path+".outputs")
	if err != nil {
		return 0, err
	}
	acts, ok := r.env.Outputs[phase]
	if !ok {
		return 0, errAt(r.src, t.start, ErrUndeclared, "unknown phase %q", phase)
	}
	outs, ok := acts[act]
	if !ok {
		return 0, errAt(r.src, t.start, ErrUndeclared, "phase %q has no activity %q", phase, act)
	}
	if has := func(s string) bool { return r.env.declares(outs, "outputs", phase, act, s) }; !has(name) {
		return 0, errAt(r.src, t.start, ErrUndeclared, "activity %s.%s declares no output %q%s", phase, act, name, hyphenHint(name, has))
	}
	r.refs = append(r.refs, Ref{Kind: RefOutput, Name: name, Phase: phase, Activity: act, Offset: t.start})
	r.outs = append(r.outs, outRef{phase, act, name})
	code := outName + "(" + rtName + ", " + strconv.Itoa(len(r.outs)-1) + ")"
	r.reps = append(r.reps, replacement{t.start, r.toks[n].end, code})
	return n, nil
}

func (r *rewriter) emit(start, end int) *program {
	p := &program{start: start}
	var b strings.Builder
	b.Grow(end - start + 32*len(r.reps))
	at := start
	verbatim := func(to int) {
		if to > at {
			p.segs = append(p.segs, segment{rw: b.Len(), src: at, n: to - at, verbatim: true})
			b.WriteString(r.src[at:to])
		}
	}
	for _, rep := range r.reps {
		verbatim(rep.start)
		p.segs = append(p.segs, segment{rw: b.Len(), src: rep.start})
		b.WriteString(rep.text)
		at = rep.end
	}
	verbatim(end)
	p.code = b.String()
	p.outs = r.outs
	return p
}
