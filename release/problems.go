package release

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/batonhq/baton/process"
)

// problems collects what a Validate finds, in field order.
type problems []process.Problem

// add notes a problem of the field at path.
func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, process.Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// text checks a text field: present when required, at most limit bytes,
// and free of control characters (but for newlines and tabs when
// multiline).
func (ps *problems) text(path, v string, limit int, required, multiline bool) {
	switch {
	case v == "" && required:
		ps.add(path, "required")
	case len(v) > limit:
		ps.add(path, "longer than %d bytes", limit)
	case strings.ContainsFunc(v, func(r rune) bool { return (r < ' ' && !(multiline && (r == '\n' || r == '\t'))) || r == 0x7f }):
		ps.add(path, "must not contain control characters")
	}
}

// problemsText is the message of the validation error of the what named
// id: "release: invalid WHAT "ID": problem; problem".
func problemsText(what, id string, ps []process.Problem) string {
	var b strings.Builder
	b.WriteString("release: invalid " + what)
	if id != "" {
		b.WriteString(" " + strconv.Quote(id))
	}
	for i, p := range ps {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}
