package release

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/internal/expr"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/schedule"
)

// PolicyID identifies a policy; every version of a policy shares it.
type PolicyID string

// PolicyPoint names a moment a policy judges.
type PolicyPoint string

// The points at which policies are checked.
const (
	// PolicyReleaseStart: before a release starts (on demand, at its
	// scheduled time, by its group, or as a subprocess's child).
	PolicyReleaseStart PolicyPoint = "release-start"
	// PolicyActivityStart: before each attempt of an activity starts (its
	// first, an automatic retry or an operator's retry).
	PolicyActivityStart PolicyPoint = "activity-start"
)

// ErrInvalidPolicy is matched (errors.Is) by every *PolicyValidationError.
var ErrInvalidPolicy = errors.New("release: invalid policy")

// Policy is a rule every release, or every activity, in its Scope must
// obey, written as an expression in the language of process documents. It
// is a versioned object: a store keeps every version, and the version that
// judged is recorded. The fields are plain data; Validate checks them all
// at once and Compile makes the rule ready to evaluate.
//
// The rule is an expression in the language of process documents
// (expr-lang, with hyphenated names reached as written), with these roots
// and functions instead of inputs, vars and phases:
//
//	release.id, .name, .version        the release (version: its version label)
//	release.process, .process-version  the pinned process
//	release.group                      its release group ("" on demand)
//	release.labels                     map of its labels (release.labels.env)
//	release.inputs, release.vars       maps of its resolved inputs and variables
//	release.initiator, .created-by     who initiated the release tree, who made it
//	release.scheduled-for              RFC 3339
//	release.status                     Scheduled at release-start, Running at activity-start
//	activity.key                       "phase.activity" (activity-start only)
//	activity.phase, activity.id        its phase and id
//	activity.type                      automated, manual, approval or subprocess
//	activity.labels                    its effective labels (its phase's merged under its own)
//	activity.uses                      the adapter kind of an automated activity
//	activity.process                   the process a subprocess activity runs
//	approvals                          the completed (succeeded) approvals of this
//	                                   release: a list of maps with activity (key),
//	                                   approvers (who approved, bypasses excluded) and
//	                                   decisions (actor, approved, bypassed, at)
//	now.time, now.unix, now.date       the evaluation instant, in UTC
//	now.weekday, now.hour, now.minute  ("Monday", 0-23, 0-59; UTC)
//
//	between("08:00", "18:00", "Europe/Berlin")  the local time is in [from, to);
//	                                   a window past midnight ("22:00", "06:00") wraps
//	weekday("Europe/Berlin")           "Monday" ... "Sunday", local
//	localTime(tz), localDate(tz)       "15:04" and "2006-01-02", local
//	member(actor, group)               actor is a member of group (the host's resolver)
//	approvedBy(group)                  a completed approval of this release has an
//	                                   approving decision, not a bypass, by a member of group
//	frozen()                           an enabled freeze holds this release or activity
//	                                   now (whether or not an override lets it through)
//
// So "an activity labelled env=prod needs an approval by cab in this
// release" is `activity.labels.env != "prod" || approvedBy("cab")`, and "no
// release of group payments outside office hours in Berlin" is a policy
// scoped to the group with the rule `between("08:00", "18:00",
// "Europe/Berlin") && !(weekday("Europe/Berlin") in ["Saturday", "Sunday"])`.
//
// Evaluation is bounded as process expressions are (source length, AST
// size, iterations and memory). A rule that cannot be evaluated (a bad
// time zone, a group the resolver cannot resolve, a wrong type) fails: a
// policy fails closed.
type Policy struct {
	ID PolicyID `json:"id"`
	// Name is shown to people; empty means the ID.
	Name string `json:"name,omitempty"`
	// Description says what the policy is for.
	Description string `json:"description,omitempty"`
	// Version numbers the stored versions of the policy, from 1; stores
	// assign it.
	Version int64 `json:"version"`
	// Enabled is false while the policy is switched off (or deleted): it
	// judges nothing.
	Enabled bool `json:"enabled"`
	// When lists the points the policy judges at (at least one).
	When []PolicyPoint `json:"when"`
	// Scope says which releases and activities the policy judges; it reads
	// as a freeze's scope does (all, groups, processes, labels).
	Scope FreezeScope `json:"scope"`
	// Rule is a boolean expression that must be true for the release or
	// activity to start.
	Rule string `json:"rule"`
	// Message says, to the people held back, what the policy demands.
	Message string `json:"message,omitempty"`
	// CreatedBy and CreatedAt say who stored this version, and when.
	CreatedBy string    `json:"created-by,omitempty"`
	CreatedAt time.Time `json:"created-at"`
}

