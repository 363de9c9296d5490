package process

import (
	"fmt"
	"math"
	"regexp"
	"sort"
)

// ResolveInputs computes a release's input values: each input's default,
// then the input set's value (set may be nil), then the per-release
// override. It checks every value against its spec (type, enum, pattern,
// min and max), that every required input has a value and that no unknown
// name is given, and reports every problem at once in a *ValidationError
// whose paths name the input ("inputs.version").
//
// Integers come back as int, numbers as float64, lists as []any and objects
// as map[string]any; the maps given are not modified.
func ResolveInputs(spec []InputSpec, set *InputSet, overrides map[string]any) (map[string]any, error) {
	var problems []Problem
	addf := func(name, format string, args ...any) {
		problems = append(problems, Problem{Path: "inputs." + name, Msg: fmt.Sprintf(format, args...)})
	}
	byName := make(map[string]*InputSpec, len(spec))
	for i := range spec {
		byName[spec[i].Name] = &spec[i]
	}
	out := make(map[string]any, len(spec))
	source := make(map[string]string, len(spec))
	bad := map[string]bool{}
	for _, s := range spec {
		if s.Default != nil {
			out[s.Name] = s.Default
			source[s.Name] = "default"
		}
	}
	var hints hinter
	apply := func(from string, values map[string]any) {
		for _, name := range sortedKeys(values) {
			if _, ok := byName[name]; !ok {
				addf(name, "%s gives unknown input %q%s", from, name, hints.hint(name, len(spec), func(i int) string { return spec[i].Name }))
				continue
			}
			if p := dataProblem("inputs."+name, values[name]); p != nil {
				p.Msg = from + " value: " + p.Msg
				problems = append(problems, *p)
				delete(out, name)
				bad[name] = true // neither checked further nor reported as missing
				continue
			}
			out[name] = values[name]
			source[name] = from
		}
	}
	if set != nil {
		apply(fmt.Sprintf("input set %q", set.Name), set.Values)
	}
	apply("override", overrides)

	for i := range spec {
		s := &spec[i]
		v, ok := out[s.Name]
		if bad[s.Name] {
			continue
		}
		if !ok || v == nil {
			delete(out, s.Name)
			if s.Required {
				addf(s.Name, "required input %q has no value", s.Name)
			}
			continue
		}
		var re *regexp.Regexp
		if s.Pattern != "" {
			var err error
			if re, err = regexp.Compile(s.Pattern); err != nil {
				addf(s.Name, "pattern %s does not compile: %v", s.Pattern, err)
				continue
			}
		}
		if msg := checkValue(s, re, v, true); msg != "" {
			addf(s.Name, "%s value %s", source[s.Name], msg)
			continue
		}
		out[s.Name] = normalize(s.EffectiveType(), v)
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
		return nil, newValidationError(problems, 0)
	}
	return out, nil
}

func normalize(t InputType, v any) any {
	switch t {
	case Integer:
		f, _ := toFloat(v)
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f)
		}
	case Number:
		f, _ := toFloat(v)
		return f
	case List:
		if ss, ok := v.([]string); ok {
			l := make([]any, len(ss))
			for i, s := range ss {
				l[i] = s
			}
			return l
		}
	}
	return v
}
