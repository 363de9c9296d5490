package process

import "github.com/batonhq/baton/internal/expr"

// inputKind is the static kind of an input of type t in expressions, used
// to refuse `if:` conditions that cannot be boolean.
func inputKind(t InputType) expr.Kind {
	switch t {
	case String:
		return expr.KindString
	case Number:
		return expr.KindNumber
	case Integer:
		return expr.KindInteger
	case Boolean:
		return expr.KindBool
	case List:
		return expr.KindList
	case Object:
		return expr.KindObject
	}
	return expr.KindUnknown
}
