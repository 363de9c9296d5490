package process

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// MarshalJSON encodes p as a process document with kebab-case keys, in the
// order the package documentation shows them (id, name, description,
// inputs, variables, phases). Decoding the result gives back an equal
// Process.
func (p *Process) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, p.node()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalJSON decodes a process document (without validating its
// meaning; see Validate).
func (p *Process) UnmarshalJSON(data []byte) error {
	q, err := Decode(data)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// MarshalYAML encodes p as a YAML process document (yaml.Marshaler).
func (p *Process) MarshalYAML() (any, error) { return p.node(), nil }

// UnmarshalYAML decodes a YAML process document (yaml.Unmarshaler), without
// validating its meaning.
func (p *Process) UnmarshalYAML(n *yaml.Node) error {
	d := &decoder{root: n, maxNodes: DefaultMaxNodes, maxDepth: DefaultMaxDepth}
	q := d.process(n)
	if d.aborted != nil {
		return &ValidationError{Problems: []Problem{*d.aborted}}
	}
	if len(d.problems) > 0 {
		return newValidationError(d.problems, d.dropped)
	}
	*p = *q
	return nil
}

// EncodeYAML returns p as a YAML process document.
func EncodeYAML(p *Process) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(p.node()); err != nil {
		return nil, fmt.Errorf("process: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("process: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// mapping builds an ordered YAML mapping.
type mapping struct{ n *yaml.Node }

func newMapping() mapping { return mapping{&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}} }

func (m mapping) add(key string, v *yaml.Node) {
	m.n.Content = append(m.n.Content, strNode(key), v)
}

func (m mapping) str(key, v string) {
	if v != "" {
		m.add(key, strNode(v))
	}
}

func (m mapping) integer(key string, v int) {
	if v != 0 {
		m.add(key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)})
	}
}

func (m mapping) boolean(key string, v bool) {
	if v {
		m.add(key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
}

func (m mapping) duration(key string, d Duration) {
	if d != 0 {
		m.add(key, strNode(d.String()))
	}
}

func (m mapping) strs(key string, vs []string) {
	if len(vs) > 0 {
		m.add(key, strSeq(vs))
	}
}

func (m mapping) values(key string, v map[string]any) {
	if len(v) > 0 {
		m.add(key, valueNode(v))
	}
}

func strNode(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func strSeq(vs []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, v := range vs {
		n.Content = append(n.Content, strNode(v))
	}
	return n
}

func floatText(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !bytes.ContainsAny([]byte(s), ".eEIN") {
		s += ".0"
	}
	return s
}

// valueNode encodes a decoded value (string, number, bool, nil, list,
// mapping) or any Go value of those shapes built in code.
func valueNode(v any) *yaml.Node {
	switch x := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case string:
		return strNode(x)
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(x)}
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: floatText(x)}
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range x {
			n.Content = append(n.Content, valueNode(e))
		}
		return n
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := newMapping()
		for _, k := range keys {
			m.add(k, valueNode(x[k]))
		}
		return m.n
	}
	// Other Go values built in code: int64, []string, map[string]string...
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(v)}
	case reflect.Float32:
		return valueNode(rv.Float())
	case reflect.String:
		return strNode(rv.String())
	case reflect.Slice, reflect.Array:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := 0; i < rv.Len(); i++ {
			n.Content = append(n.Content, valueNode(rv.Index(i).Interface()))
		}
		return n
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return valueNode(m)
		}
	}
	return strNode(fmt.Sprint(v))
}

func (p *Process) node() *yaml.Node {
	m := newMapping()
	m.str("id", string(p.ID))
	m.integer("version", p.Version)
	m.str("name", p.Name)
	m.str("description", p.Description)
	if len(p.Inputs) > 0 {
		in := newMapping()
		for _, s := range p.Inputs {
			sm := newMapping()
			sm.str("type", string(s.Type))
			sm.str("description", s.Description)
			sm.boolean("required", s.Required)
			if s.Default != nil {
				sm.add("default", valueNode(s.Default))
			}
			if len(s.Enum) > 0 {
				sm.add("enum", valueNode(s.Enum))
			}
			sm.str("pattern", s.Pattern)
			if s.Min != nil {
				sm.add("min", numberNode(*s.Min))
			}
			if s.Max != nil {
				sm.add("max", numberNode(*s.Max))
			}
			sm.n.Style = yaml.FlowStyle
			in.add(s.Name, sm.n)
		}
		m.add("inputs", in.n)
	}
	if len(p.Variables) > 0 {
		vars := newMapping()
		for _, v := range p.Variables {
			vars.add(v.Name, strNode(v.Value))
		}
		m.add("variables", vars.n)
	}
	phases := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i := range p.Phases {
		phases.Content = append(phases.Content, p.Phases[i].node())
	}
	m.add("phases", phases)
	return m.n
}

