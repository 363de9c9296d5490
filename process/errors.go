package process

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is matched (errors.Is) by every *ValidationError.
var ErrInvalid = errors.New("process: invalid process")

// ErrTooLarge is returned when a document exceeds the parser's size limit
// (MaxBytes). A document of more expressions than MaxExpressions is refused
// with a *ValidationError that matches it too.
var ErrTooLarge = errors.New("process: document too large")

// Problem is one thing wrong with a process document.
type Problem struct {
	// Path locates the value by position, e.g.
	// "phases[2].activities[0].depends-on[1]", for tools that map it into
	// the document. It is empty for the document as a whole.
	Path string
	// IDPath is the same location named by the ids it is under, as the
	// error text shows it: "phases.build.activities.compile.depends-on[1]".
	// A phase, activity or task whose id is missing, not valid or not
	// unique keeps its position ("phases[2]"). Empty when Path is.
	IDPath string
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
	switch {
	case p.IDPath != "":
		b.WriteString(p.IDPath)
	case p.Path != "":
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

// MaxListedProblems is how many problems a *ValidationError from this
// package lists: a hostile document can hold millions of problems, and the
// first ones in document order are the ones worth reading.
const MaxListedProblems = 100

// maxProblemText bounds a problem's path and message, which echo what the
// document says (an id of a megabyte is reported, not repeated).
const maxProblemText = 512

// ValidationError lists the problems found in a process, in document order:
// at most MaxListedProblems of them when this package made it, with
// Omitted counting the rest.
type ValidationError struct {
	Problems []Problem
	// Omitted counts the problems found beyond those in Problems. Past
	// 10,000 problems the count may include some that follow from others
	// (a value of the wrong type that is also out of range).
	Omitted int
	// causes are the typed causes of the omitted problems, so errors.As
	// still finds a *CycleError that was not listed.
	causes []error
}

// maxRecorded is how many problems a decoder or checker records in full;
// past it they are only counted, so a document of a million problems costs
// no million messages.
const maxRecorded = 10_000

// problemList collects problems, recording at most maxRecorded of them.
type problemList struct {
	problems []Problem
	dropped  int // problems found but not recorded
}

// room reports whether another problem will be recorded; past maxRecorded
// it counts the problem instead.
func (l *problemList) room() bool {
	if len(l.problems) < maxRecorded {
		return true
	}
	l.dropped++
	return false
}

// add records p if there is room, and always when it has a typed cause
// (a cycle, a limit): there is at most one of each.
func (l *problemList) add(p Problem) {
	if p.Err != nil || l.room() {
		l.problems = append(l.problems, p)
	}
}

// newValidationError keeps the first MaxListedProblems of problems (already
// in document order) and counts the rest, and dropped more found but not
// recorded.
func newValidationError(problems []Problem, dropped int) *ValidationError {
	e := &ValidationError{Omitted: dropped}
	if len(problems) > MaxListedProblems {
		e.Omitted += len(problems) - MaxListedProblems
		for _, p := range problems[MaxListedProblems:] {
			if p.Err != nil && len(e.causes) < MaxListedProblems {
				e.causes = append(e.causes, p.Err)
			}
		}
		problems = problems[:MaxListedProblems]
	}
	// A copy, so the long list and its strings can be freed.
	e.Problems = make([]Problem, len(problems))
	for i, p := range problems {
		p.Path, p.Msg = clipText(p.Path), clipText(p.Msg)
		e.Problems[i] = p
	}
	return e
}

// clipText shortens s to about maxProblemText bytes, never inside a UTF-8
// sequence.
func clipText(s string) string {
	if len(s) <= maxProblemText {
		return s
	}
	cut := maxProblemText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func (e *ValidationError) Error() string {
	total := len(e.Problems) + e.Omitted
	switch {
	case total == 0:
		return "process: invalid process"
	case total == 1:
		return "process: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "process: %d problems:", total)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&b, "\n  and %d more problems", e.Omitted)
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
	return append(errs, e.causes...)
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
