package executor

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

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ErrPolicy is matched (errors.Is) by every *PolicyError.
var ErrPolicy = errors.New("executor: held by a policy")

// ErrNoPolicyStore: the executor's store does not implement
// store.PolicyStore, so it keeps no policies.
var ErrNoPolicyStore = errors.New("executor: the store keeps no policies (it does not implement store.PolicyStore)")

// policyRecheck bounds the wait of something a policy holds when its rule
// reads no time: it is looked at again at least this often (a group's
// membership may have changed).
const policyRecheck = time.Hour

// PolicyError refuses an on-demand start, or an operator's retry, that a
// policy holds back: it names the policy, the version that judged and its
// message. It matches ErrPolicy; when the rule could not be evaluated (a
// policy fails closed) Err says why and errors.As reaches it.
//
//	executor: start: release 0190… is held by policy "Prod needs CAB" (prod-needs-cab, version 3): a production deployment needs a CAB approval; an authorized operator may override it
type PolicyError struct {
	Action   ActionKind
	Release  release.ID
	Activity release.ActivityKey // empty for the release itself
	// Policy, Name and Version name the version of the policy that judged;
	// Message is its message.
	Policy  release.PolicyID
	Name    string
	Version int64
	Message string
	// Err is why the rule could not be evaluated; nil when it was false.
	Err error
	// Recheck is when the verdict may change with time alone; zero when
	// the rule reads no time.
	Recheck time.Time
}

func (e *PolicyError) Error() string {
	var b strings.Builder
	b.WriteString("executor: ")
	if e.Action != "" {
		b.WriteString(string(e.Action) + ": ")
	}
	b.WriteString(e.text())
	return b.String()
}

// text is the error without its prefix: what Why and the event say.
func (e *PolicyError) text() string {
	var b strings.Builder
	if e.Activity != "" {
		b.WriteString("activity " + string(e.Activity) + " of ")
	}
	b.WriteString("release ")
	if e.Release != "" {
		b.WriteString(string(e.Release) + " ")
	}
	fmt.Fprintf(&b, "is held by policy %q (%s, version %d)", e.Name, e.Policy, e.Version)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(" (the rule could not be evaluated: " + e.Err.Error() + ")")
	}
	b.WriteString("; an authorized operator may override it")
	return b.String()
}

// message is what policy.failed records: the policy's message, and why
// the rule could not be evaluated.
func (e *PolicyError) message() string {
	m := e.Message
	if e.Err != nil {
		if m != "" {
			m += " "
		}
		m += "(the rule could not be evaluated: " + e.Err.Error() + ")"
	}
	return m
}

// Is reports whether target is ErrPolicy.
func (e *PolicyError) Is(target error) bool { return target == ErrPolicy }

// Unwrap returns the evaluation error, if any.
func (e *PolicyError) Unwrap() error { return e.Err }

// policyCache holds the enabled policies of the store, compiled, read at
// most every RescanInterval (and at once after this executor changes one),
// as freezeCache holds the freezes.
type policyCache struct {
	mu               sync.Mutex
	loaded           time.Time
	sig              string
	list             []*release.CompiledPolicy
	byVersion        map[string]*release.CompiledPolicy // list by "id@version": a read compiles only what changed
	started, applied uint64
	// gen counts the changes of list (see waitForFreeze).
	gen atomic.Uint64
}

// activePolicies returns the enabled policies, compiled, in ID order.
func (e *Executor) activePolicies(ctx context.Context) []*release.CompiledPolicy {
	if e.policies == nil {
		return nil
	}
	c := &e.pol
	c.mu.Lock()
	fresh := !c.loaded.IsZero() && (!e.cfg.rescans() || e.clock.Now().Sub(c.loaded) < e.cfg.RescanInterval)
	list := c.list
	c.mu.Unlock()
	if fresh {
		return list
	}
	list, _ = e.loadPolicies(ctx, false)
	return list
}