// Clone returns a deep copy of p.
func (p *Policy) Clone() *Policy {
	if p == nil {
		return nil
	}
	c := *p
	c.When = slices.Clone(p.When)
	c.Scope = p.Scope.Clone()
	return &c
}

// DisplayName returns the policy's Name, or its ID when it has none.
func (p *Policy) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	return string(p.ID)
}

// Judges reports whether the policy is enabled and judges at point.
func (p *Policy) Judges(point PolicyPoint) bool {
	return p.Enabled && slices.Contains(p.When, point)
}

// PolicyValidationError lists every problem found in a policy, in field
// order. It matches ErrInvalidPolicy. A problem of the rule carries the
// *expr error text with the byte offset in the rule.
type PolicyValidationError struct {
	Policy   PolicyID
	Problems []process.Problem
}

func (e *PolicyValidationError) Error() string {
	return problemsText("policy", string(e.Policy), e.Problems)
}

// Is reports whether target is ErrInvalidPolicy.
func (e *PolicyValidationError) Is(target error) bool { return target == ErrInvalidPolicy }

// Limits on a policy's text fields.
const (
	// MaxPolicyDescription bounds Description and Message, in bytes.
	MaxPolicyDescription = 4096
)

// Validate checks every field of p, compiling its rule, and returns a
// *PolicyValidationError listing all the problems, or nil. Paths name the
// JSON fields ("when[1]", "rule", "scope.labels.env").
func (p *Policy) Validate() error {
	_, err := p.Compile()
	return err
}

// Compile validates p (see Validate) and compiles its rule. The result is
// immutable and safe for concurrent use; it keeps a copy of p.
func (p *Policy) Compile() (*CompiledPolicy, error) {
	var ps problems
	add := ps.add
	text := func(path, v string, limit int, required bool) { ps.text(path, v, limit, required, true) }
	if p.ID == "" {
		add("id", "required")
	} else if !process.ValidID(string(p.ID)) {
		add("id", "%q is not a valid policy id: want lower-case letters, digits, '-' and '_', starting with a letter or digit", p.ID)
	}
	text("name", p.Name, maxGroupText, false)
	if strings.Contains(p.Name, "\n") {
		add("name", "must be one line")
	}
	text("description", p.Description, MaxPolicyDescription, false)
	if p.Version < 0 {
		add("version", "%d: must not be negative", p.Version)
	}
	if len(p.When) == 0 {
		add("when", "required: %s, %s or both", PolicyReleaseStart, PolicyActivityStart)
	}
	for i, w := range p.When {
		switch {
		case w != PolicyReleaseStart && w != PolicyActivityStart:
			add(fmt.Sprintf("when[%d]", i), "%q: want %s or %s", w, PolicyReleaseStart, PolicyActivityStart)
		case slices.Index(p.When, w) < i:
			add(fmt.Sprintf("when[%d]", i), "%q: listed twice", w)
		}
	}
	sc := p.Scope
	if !sc.All && len(sc.Groups) == 0 && len(sc.Processes) == 0 && len(sc.Labels) == 0 {
		add("scope", "required: all, or groups, processes or labels")
	}
	if sc.All && (len(sc.Groups) > 0 || len(sc.Processes) > 0 || len(sc.Labels) > 0) {
		add("scope", "all judges everything: groups, processes and labels must be empty with it")
	}
	for i, g := range sc.Groups {
		text(fmt.Sprintf("scope.groups[%d]", i), string(g), maxGroupText, true)
	}
	for i, pr := range sc.Processes {
		text(fmt.Sprintf("scope.processes[%d]", i), string(pr), maxGroupText, true)
	}
	for _, k := range slices.Sorted(maps.Keys(sc.Labels)) {
		if err := process.CheckLabel(k, sc.Labels[k]); err != nil {
			add("scope.labels."+k, "%v", err)
		}
	}
	var cond *expr.Condition
	if strings.TrimSpace(p.Rule) == "" {
		add("rule", "required: a boolean expression")
	} else {
		c, err := expr.CompileCondition(p.Rule, policyEnv)
		if err != nil {
			add("rule", "%v", err)
		} else {
			cond = c
			if !slices.Contains(p.When, PolicyActivityStart) {
				for _, r := range c.Refs() {
					if r.Kind == expr.RefRoot && (r.Name == "activity" || strings.HasPrefix(r.Name, "activity.")) {
						add("rule", "reads %s at offset %d, but the policy judges only at %s, where there is no activity", r.Name, r.Offset, PolicyReleaseStart)
						break
					}
				}
			}
		}
	}
	text("message", p.Message, MaxPolicyDescription, false)
	text("created-by", p.CreatedBy, maxGroupText, false)
	if len(ps) > 0 {
		return nil, &PolicyValidationError{Policy: p.ID, Problems: ps}
	}
	cp := &CompiledPolicy{p: p.Clone(), cond: cond}
	cp.keep, cp.approvals, cp.clock, cp.freezes = keepOf(cond.Refs())
	for _, r := range cond.Refs() {
		switch r.Kind {
		case expr.RefRoot:
			root, _, _ := strings.Cut(r.Name, ".")
			switch root {
			case "release":
				cp.needs |= needRelease
			case "activity":
				cp.needs |= needActivity
			case "approvals":
				cp.needs |= needApprovals
			case "now":
				cp.needs |= needNow
			}
		}
	}
	return cp, nil
}

