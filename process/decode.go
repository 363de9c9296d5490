package process

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Default limits applied by Parse and Decode. A Parser with zero fields uses
// them too. With them, any document is accepted or refused in under two
// seconds (about half a second of CPU for 2 MiB of valid YAML; the YAML
// parser's own cost grows with the size).
const (
	DefaultMaxBytes       = 2 << 20 // 2 MiB
	DefaultMaxNodes       = 2_000_000
	DefaultMaxDepth       = 64
	DefaultMaxExpressions = 10_000
)

// Parser decodes process documents under configurable limits that keep a
// hostile document from exhausting memory or time. The zero Parser is ready
// to use with the defaults.
type Parser struct {
	// MaxBytes is the largest document accepted. Defaults to DefaultMaxBytes (2 MiB).
	MaxBytes int
	// MaxNodes bounds the YAML nodes visited, counting every expansion of
	// an alias, so an alias bomb stops early. Defaults to DefaultMaxNodes.
	MaxNodes int
	// MaxDepth bounds the nesting of values under with: and default:.
	// Defaults to DefaultMaxDepth (64).
	MaxDepth int
	// MaxExpressions bounds the distinct ${{ }} templates and if:
	// conditions that Parse compiles, each costing tens of microseconds; a
	// document with more is refused with a problem matching ErrTooLarge.
	// Defaults to DefaultMaxExpressions (10,000).
	MaxExpressions int
}

// Parse decodes a YAML or JSON process document and validates it. Problems
// of both kinds are reported together in a *ValidationError, each with its
// path, line and column.
func Parse(data []byte) (*Process, error) { return Parser{}.Parse(data) }

// Decode decodes a YAML or JSON process document without validating its
// meaning: only problems of form (unknown keys, wrong types) are reported.
func Decode(data []byte) (*Process, error) { return Parser{}.Decode(data) }

// Parse decodes and validates data under p's limits.
func (p Parser) Parse(data []byte) (*Process, error) {
	proc, d, err := p.decode(data)
	if err != nil {
		return nil, err
	}
	// Check the meaning too, so every problem is reported at once, but
	// leave out what only follows from a problem of form already reported
	// at the same place (a timeout that is not a duration is not also
	// "missing").
	maxExprs := p.MaxExpressions
	if maxExprs <= 0 {
		maxExprs = DefaultMaxExpressions
	}
	checked := checkWithin(proc, maxExprs)
	if len(checked.problems) > 0 {
		covered := newCoverage(d.problems)
		for _, mp := range checked.problems {
			if !covered.covers(mp.Path) {
				d.problems = append(d.problems, mp)
			}
		}
	}
	if dropped := d.dropped + checked.dropped; len(d.problems) > 0 {
		d.locate()
		verr := newValidationError(d.problems, dropped)
		nameProblemPaths(proc, verr.Problems)
		return nil, verr
	}
	return proc, nil
}

// Decode decodes data under p's limits without validating its meaning.
func (p Parser) Decode(data []byte) (*Process, error) {
	proc, d, err := p.decode(data)
	if err != nil {
		return nil, err
	}
	if len(d.problems) > 0 {
		d.locate()
		verr := newValidationError(d.problems, d.dropped)
		nameProblemPaths(proc, verr.Problems)
		return nil, verr
	}
	return proc, nil
}

func (p Parser) decode(data []byte) (*Process, *decoder, error) {
	maxBytes := p.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if len(data) > maxBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), maxBytes)
	}
	d := &decoder{maxNodes: p.MaxNodes, maxDepth: p.MaxDepth}
	if d.maxNodes <= 0 {
		d.maxNodes = DefaultMaxNodes
	}
	if d.maxDepth <= 0 {
		d.maxDepth = DefaultMaxDepth
	}
	// A UTF-8 byte-order mark is not part of the document: editors on
	// Windows write one before JSON and YAML alike.
	data = bytes.TrimPrefix(data, utf8BOM)
	root, err := parseYAML(data)
	if err != nil {
		return nil, nil, &ValidationError{Problems: []Problem{yamlProblem(err)}}
	}
	d.root = root
	// Aliases may add at most aliasAllowance values beyond the document's
	// own, so an alias bomb stops after a few milliseconds.
	if budget := countNodes(root) + aliasAllowance; budget < d.maxNodes {
		d.maxNodes = budget
	}
	proc := d.process(root)
	if d.aborted != nil {
		return nil, nil, &ValidationError{Problems: []Problem{*d.aborted}}
	}
	return proc, d, nil
}

