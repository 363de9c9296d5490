package rbac

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/executor"
)

// Subjects that are not a person or a group.
const (
	// GroupPrefix starts a subject that names a group ("group:release-
	// managers"), whose members Config.ResolveGroup returns.
	GroupPrefix = "group:"
	// Anonymous is the subject of reads without an actor (the executor lets
	// ActionView through with an empty actor, for the authorizer to
	// decide). Nothing else grants anything to an empty actor: no person,
	// group or Authenticated binding. It may be bound only to a role that
	// grants view alone (Viewer, or a custom one).
	Anonymous = "system:anonymous"
	// Authenticated is the subject of every non-empty actor.
	Authenticated = "system:authenticated"
	// systemPrefix starts the reserved subjects; a person subject may not.
	systemPrefix = "system:"
)

// Binding grants a subject a role over a scope.
type Binding struct {
	// Subject is a person (an actor name as the host gives it to the
	// executor), a group ("group:NAME", resolved through
	// Config.ResolveGroup), Anonymous or Authenticated. Person names may
	// not start with "group:" or "system:"; an actor whose name does is
	// granted nothing by a person binding.
	Subject string `json:"subject"`
	// Role names a predefined role or one of Rules.Roles.
	Role string `json:"role"`
	// Scope is what the binding covers.
	Scope Scope `json:"scope"`
}

// Rules are the roles and bindings an Authorizer judges by.
type Rules struct {
	// Roles are custom roles, besides the predefined ones
	// (PredefinedRoles), whose names they may not take.
	Roles []Role `json:"roles,omitempty"`
	// Bindings grant roles. Nothing is granted that no binding grants.
	Bindings []Binding `json:"bindings,omitempty"`
}

// Config tunes an Authorizer. A nil *Config is valid.
type Config struct {
	// ResolveGroup returns the members of a group named in a "group:NAME"
	// subject (it receives NAME); the executor's Config.ResolveGroup has
	// the same signature, so one function can serve both. A group is
	// resolved only when one of its bindings would grant the action, at
	// most once per Authorize call. A lookup that fails grants nothing
	// from that group, and the refusal (if no other binding grants) names
	// the group and the error. Members are matched exactly; a member
	// named "group:X" is a person of that name, not a nested group.
	// Defaults to nil: group bindings grant nothing.
	ResolveGroup func(ctx context.Context, group string) ([]string, error)
	// GroupTTL, when positive, keeps each group's members for that long
	// (on Clock) after a successful lookup, so that Authorize does not call
	// ResolveGroup on every action; a member removed from a group keeps
	// its rights for up to GroupTTL. Failed lookups are not kept.
	// Authorizer.ForgetGroups drops what is kept. Defaults to 0: every
	// Authorize call that needs a group looks it up.
	GroupTTL time.Duration
	// Clock times GroupTTL. Defaults to executor.SystemClock.
	Clock executor.Clock
}

// Authorizer judges executor actions by roles and bindings; its Authorize
// method is an executor.Config.Authorize. It denies by default: an action
// passes only if a binding of its actor (as a person, through a group, or
// as Authenticated; Anonymous for an empty actor) grants a role whose
// verbs include the action's verb, over a scope that covers what the
// action is about.
//
// An Authorizer is safe for concurrent use. Replace swaps its rules
// atomically: each Authorize call judges by one set of rules, the one in
// place when it began.
type Authorizer struct {
	resolve func(ctx context.Context, group string) ([]string, error)
	cache   *groupCache // nil without GroupTTL
	rules   atomic.Pointer[snapshot]
	replace sync.Mutex // serialises Replace
}

// snapshot is one set of rules, compiled. It is never changed once
// stored.
type snapshot struct {
	bits      map[executor.Verb]verbBits // each known verb's bit
	persons   map[string][]*compiled
	groups    map[string][]*compiled // by group name (without the prefix)
	groupList []groupBindings        // the same, sorted by name
	anonymous []*compiled
	authed    []*compiled
}

type groupBindings struct {
	name     string
	bindings []*compiled
	slot     *groupSlot // its kept members; nil without GroupTTL
}

// verbBits is a set of verbs, one bit each (snapshot.bits).
type verbBits uint64

type compiled struct {
	verbs verbBits
	scope matcher
}

// New returns an Authorizer judging by rules (nil: no bindings, so it
// denies everything). Bad rules are an error matching ErrInvalid, which
// names every problem.
func New(rules *Rules, cfg *Config) (*Authorizer, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	a := &Authorizer{resolve: cfg.ResolveGroup}
	if cfg.GroupTTL > 0 {
		clk := cfg.Clock
		if clk == nil {
			clk = executor.SystemClock
		}
		a.cache = newGroupCache(clk, cfg.GroupTTL)
	}
	if err := a.Replace(rules); err != nil {
		return nil, err
	}
	return a, nil
}

