package http

import (
	"fmt"
	"strconv"
	"strings"
)

// path is a parsed JSON path: object keys and array indexes.
type path []segment

type segment struct {
	key   string
	index int // >= 0 for an array index
}

// parsePath reads a JSON path: keys separated by dots, array indexes as
// [n] or as a numeric key (data.items[0].url, data.items.0.url). A leading
// "$" or "$." is allowed; "" and "$" mean the whole document.
func parsePath(s string) (path, error) {
	src := s
	s = strings.TrimPrefix(s, "$")
	s = strings.TrimPrefix(s, ".")
	var p path
	for s != "" {
		switch {
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, fmt.Errorf("JSON path %q: unclosed [", src)
			}
			n, err := strconv.Atoi(s[1:end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("JSON path %q: [%s] is not an array index", src, s[1:end])
			}
			p = append(p, segment{index: n})
			s = s[end+1:]
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			key := s[:end]
			if key == "" {
				return nil, fmt.Errorf("JSON path %q: empty key", src)
			}
			if n, err := strconv.Atoi(key); err == nil && n >= 0 {
				p = append(p, segment{key: key, index: n})
			} else {
				p = append(p, segment{key: key, index: -1})
			}
			s = s[end:]
		}
		if strings.HasPrefix(s, ".") {
			s = s[1:]
			if s == "" {
				return nil, fmt.Errorf("JSON path %q: ends with a dot", src)
			}
		}
	}
	return p, nil
}

// lookup finds the value at p in a decoded JSON document.
func (p path) lookup(doc any) (any, bool) {
	cur := doc
	for _, seg := range p {
		switch v := cur.(type) {
		case map[string]any:
			key := seg.key
			if key == "" {
				return nil, false
			}
			next, ok := v[key]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			if seg.index < 0 || seg.index >= len(v) {
				return nil, false
			}
			cur = v[seg.index]
		default:
			return nil, false
		}
	}
	return cur, true
}