// utf8BOM is the UTF-8 encoding of U+FEFF, the byte-order mark.
var utf8BOM = []byte("\xef\xbb\xbf")

// aliasAllowance is how many values alias expansion may add to a document.
const aliasAllowance = 100_000

// countNodes counts the nodes of a tree without following aliases.
func countNodes(root *yaml.Node) int {
	n := 0
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		stack = append(stack, top.Content...)
	}
	return n
}

// parseYAML reads exactly one YAML (or JSON) document and returns its root.
func parseYAML(data []byte) (*yaml.Node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty document")
	}
	if isJSON(data) {
		return parseJSON(data)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("line %d: a second document; a file holds one process", extra.Line)
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return &doc, nil
}

// yamlProblem turns a YAML syntax error ("yaml: line 3: ...") into a Problem
// with its line.
func yamlProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, perr := strconv.Atoi(rest[:i]); perr == nil {
				line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return Problem{Line: line, Msg: "not a valid YAML or JSON document: " + msg}
}

// decoder walks a YAML node tree into the model, collecting problems.
type decoder struct {
	root *yaml.Node
	problemList
	nodes    int
	maxNodes int
	maxDepth int
	aborted  *Problem
	// below is the path of the value being read by value, under its base.
	below []segment
}

func (d *decoder) addf(n *yaml.Node, path, format string, args ...any) {
	if !d.room() {
		return
	}
	p := Problem{Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

// resolve follows aliases and counts the node against the budget. It
// returns nil once the budget is spent.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	if d.aborted != nil {
		return nil
	}
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if hops > 100 {
			d.aborted = &Problem{Line: n.Line, Column: n.Column, Msg: "alias chain too long"}
			return nil
		}
		n = n.Alias
	}
	d.nodes++
	if d.nodes > d.maxNodes {
		d.aborted = &Problem{Line: n.Line, Column: n.Column,
			Msg: fmt.Sprintf("document expands to more than %d values (an alias bomb?)", d.maxNodes)}
		return nil
	}
	return n
}

// fields reads a mapping whose keys must come from known; it reports
// unknown and duplicate keys and returns the values by key. The second
// result is false when n is not a mapping.
func (d *decoder) fields(n *yaml.Node, path string, known ...string) (map[string]*yaml.Node, bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want a mapping of keys to values, got %s", describe(n))
		return nil, false
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i])
		if k == nil {
			return nil, false
		}
		if k.Kind != yaml.ScalarNode {
			d.addf(k, path, "want a plain key, got %s", describe(k))
			continue
		}
		key := k.Value
		if !contains(known, key) {
			d.addf(k, join(path, key), "unknown key %q%s", key, suggest(key, known))
			continue
		}
		if _, dup := out[key]; dup {
			d.addf(k, join(path, key), "key %q given twice", key)
			continue
		}
		out[key] = n.Content[i+1]
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// suggest names a known key close to an unknown one ("; did you mean ...").
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return "; known keys are " + strings.Join(known, ", ")
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return fmt.Sprintf("the string %q", clip(n.Value))
		}
		return fmt.Sprintf("%s %s", strings.TrimPrefix(n.Tag, "!!"), clip(n.Value))
	}
	return "an unexpected node"
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// str reads a scalar as a string. Numbers and booleans are accepted as
// written (a version "1.10" stays "1.10" when quoted, and is read as written
// when not).
func (d *decoder) str(n *yaml.Node, path string) string {
	n = d.resolve(n)
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.addf(n, path, "want a string, got %s", describe(n))
		return ""
	}
	return n.Value
}