// Replace makes rules the ones every later Authorize call judges by (nil:
// no bindings). Calls already under way finish with the rules they began
// with. Bad rules are an error matching ErrInvalid, and the rules in
// place stay. Kept group members of groups no longer bound are dropped.
func (a *Authorizer) Replace(rules *Rules) error {
	if rules == nil {
		rules = &Rules{}
	}
	s, err := compile(rules)
	if err != nil {
		return err
	}
	a.replace.Lock()
	defer a.replace.Unlock()
	if a.cache != nil {
		a.cache.bind(s)
	}
	a.rules.Store(s)
	return nil
}

// ForgetGroups drops the group members kept for Config.GroupTTL, so the
// next Authorize calls look them up again (after a host learns that a
// group changed).
func (a *Authorizer) ForgetGroups() {
	if a.cache != nil {
		a.cache.forget()
	}
}

// compile validates rules and indexes them by subject.
func compile(rules *Rules) (*snapshot, error) {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, &RulesError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	known := KnownVerbs()
	bits := make(map[executor.Verb]verbBits, len(known))
	for i, v := range known {
		bits[v] = 1 << i
	}
	set := func(vs []executor.Verb) verbBits {
		var b verbBits
		for _, v := range vs {
			b |= bits[v]
		}
		return b
	}
	roles := map[string]verbBits{}
	for _, r := range PredefinedRoles() {
		roles[r.Name] = set(r.Verbs)
	}
	for i, r := range rules.Roles {
		path := fmt.Sprintf("roles[%d]", i)
		switch {
		case !validRoleName(r.Name):
			bad(path+".name", "%q: want 1 to 64 lower-case letters, digits, '-' and '_'", r.Name)
			continue
		case slices.ContainsFunc(PredefinedRoles(), func(p Role) bool { return p.Name == r.Name }):
			bad(path+".name", "%q is a predefined role; give the custom role another name", r.Name)
			continue
		case roles[r.Name] != 0:
			bad(path+".name", "%q: role defined twice", r.Name)
			continue
		}
		if len(r.Verbs) == 0 {
			bad(path+".verbs", "empty: a role grants at least one verb")
		}
		for j, v := range r.Verbs {
			if !slices.Contains(known, v) {
				bad(fmt.Sprintf("%s.verbs[%d]", path, j), "%q is not a verb the executor knows (want one of %s)", v, joinVerbs(known))
			}
		}
		roles[r.Name] = set(r.Verbs)
	}
	s := &snapshot{bits: bits, persons: map[string][]*compiled{}, groups: map[string][]*compiled{}}
	for i, b := range rules.Bindings {
		path := fmt.Sprintf("bindings[%d]", i)
		ok := true
		verbs, known := roles[b.Role]
		if !known {
			bad(path+".role", "%q: no such role (predefined: viewer, operator, approver, release-manager, admin; or one of roles)", b.Role)
			ok = false
		}
		if err := b.Scope.check(); err != nil {
			bad(path+".scope", "%v", err)
			ok = false
		}
		c := &compiled{verbs: verbs, scope: b.Scope.matcher()}
		switch sub := b.Subject; {
		case sub == Anonymous:
			if known && verbs != bits[executor.VerbView] {
				bad(path+".role", "%q: %s may only be bound to a role that grants view alone (the executor requires an actor for everything else)", b.Role, Anonymous)
			} else if ok {
				s.anonymous = append(s.anonymous, c)
			}
		case sub == Authenticated:
			if ok {
				s.authed = append(s.authed, c)
			}
		case strings.HasPrefix(sub, GroupPrefix):
			name := strings.TrimPrefix(sub, GroupPrefix)
			if name == "" || strings.TrimSpace(name) != name {
				bad(path+".subject", "%q: want group:NAME, NAME not empty and without surrounding spaces", sub)
			} else if ok {
				s.groups[name] = append(s.groups[name], c)
			}
		case strings.HasPrefix(sub, systemPrefix):
			bad(path+".subject", "%q: subjects starting with %q are reserved (want %s or %s)", sub, systemPrefix, Anonymous, Authenticated)
		case sub == "" || strings.TrimSpace(sub) != sub:
			bad(path+".subject", "%q: want a person's name, group:NAME, %s or %s", sub, Anonymous, Authenticated)
		default:
			if ok {
				s.persons[sub] = append(s.persons[sub], c)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, g := range slices.Sorted(maps.Keys(s.groups)) {
		s.groupList = append(s.groupList, groupBindings{name: g, bindings: s.groups[g]})
	}
	return s, nil
}

func joinVerbs(vs []executor.Verb) string {
	ss := make([]string, len(vs))
	for i, v := range vs {
		ss[i] = string(v)
	}
	return strings.Join(ss, ", ")
}

func validRoleName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// grants reports whether one of cs grants verb over t.
func grants(cs []*compiled, verb verbBits, t *target) bool {
	for _, c := range cs {
		if c.verbs&verb != 0 && c.scope.matches(t) {
			return true
		}
	}
	return false
}

// Authorize allows act (nil) or refuses it with a *DeniedError (matching
// ErrDenied). It judges act.Verb, or act.Kind.Verb() when Verb is empty
// (the executor sets it); an action whose verb is unknown is refused
// whatever the bindings. It calls Config.ResolveGroup for the groups whose
// bindings would grant the action, unless their members are kept
// (Config.GroupTTL), and only when no binding of the actor as a person or
// as Authenticated grants it first.
func (a *Authorizer) Authorize(ctx context.Context, act *executor.Action) error {
	if act == nil {
		return &DeniedError{}
	}
	s := a.rules.Load()
	verb := act.Verb
	if verb == "" {
		verb = act.Kind.Verb()
	}
	t := targetOf(act)
	deny := func(unresolved []string, errs []error) error {
		return &DeniedError{Actor: act.Actor, Verb: verb, Kind: act.Kind, Unresolved: unresolved, Err: errors.Join(errs...), action: *act}
	}
	bit := s.bits[verb]
	if bit == 0 {
		return deny(nil, nil)
	}
	if act.Actor == "" {
		if grants(s.anonymous, bit, &t) {
			return nil
		}
		return deny(nil, nil)
	}
	if grants(s.persons[act.Actor], bit, &t) || grants(s.authed, bit, &t) {
		return nil
	}
	var unresolved []string
	var errs []error
	var now time.Time // read once, for the kept members
	for i := range s.groupList {
		gb := &s.groupList[i]
		g := gb.name
		if !grants(gb.bindings, bit, &t) {
			continue
		}
		if now.IsZero() {
			now = a.now()
		}
		members, err := a.members(ctx, gb, now)
		if err != nil {
			unresolved = append(unresolved, GroupPrefix+g)
			errs = append(errs, fmt.Errorf("group:%s: %w", g, err))
			continue
		}
		if _, ok := members[act.Actor]; ok {
			return nil
		}
	}
	return deny(unresolved, errs)
}

// now is the time kept members are judged at (zero without GroupTTL).
func (a *Authorizer) now() time.Time {
	if a.cache == nil {
		return time.Time{}
	}
	return a.cache.clock.Now()
}

// members returns the members of group g, kept or looked up.
func (a *Authorizer) members(ctx context.Context, gb *groupBindings, now time.Time) (map[string]struct{}, error) {
	var gen uint64
	g := gb.name
	if gb.slot != nil {
		if m, ok := gb.slot.get(now); ok {
			return m, nil
		}
		gen = a.cache.generation()
	}
	if a.resolve == nil {
		return nil, errors.New("no ResolveGroup configured")
	}
	list, err := a.resolve(ctx, g)
	if err != nil {
		return nil, err
	}
	m := make(map[string]struct{}, len(list))
	for _, p := range list {
		if p != "" {
			m[p] = struct{}{}
		}
	}
	if gb.slot != nil {
		a.cache.put(gb.slot, m, gen)
	}
	return m, nil
}

// describe names what act is about, for refusals.
func describe(act *executor.Action) string {
	var b strings.Builder
	switch {
	case act.Kind == executor.ActionCreate:
		fmt.Fprintf(&b, "a new release of process %s", act.Process)
	case act.Release != "":
		fmt.Fprintf(&b, "release %s", act.Release)
		if act.Activity != "" {
			fmt.Fprintf(&b, " activity %s", act.Activity)
		}
		if act.Process != "" {
			fmt.Fprintf(&b, " (process %s", act.Process)
			if act.Group != "" {
				fmt.Fprintf(&b, ", group %s", act.Group)
			}
			b.WriteByte(')')
		}
	case act.Resource == executor.ResourceInputSet:
		fmt.Fprintf(&b, "input set %q of process %s", act.InputSet, act.Process)
	case act.Resource == executor.ResourceFreeze:
		b.WriteString("freeze")
		if act.Freeze != "" {
			fmt.Fprintf(&b, " %s", act.Freeze)
		}
		describeScope(&b, act)
	case act.Resource == executor.ResourcePolicy:
		b.WriteString("policy")
		if act.Policy != "" {
			fmt.Fprintf(&b, " %s", act.Policy)
		}
		describeScope(&b, act)
	case act.Resource == executor.ResourceGroup:
		fmt.Fprintf(&b, "group %s", act.Group)
	case act.Resource == executor.ResourceProcess:
		fmt.Fprintf(&b, "process %s", act.Process)
	case act.Resource != "":
		b.WriteString(string(act.Resource))
	default:
		b.WriteString("an unnamed resource")
	}
	if t := targetOf(act); len(t.labels) > 0 || len(t.activity) > 0 {
		merged := maps.Clone(t.labels)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, t.activity)
		for k := range merged {
			if strings.HasPrefix(k, executor.ReservedLabelPrefix) {
				delete(merged, k)
			}
		}
		if len(merged) > 0 {
			fmt.Fprintf(&b, " labelled {%s}", FormatSelector(merged))
		}
	}
	return b.String()
}

// describeScope writes the process and group a freeze's or policy's scope
// names (its labels are written with every target's).
func describeScope(b *strings.Builder, act *executor.Action) {
	switch {
	case act.Scope != nil && act.Scope.All:
		b.WriteString(" scoped to everything")
	case act.Process != "" && act.Group != "":
		fmt.Fprintf(b, " (process %s, group %s)", act.Process, act.Group)
	case act.Process != "":
		fmt.Fprintf(b, " (process %s)", act.Process)
	case act.Group != "":
		fmt.Fprintf(b, " (group %s)", act.Group)
	}
}