// loadPolicies reads the enabled policies and reports whether they changed
// since the last read; when they did (or force is set), everything that
// waits for a freeze or a policy looks again now.
func (e *Executor) loadPolicies(ctx context.Context, force bool) ([]*release.CompiledPolicy, bool) {
	c := &e.pol
	c.mu.Lock()
	c.started++
	read := c.started
	c.mu.Unlock()
	on := true
	p := &store.ListPoliciesParams{Enabled: &on, Limit: store.MaxLimit}
	var list []*release.CompiledPolicy
	var sig strings.Builder
	c.mu.Lock()
	known := c.byVersion
	c.mu.Unlock()
	byVersion := map[string]*release.CompiledPolicy{}
	for {
		page, err := e.policies.ListPolicies(ctx, p)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("executor: listing policies", "err", err)
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.list, false
		}
		for _, pol := range page.Policies {
			key := fmt.Sprintf("%s@%d", pol.ID, pol.Version)
			if cp := known[key]; cp != nil {
				list = append(list, cp)
				byVersion[key] = cp
				sig.WriteString(key + ",")
				continue
			}
			cp, err := pol.Compile()
			if err != nil {
				// Stored policies were validated; one that no longer
				// compiles holds everything in its scope (fails closed).
				e.log.Error("executor: a stored policy cannot be compiled; it holds everything in its scope", "policy", pol.ID, "version", pol.Version, "err", err)
				fallback := pol.Clone()
				fallback.Rule = "false"
				fallback.Message = strings.TrimSpace(pol.Message + " (the stored rule cannot be compiled: " + err.Error() + ")")
				if cp, err = fallback.Compile(); err != nil {
					continue
				}
			}
			list = append(list, cp)
			byVersion[key] = cp
			sig.WriteString(key + ",")
		}
		if page.Next == "" {
			break
		}
		p.Cursor = page.Next
	}
	c.mu.Lock()
	if read < c.applied {
		defer c.mu.Unlock()
		return c.list, false
	}
	c.applied = read
	changed := force || (!c.loaded.IsZero() && c.sig != sig.String())
	if changed || c.sig != sig.String() {
		c.gen.Add(1)
	}
	c.list, c.sig, c.loaded, c.byVersion = list, sig.String(), e.clock.Now(), byVersion
	c.mu.Unlock()
	if changed {
		e.fireWaits()
	}
	return list, changed
}

// fireWaits fires now every timer waiting for a freeze or a policy, to
// look again.
func (e *Executor) fireWaits() {
	e.fz.mu.Lock()
	waits := slices.Collect(maps.Keys(e.fz.waits))
	clear(e.fz.waits)
	e.fz.mu.Unlock()
	now := e.clock.Now()
	for _, k := range waits {
		if e.timers.has(k) {
			e.timers.set(k, now)
		}
	}
}

// refreshPolicies reads the policies again (with the freezes, every
// RescanInterval while Run runs), so that policies stored by other
// executors take effect here.
func (e *Executor) refreshPolicies(ctx context.Context) {
	if e.policies != nil {
		e.loadPolicies(ctx, false)
	}
}

// judge returns a *PolicyError when an enabled policy judging at the
// release's start (i < 0) or at the start of its activity i fails, in
// policy ID order, and no override lets the release or activity through
// the version that judged; nil when every policy passes. vars are the
// release's variables; r, when not nil, is the release's run, whose
// evaluator keeps what it may between checks (else one is made for this
// check).
func (e *Executor) judge(ctx context.Context, rel *release.Release, p *plan, vars map[string]any, i int32, r *run) *PolicyError {
	ps := e.activePolicies(ctx)
	if len(ps) == 0 {
		return nil
	}
	point, subj := release.PolicyReleaseStart, releaseSubject(rel)
	var k release.ActivityKey
	if i >= 0 {
		point, k = release.PolicyActivityStart, p.acts[i].key
		subj.Activity, subj.ActivityLabels = true, p.acts[i].labels
	}
	for j, cp := range ps {
		pol := cp.Policy()
		if !pol.Judges(point) || !pol.Scope.Matches(subj) || rel.PolicyOverridden(pol.ID, pol.Version, k) {
			continue
		}
		// The first policy that applies: judge from it on.
		var c *policyCheck
		if r != nil {
			c = r.policyCheck()
		} else {
			c = newPolicyCheck(e, ctx, rel, vars, p)
		}
		c.begin(p, i, point, subj)
		failed, v := c.ev.Judge(ps[j:], c.applies)
		if failed == nil {
			return nil
		}
		pol = failed.Policy()
		return &PolicyError{Release: rel.ID, Activity: k, Policy: pol.ID, Name: pol.DisplayName(), Version: pol.Version,
			Message: pol.Message, Err: v.Err, Recheck: v.Recheck}
	}
	return nil
}