func (d *decoder) boolean(n *yaml.Node, path string) bool {
	n = d.resolve(n)
	if n == nil {
		return false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.addf(n, path, "want true or false, got %s", describe(n))
		return false
	}
	b, _ := strconv.ParseBool(n.Value)
	return b
}

func (d *decoder) integer(n *yaml.Node, path string) int {
	n = d.resolve(n)
	if n == nil {
		return 0
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if v, err := strconv.ParseInt(n.Value, 0, 32); err == nil {
			return int(v)
		}
	}
	d.addf(n, path, "want a whole number, got %s", describe(n))
	return 0
}

func (d *decoder) number(n *yaml.Node, path string) *float64 {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
			return &v
		}
	}
	d.addf(n, path, "want a number, got %s", describe(n))
	return nil
}

func (d *decoder) duration(n *yaml.Node, path string) Duration {
	s := d.str(n, path)
	if s == "" {
		return 0
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.addf(d.resolve(n), path, "%v", err)
	}
	return v
}

func (d *decoder) strings(n *yaml.Node, path string) []string {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.addf(n, path, "want a list of strings, got %s", describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		c = d.resolve(c)
		if c == nil {
			return out
		}
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			// The item's path is built only here: a list of a million
			// items costs no million paths.
			d.addf(c, index(path, i), "want a string, got %s", describe(c))
			out = append(out, "")
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

// seq returns the items of a list.
func (d *decoder) seq(n *yaml.Node, path, what string) []*yaml.Node {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.addf(n, path, "want a list of %s, got %s", what, describe(n))
		return nil
	}
	return n.Content
}

// value reads any value: a string, int, float64, bool, nil, []any or
// map[string]any. Its path is base followed by d.below, and is built only
// for a problem: a value of a million items under a long key costs no
// million paths.
func (d *decoder) value(n *yaml.Node, base string, depth int) any {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if depth > d.maxDepth {
		d.aborted = &Problem{Path: d.valuePath(base, ""), Line: n.Line, Column: n.Column,
			Msg: fmt.Sprintf("values nested deeper than %d levels", d.maxDepth)}
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return scalar(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			d.below = append(d.below, segment{index: i})
			out = append(out, d.value(c, base, depth+1))
			d.below = d.below[:len(d.below)-1]
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := d.resolve(n.Content[i])
			if k == nil {
				return nil
			}
			if k.Kind != yaml.ScalarNode {
				if d.room() {
					d.problems = append(d.problems, Problem{Path: d.valuePath(base, ""), Line: k.Line, Column: k.Column,
						Msg: "want a plain key, got " + describe(k)})
				}
				continue
			}
			if _, dup := out[k.Value]; dup {
				if d.room() {
					d.problems = append(d.problems, Problem{Path: d.valuePath(base, k.Value), Line: k.Line, Column: k.Column,
						Msg: fmt.Sprintf("key %q given twice", clip(k.Value))})
				}
				continue
			}
			d.below = append(d.below, segment{key: k.Value, index: -1})
			out[k.Value] = d.value(n.Content[i+1], base, depth+1)
			d.below = d.below[:len(d.below)-1]
		}
		return out
	}
	if d.room() {
		d.problems = append(d.problems, Problem{Path: d.valuePath(base, ""), Line: n.Line, Column: n.Column, Msg: "unexpected " + describe(n)})
	}
	return nil
}

// valuePath builds the path of the value being read, followed by key when
// not "".
func (d *decoder) valuePath(base, key string) string { return renderPath(base, d.below, key) }

// renderPath builds the path base, then below, then key (when not ""),
// stopping after maxProblemText bytes.
func renderPath(base string, below []segment, key string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, seg := range below {
		if b.Len() > maxProblemText {
			return b.String()
		}
		if seg.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(seg.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg.key[:min(len(seg.key), maxProblemText+1)])
	}
	if key != "" && b.Len() <= maxProblemText {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(key[:min(len(key), maxProblemText+1)])
	}
	return b.String()
}

func scalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		b, _ := strconv.ParseBool(n.Value)
		return b
	case "!!int":
		if v, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return int(v)
		}
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return v
		}
	case "!!float":
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
			return v
		}
	}
	return n.Value
}

