package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The canonical form of a payload, hashed by Seal and VerifyChain: the JSON
// value with insignificant space removed and the members of every object
// sorted by key (byte order of the decoded key); strings and numbers are
// kept exactly as written. Duplicate keys and invalid UTF-8 are errors. So a store that re-indents a payload or reorders
// its keys does not change the hash, while any change to a value does.
//
// canonicalJSON parses and rewrites in one pass, without building maps: it
// is on the path of every append.

const maxDepth = 1000

type canonicalizer struct {
	data  []byte
	i     int
	depth int
}

func (c *canonicalizer) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: "+format, append([]any{c.i}, args...)...)
}

func (c *canonicalizer) space() {
	for c.i < len(c.data) {
		switch c.data[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// canonicalJSON appends the canonical form of the single JSON value in data
// to dst.
func canonicalJSON(dst, data []byte) ([]byte, error) {
	c := canonicalizer{data: data}
	c.space()
	out, err := c.value(dst)
	if err != nil {
		return nil, err
	}
	c.space()
	if c.i != len(c.data) {
		return nil, c.errorf("data after the JSON value")
	}
	return out, nil
}

func (c *canonicalizer) value(dst []byte) ([]byte, error) {
	if c.i >= len(c.data) {
		return nil, c.errorf("unexpected end of JSON")
	}
	switch b := c.data[c.i]; {
	case b == '{':
		return c.object(dst)
	case b == '[':
		return c.array(dst)
	case b == '"':
		s, err := c.str()
		if err != nil {
			return nil, err
		}
		return append(dst, s...), nil
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number(dst)
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(c.data[c.i:], []byte(lit)) {
				c.i += len(lit)
				return append(dst, lit...), nil
			}
		}
		return nil, c.errorf("invalid character %q", b)
	}
}

type member struct {
	key   string // decoded
	raw   []byte // the key as written, quotes included
	value []byte // canonical
}

func (c *canonicalizer) object(dst []byte) ([]byte, error) {
	if c.depth++; c.depth > maxDepth {
		return nil, c.errorf("nested deeper than %d", maxDepth)
	}
	defer func() { c.depth-- }()
	c.i++ // {
	var members []member
	c.space()
	if c.i < len(c.data) && c.data[c.i] == '}' {
		c.i++
		return append(dst, '{', '}'), nil
	}
	for {
		c.space()
		if c.i >= len(c.data) || c.data[c.i] != '"' {
			return nil, c.errorf("want an object key")
		}
		raw, err := c.str()
		if err != nil {
			return nil, err
		}
		key := string(raw[1 : len(raw)-1])
		if bytes.IndexByte(raw, '\\') >= 0 {
			if err := json.Unmarshal(raw, &key); err != nil {
				return nil, c.errorf("object key: %v", err)
			}
		}
		c.space()
		if c.i >= len(c.data) || c.data[c.i] != ':' {
			return nil, c.errorf("want ':' after an object key")
		}
		c.i++
		c.space()
		v, err := c.value(nil)
		if err != nil {
			return nil, err
		}
		members = append(members, member{key: key, raw: raw, value: v})
		c.space()
		if c.i >= len(c.data) {
			return nil, c.errorf("unexpected end of JSON in an object")
		}
		if c.data[c.i] == ',' {
			c.i++
			continue
		}
		if c.data[c.i] != '}' {
			return nil, c.errorf("want ',' or '}' in an object")
		}
		c.i++
		break
	}
	slices.SortStableFunc(members, func(a, b member) int {
		if a.key < b.key {
			return -1
		}
		if a.key > b.key {
			return 1
		}
		return bytes.Compare(a.raw, b.raw)
	})
	dst = append(dst, '{')
	for j, m := range members {
		if j > 0 {
			if m.key == members[j-1].key {
				return nil, c.errorf("duplicate object key %q", m.key)
			}
			dst = append(dst, ',')
		}
		dst = append(dst, m.raw...)
		dst = append(dst, ':')
		dst = append(dst, m.value...)
	}
	return append(dst, '}'), nil
}

func (c *canonicalizer) array(dst []byte) ([]byte, error) {
	if c.depth++; c.depth > maxDepth {
		return nil, c.errorf("nested deeper than %d", maxDepth)
	}
	defer func() { c.depth-- }()
	c.i++ // [
	dst = append(dst, '[')
	c.space()
	if c.i < len(c.data) && c.data[c.i] == ']' {
		c.i++
		return append(dst, ']'), nil
	}
	for n := 0; ; n++ {
		if n > 0 {
			dst = append(dst, ',')
		}
		c.space()
		var err error
		if dst, err = c.value(dst); err != nil {
			return nil, err
		}
		c.space()
		if c.i >= len(c.data) {
			return nil, c.errorf("unexpected end of JSON in an array")
		}
		if c.data[c.i] == ',' {
			c.i++
			continue
		}
		if c.data[c.i] != ']' {
			return nil, c.errorf("want ',' or ']' in an array")
		}
		c.i++
		return append(dst, ']'), nil
	}
}

// str checks the string at c.i and returns it as written, quotes included.
func (c *canonicalizer) str() ([]byte, error) {
	start := c.i
	c.i++ // "
	for c.i < len(c.data) {
		b := c.data[c.i]
		switch {
		case b == '"':
			c.i++
			return c.data[start:c.i], nil
		case b == '\\':
			if c.i+1 >= len(c.data) {
				return nil, c.errorf("unexpected end of JSON in a string")
			}
			switch c.data[c.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				c.i += 2
			case 'u':
				if c.i+6 > len(c.data) {
					return nil, c.errorf("short \\u escape")
				}
				if _, err := strconv.ParseUint(string(c.data[c.i+2:c.i+6]), 16, 16); err != nil {
					return nil, c.errorf("bad \\u escape")
				}
				c.i += 6
			default:
				return nil, c.errorf("bad escape \\%c", c.data[c.i+1])
			}
		case b < 0x20:
			return nil, c.errorf("control character in a string")
		case b < utf8.RuneSelf:
			c.i++
		default:
			r, size := utf8.DecodeRune(c.data[c.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, c.errorf("invalid UTF-8 in a string")
			}
			c.i += size
		}
	}
	return nil, c.errorf("unexpected end of JSON in a string")
}

func (c *canonicalizer) number(dst []byte) ([]byte, error) {
	start := c.i
	if err := c.skipNumber(); err != nil {
		return nil, err
	}
	return append(dst, c.data[start:c.i]...), nil
}

// skipNumber moves past the number at c.i, or says it is malformed.
func (c *canonicalizer) skipNumber() error {
	if c.data[c.i] == '-' {
		c.i++
	}
	if c.i < len(c.data) && c.data[c.i] == '0' {
		c.i++
	} else if c.digits() == 0 {
		return c.errorf("bad number")
	}
	if c.i < len(c.data) && c.data[c.i] == '.' {
		c.i++
		if c.digits() == 0 {
			return c.errorf("bad number")
		}
	}
	if c.i < len(c.data) && (c.data[c.i] == 'e' || c.data[c.i] == 'E') {
		c.i++
		if c.i < len(c.data) && (c.data[c.i] == '+' || c.data[c.i] == '-') {
			c.i++
		}
		if c.digits() == 0 {
			return c.errorf("bad number")
		}
	}
	return nil
}

// digits moves past decimal digits and returns how many.
func (c *canonicalizer) digits() int {
	n := 0
	for c.i < len(c.data) && c.data[c.i] >= '0' && c.data[c.i] <= '9' {
		c.i++
		n++
	}
	return n
}

// canonicalPayload returns p in canonical form; an empty payload is {}. It
// must be a JSON object.
func canonicalPayload(p json.RawMessage) (json.RawMessage, error) {
	if len(p) == 0 {
		return json.RawMessage("{}"), nil
	}
	if isCanonical(p) {
		return p, nil
	}
	out, err := canonicalJSON(make([]byte, 0, len(p)), p)
	if err != nil {
		return nil, fmt.Errorf("payload: not JSON: %w", err)
	}
	if out[0] != '{' {
		return nil, errors.New("payload: want a JSON object")
	}
	return out, nil
}

// appendString appends s as a JSON string: '"' and '\' escaped, control
// characters as \u00XX, every other byte as is.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x20 && b != '"' && b != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		if b == '"' || b == '\\' {
			dst = append(dst, '\\', b)
		} else {
			dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendTime appends t in UTC as time.RFC3339Nano writes it, without
// going through the general formatter for years 0 to 9999.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	hour, minute, sec := t.Clock()
	var b [30]byte
	b[0], b[1], b[2], b[3] = byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10)
	b[4] = '-'
	b[5], b[6] = byte('0'+int(month)/10), byte('0'+int(month)%10)
	b[7] = '-'
	b[8], b[9] = byte('0'+day/10), byte('0'+day%10)
	b[10] = 'T'
	b[11], b[12] = byte('0'+hour/10), byte('0'+hour%10)
	b[13] = ':'
	b[14], b[15] = byte('0'+minute/10), byte('0'+minute%10)
	b[16] = ':'
	b[17], b[18] = byte('0'+sec/10), byte('0'+sec%10)
	n := 19
	if ns := t.Nanosecond(); ns != 0 {
		b[n] = '.'
		for i := 9; i >= 1; i-- {
			b[n+i] = byte('0' + ns%10)
			ns /= 10
		}
		n += 10
		for b[n-1] == '0' {
			n--
		}
	}
	b[n] = 'Z'
	return append(dst, b[:n+1]...)
}

// hashCanonical hashes e's envelope with its canonical payload (see Seal).
func hashCanonical(e Event, canonical json.RawMessage) (Hash, error) {
	return hashEvent(&e, canonical), nil
}

// isCanonical reports whether data is a JSON object already in canonical
// form: no insignificant space, the members of every object in strictly
// increasing key order, valid strings and numbers. It allocates nothing.
// A false answer only means "take the slow path": canonicalJSON then
// either rewrites data or says what is wrong with it. Keys with escapes
// are left to the slow path.
func isCanonical(data []byte) bool {
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	s := scanner{data: data}
	return s.value(0) && s.i == len(data)
}

type scanner struct {
	data []byte
	i    int
}

func (s *scanner) value(depth int) bool {
	if s.i >= len(s.data) || depth > maxDepth {
		return false
	}
	switch b := s.data[s.i]; {
	case b == '{':
		return s.object(depth + 1)
	case b == '[':
		s.i++
		if s.i < len(s.data) && s.data[s.i] == ']' {
			s.i++
			return true
		}
		for {
			if !s.value(depth + 1) {
				return false
			}
			if s.i >= len(s.data) {
				return false
			}
			switch s.data[s.i] {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	case b == '"':
		_, ok := s.str()
		return ok
	case b == '-' || (b >= '0' && b <= '9'):
		c := canonicalizer{data: s.data, i: s.i}
		if c.skipNumber() != nil {
			return false
		}
		s.i = c.i
		return true
	case b == 't':
		return s.lit("true")
	case b == 'f':
		return s.lit("false")
	case b == 'n':
		return s.lit("null")
	}
	return false
}

func (s *scanner) lit(l string) bool {
	if len(s.data)-s.i < len(l) || string(s.data[s.i:s.i+len(l)]) != l {
		return false
	}
	s.i += len(l)
	return true
}

func (s *scanner) object(depth int) bool {
	s.i++ // {
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return true
	}
	var prev []byte
	for {
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return false
		}
		key, ok := s.str()
		if !ok || bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		key = key[1 : len(key)-1]
		if prev != nil && bytes.Compare(prev, key) >= 0 {
			return false
		}
		prev = key
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return false
		}
		s.i++
		if !s.value(depth) {
			return false
		}
		if s.i >= len(s.data) {
			return false
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str checks the string at s.i and returns it as written, quotes included.
func (s *scanner) str() ([]byte, bool) {
	start := s.i
	s.i++
	for s.i < len(s.data) {
		b := s.data[s.i]
		switch {
		case b == '"':
			s.i++
			return s.data[start:s.i], true
		case b == '\\' || b < 0x20:
			c := canonicalizer{data: s.data, i: start}
			raw, err := c.str()
			if err != nil {
				return nil, false
			}
			s.i = c.i
			return raw, true
		case b < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.data[s.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			s.i += size
		}
	}
	return nil, false
}
