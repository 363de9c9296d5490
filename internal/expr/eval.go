package expr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Scope holds the values at evaluation time. Nil maps read as empty.
type Scope struct {
	Inputs  map[string]any
	Vars    map[string]any
	Release map[string]any // keys as written: "id", "name", "version", "group", "scheduled-for"
	// Outputs returns the outputs of one activity; a nil map means the
	// activity has no outputs (yet). A nil func means no outputs at all.
	Outputs func(phase, activity string) map[string]any
	// Roots holds the values of the roots declared in Env.Roots, by name.
	Roots map[string]any
	// Funcs holds the implementations of the host functions declared in
	// Env.Funcs, by name. A call of one missing here fails (ErrEval). The
	// value a function returns is charged to the memory budget like any
	// other value an expression builds.
	Funcs map[string]func(args ...any) (any, error)
}

// runtime is the per-evaluation state the rewritten program reaches through
// the internal __baton_rt variable.
type runtime struct {
	scope *Scope
	outs  []outRef // of the program running
	steps int
	mem   int
}

// evaluation is the state of one Template.Eval or Condition.Eval: the
// environment map the programs read, the budgets, and a reusable VM.
type evaluation struct {
	env     map[string]any
	rt      runtime
	machine vm.VM
}

func newEvaluation(s *Scope) *evaluation {
	if s == nil {
		s = &Scope{}
	}
	e := &evaluation{rt: runtime{scope: s}}
	e.env = map[string]any{
		"inputs":  s.Inputs,
		"vars":    s.Vars,
		"release": s.Release,
		rtName:    &e.rt,
		rootName:  s.Roots,
	}
	return e
}

func (c *compiled) run(src string, e *evaluation) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, errAt(src, c.p.start, ErrEval, "expr-lang panicked: %v", r)
		}
	}()
	// MemoryBudget is per Run; the budget left over from earlier parts
	// of the same template is what this part may use.
	budget := MaxMemory - e.rt.mem
	if budget <= 0 {
		return nil, errAt(src, c.p.start, ErrLimit, "memory budget exceeded")
	}
	e.machine.MemoryBudget = uint(budget)
	e.rt.outs = c.p.outs
	out, rerr := e.machine.Run(c.vm, e.env)
	if rerr != nil {
		return nil, exprError(src, c.p, rerr, ErrEval)
	}
	return out, nil
}

// missingOutput is returned (wrapped by expr-lang) when an output is absent.
type missingOutput struct{ phase, activity, name string }

func (m *missingOutput) Error() string {
	return fmt.Sprintf("output %s of activity %s.%s is not available", m.name, m.phase, m.activity)
}

func (m *missingOutput) Is(target error) bool { return target == ErrMissingOutput }

type limitError struct{ msg string }

func (l *limitError) Error() string        { return l.msg }
func (l *limitError) Is(target error) bool { return target == ErrLimit }

func callOutput(args ...any) (any, error) {
	rt := args[0].(*runtime)
	i, ok := args[1].(int)
	if !ok || i < 0 || i >= len(rt.outs) {
		return nil, fmt.Errorf("internal: bad output index %v", args[1])
	}
	ref := rt.outs[i]
	if rt.scope.Outputs != nil {
		if outs := rt.scope.Outputs(ref.phase, ref.activity); outs != nil {
			if v, ok := outs[ref.name]; ok {
				return v, nil
			}
		}
	}
	return nil, &missingOutput{ref.phase, ref.activity, ref.name}
}

// callHost calls a host function: __baton_host(__baton_rt, "NAME", args...).
func callHost(args ...any) (any, error) {
	rt := args[0].(*runtime)
	name, _ := args[1].(string)
	f := rt.scope.Funcs[name]
	if f == nil {
		return nil, fmt.Errorf("function %s is not available", name)
	}
	v, err := f(args[2:]...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := rt.charge(sizeOf(v, rt.left()), name); err != nil {
		return nil, err
	}
	return v, nil
}

// callStep wraps every predicate body: it counts iterations and the size of
// the values bodies produce, then passes the value through unchanged.
func callStep(args ...any) (any, error) {
	rt := args[0].(*runtime)
	rt.steps++
	if rt.steps > MaxSteps {
		return nil, &limitError{fmt.Sprintf("more than %d predicate iterations", MaxSteps)}
	}
	v := args[1]
	switch x := v.(type) {
	case bool, int, float64, nil:
	case string:
		rt.mem += len(x)
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.String, reflect.Slice, reflect.Array, reflect.Map:
			rt.mem += rv.Len()
		}
	}
	if rt.mem > MaxMemory {
		return nil, &limitError{fmt.Sprintf("predicates produced more than %d bytes or elements", MaxMemory)}
	}
	return v, nil
}

// format writes v the way interpolation shows it.
func format(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case nil:
	case string:
		b.WriteString(x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(formatFloat(x, 64))
	case float32:
		b.WriteString(formatFloat(float64(x), 32))
	case time.Time:
		b.WriteString(x.Format(time.RFC3339Nano))
	case time.Duration:
		b.WriteString(x.String())
	case fmt.Stringer:
		b.WriteString(x.String())
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			b.WriteString(strconv.FormatInt(rv.Int(), 10))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			b.WriteString(strconv.FormatUint(rv.Uint(), 10))
		case reflect.String:
			b.WriteString(rv.String())
		default:
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				return err
			}
			b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		}
	}
	return nil
}

func formatFloat(f float64, bits int) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, bits)
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
