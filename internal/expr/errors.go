package expr

import (
	"errors"
	"fmt"
)

// Sentinel errors classify an [*Error]; test them with errors.Is.
var (
	// ErrSyntax: the source is malformed (unterminated `${{` or string,
	// bad reference shape, expr-lang parse or type error).
	ErrSyntax = errors.New("expr: syntax error")
	// ErrUndeclared: the expression reads a name its Env does not declare
	// (unknown root, input, variable, release field, phase, activity,
	// output or function).
	ErrUndeclared = errors.New("expr: undeclared name")
	// ErrType: a condition is not boolean (at compile time when expr-lang
	// can tell, otherwise at evaluation).
	ErrType = errors.New("expr: type error")
	// ErrLimit: a safety limit was hit (source length, AST size, iteration
	// count, memory budget, result size).
	ErrLimit = errors.New("expr: limit exceeded")
	// ErrMissingOutput: evaluation read an activity output that is not in
	// the Scope (not produced, or not produced yet).
	ErrMissingOutput = errors.New("expr: output not available")
	// ErrEval: any other evaluation failure (bad operand types, index out
	// of range, a recovered panic inside expr-lang).
	ErrEval = errors.New("expr: evaluation failed")
)

// Error is the typed compile or evaluation error: the source, the byte
// offset in it where the problem is, and what was expected. Err is one of the
// sentinel errors above.
type Error struct {
	Source string // the whole source given to CompileTemplate/CompileCondition
	Offset int    // byte offset into Source
	Msg    string // what went wrong / what was expected
	Err    error  // sentinel kind (ErrSyntax, ErrUndeclared, ...)
}

func (e *Error) Error() string {
	return fmt.Sprintf("expr: %s (offset %d in %s)", e.Msg, e.Offset, excerpt(e.Source, e.Offset))
}

// Unwrap returns the sentinel kind so errors.Is(err, ErrUndeclared) works.
func (e *Error) Unwrap() error { return e.Err }

// excerpt quotes src, or a window of it around off when it is long.
func excerpt(src string, off int) string {
	const window = 40
	if len(src) <= 2*window+8 {
		return fmt.Sprintf("%q", src)
	}
	from, to := max(off-window, 0), min(off+window, len(src))
	for from > 0 && from < len(src) && src[from]&0xC0 == 0x80 {
		from--
	}
	for to < len(src) && src[to]&0xC0 == 0x80 {
		to++
	}
	pre, post := "", ""
	if from > 0 {
		pre = "..."
	}
	if to < len(src) {
		post = "..."
	}
	return pre + fmt.Sprintf("%q", src[from:to]) + post
}

func errAt(src string, off int, kind error, format string, args ...any) *Error {
	return &Error{Source: src, Offset: off, Msg: fmt.Sprintf(format, args...), Err: kind}
}