// policyCheck judges the policies of one release: its evaluator, the
// check being judged, and the executor's answers to member() and frozen().
// A run keeps one (run.policyCheck), so that what the evaluator keeps
// serves every check of the release.
type policyCheck struct {
	release.PolicyCheck
	e       *Executor
	ctx     context.Context
	ev      *release.PolicyEvaluator
	rel     *release.Release
	subj    release.FreezeSubject
	key     release.ActivityKey // the activity's; empty at release-start
	act     release.PolicyActivity
	applies func(*release.CompiledPolicy) bool // c.appliesTo
}

func newPolicyCheck(e *Executor, ctx context.Context, rel *release.Release, vars map[string]any, p *plan) *policyCheck {
	c := &policyCheck{e: e, ctx: ctx, ev: release.NewPolicyEvaluator(rel, vars, p.approvals), rel: rel}
	c.Member, c.Frozen, c.applies = c.member, c.frozen, c.appliesTo
	return c
}

// appliesTo reports whether cp judges the check begun last: at its point,
// over its subject, and no override lets it through.
func (c *policyCheck) appliesTo(cp *release.CompiledPolicy) bool {
	pol := cp.Policy()
	return pol.Judges(c.Point) && pol.Scope.Matches(c.subj) && !c.rel.PolicyOverridden(pol.ID, pol.Version, c.key)
}

// begin starts the check of the release's start (i < 0) or of its
// activity i, now.
func (c *policyCheck) begin(p *plan, i int32, point release.PolicyPoint, subj release.FreezeSubject) {
	c.Point, c.subj, c.Now, c.Activity, c.key = point, subj, c.e.clock.Now(), nil, ""
	c.e.fz.mu.Lock()
	c.Freezes = c.e.fz.gen
	c.e.fz.mu.Unlock()
	if i >= 0 {
		ai := &p.acts[i]
		c.act = release.PolicyActivity{Key: ai.key, Phase: ai.ref.Phase, ID: ai.ref.Activity, Type: ai.act.EffectiveType(),
			Labels: ai.labels, Uses: ai.act.Uses, Process: ai.act.Process}
		c.Activity, c.Shape, c.key = &c.act, ai.shape, ai.key
	}
	c.ev.Begin(&c.PolicyCheck)
}

// frozen says whether an enabled freeze holds the subject now, and until
// when; if none does, when the first window of a freeze in scope opens
// (zero: none will).
func (c *policyCheck) frozen() (bool, time.Time) {
	fs := c.e.activeFreezes(c.ctx)
	if fe := frozenAt(fs, c.subj, c.Now, func(release.FreezeID) bool { return false }); fe != nil {
		return true, fe.Until
	}
	var next time.Time
	for _, cf := range fs {
		if cf.f.Scope.Matches(c.subj) {
			if s := cf.w.NextStart(c.Now); !s.IsZero() && (next.IsZero() || s.Before(next)) {
				next = s
			}
		}
	}
	return false, next
}

// member asks Config.ResolveGroup whether actor is in group.
func (c *policyCheck) member(actor, group string) (bool, error) {
	if c.e.cfg.ResolveGroup == nil {
		return false, errors.New("no group resolver (Config.ResolveGroup)")
	}
	ms, err := c.e.cfg.ResolveGroup(c.ctx, group)
	if err != nil {
		return false, err
	}
	return slices.Contains(ms, actor), nil
}

// policyCheck returns the run's policy check, made on first use.
func (r *run) policyCheck() *policyCheck {
	if r.policy == nil {
		r.policy = newPolicyCheck(r.e, r.e.background(), r.rel, r.scope.Vars, r.p)
	}
	return r.policy
}

// until is when something pe holds looks again by the clock alone.
func (pe *PolicyError) until(now time.Time) time.Time {
	if !pe.Recheck.IsZero() && pe.Recheck.Before(now.Add(policyRecheck)) {
		return pe.Recheck
	}
	return now.Add(policyRecheck)
}