// needs says which parts of the environment a rule reads, so that an
// evaluation builds only those.
type needs uint8

const (
	needRelease needs = 1 << iota
	needActivity
	needApprovals
	needNow
)

// policyEnv declares what a rule reads (see PolicyEnvironment).
var policyEnv = func() *expr.Env {
	env := &expr.Env{
		Roots: map[string][]string{
			"release": {"id", "name", "version", "process", "process-version", "group", "labels",
				"inputs", "vars", "initiator", "created-by", "scheduled-for", "status"},
			"activity":  {"key", "phase", "id", "type", "labels", "uses", "process"},
			"approvals": nil,
			"now":       {"time", "unix", "date", "weekday", "hour", "minute"},
		},
		Funcs: map[string]int{
			"between":    3,
			"weekday":    1,
			"localTime":  1,
			"localDate":  1,
			"member":     2,
			"approvedBy": 1,
			"frozen":     0,
		},
	}
	env.Index()
	return env
}()

// PolicyInput is what a policy judges.
type PolicyInput struct {
	// Point is where the check happens.
	Point PolicyPoint
	// Release is the release judged (read only). Vars are its variables.
	Release *Release
	Vars    map[string]any
	// Activity is the activity about to start; nil at release-start.
	Activity *PolicyActivity
	// Now is the instant of the check.
	Now time.Time
	// Member reports whether actor is a member of group; nil: nobody is
	// a member of any group.
	Member func(actor, group string) (bool, error)
	// Frozen says whether an enabled freeze holds the subject now, and
	// when that next changes with time (zero: it does not); called only by
	// rules that call frozen(). Nil: no freeze holds anything.
	Frozen func() (frozen bool, change time.Time)

	ev *policyEval // what Eval built from it, kept for the next policy
}

// PolicyActivity describes the activity a policy judges.
type PolicyActivity struct {
	Key     ActivityKey
	Phase   process.PhaseID
	ID      process.ActivityID
	Type    process.ActivityType
	Labels  map[string]string
	Uses    string
	Process process.ID
}

// Subject returns what the policy's scope is matched against.
func (in *PolicyInput) Subject() FreezeSubject {
	s := FreezeSubject{Group: in.Release.Group, Process: in.Release.ProcessID, Labels: in.Release.Labels}
	if in.Activity != nil {
		s.Activity = true
		s.ActivityLabels = in.Activity.Labels
	}
	return s
}