func (d *decoder) valueMap(n *yaml.Node, path string) map[string]any {
	v := d.value(n, path, 1)
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.addf(d.resolve(n), path, "want a mapping of parameters, got %s", describe(d.resolve(n)))
		return nil
	}
	return m
}

var processKeys = []string{"id", "version", "name", "description", "inputs", "variables", "phases"}

func (d *decoder) process(root *yaml.Node) *Process {
	p := &Process{}
	f, ok := d.fields(root, "", processKeys...)
	if !ok {
		return p
	}
	if n := f["id"]; n != nil {
		p.ID = ID(d.str(n, "id"))
	}
	if n := f["version"]; n != nil {
		p.Version = d.integer(n, "version")
	}
	if n := f["name"]; n != nil {
		p.Name = d.str(n, "name")
	}
	if n := f["description"]; n != nil {
		p.Description = d.str(n, "description")
	}
	if n := f["inputs"]; n != nil {
		p.Inputs = d.inputs(n, "inputs")
	}
	if n := f["variables"]; n != nil {
		p.Variables = d.variables(n, "variables")
	}
	if n := f["phases"]; n != nil {
		items := d.seq(n, "phases", "phases")
		if len(items) > 0 {
			p.Phases = make([]Phase, 0, len(items))
		}
		for i, pn := range items {
			p.Phases = append(p.Phases, d.phase(pn, index("phases", i)))
		}
	}
	return p
}

var inputKeys = []string{"type", "description", "required", "default", "enum", "pattern", "min", "max"}

func (d *decoder) inputs(n *yaml.Node, path string) []InputSpec {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want a mapping of input names to their specs, got %s", describe(n))
		return nil
	}
	var out []InputSpec
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i])
		if k == nil {
			return out
		}
		name := k.Value
		ipath := join(path, name)
		if seen[name] {
			d.addf(k, ipath, "input %q declared twice", name)
			continue
		}
		seen[name] = true
		spec := InputSpec{Name: name}
		f, ok := d.fields(n.Content[i+1], ipath, inputKeys...)
		if ok {
			if v := f["type"]; v != nil {
				spec.Type = InputType(d.str(v, join(ipath, "type")))
			}
			if v := f["description"]; v != nil {
				spec.Description = d.str(v, join(ipath, "description"))
			}
			if v := f["required"]; v != nil {
				spec.Required = d.boolean(v, join(ipath, "required"))
			}
			if v := f["default"]; v != nil {
				spec.Default = d.value(v, join(ipath, "default"), 1)
			}
			if v := f["enum"]; v != nil {
				epath := join(ipath, "enum")
				for j, e := range d.seq(v, epath, "allowed values") {
					d.below = append(d.below[:0], segment{index: j})
					spec.Enum = append(spec.Enum, d.value(e, epath, 1))
				}
				d.below = d.below[:0]
			}
			if v := f["pattern"]; v != nil {
				spec.Pattern = d.str(v, join(ipath, "pattern"))
			}
			if v := f["min"]; v != nil {
				spec.Min = d.number(v, join(ipath, "min"))
			}
			if v := f["max"]; v != nil {
				spec.Max = d.number(v, join(ipath, "max"))
			}
		}
		out = append(out, spec)
	}
	return out
}

func (d *decoder) variables(n *yaml.Node, path string) []Variable {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want a mapping of variable names to values, got %s", describe(n))
		return nil
	}
	var out []Variable
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i])
		if k == nil {
			return out
		}
		vpath := join(path, k.Value)
		if seen[k.Value] {
			d.addf(k, vpath, "variable %q declared twice", k.Value)
			continue
		}
		seen[k.Value] = true
		out = append(out, Variable{Name: k.Value, Value: d.str(n.Content[i+1], vpath)})
	}
	return out
}

