package expr

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// Kind is the static type of an expression's value, as far as validation
// can tell without running it. KindUnknown means it cannot tell (an
// activity output, a variable, a function result): such an expression is
// checked when it runs.
type Kind uint8

// The kinds an expression's value may statically have.
const (
	KindUnknown Kind = iota
	KindBool
	KindInteger
	KindNumber
	KindString
	KindList
	KindObject
	KindNil
)

// String returns the kind's name as an error message says it.
func (k Kind) String() string {
	switch k {
	case KindBool:
		return "boolean"
	case KindInteger:
		return "integer"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindObject:
		return "object"
	case KindNil:
		return "nil"
	}
	return "unknown"
}

func (k Kind) numeric() bool { return k == KindInteger || k == KindNumber }

// staticKind infers the kind of the compiled (rewritten and patched) AST
// node n, given the declared kinds of inputs. It only answers for what it
// can prove: literals, declared inputs, comparison and logical operators
// (always boolean), arithmetic on numbers and concatenation of strings;
// everything else is KindUnknown.
func staticKind(n ast.Node, inputs map[string]Kind, depth int) Kind {
	if depth > 200 {
		return KindUnknown
	}
	depth++
	switch x := n.(type) {
	case *ast.BoolNode:
		return KindBool
	case *ast.IntegerNode:
		return KindInteger
	case *ast.FloatNode:
		return KindNumber
	case *ast.StringNode:
		return KindString
	case *ast.NilNode:
		return KindNil
	case *ast.ArrayNode:
		return KindList
	case *ast.MapNode:
		return KindObject
	case *ast.MemberNode:
		// inputs["name"], as the rewriter writes inputs.name.
		id, ok := x.Node.(*ast.IdentifierNode)
		if !ok || id.Value != "inputs" || x.Optional {
			return KindUnknown
		}
		if s, ok := x.Property.(*ast.StringNode); ok {
			return inputs[s.Value]
		}
		return KindUnknown
	case *ast.UnaryNode:
		k := staticKind(x.Node, inputs, depth)
		switch x.Operator {
		case "!", "not":
			return KindBool
		case "-", "+":
			if k.numeric() {
				return k
			}
		}
		return KindUnknown
	case *ast.BinaryNode:
		switch x.Operator {
		case "==", "!=", "<", ">", "<=", ">=", "&&", "||", "and", "or",
			"in", "matches", "contains", "startsWith", "endsWith":
			return KindBool
		case "+", "-", "*", "%":
			l, r := staticKind(x.Left, inputs, depth), staticKind(x.Right, inputs, depth)
			switch {
			case l == KindInteger && r == KindInteger:
				return KindInteger
			case l.numeric() && r.numeric():
				return KindNumber
			case x.Operator == "+" && l == KindString && r == KindString:
				return KindString
			}
		case "/", "**", "^":
			l, r := staticKind(x.Left, inputs, depth), staticKind(x.Right, inputs, depth)
			if l.numeric() && r.numeric() {
				return KindNumber
			}
		}
		return KindUnknown
	case *ast.ConditionalNode:
		a, b := staticKind(x.Exp1, inputs, depth), staticKind(x.Exp2, inputs, depth)
		if a == b {
			return a
		}
		return KindUnknown
	case *ast.CallNode:
		// The memory guard wraps + operands in __baton_size(rt, x), which
		// returns x unchanged.
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && id.Value == sizeName && len(x.Arguments) == 2 {
			return staticKind(x.Arguments[1], inputs, depth)
		}
		return KindUnknown
	}
	return KindUnknown
}

// typeKindName names a Go type as the document's types are named
// (integer, number, string, list, object), or by its Go name.
func typeKindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return KindBool.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return KindInteger.String()
	case reflect.Float32, reflect.Float64:
		return KindNumber.String()
	case reflect.String:
		return KindString.String()
	case reflect.Slice, reflect.Array:
		return KindList.String()
	case reflect.Map:
		return KindObject.String()
	}
	return t.String()
}
