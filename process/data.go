package process

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// maxDataNodes bounds the values CheckData visits, so that a value that
// shares one map many times over (a map whose two keys hold the same map,
// 64 levels deep) cannot make the walk exponential.
const maxDataNodes = 1 << 20

// CheckData reports whether v is data that an event can hold and give back
// unchanged: null, a boolean, a string, a finite number, or lists and
// string-keyed maps of data, nested to any depth without a cycle. Inputs,
// outputs and anything else a Go host hands in is checked with it before it
// is stored, so that NaN, an infinity, a function, a channel, a complex
// number, a struct, bytes, a map with non-string keys or a value that contains
// itself is refused up front, naming where it is ("inputs.o.a[2]"), rather
// than failing later when the event is encoded.
//
// It returns nil or a *ValidationError with one problem (the first found),
// whose path starts with path.
func CheckData(path string, v any) error {
	if p := dataProblem(path, v); p != nil {
		return &ValidationError{Problems: []Problem{*p}}
	}
	return nil
}

func dataProblem(path string, v any) *Problem {
	c := dataChecker{onPath: map[uintptr]bool{}}
	if msg, where := c.check(path, reflect.ValueOf(v)); msg != "" {
		return &Problem{Path: where, Msg: msg}
	}
	return nil
}

type dataChecker struct {
	nodes  int
	onPath map[uintptr]bool // the maps and lists being walked: a cycle
}

var jsonNumberType = reflect.TypeFor[json.Number]()

func (c *dataChecker) check(path string, v reflect.Value) (msg, where string) {
	if c.nodes++; c.nodes > maxDataNodes {
		return fmt.Sprintf("value has more than %d parts", maxDataNodes), path
	}
	if !v.IsValid() {
		return "", "" // nil
	}
	switch v.Kind() {
	case reflect.Interface:
		return c.check(path, v.Elem())
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "", ""
	case reflect.String:
		if v.Type() == jsonNumberType {
			if _, err := strconv.ParseFloat(v.String(), 64); err != nil {
				return fmt.Sprintf("json.Number %q is not a number", clip(v.String())), path
			}
		}
		return "", ""
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprintf("%v is not a finite number (NaN and infinities cannot be stored)", f), path
		}
		return "", ""
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			// encoding/json would store bytes as a base64 string, and give
			// back a string: say so rather than change the value.
			return fmt.Sprintf("a %s is bytes, not data (give a string, or decode JSON first)", v.Type()), path
		}
		if v.Kind() == reflect.Slice {
			if v.IsNil() {
				return "", ""
			}
			if v.Len() > 0 {
				p := v.Index(0).Addr().Pointer()
				if c.onPath[p] {
					return "value contains itself (a cycle)", path
				}
				c.onPath[p] = true
				defer delete(c.onPath, p)
			}
		}
		for i := range v.Len() {
			if msg, where := c.check(path+"["+strconv.Itoa(i)+"]", v.Index(i)); msg != "" {
				return msg, where
			}
		}
		return "", ""
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Sprintf("a %s has keys that are not strings", v.Type()), path
		}
		if v.IsNil() {
			return "", ""
		}
		p := v.Pointer()
		if c.onPath[p] {
			return "value contains itself (a cycle)", path
		}
		c.onPath[p] = true
		defer delete(c.onPath, p)
		keys := v.MapKeys() // sorted, so that the problem reported is always the same
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			if msg, where := c.check(path+dataKey(k.String()), v.MapIndex(k)); msg != "" {
				return msg, where
			}
		}
		return "", ""
	case reflect.Pointer:
		return fmt.Sprintf("a pointer (%s) is not data: give the value", v.Type()), path
	}
	return fmt.Sprintf("a %s is not data (expected null, a boolean, a string, a finite number, a list or a map with string keys)", v.Type()), path
}

// dataKey appends a map key to a path: ".name" when it reads as a name,
// else `["a key"]`.
func dataKey(k string) string {
	if k == "" {
		return `[""]`
	}
	for _, r := range k {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "[" + strconv.Quote(k) + "]"
		}
	}
	return "." + k
}