var phaseKeys = []string{"id", "name", "description", "owners", "labels", "depends-on", "if", "activities"}

func (d *decoder) phase(n *yaml.Node, path string) Phase {
	var ph Phase
	f, ok := d.fields(n, path, phaseKeys...)
	if !ok {
		return ph
	}
	if v := f["id"]; v != nil {
		ph.ID = PhaseID(d.str(v, join(path, "id")))
	}
	if v := f["name"]; v != nil {
		ph.Name = d.str(v, join(path, "name"))
	}
	if v := f["description"]; v != nil {
		ph.Description = d.str(v, join(path, "description"))
	}
	if v := f["owners"]; v != nil {
		ph.Owners = d.strings(v, join(path, "owners"))
	}
	if v := f["labels"]; v != nil {
		ph.Labels = d.labels(v, join(path, "labels"))
	}
	if v := f["depends-on"]; v != nil {
		for _, s := range d.strings(v, join(path, "depends-on")) {
			ph.DependsOn = append(ph.DependsOn, PhaseID(s))
		}
	}
	if v := f["if"]; v != nil {
		ph.If = d.condition(v, join(path, "if"))
	}
	if v := f["activities"]; v != nil {
		apath := join(path, "activities")
		items := d.seq(v, apath, "activities")
		if len(items) > 0 {
			ph.Activities = make([]Activity, 0, len(items))
		}
		for i, an := range items {
			ph.Activities = append(ph.Activities, d.activity(an, index(apath, i)))
		}
	}
	return ph
}

// condition reads an if: value; a plain true or false is accepted too.
func (d *decoder) condition(n *yaml.Node, path string) string {
	r := d.resolve(n)
	if r != nil && r.Kind == yaml.ScalarNode && r.Tag == "!!bool" {
		return r.Value
	}
	return d.str(n, path)
}

var activityKeys = []string{
	"id", "name", "description", "type", "depends-on", "if", "uses", "with", "outputs",
	"timeout", "expected-duration", "retry", "on-failure", "rollback", "tasks", "approval",
	"process", "process-version", "labels",
}

func (d *decoder) activity(n *yaml.Node, path string) Activity {
	var a Activity
	f, ok := d.fields(n, path, activityKeys...)
	if !ok {
		return a
	}
	if v := f["id"]; v != nil {
		a.ID = ActivityID(d.str(v, join(path, "id")))
	}
	if v := f["name"]; v != nil {
		a.Name = d.str(v, join(path, "name"))
	}
	if v := f["description"]; v != nil {
		a.Description = d.str(v, join(path, "description"))
	}
	if v := f["type"]; v != nil {
		a.Type = ActivityType(d.str(v, join(path, "type")))
	}
	if v := f["depends-on"]; v != nil {
		a.DependsOn = d.strings(v, join(path, "depends-on"))
	}
	if v := f["if"]; v != nil {
		a.If = d.condition(v, join(path, "if"))
	}
	if v := f["labels"]; v != nil {
		a.Labels = d.labels(v, join(path, "labels"))
	}
	if v := f["uses"]; v != nil {
		a.Uses = d.str(v, join(path, "uses"))
	}
	if v := f["with"]; v != nil {
		a.With = d.valueMap(v, join(path, "with"))
	}
	if v := f["outputs"]; v != nil {
		a.Outputs = d.strings(v, join(path, "outputs"))
	}
	if v := f["timeout"]; v != nil {
		a.Timeout = d.duration(v, join(path, "timeout"))
	}
	if v := f["expected-duration"]; v != nil {
		a.ExpectedDuration = d.duration(v, join(path, "expected-duration"))
	}
	if v := f["retry"]; v != nil {
		a.Retry = d.retry(v, join(path, "retry"))
	}
	if v := f["on-failure"]; v != nil {
		a.OnFailure = FailureStrategy(d.str(v, join(path, "on-failure")))
	}
	if v := f["rollback"]; v != nil {
		rpath := join(path, "rollback")
		if rf, ok := d.fields(v, rpath, "uses", "with"); ok {
			a.Rollback = &RollbackSpec{}
			if u := rf["uses"]; u != nil {
				a.Rollback.Uses = d.str(u, join(rpath, "uses"))
			}
			if w := rf["with"]; w != nil {
				a.Rollback.With = d.valueMap(w, join(rpath, "with"))
			}
		}
	}
	if v := f["tasks"]; v != nil {
		tpath := join(path, "tasks")
		items := d.seq(v, tpath, "tasks")
		if len(items) > 0 {
			a.Tasks = make([]Task, 0, len(items))
		}
		for i, tn := range items {
			a.Tasks = append(a.Tasks, d.task(tn, index(tpath, i)))
		}
	}
	if v := f["approval"]; v != nil {
		a.Approval = d.approval(v, join(path, "approval"))
	}
	if v := f["process"]; v != nil {
		a.Process = ID(d.str(v, join(path, "process")))
	}
	if v := f["process-version"]; v != nil {
		a.ProcessVersion = d.integer(v, join(path, "process-version"))
	}
	return a
}

