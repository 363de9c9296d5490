package rbac

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// Scope is what a binding covers. All covers everything. Otherwise every
// criterion that is set must match (they are ANDed), and at least one must
// be set:
//
//   - Process: the action is about this process, or about a release of it,
//     an activity of such a release, an input set of it, or a group that
//     makes its releases. A child release
//     that a subprocess activity starts is a release of the subprocess's
//     process: a binding over the parent's process does not cover it (one
//     over its group or labels may: see below).
//   - Group: the action is about this release group or a release of it.
//     A child release counts as belonging to the group of the release tree
//     it was started in, as it does for freezes.
//   - Labels: a selector; every key=value pair must be among the labels of
//     what the action is about. For an action on an activity those are the
//     activity's effective labels (its phase's, its own over them) over its
//     release's labels: an activity labelled env=prod in a release without
//     that label is covered by an env=prod selector, and an activity
//     labelled env=staging in a release labelled env=prod is not. For an
//     action on a whole release they are the release's labels (a child
//     release carries its parent's labels, and its subprocess activity's
//     over them); for an action on a group, the group's; as the executor
//     gives them in executor.Action.Labels.
//
// The scope is matched against what the executor's Action names. For an
// action on a freeze or a policy that is what its own scope requires of
// everything it judges (executor.Action.Labels): its label selector, and
// the process and the group it names when it names exactly one. So a
// binding covers the freeze or policy when its scope lies within the
// binding's: one over env=prod covers a freeze scoped to env=prod, or to
// env=prod and team=a, or to env=prod in two processes; one over process
// p covers a freeze scoped to process p alone. A freeze or policy scoped
// to everything, or to several processes or groups with no label the
// binding requires, is covered only by bindings over everything.
//
// The labels of a release are chosen by whoever creates it: a binding over
// a label selector that grants create lets its subject create a release of
// any process with those labels. Scope create by Process (or Group) when
// the process should decide what runs.
type Scope struct {
	All     bool              `json:"all,omitempty"`
	Process process.ID        `json:"process,omitempty"`
	Group   release.GroupID   `json:"group,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
}

// Everything is the scope that covers everything.
var Everything = Scope{All: true}

// String describes the scope: "everything", or its criteria
// ("process=deploy group=nightly labels{env=prod}").
func (s Scope) String() string {
	if s.All {
		return "everything"
	}
	var parts []string
	if s.Process != "" {
		parts = append(parts, "process="+string(s.Process))
	}
	if s.Group != "" {
		parts = append(parts, "group="+string(s.Group))
	}
	if len(s.Labels) > 0 {
		parts = append(parts, "labels{"+FormatSelector(s.Labels)+"}")
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " ")
}

// check validates the scope.
func (s *Scope) check() error {
	if s.All {
		if s.Process != "" || s.Group != "" || len(s.Labels) > 0 {
			return fmt.Errorf("all: cannot be combined with process, group or labels")
		}
		return nil
	}
	if s.Process == "" && s.Group == "" && len(s.Labels) == 0 {
		return fmt.Errorf("empty: want all, or at least one of process, group and labels")
	}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		if err := process.CheckLabel(k, s.Labels[k]); err != nil {
			return fmt.Errorf("labels: %s", err)
		}
	}
	return nil
}

// target is what an action is about, as scopes see it.
type target struct {
	process  process.ID
	group    release.GroupID
	labels   map[string]string
	activity map[string]string // effective labels of the target activity; nil if none
}

// targetOf reads the target of a.
func targetOf(a *executor.Action) target {
	t := target{process: a.Process, group: a.Group, labels: a.Labels}
	if t.group == "" && (a.Release != "" || a.Resource == executor.ResourceRelease || a.Resource == executor.ResourceActivity) {
		// A child release: the group of its release tree, which only the
		// executor can set (Create refuses the reserved labels).
		t.group = release.GroupID(a.Labels[executor.LabelFreezeGroup])
	}
	if a.Activity != "" {
		t.activity = a.ActivityLabels
		if t.activity == nil {
			t.activity = map[string]string{}
		}
	}
	return t
}

// label returns the value of key on the target: the activity's when it has
// it, else the release's (or group's, or process's).
func (t *target) label(key string) (string, bool) {
	if v, ok := t.activity[key]; ok {
		return v, true
	}
	v, ok := t.labels[key]
	return v, ok
}

// matcher is a checked Scope, ready to match.
type matcher struct {
	all     bool
	process process.ID
	group   release.GroupID
	labels  []labelPair // sorted by key
}

type labelPair struct{ key, value string }

// matcher compiles a checked scope.
func (s *Scope) matcher() matcher {
	m := matcher{all: s.All, process: s.Process, group: s.Group}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		m.labels = append(m.labels, labelPair{k, s.Labels[k]})
	}
	return m
}

// matches reports whether the scope covers t.
func (m *matcher) matches(t *target) bool {
	if m.all {
		return true
	}
	if m.process != "" && m.process != t.process {
		return false
	}
	if m.group != "" && m.group != t.group {
		return false
	}
	for _, l := range m.labels {
		if got, ok := t.label(l.key); !ok || got != l.value {
			return false
		}
	}
	return m.process != "" || m.group != "" || len(m.labels) > 0
}

// ParseSelector parses a label selector: terms key=value separated by
// commas, all of which must hold ("env=prod", "env=prod,team=payments").
// Spaces around terms, keys and values are ignored. Keys follow the rules
// of label keys (process.CheckLabel); a value may be empty ("env=") but
// may not contain a comma. An empty selector, a term without '=' and a key
// given twice are errors.
func ParseSelector(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("rbac: selector: empty: want key=value terms separated by commas (env=prod)")
	}
	out := map[string]string{}
	for i, term := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(term, "=")
		if !ok {
			return nil, fmt.Errorf("rbac: selector: term %d %q: want key=value", i+1, strings.TrimSpace(term))
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if err := process.CheckLabel(k, v); err != nil {
			return nil, fmt.Errorf("rbac: selector: term %d: %s", i+1, err)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("rbac: selector: term %d: key %q given twice", i+1, k)
		}
		out[k] = v
	}
	return out, nil
}

// FormatSelector writes a selector as ParseSelector reads it, keys sorted.
func FormatSelector(labels map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(labels)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
	}
	return b.String()
}
