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
	digits := func() int {
		n := 0
		for c.i < len(c.data) && c.data[c.i] >= '0' && c.data[c.i] <= '9' {
			c.i++
			n++
		}
		return n
	}
	if c.data[c.i] == '-' {
		c.i++
	}
	if c.i < len(c.data) && c.data[c.i] == '0' {
		c.i++
	} else if digits() == 0 {
		return nil, c.errorf("bad number")
	}
	if c.i < len(c.data) && c.data[c.i] == '.' {
		c.i++
		if digits() == 0 {
			return nil, c.errorf("bad number")
		}
	}
	if c.i < len(c.data) && (c.data[c.i] == 'e' || c.data[c.i] == 'E') {
		c.i++
		if c.i < len(c.data) && (c.data[c.i] == '+' || c.data[c.i] == '-') {
			c.i++
		}
		if digits() == 0 {
			return nil, c.errorf("bad number")
		}
	}
	return append(dst, c.data[start:c.i]...), nil
}

// canonicalPayload returns p in canonical form; an empty payload is {}. It
// must be a JSON object.
func canonicalPayload(p json.RawMessage) (json.RawMessage, error) {
	if len(p) == 0 {
		return json.RawMessage("{}"), nil
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
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b == '"' || b == '\\':
			dst = append(dst, '\\', b)
		case b < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
		default:
			dst = append(dst, b)
		}
	}
	return append(dst, '"')
}

// hashCanonical hashes e's envelope with its canonical payload (see Seal).
func hashCanonical(e Event, canonical json.RawMessage) (Hash, error) {
	buf := make([]byte, 0, 256+len(canonical))
	buf = append(buf, `{"release":`...)
	buf = appendString(buf, string(e.Release))
	buf = append(buf, `,"seq":`...)
	buf = strconv.AppendInt(buf, e.Seq, 10)
	buf = append(buf, `,"kind":`...)
	buf = appendString(buf, string(e.Kind))
	buf = append(buf, `,"time":"`...)
	buf = e.Time.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","actor":`...)
	buf = appendString(buf, e.Actor)
	buf = append(buf, `,"reason":`...)
	buf = appendString(buf, e.Reason)
	buf = append(buf, `,"payload":`...)
	buf = append(buf, canonical...)
	buf = append(buf, `,"prev-hash":"`...)
	buf = append(buf, e.PrevHash.String()...)
	buf = append(buf, `"}`...)
	return sha256Sum(buf), nil
}