// releasePolicy judges the release's start now.
func (r *run) releasePolicy(action ActionKind) *PolicyError {
	pe := r.e.judge(r.e.background(), r.rel, r.p, r.scope.Vars, -1, r)
	if pe != nil {
		pe.Action = action
	}
	return pe
}

// activityPolicy judges the start of activity i now.
func (r *run) activityPolicy(action ActionKind, i int32) *PolicyError {
	pe := r.e.judge(r.e.background(), r.rel, r.p, r.scope.Vars, i, r)
	if pe != nil {
		pe.Action = action
	}
	return pe
}

// recordPolicyFailure records policy.failed for what pe holds, unless the
// same version of the same policy already held it (since its last
// attempt began, for an activity): looking again records nothing new.
func (r *run) recordPolicyFailure(pe *PolicyError) {
	if last := r.rel.LastPolicyFailure(pe.Activity); last != nil && last.Policy == pe.Policy && last.Version == pe.Version {
		a := r.rel.Activities[pe.Activity]
		if pe.Activity == "" || len(a.Attempts) == 0 || a.Attempts[len(a.Attempts)-1].StartedAt.Before(last.At) {
			return
		}
	}
	r.emit(r.actor(), pe.text(), &release.PolicyFailedPayload{Policy: pe.Policy, Version: pe.Version, Activity: pe.Activity, Message: pe.message()})
	r.e.log.Info("executor: held by a policy", "release", r.id, "activity", pe.Activity, "policy", pe.Policy, "version", pe.Version)
}

// holdActivityPolicy keeps activity i from starting while a policy fails
// for it: it stays Pending, policy.failed is recorded, and it looks again
// when the verdict may change with time, when the policies or freezes
// change, when another activity of the release is done (an approval
// completing), after an override, and at least every hour. It reports
// whether it held the activity.
func (r *run) holdActivityPolicy(i int32) bool {
	seen := r.e.waitGen()
	pe := r.activityPolicy("", i)
	if pe == nil {
		return false
	}
	r.recordPolicyFailure(pe)
	if r.policyHeld == nil {
		r.policyHeld = map[int32]bool{}
	}
	r.policyHeld[i] = true
	k := timerKey{rel: r.id, kind: timerFreezeWait, act: i}
	until, e := pe.until(r.now()), r.e
	r.onCommit = append(r.onCommit, func() { e.waitForFreeze(k, until, seen) })
	return true
}

// holdRetryPolicy keeps the automatic next attempt of activity i from
// starting while a policy fails for it: its retry timer waits as a held
// first attempt does. It reports whether it held the attempt.
func (r *run) holdRetryPolicy(i int32) bool {
	seen := r.e.waitGen()
	pe := r.activityPolicy("", i)
	if pe == nil {
		return false
	}
	r.recordPolicyFailure(pe)
	k := timerKey{rel: r.id, kind: timerRetry, act: i, attempt: int32(len(r.state(i).Attempts) + 1)}
	until, e := pe.until(r.now()), r.e
	r.onCommit = append(r.onCommit, func() { e.waitForFreeze(k, until, seen) })
	return true
}

// holdStartPolicy keeps a Scheduled release from starting by itself while
// a policy fails for its start: it stays Scheduled, policy.failed is
// recorded and, when arm is set, its start timer looks again as a held
// activity does. (A group's scheduler, which starts its releases itself,
// passes arm false and looks again on its own.) It reports whether it held
// the release.
func (r *run) holdStartPolicy(arm bool) bool {
	seen := r.e.waitGen()
	pe := r.releasePolicy("")
	if pe == nil {
		return false
	}
	r.recordPolicyFailure(pe)
	if arm {
		k := timerKey{rel: r.id, kind: timerStart}
		until, e := pe.until(r.now()), r.e
		r.onCommit = append(r.onCommit, func() { e.waitForFreeze(k, until, seen) })
	}
	return true
}

// recheckPolicyHolds makes the activities a policy holds look again (an
// activity of the release is done: an approval they wait for, say).
func (r *run) recheckPolicyHolds() {
	for i := range r.policyHeld {
		delete(r.policyHeld, i)
		if r.state(i).Status == release.ActivityPending {
			r.e.timers.stop(timerKey{rel: r.id, kind: timerFreezeWait, act: i})
			r.e.forgetWait(timerKey{rel: r.id, kind: timerFreezeWait, act: i})
			r.ready = append(r.ready, i)
		}
	}
}

