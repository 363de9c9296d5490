package process

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ReservedLabelPrefix starts the label keys the executor keeps for itself;
// a process document may not use them.
const ReservedLabelPrefix = "baton."

// Label limits.
const (
	// MaxLabels bounds the labels of one phase or activity.
	MaxLabels = 64
	// MaxLabelKey and MaxLabelValue bound a label's key and value, in
	// bytes.
	MaxLabelKey   = 128
	MaxLabelValue = 256
)

// CheckLabel checks one label: a key of 1 to MaxLabelKey bytes of
// lower-case letters, digits, '.', '-', '_' and '/', starting and ending
// with a letter or digit; a value of at most MaxLabelValue bytes without
// control characters. It does not refuse ReservedLabelPrefix: callers
// that must, do.
func CheckLabel(key, value string) error {
	switch {
	case key == "":
		return fmt.Errorf("a label with an empty key")
	case len(key) > MaxLabelKey:
		return fmt.Errorf("key longer than %d bytes", MaxLabelKey)
	case !validWord(key, lowerOrDigit, ".-_/") || !lowerOrDigit(key[len(key)-1]):
		return fmt.Errorf("%q is not a valid label key: want lower-case letters, digits, '.', '-', '_' and '/', starting and ending with a letter or digit", key)
	case len(value) > MaxLabelValue:
		return fmt.Errorf("value longer than %d bytes", MaxLabelValue)
	case strings.ContainsFunc(value, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return fmt.Errorf("value must not contain control characters")
	}
	return nil
}

// labels reads a labels: mapping of string keys to string values.
func (d *decoder) labels(n *yaml.Node, path string) map[string]string {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want a mapping of label keys to values (env: prod), got %s", describe(n))
		return nil
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i])
		if k == nil {
			return out
		}
		if k.Kind != yaml.ScalarNode {
			d.addf(k, path, "want a plain label key, got %s", describe(k))
			continue
		}
		if _, dup := out[k.Value]; dup {
			d.addf(k, join(path, k.Value), "label %q given twice", k.Value)
			continue
		}
		v := d.resolve(n.Content[i+1])
		if v == nil {
			return out
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			d.addf(v, join(path, k.Value), "want a label value (a string), got %s", describe(v))
			continue
		}
		out[k.Value] = v.Value
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// labels writes a labels: mapping, keys sorted.
func (m mapping) labels(key string, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	lm := newMapping()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		lm.add(k, strNode(labels[k]))
	}
	m.add(key, lm.n)
}

// checkLabels validates the labels of a phase or activity at path.
func (c *checker) checkLabels(path string, labels map[string]string) {
	if len(labels) > MaxLabels {
		c.addf(path, "%d labels: at most %d", len(labels), MaxLabels)
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		switch err := CheckLabel(k, labels[k]); {
		case err != nil:
			c.addf(path+"."+k, "%v", err)
		case strings.HasPrefix(k, ReservedLabelPrefix):
			c.addf(path+"."+k, "%q: keys starting with %q are reserved for the executor", k, ReservedLabelPrefix)
		}
	}
}

// EffectiveLabels returns the labels of the activity at ref: its phase's,
// overridden by its own. It returns nil when neither has labels or ref
// names no activity. The caller must not modify the map.
func (c *Compiled) EffectiveLabels(ref ActivityRef) map[string]string {
	id, ok := c.node(ref)
	if !ok {
		return nil
	}
	n := c.nodes[id]
	ph := &c.proc.Phases[n.phase]
	a := &ph.Activities[n.act]
	switch {
	case len(ph.Labels) == 0:
		return a.Labels
	case len(a.Labels) == 0:
		return ph.Labels
	}
	out := maps.Clone(ph.Labels)
	maps.Copy(out, a.Labels)
	return out
}
