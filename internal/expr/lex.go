package expr

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tkIdent   tokKind = iota // a name in root position: inputs, len, true, a-b
	tkName                   // a member name right after "." or "?.": may start with a digit
	tkPointer                // #, #index, #acc
	tkString                 // "...", '...', `...` (verbatim, quotes included)
	tkNumber                 // 1, 1.5, 1e-3, 0x1F, 1_000
	tkPunct                  // operators and brackets
)

// token is a lexeme of one expression; start and end are byte offsets into
// the whole source string.
type token struct {
	kind       tokKind
	start, end int
	text       string
}

func (t token) is(s string) bool { return t.kind == tkPunct && t.text == s }

// operand reports whether t ends an operand, so a following "." is a member
// access rather than the predicate shorthand ".field".
func (t token) operand() bool {
	switch t.kind {
	case tkIdent, tkName, tkPointer, tkString, tkNumber:
		return true
	}
	return t.text == ")" || t.text == "]" || t.text == "}"
}

func isNameStart(r rune) bool {
	return r == '_' || r == '$' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') ||
		(r >= utf8.RuneSelf && unicode.IsLetter(r))
}

func isNameChar(r rune) bool {
	return isNameStart(r) || ('0' <= r && r <= '9') || (r >= utf8.RuneSelf && unicode.IsDigit(r))
}

// isHyphenNext: a hyphen at src[i] joins a name when the next byte is an
// ASCII name character (ids are [a-z0-9][a-z0-9_-]*).
func isHyphenJoin(src string, i int) bool {
	if i+1 >= len(src) || src[i] != '-' {
		return false
	}
	c := src[i+1]
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// scanName returns the end of the name starting at i (which the caller has
// checked may start a name), joining hyphens when join is set.
func scanName(src string, i int, join bool) int {
	for i < len(src) {
		r, w := utf8.DecodeRuneInString(src[i:])
		if isNameChar(r) {
			i += w
			continue
		}
		if join && isHyphenJoin(src, i) {
			i++
			continue
		}
		break
	}
	return i
}

var twoCharOps = [...]string{"?.", "..", "??", "==", "!=", "<=", ">=", "&&", "||", "**"}

// lexExpr tokenizes one expression starting at pos. In a template (closing
// set) it stops at the first "}}" outside string literals and outside open
// braces and returns the offset of that "}}"; otherwise it runs to the end of
// src. open is the offset reported when the expression is unterminated.
func lexExpr(src string, pos int, closing bool, open int) ([]token, int, *Error) {
	toks := make([]token, 0, 16)
	depth := 0
	i := pos
	for {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
			i++
		}
		if i >= len(src) {
			if closing {
				return nil, 0, errAt(src, open, ErrSyntax, "unterminated ${{: missing }}")
			}
			return toks, i, nil
		}
		if closing && depth == 0 && strings.HasPrefix(src[i:], "}}") {
			return toks, i, nil
		}
		start := i
		c := src[i]
		var prev token
		hasPrev := len(toks) > 0
		if hasPrev {
			prev = toks[len(toks)-1]
		}
		member := hasPrev && (prev.is(".") || prev.is("?."))
		r, w := utf8.DecodeRuneInString(src[i:])
		switch {
		case member && isNameChar(r):
			i = scanName(src, i, true)
			toks = append(toks, token{kind: tkName, start: start, end: i, text: src[start:i]})
		case isNameStart(r):
			i = scanName(src, i, true)
			toks = append(toks, token{kind: tkIdent, start: start, end: i, text: src[start:i]})
		case c == '#':
			i++
			if i < len(src) {
				if r2, _ := utf8.DecodeRuneInString(src[i:]); isNameStart(r2) {
					i = scanName(src, i, false)
				}
			}
			toks = append(toks, token{kind: tkPointer, start: start, end: i, text: src[start:i]})
		case '0' <= c && c <= '9':
			i = scanNumber(src, i)
			toks = append(toks, token{kind: tkNumber, start: start, end: i, text: src[start:i]})
		case c == '"' || c == '\'' || c == '`':
			end, ok := scanString(src, i)
			if !ok {
				return nil, 0, errAt(src, start, ErrSyntax, "unterminated string literal")
			}
			i = end
			toks = append(toks, token{kind: tkString, start: start, end: i, text: src[start:i]})
		case c == '/' && i+1 < len(src) && (src[i+1] == '/' || src[i+1] == '*'):
			return nil, 0, errAt(src, start, ErrSyntax, "comments are not allowed in expressions")
		default:
			n := w
			for _, op := range twoCharOps {
				if strings.HasPrefix(src[i:], op) {
					n = 2
					break
				}
			}
			if n == 2 && src[i:i+2] == "?." && i+2 < len(src) && '0' <= src[i+2] && src[i+2] <= '9' {
				n = 1 // "a ?.5 : b" is a ternary, not optional chaining
			}
			switch c {
			case '{':
				depth++
			case '}':
				if depth > 0 {
					depth--
				}
			}
			i += n
			toks = append(toks, token{kind: tkPunct, start: start, end: i, text: src[start:i]})
		}
	}
}

func scanNumber(src string, i int) int {
	start := i
	hex := strings.HasPrefix(src[i:], "0x") || strings.HasPrefix(src[i:], "0X")
	for i < len(src) {
		c := src[i]
		switch {
		case c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z'):
			i++
		case c == '.' && i+1 < len(src) && '0' <= src[i+1] && src[i+1] <= '9':
			i++
		case (c == '+' || c == '-') && !hex && i > start && (src[i-1] == 'e' || src[i-1] == 'E') &&
			i+1 < len(src) && '0' <= src[i+1] && src[i+1] <= '9':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString returns the offset just past the string literal starting at i.
func scanString(src string, i int) (int, bool) {
	q := src[i]
	i++
	for i < len(src) {
		switch src[i] {
		case q:
			return i + 1, true
		case '\\':
			if q != '`' {
				i++
			}
		}
		i++
	}
	return 0, false
}

// stringValue returns the content of a plain string literal token (no
// escapes), as used for constant names in inputs["name"].
func stringValue(t token) (string, bool) {
	if t.kind != tkString || len(t.text) < 2 {
		return "", false
	}
	s := t.text[1 : len(t.text)-1]
	if t.text[0] != '`' && strings.IndexByte(s, '\\') >= 0 {
		return "", false
	}
	return s, true
}