// createPolicy judges the start of a release about to be created and
// started at once (on demand): a *PolicyError refuses it.
func (e *Executor) createPolicy(ctx context.Context, rel *release.Release, p *plan) *PolicyError {
	if len(e.activePolicies(ctx)) == 0 {
		return nil
	}
	vars, _ := p.compiled.Variables(policyScope(rel))
	pe := e.judge(ctx, rel, p, vars, -1, nil)
	if pe != nil {
		pe.Action, pe.Release = ActionCreate, ""
	}
	return pe
}

// policyScope is the scope a release's variables are evaluated in.
func policyScope(rel *release.Release) *process.Scope {
	return &process.Scope{Inputs: rel.Inputs, Release: map[string]any{
		"id": string(rel.ID), "name": rel.Name, "version": rel.Version,
		"group": string(rel.Group), "scheduled-for": rel.ScheduledFor.UTC().Format(time.RFC3339),
	}}
}

// policyReason says, for Why, which policy holds the release's start
// (i < 0) or its activity i now; nil when none does.
func (e *Executor) policyReason(ctx context.Context, rel *release.Release, p *plan, i int32) *Reason {
	if len(e.activePolicies(ctx)) == 0 {
		return nil
	}
	vars, _ := p.compiled.Variables(policyScope(rel))
	pe := e.judge(ctx, rel, p, vars, i, nil)
	if pe == nil {
		return nil
	}
	return &Reason{Kind: ReasonPolicy, Policy: pe.Policy, PolicyVersion: pe.Version, Status: pe.message(), Until: pe.until(e.clock.Now()),
		Text: pe.text()}
}

// PutPolicyParams are the arguments of PutPolicy.
type PutPolicyParams struct {
	// By names who stores the policy (Actor, required) and why (Reason,
	// passed to the authorizer).
	By
	// Policy is the policy to store. Version 0 creates it (the id must be
	// free); otherwise it stores the next version iff the latest stored
	// version is still Version (else an error matching store.ErrConflict).
	Policy *release.Policy
}

// PutPolicy validates a policy (every field at once, its rule compiled:
// an error matching ErrInvalid with the *release.PolicyValidationError in
// the chain) and stores it as a new version, after Config.Authorize
// allowed ActionPutPolicy (Action.Policy and Action.NewPolicy say which
// and what, Action.Scope and the labels its scope), on the new version
// and, when one is stored, on the latest stored version: a right over the
// scope of one does not re-scope the other. CreatedBy and CreatedAt are set to the actor and the
// executor's clock. It takes effect on this executor at once (what a
// policy holds looks again, and the new version judges), on others within
// their RescanInterval. It returns the stored version.
func (e *Executor) PutPolicy(ctx context.Context, p *PutPolicyParams) (*release.Policy, error) {
	if p == nil || p.Policy == nil {
		return nil, invalidf(ActionPutPolicy, "policy: required")
	}
	if e.policies == nil {
		return nil, fmt.Errorf("executor: %s: %w", ActionPutPolicy, ErrNoPolicyStore)
	}
	pol := p.Policy.Clone()
	a := policyAction(ActionPutPolicy, p.By, pol.ID, pol)
	a.NewPolicy = pol.Clone()
	if err := e.authorize(ctx, a); err != nil {
		return nil, err
	}
	if pol.Version != 0 {
		// A new version is judged on the latest stored one too (see
		// PutGroup); storing it fails unless that is still the latest.
		old, err := e.policies.GetPolicy(ctx, pol.ID, 0)
		if err != nil {
			return nil, fmt.Errorf("executor: %s: policy %s: %w", ActionPutPolicy, pol.ID, err)
		}
		if old.Version != pol.Version {
			return nil, fmt.Errorf("executor: %s: policy %s: version %d, latest stored %d: %w", ActionPutPolicy, pol.ID, pol.Version, old.Version, store.ErrConflict)
		}
		a := policyAction(ActionPutPolicy, p.By, pol.ID, old)
		a.NewPolicy = pol.Clone()
		if err := e.authorize(ctx, a); err != nil {
			return nil, err
		}
	}
	pol.CreatedBy, pol.CreatedAt = p.Actor, e.clock.Now()
	if err := pol.Validate(); err != nil {
		return nil, invalid(ActionPutPolicy, err)
	}
	stored, err := e.policies.PutPolicy(ctx, pol)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: policy %s: %w", ActionPutPolicy, pol.ID, err)
	}
	e.loadPolicies(ctx, true)
	return stored, nil
}