// CompiledPolicy is a validated policy with its rule compiled.
type CompiledPolicy struct {
	p     *Policy
	cond  *expr.Condition
	needs needs
	// What a PolicyEvaluator may keep of its verdicts (see keepOf).
	keep                      keep
	approvals, clock, freezes bool
}

// Policy returns the policy compiled; it must not be changed.
func (c *CompiledPolicy) Policy() *Policy { return c.p }

// PolicyVerdict is the result of one evaluation.
type PolicyVerdict struct {
	// Pass is true when the rule held.
	Pass bool
	// Err is why the rule could not be evaluated (then Pass is false).
	Err error
	// Recheck is the earliest instant at which the verdict may change with
	// time alone (a time helper's answer changes); zero when the rule reads
	// no time.
	Recheck time.Time
}

// Eval judges in. The scope is not checked here: see Judges and
// FreezeScope.Matches. What the rule reads is built from in once and kept
// in it for the next policies judging the same input, so in must not be
// used by two goroutines at once, nor changed between two Evals.
func (c *CompiledPolicy) Eval(in *PolicyInput) PolicyVerdict {
	return c.evalIn(in.eval())
}

// evalIn evaluates the rule over what ev holds (and builds what it lacks).
func (c *CompiledPolicy) evalIn(ev *policyEval) PolicyVerdict {
	in := ev.in
	ev.recheck = time.Time{}
	roots := ev.scope.Roots
	if c.needs&needRelease != 0 && roots["release"] == nil {
		roots["release"] = releaseValue(in.Release, in.Vars)
	}
	if c.needs&needActivity != 0 && roots["activity"] == nil {
		roots["activity"] = activityValue(in.Activity)
	}
	if c.needs&needApprovals != 0 && roots["approvals"] == nil {
		roots["approvals"] = ev.approvalList()
	}
	if c.needs&needNow != 0 {
		u := in.Now.UTC()
		if roots["now"] == nil {
			roots["now"] = map[string]any{"time": u.Format(time.RFC3339), "unix": int(u.Unix()), "date": u.Format(time.DateOnly),
				"weekday": u.Weekday().String(), "hour": u.Hour(), "minute": u.Minute()}
		}
		ev.changes(u.Truncate(time.Minute).Add(time.Minute))
	}
	if ev.evaluator == nil {
		ev.evaluator = expr.NewEvaluator(&ev.scope)
	}
	ok, err := c.cond.EvalIn(ev.evaluator)
	return PolicyVerdict{Pass: ok && err == nil, Err: err, Recheck: ev.recheck}
}

// eval returns the evaluation state kept in in, made on first use.
func (in *PolicyInput) eval() *policyEval {
	if in.ev == nil {
		in.ev = &policyEval{in: in}
		in.ev.scope = expr.Scope{Roots: make(map[string]any, 4), Funcs: in.ev.funcs()}
	}
	return in.ev
}

// policyEval is the state of the evaluations of one PolicyInput: the
// values built for the rules, the functions' closures, and what the rule
// being evaluated found about time.
type policyEval struct {
	in        *PolicyInput
	scope     expr.Scope
	evaluator *expr.Evaluator
	approvals []any // nil until built
	recheck   time.Time
	members   map[[2]string]bool
	// record: every membership the rule asks about is noted in asked
	// (for a PolicyEvaluator, which asks them again before it reuses a
	// verdict).
	record bool
	asked  []membership
}

// approvalList builds the approvals root once.
func (ev *policyEval) approvalList() []any {
	if ev.approvals == nil {
		ev.approvals = approvalsValue(ev.in.Release)
	}
	return ev.approvals
}

// changes notes that the verdict may change at t.
func (ev *policyEval) changes(t time.Time) {
	if !t.IsZero() && t.After(ev.in.Now) && (ev.recheck.IsZero() || t.Before(ev.recheck)) {
		ev.recheck = t
	}
}

func stringArg(args []any, i int, what string) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", fmt.Errorf("argument %d (%s): want a string, got %T", i+1, what, args[i])
	}
	return s, nil
}

func (ev *policyEval) local(args []any, i int) (time.Time, *time.Location, error) {
	tz, err := stringArg(args, i, "time zone")
	if err != nil {
		return time.Time{}, nil, err
	}
	loc, err := schedule.LoadLocation(tz)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	return ev.in.Now.In(loc), loc, nil
}