func (d *decoder) retry(n *yaml.Node, path string) *RetryPolicy {
	f, ok := d.fields(n, path, "max-attempts", "backoff", "max-backoff", "multiplier")
	if !ok {
		return nil
	}
	r := &RetryPolicy{}
	if v := f["max-attempts"]; v != nil {
		r.MaxAttempts = d.integer(v, join(path, "max-attempts"))
	}
	if v := f["backoff"]; v != nil {
		r.Backoff = d.duration(v, join(path, "backoff"))
	}
	if v := f["max-backoff"]; v != nil {
		r.MaxBackoff = d.duration(v, join(path, "max-backoff"))
	}
	if v := f["multiplier"]; v != nil {
		if m := d.number(v, join(path, "multiplier")); m != nil {
			r.Multiplier = *m
		}
	}
	return r
}

func (d *decoder) task(n *yaml.Node, path string) Task {
	var t Task
	f, ok := d.fields(n, path, "id", "name", "description", "assignees", "required", "expected-duration")
	if !ok {
		return t
	}
	if v := f["id"]; v != nil {
		t.ID = d.str(v, join(path, "id"))
	}
	if v := f["name"]; v != nil {
		t.Name = d.str(v, join(path, "name"))
	}
	if v := f["description"]; v != nil {
		t.Description = d.str(v, join(path, "description"))
	}
	if v := f["assignees"]; v != nil {
		t.Assignees = d.strings(v, join(path, "assignees"))
	}
	if v := f["required"]; v != nil {
		t.Required = d.boolean(v, join(path, "required"))
	}
	if v := f["expected-duration"]; v != nil {
		t.ExpectedDuration = d.duration(v, join(path, "expected-duration"))
	}
	return t
}

func (d *decoder) approval(n *yaml.Node, path string) *ApprovalPolicy {
	f, ok := d.fields(n, path, "approvers", "rule", "min", "deadline", "on-deadline", "forbid-initiator")
	if !ok {
		return nil
	}
	a := &ApprovalPolicy{}
	if v := f["approvers"]; v != nil {
		a.Approvers = d.strings(v, join(path, "approvers"))
	}
	if v := f["rule"]; v != nil {
		a.Rule = ApprovalRule(d.str(v, join(path, "rule")))
	}
	if v := f["min"]; v != nil {
		a.Min = d.integer(v, join(path, "min"))
	}
	if v := f["deadline"]; v != nil {
		a.Deadline = d.duration(v, join(path, "deadline"))
	}
	if v := f["on-deadline"]; v != nil {
		a.OnDeadline = DeadlineAction(d.str(v, join(path, "on-deadline")))
	}
	if v := f["forbid-initiator"]; v != nil {
		a.ForbidInitiator = d.boolean(v, join(path, "forbid-initiator"))
	}
	return a
}