// GetPolicy returns version v of a stored policy, or its latest version
// when v is 0; the authorizer sees ActionView of that version
// (Action.Policy names it, Action.Scope is its scope; p may be nil:
// anonymous). The caller owns the copy.
func (e *Executor) GetPolicy(ctx context.Context, id release.PolicyID, v int64, p *By) (*release.Policy, error) {
	if e.policies == nil {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, ErrNoPolicyStore)
	}
	return e.storedPolicy(ctx, ActionView, id, v, p.value())
}

// storedPolicy reads version v of policy id (0: the latest) and asks the
// authorizer for kind by by on it. One that is not stored is asked about
// without a scope (only a right over every policy covers it), then
// reported not found.
func (e *Executor) storedPolicy(ctx context.Context, kind ActionKind, id release.PolicyID, v int64, by By) (*release.Policy, error) {
	pol, err := e.policies.GetPolicy(ctx, id, v)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("executor: %s: policy %s: %w", kind, id, err)
	}
	if aerr := e.authorize(ctx, policyAction(kind, by, id, pol)); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, fmt.Errorf("executor: %s: policy %s: %w: %w", kind, id, ErrNotFound, err)
	}
	return pol, nil
}

// ListPoliciesParams are the arguments of ListPolicies.
type ListPoliciesParams struct {
	// By names the reader; policies the authorizer refuses to show
	// (ActionView) are left out of the page.
	By
	store.ListPoliciesParams
}

// ListPolicies returns a page of the latest version of each stored policy
// (see store.ListPoliciesParams), leaving out those the authorizer refuses
// to show (ActionView with Action.Policy and Action.Scope set, once per
// policy).
func (e *Executor) ListPolicies(ctx context.Context, p *ListPoliciesParams) (*store.PolicyPage, error) {
	if p == nil {
		return nil, invalidf(ActionView, "params: required")
	}
	if e.policies == nil {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, ErrNoPolicyStore)
	}
	lp := p.ListPoliciesParams
	page, err := e.policies.ListPolicies(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, err)
	}
	page.Policies = viewable(ctx, e, page.Policies, func(pol *release.Policy) *Action { return policyAction(ActionView, p.By, pol.ID, pol) })
	return page, nil
}

// ListPolicyVersionsParams are the arguments of ListPolicyVersions.
type ListPolicyVersionsParams struct {
	// By names the reader; the authorizer sees ActionView.
	By
	store.ListPolicyVersionsParams
}

// ListPolicyVersions returns a page of every stored version of one policy,
// oldest first: which rule judged when. The authorizer sees ActionView of
// its latest version (a refusal is an error), then of each version on the
// page, leaving out those it refuses to show (a version scoped elsewhere).
func (e *Executor) ListPolicyVersions(ctx context.Context, p *ListPolicyVersionsParams) (*store.PolicyVersionPage, error) {
	if p == nil || p.ID == "" {
		return nil, invalidf(ActionView, "id: required")
	}
	if e.policies == nil {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, ErrNoPolicyStore)
	}
	latest, err := e.storedPolicy(ctx, ActionView, p.ID, 0, p.By)
	if err != nil {
		return nil, err
	}
	lp := p.ListPolicyVersionsParams
	page, err := e.policies.ListPolicyVersions(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: policy %s: %w", ActionView, p.ID, err)
	}
	if e.cfg.Authorize != nil {
		page.Policies = slices.DeleteFunc(page.Policies, func(pol *release.Policy) bool {
			return pol.Version != latest.Version && !e.mayView(ctx, policyAction(ActionView, p.By, pol.ID, pol))
		})
	}
	return page, nil
}