// nextMidnight is the next local midnight after t.
func nextMidnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh > 24 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q: want a time of day HH:MM", s)
	}
	return hh*60 + mm, nil
}

func (ev *policyEval) funcs() map[string]func(args ...any) (any, error) {
	return map[string]func(args ...any) (any, error){
		"between": func(args ...any) (any, error) {
			from, err := stringArg(args, 0, "from")
			if err != nil {
				return nil, err
			}
			to, err := stringArg(args, 1, "to")
			if err != nil {
				return nil, err
			}
			f, err := parseClock(from)
			if err != nil {
				return nil, err
			}
			t, err := parseClock(to)
			if err != nil {
				return nil, err
			}
			at, loc, err := ev.local(args, 2)
			if err != nil {
				return nil, err
			}
			m := at.Hour()*60 + at.Minute()
			y, mo, d := at.Date()
			for _, day := range []int{d, d + 1} {
				for _, b := range []int{f, t} {
					ev.changes(time.Date(y, mo, day, 0, b, 0, 0, loc))
				}
			}
			if f <= t {
				return f <= m && m < t, nil
			}
			return m >= f || m < t, nil
		},
		"weekday": func(args ...any) (any, error) {
			at, loc, err := ev.local(args, 0)
			if err != nil {
				return nil, err
			}
			ev.changes(nextMidnight(at, loc))
			return at.Weekday().String(), nil
		},
		"localDate": func(args ...any) (any, error) {
			at, loc, err := ev.local(args, 0)
			if err != nil {
				return nil, err
			}
			ev.changes(nextMidnight(at, loc))
			return at.Format(time.DateOnly), nil
		},
		"localTime": func(args ...any) (any, error) {
			at, _, err := ev.local(args, 0)
			if err != nil {
				return nil, err
			}
			ev.changes(ev.in.Now.Truncate(time.Minute).Add(time.Minute))
			return at.Format("15:04"), nil
		},
		"member": func(args ...any) (any, error) {
			actor, err := stringArg(args, 0, "actor")
			if err != nil {
				return nil, err
			}
			group, err := stringArg(args, 1, "group")
			if err != nil {
				return nil, err
			}
			return ev.member(actor, group)
		},
		"approvedBy": func(args ...any) (any, error) {
			group, err := stringArg(args, 0, "group")
			if err != nil {
				return nil, err
			}
			for _, a := range ev.approvalList() {
				for _, actor := range a.(map[string]any)["approvers"].([]any) {
					ok, err := ev.member(actor.(string), group)
					if err != nil {
						return nil, err
					}
					if ok {
						return true, nil
					}
				}
			}
			return false, nil
		},
		"frozen": func(...any) (any, error) {
			if ev.in.Frozen == nil {
				return false, nil
			}
			frozen, change := ev.in.Frozen()
			ev.changes(change)
			return frozen, nil
		},
	}
}