// numberNode writes a bound as an integer when it is one.
func numberNode(f float64) *yaml.Node {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(int64(f), 10)}
	}
	return valueNode(f)
}

func (ph *Phase) node() *yaml.Node {
	m := newMapping()
	m.str("id", string(ph.ID))
	m.str("name", ph.Name)
	m.str("description", ph.Description)
	m.strs("owners", ph.Owners)
	m.labels("labels", ph.Labels)
	if len(ph.DependsOn) > 0 {
		deps := make([]string, len(ph.DependsOn))
		for i, d := range ph.DependsOn {
			deps[i] = string(d)
		}
		m.strs("depends-on", deps)
	}
	m.str("if", ph.If)
	acts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i := range ph.Activities {
		acts.Content = append(acts.Content, ph.Activities[i].node())
	}
	m.add("activities", acts)
	return m.n
}

func (a *Activity) node() *yaml.Node {
	m := newMapping()
	m.str("id", string(a.ID))
	m.str("name", a.Name)
	m.str("description", a.Description)
	m.str("type", string(a.Type))
	m.strs("depends-on", a.DependsOn)
	m.str("if", a.If)
	m.labels("labels", a.Labels)
	m.str("uses", a.Uses)
	m.values("with", a.With)
	m.strs("outputs", a.Outputs)
	m.duration("timeout", a.Timeout)
	m.duration("expected-duration", a.ExpectedDuration)
	if r := a.Retry; r != nil {
		rm := newMapping()
		rm.integer("max-attempts", r.MaxAttempts)
		rm.duration("backoff", r.Backoff)
		rm.duration("max-backoff", r.MaxBackoff)
		if r.Multiplier != 0 {
			rm.add("multiplier", numberNode(r.Multiplier))
		}
		rm.n.Style = yaml.FlowStyle
		m.add("retry", rm.n)
	}
	m.str("on-failure", string(a.OnFailure))
	if rb := a.Rollback; rb != nil {
		rm := newMapping()
		rm.str("uses", rb.Uses)
		rm.values("with", rb.With)
		m.add("rollback", rm.n)
	}
	if len(a.Tasks) > 0 {
		tasks := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, t := range a.Tasks {
			tm := newMapping()
			tm.str("id", t.ID)
			tm.str("name", t.Name)
			tm.str("description", t.Description)
			tm.strs("assignees", t.Assignees)
			tm.boolean("required", t.Required)
			tm.duration("expected-duration", t.ExpectedDuration)
			tasks.Content = append(tasks.Content, tm.n)
		}
		m.add("tasks", tasks)
	}
	if ap := a.Approval; ap != nil {
		am := newMapping()
		am.strs("approvers", ap.Approvers)
		am.str("rule", string(ap.Rule))
		am.integer("min", ap.Min)
		am.duration("deadline", ap.Deadline)
		am.str("on-deadline", string(ap.OnDeadline))
		am.boolean("forbid-initiator", ap.ForbidInitiator)
		m.add("approval", am.n)
	}
	m.str("process", string(a.Process))
	m.integer("process-version", a.ProcessVersion)
	return m.n
}

// writeJSON writes a node tree built by node() as compact JSON, keeping
// the mapping order.
func writeJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			buf.Write(k)
			buf.WriteByte(':')
			if err := writeJSON(buf, n.Content[i+1]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			s, _ := json.Marshal(n.Value)
			buf.Write(s)
		case "!!null":
			buf.WriteString("null")
		default: // !!int, !!float, !!bool, written as valid JSON literals
			buf.WriteString(n.Value)
		}
	default:
		return fmt.Errorf("process: encode: unexpected node kind %v", n.Kind)
	}
	return nil
}