// DeletePolicy disables a policy: it stores a new version with Enabled
// false (the versions before it stay, as does every record of them
// judging), after Config.Authorize allowed ActionDeletePolicy on its
// latest version (Action.Scope). What it held looks again at once on this
// executor, on others within their RescanInterval. ErrNotFound when the
// policy does not exist.
func (e *Executor) DeletePolicy(ctx context.Context, id release.PolicyID, p *By) error {
	by := p.value()
	if e.policies == nil {
		return fmt.Errorf("executor: %s: %w", ActionDeletePolicy, ErrNoPolicyStore)
	}
	for try := 0; ; try++ {
		// Judged on the latest version, each time it is read.
		pol, err := e.storedPolicy(ctx, ActionDeletePolicy, id, 0, by)
		if err != nil {
			return err
		}
		pol.Enabled, pol.CreatedBy, pol.CreatedAt = false, by.Actor, e.clock.Now()
		_, err = e.policies.PutPolicy(ctx, pol)
		if errors.Is(err, store.ErrConflict) && try < 3 {
			continue
		}
		if err != nil {
			return fmt.Errorf("executor: %s: policy %s: %w", ActionDeletePolicy, id, err)
		}
		e.loadPolicies(ctx, true)
		return nil
	}
}

// OverridePolicyParams are the arguments of OverridePolicy.
type OverridePolicyParams struct {
	// By names who overrides (Actor) and why (Reason); both required and
	// recorded.
	By
	// Policy is the policy to let the target through (required).
	Policy release.PolicyID
	// Version is the version of the policy let through; 0 means its latest
	// version.
	Version int64
}

// OverridePolicy lets one release (activity k empty) or one activity of it
// through one version of a policy: it records policy.overridden with the
// actor, the reason and the version, after Config.Authorize allowed
// ActionOverridePolicy (Action.Policy names the policy, Action.Release and
// Action.Activity the target, with its labels from the stored release). An
// override of the release covers its activities; an override of an
// activity covers that activity only (its retries too). It covers neither
// another release nor the child releases the release makes (each is judged
// on its own), nor a later version of the policy: a changed policy judges
// afresh. What the policy held in the release looks again at once.
//
// The policy and version must exist (else ErrNotFound); the release must
// not have ended (ErrIllegal).
func (e *Executor) OverridePolicy(ctx context.Context, id release.ID, k release.ActivityKey, p *OverridePolicyParams) error {
	if p == nil || p.Policy == "" {
		return invalidf(ActionOverridePolicy, "policy: required")
	}
	if strings.TrimSpace(p.Reason) == "" {
		return invalidf(ActionOverridePolicy, "reason: required to override a policy")
	}
	if p.Version < 0 {
		return invalidf(ActionOverridePolicy, "version %d: must not be negative", p.Version)
	}
	if e.policies == nil {
		return fmt.Errorf("executor: %s: %w", ActionOverridePolicy, ErrNoPolicyStore)
	}
	pol, err := e.policies.GetPolicy(ctx, p.Policy, p.Version)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("executor: %s: policy %s: %w: %w", ActionOverridePolicy, p.Policy, ErrNotFound, err)
	} else if err != nil {
		return fmt.Errorf("executor: %s: policy %s: %w", ActionOverridePolicy, p.Policy, err)
	}
	sc := pol.Scope.Clone()
	a := &Action{Kind: ActionOverridePolicy, Release: id, Activity: k, Actor: p.Actor, Reason: p.Reason, Policy: p.Policy, Scope: &sc}
	return e.act(ctx, a, func(r *run) error {
		if r.rel.Status.Terminal() {
			return releaseState(ActionOverridePolicy, id, r.rel.Status, release.Scheduled, release.Running, release.Paused)
		}
		if k != "" {
			if _, _, err := r.activity(ActionOverridePolicy, k); err != nil {
				return err
			}
		}
		if !r.emit(p.Actor, p.Reason, &release.PolicyOverriddenPayload{Policy: pol.ID, Version: pol.Version, Activity: k}) {
			return nil
		}
		r.lookAgain(k) // drive runs next
		if k == "" && r.rel.Status == release.Scheduled {
			sk := timerKey{rel: id, kind: timerStart}
			if at, ok := e.timers.when(sk); ok && at.After(r.now()) && e.isFreezeWait(sk) && !r.now().Before(r.rel.ScheduledFor) {
				r.onCommit = append(r.onCommit, func() { e.timers.set(sk, r.now()) })
			}
		}
		return nil
	})
}