// member asks PolicyInput.Member once per actor and group.
func (ev *policyEval) member(actor, group string) (bool, error) {
	group = strings.TrimPrefix(group, "group:")
	k := [2]string{actor, group}
	ok, seen := ev.members[k]
	if !seen && ev.in.Member != nil {
		var err error
		if ok, err = ev.in.Member(actor, group); err != nil {
			return false, fmt.Errorf("group %q: %w", group, err)
		}
		if ev.members == nil {
			ev.members = map[[2]string]bool{}
		}
		ev.members[k] = ok
	}
	if ev.record {
		ev.asked = append(ev.asked, membership{actor, group, ok})
	}
	return ok, nil
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func releaseValue(r *Release, vars map[string]any) map[string]any {
	return map[string]any{
		"id": string(r.ID), "name": r.Name, "version": r.Version,
		"process": string(r.ProcessID), "process-version": r.ProcessVersion,
		"group": string(r.Group), "labels": stringMap(r.Labels),
		"inputs": r.Inputs, "vars": vars, // read only: expressions change nothing
		"initiator": r.Initiator, "created-by": r.CreatedBy,
		"scheduled-for": r.ScheduledFor.UTC().Format(time.RFC3339), "status": string(r.Status),
	}
}

func activityValue(a *PolicyActivity) map[string]any {
	if a == nil {
		return map[string]any{"labels": map[string]any{}}
	}
	return map[string]any{
		"key": string(a.Key), "phase": string(a.Phase), "id": string(a.ID), "type": string(a.Type),
		"labels": stringMap(a.Labels), "uses": a.Uses, "process": string(a.Process),
	}
}

// approvalsValue lists the succeeded approval activities of r, in key
// order, with the decisions of their last attempt.
func approvalsValue(r *Release) []any {
	var keys []ActivityKey
	for k, a := range r.Activities {
		if a.Type == process.Approval && a.Status == ActivitySucceeded {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		a := r.Activities[k]
		approvers, decisions := []any{}, []any{}
		for _, d := range a.Decisions() {
			if d.Approved && !d.Bypassed {
				approvers = append(approvers, d.Actor)
			}
			decisions = append(decisions, map[string]any{"actor": d.Actor, "approved": d.Approved, "bypassed": d.Bypassed,
				"at": d.At.UTC().Format(time.RFC3339)})
		}
		out = append(out, map[string]any{"activity": string(k), "approvers": approvers, "decisions": decisions})
	}
	return out
}

// PolicyFailure records that a policy held a release, or one activity of
// it, back (policy.failed).
type PolicyFailure struct {
	Policy  PolicyID `json:"policy"`
	Version int64    `json:"version"`
	// Activity is the activity held; empty for the release's start.
	Activity ActivityKey `json:"activity,omitempty"`
	Message  string      `json:"message,omitempty"`
	At       time.Time   `json:"at"`
}

// PolicyOverride records that an operator let one release, or one
// activity of it, through a version of a policy (policy.overridden).
type PolicyOverride struct {
	Policy  PolicyID `json:"policy"`
	Version int64    `json:"version"`
	// Activity is the activity let through; empty for the whole release.
	Activity ActivityKey `json:"activity,omitempty"`
	Actor    string      `json:"actor"`
	Reason   string      `json:"reason,omitempty"`
	At       time.Time   `json:"at"`
}

// PolicyOverridden reports whether an override lets activity k (or, when k
// is empty, the release itself) through version v of policy p: an override
// of the whole release covers its activities too. An override names one
// version: a new version of the policy judges afresh.
func (r *Release) PolicyOverridden(p PolicyID, v int64, k ActivityKey) bool {
	for _, o := range r.PolicyOverrides {
		if o.Policy == p && o.Version == v && (o.Activity == "" || o.Activity == k) {
			return true
		}
	}
	return false
}

// LastPolicyFailure returns the last policy.failed recorded for activity
// k (empty: the release's start), or nil.
func (r *Release) LastPolicyFailure(k ActivityKey) *PolicyFailure {
	for i := len(r.PolicyFailures) - 1; i >= 0; i-- {
		if r.PolicyFailures[i].Activity == k {
			return &r.PolicyFailures[i]
		}
	}
	return nil
}

// PolicyFailedPayload is the payload of policy.failed: the policy Policy,
// at version Version, held the release's start (no Activity) or its
// activity Activity back, saying Message. It is kept in
// Release.PolicyFailures.
type PolicyFailedPayload struct {
	Policy   PolicyID    `json:"policy"`
	Version  int64       `json:"version"`
	Activity ActivityKey `json:"activity,omitempty"`
	Message  string      `json:"message,omitempty"`
}

// PolicyOverriddenPayload is the payload of policy.overridden: the event's
// Actor let the release (no Activity) or one of its activities through
// version Version of policy Policy, for the event's Reason. It is kept in
// Release.PolicyOverrides.
type PolicyOverriddenPayload struct {
	Policy   PolicyID    `json:"policy"`
	Version  int64       `json:"version"`
	Activity ActivityKey `json:"activity,omitempty"`
}

// EventKind returns KindPolicyFailed.
func (PolicyFailedPayload) EventKind() EventKind { return KindPolicyFailed }

// EventKind returns KindPolicyOverridden.
func (PolicyOverriddenPayload) EventKind() EventKind { return KindPolicyOverridden }