// coverage answers, in time linear in the paths involved, whether a problem
// of form was reported at a path, or at a path inside it or around it.
type coverage struct {
	all     bool            // the document as a whole is malformed
	at      map[string]bool // the paths of the problems
	outside map[string]bool // every path that holds one of them
}

func newCoverage(problems []Problem) *coverage {
	c := &coverage{at: make(map[string]bool, len(problems)), outside: map[string]bool{}}
	for _, p := range problems {
		if p.Path == "" {
			c.all = true
		}
		c.at[p.Path] = true
		for i, n := 0, 0; i < len(p.Path) && n < maxSegments; i++ {
			if p.Path[i] == '.' || p.Path[i] == '[' {
				c.outside[p.Path[:i]] = true
				n++
			}
		}
	}
	return c
}

// maxSegments bounds the segments of a path that coverage compares: more
// than any path the model has (a value 64 levels deep in an activity), and
// few enough that a key of a million dots costs no million prefixes.
const maxSegments = 100

// covers reports whether a problem was reported at path, inside it or
// around it. Path segments begin at '.' and '[': "a.b" lies inside "a" but
// not inside "a.bc".
func (c *coverage) covers(path string) bool {
	if c.all || c.at[path] || c.outside[path] {
		return true
	}
	for i, n := 0, 0; i < len(path) && n < maxSegments; i++ {
		if path[i] == '.' || path[i] == '[' {
			if c.at[path[:i]] {
				return true
			}
			n++
		}
	}
	return false
}

// locate fills in the line and column of problems found after decoding by
// walking their paths through the YAML tree, then puts all problems in
// document order.
func (d *decoder) locate() {
	keys := keyIndex{}
	for i := range d.problems {
		p := &d.problems[i]
		if p.Line != 0 {
			continue
		}
		if n := lookup(d.root, p.Path, keys); n != nil {
			p.Line, p.Column = n.Line, n.Column
		}
	}
	sort.SliceStable(d.problems, func(i, j int) bool {
		a, b := d.problems[i], d.problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// keyIndex maps a large mapping node to the position of each key's first
// occurrence, so that locating many problems in one mapping of many keys
// stays linear. It lives for one call of locate.
type keyIndex map[*yaml.Node]map[string]int

// lookup finds the node at path ("phases[1].activities[0].depends-on[2]").
// Where the full path is missing it returns the deepest node that exists.
func lookup(root *yaml.Node, path string, keys keyIndex) *yaml.Node {
	n := root
	for hops := 0; n != nil && n.Kind == yaml.AliasNode && hops < 100; hops++ {
		n = n.Alias
	}
	if path == "" || n == nil {
		return n
	}
	for _, seg := range splitPath(path) {
		next := step(n, seg, keys)
		if next == nil {
			return n
		}
		n = next
		for hops := 0; n.Kind == yaml.AliasNode && hops < 100; hops++ {
			n = n.Alias
		}
	}
	return n
}

type segment struct {
	key   string
	index int // -1 for a key
}

func splitPath(path string) []segment {
	var out []segment
	for path != "" {
		switch {
		case path[0] == '.':
			path = path[1:]
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return out
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil {
				return out
			}
			out = append(out, segment{index: i})
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			out = append(out, segment{key: path[:end], index: -1})
			path = path[end:]
		}
	}
	return out
}

// indexAbove is how many keys a mapping holds before step indexes it.
const indexAbove = 16

func step(n *yaml.Node, seg segment, keys keyIndex) *yaml.Node {
	if seg.index >= 0 {
		if n.Kind == yaml.SequenceNode && seg.index < len(n.Content) {
			return n.Content[seg.index]
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if len(n.Content) > 2*indexAbove {
		idx, ok := keys[n]
		if !ok {
			idx = make(map[string]int, len(n.Content)/2)
			for i := len(n.Content) - 2; i >= 0; i -= 2 {
				idx[n.Content[i].Value] = i
			}
			keys[n] = idx
		}
		if i, ok := idx[seg.key]; ok {
			return n.Content[i+1]
		}
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg.key {
			return n.Content[i+1]
		}
	}
	return nil
}
