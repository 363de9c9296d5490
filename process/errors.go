package process

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every *ValidationError.
var ErrInvalid = errors.New("process: invalid process")

// ErrTooLarge is returned when a document exceeds the parser's size limit.
var ErrTooLarge = errors.New("process: document too large")

// Problem is one thing wrong with a process document.
type Problem struct {
	// Path locates the value, e.g. "phases[2].activities[0].depends-on[1]".
	// It is empty for the document as a whole.
	Path string
	// Line and Column locate the value in the YAML or JSON source (1-based);
	// both are 0 for a process built in code.
	Line, Column int
	// Msg says what is wrong and what was expected.
	Msg string
	// Err is a typed cause, such as a *CycleError, when there is one.
	Err error
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(p.Path)
	}
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "(line %d, column %d)", p.Line, p.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ValidationError lists every problem found in a process, in document order.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "process: invalid process"
	case 1:
		return "process: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "process: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the typed causes of the problems (such as a *CycleError),
// so errors.As finds them.
func (e *ValidationError) Unwrap() []error {
	var errs []error
	for _, p := range e.Problems {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return errs
}

// CycleError reports a dependency cycle among activities. Path names the
// activities as "phase.activity", first and last the same:
// build.compile -> qa.signoff -> build.compile.
type CycleError struct {
	Path []string
}

func (e *CycleError) Error() string {
	return "process: dependency cycle " + strings.Join(e.Path, " -> ")
}
