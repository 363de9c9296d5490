package release

import (
	"strings"
	"time"

	"github.com/batonhq/baton/internal/expr"
)

// keep says for how long a verdict of a rule may be kept (see
// PolicyEvaluator), from what the rule reads.
type keep uint8

const (
	// keepRelease: the rule reads nothing of the activity; its verdict
	// holds for every activity (and for the release's start).
	keepRelease keep = iota
	// keepShape: the rule reads the activity's type, labels, adapter
	// kind or subprocess only; its verdict holds for every activity of
	// the same shape (PolicyCheck.Shape).
	keepShape
	// keepNever: the rule reads the activity's identity (key, phase, id,
	// or the whole activity), the instant (now) or the freezes
	// (frozen()): it is evaluated at every check.
	keepNever
)

// keepOf reads, from a rule's references, for how long its verdicts may be
// kept and what else they depend on: the approvals, the clock (their
// Recheck), the freezes (frozen(), whose answer also depends on the
// activity's labels and changes with time).
func keepOf(refs []expr.Ref) (k keep, approvals, clock, freezes bool) {
	for _, r := range refs {
		switch r.Kind {
		case expr.RefRoot:
			root, field, _ := strings.Cut(r.Name, ".")
			switch root {
			case "activity":
				switch field {
				case "type", "labels", "uses", "process":
					k = max(k, keepShape)
				default: // key, phase, id, or the whole root
					k = keepNever
				}
			case "now":
				k = keepNever
			case "approvals":
				approvals = true
			}
		case expr.RefFunc:
			switch r.Name {
			case "frozen":
				k, freezes, clock = max(k, keepShape), true, true
			case "approvedBy":
				approvals = true
			case "between", "weekday", "localTime", "localDate":
				clock = true
			}
		}
	}
	return k, approvals, clock, freezes
}

// PolicyCheck is one check that a PolicyEvaluator judges: the release's
// start, or the start of one of its activities.
type PolicyCheck struct {
	// Point is where the check happens.
	Point PolicyPoint
	// Activity is the activity about to start; nil at release-start.
	Activity *PolicyActivity
	// Shape identifies the activity's type, labels, adapter kind and
	// subprocess among the release's activities: two activities with the
	// same Shape must be equal in all four (a rule that reads only those
	// judges them alike). Number the shapes of a release from 0 (the
	// evaluator keeps verdicts by shape in a slice); ignored at
	// release-start.
	Shape int
	// Now is the instant of the check.
	Now time.Time
	// Member and Frozen are as in PolicyInput; Frozen's change is when
	// its answer next changes with time (zero: it does not).
	Member func(actor, group string) (bool, error)
	Frozen func() (frozen bool, change time.Time)
	// Freezes changes whenever the freezes may have (they were read
	// again): verdicts of rules that call frozen() are not kept past it.
	Freezes uint64
}

// PolicyEvaluator judges the policies of one release, check after check
// (its start, then each activity's), as CompiledPolicy.Eval would, but
// builds what the rules read of the release once and keeps each policy's
// verdict for as long as nothing the rule reads can have changed: a rule
// that reads nothing of the activity is evaluated once for the release
// (once per release start), one that reads only the activity's type,
// labels, adapter kind or subprocess once per shape of activity. A kept
// verdict is evaluated again when
//
//   - the release's status or scheduled time changed (a release moved);
//   - the rule reads the approvals (approvals, approvedBy) and an approval
//     activity of the release changed (an attempt, a decision, its status);
//   - the rule asked about a membership (member, approvedBy) and the
//     answer to one of those questions is no longer the same (they are
//     asked again at every check: a verdict does not outlive a change of
//     membership);
//   - the rule reads the time of day (between, weekday, localTime,
//     localDate) and the instant at which its answer may change (the
//     verdict's Recheck) has come;
//   - the rule calls frozen() and the freezes changed (PolicyCheck.Freezes)
//     or the instant at which a freeze window in scope opens or ends has
//     come (frozen() depends on the activity's labels: such a rule is
//     kept per shape of activity).
//
// A verdict that is an error is never kept. A rule that reads the
// activity's key, phase or id, or the instant (now), is evaluated at
// every check. A new version of a policy is another CompiledPolicy,
// judged afresh.
//
// The release's labels, inputs, name, process and initiator, and the
// variables, must not change while the evaluator is used (they do not in
// a release's life). A PolicyEvaluator is not safe for concurrent use.
type PolicyEvaluator struct {
	in        PolicyInput // the release, its variables, and the check being judged
	ev        policyEval
	status    Status
	scheduled time.Time
	approvals []ActivityKey
	stamps    []approvalStamp
	gen       uint64 // counts changes of the approvals
	shape     int    // the check's PolicyCheck.Shape
	freezes   uint64 // the check's PolicyCheck.Freezes
	// kept are the verdicts kept, by policy and slot (see slot); nkept
	// counts them.
	kept  map[*CompiledPolicy][]*keptVerdict
	nkept int
	evals int // rules evaluated (for tests)
}

// approvalStamp is what changes when an approval activity does.
type approvalStamp struct {
	status             ActivityStatus
	attempts, decision int
}

type keptVerdict struct {
	v       PolicyVerdict
	gen     uint64 // PolicyEvaluator.gen when judged
	freezes uint64 // PolicyCheck.Freezes when judged
	members []membership
}

// membership is one question a rule asked about a group, and its answer.
type membership struct {
	actor, group string
	ok           bool
}

// maxKept bounds the verdicts a PolicyEvaluator keeps; past it, it forgets
// them all.
const maxKept = 4096

// NewPolicyEvaluator returns an evaluator for the checks of rel, whose
// variables are vars and whose approval activities are approvals (their
// changes make the verdicts of rules that read approvals be evaluated
// again).
func NewPolicyEvaluator(rel *Release, vars map[string]any, approvals []ActivityKey) *PolicyEvaluator {
	pe := &PolicyEvaluator{approvals: approvals, kept: map[*CompiledPolicy][]*keptVerdict{}}
	pe.in = PolicyInput{Release: rel, Vars: vars}
	pe.ev.in = &pe.in
	pe.ev.scope = expr.Scope{Roots: make(map[string]any, 4), Funcs: pe.ev.funcs()}
	pe.ev.record = true
	pe.stamps = make([]approvalStamp, len(approvals))
	pe.status, pe.scheduled = rel.Status, rel.ScheduledFor
	pe.stampApprovals()
	return pe
}

// stampApprovals reports whether an approval activity changed since the
// last call.
func (pe *PolicyEvaluator) stampApprovals() bool {
	changed := false
	for i, k := range pe.approvals {
		var s approvalStamp
		if a := pe.in.Release.Activities[k]; a != nil {
			s = approvalStamp{a.Status, len(a.Attempts), len(a.Approvals)}
		}
		if s != pe.stamps[i] {
			pe.stamps[i], changed = s, true
		}
	}
	return changed
}

// Begin starts judging check c: Eval judges it until the next Begin.
func (pe *PolicyEvaluator) Begin(c *PolicyCheck) {
	rel := pe.in.Release
	roots := pe.ev.scope.Roots
	if rel.Status != pe.status || !rel.ScheduledFor.Equal(pe.scheduled) {
		pe.status, pe.scheduled = rel.Status, rel.ScheduledFor
		delete(roots, "release")
		clear(pe.kept)
		pe.nkept = 0
	}
	if pe.stampApprovals() {
		pe.gen++
		delete(roots, "approvals")
		pe.ev.approvals = nil
	}
	pe.in.Point, pe.in.Activity, pe.in.Now, pe.in.Member, pe.in.Frozen = c.Point, c.Activity, c.Now, c.Member, c.Frozen
	delete(roots, "activity")
	delete(roots, "now")
	clear(pe.ev.members)
	pe.shape, pe.freezes = c.Shape, c.Freezes
}

// Eval judges the check begun last with cp (its scope is not checked here:
// see Policy.Judges and FreezeScope.Matches).
func (pe *PolicyEvaluator) Eval(cp *CompiledPolicy) PolicyVerdict {
	slot := pe.slot(cp)
	var slots []*keptVerdict
	if slot >= 0 {
		slots = pe.kept[cp]
		if slot < len(slots) {
			if kv := slots[slot]; kv != nil && pe.valid(cp, kv) {
				return kv.v
			}
		}
	}
	pe.ev.asked = pe.ev.asked[:0]
	pe.evals++
	v := cp.evalIn(&pe.ev)
	if slot >= 0 && v.Err == nil {
		if pe.nkept >= maxKept {
			clear(pe.kept)
			pe.nkept, slots = 0, nil
		}
		if slot >= len(slots) {
			slots = append(slots, make([]*keptVerdict, slot+1-len(slots))...)
			pe.kept[cp] = slots
		}
		kv := slots[slot]
		if kv == nil {
			kv = &keptVerdict{}
			slots[slot] = kv
			pe.nkept++
		}
		kv.v, kv.gen, kv.freezes = v, pe.gen, pe.freezes
		kv.members = append(kv.members[:0], pe.ev.asked...)
	}
	return v
}

// slot is where cp's verdict for the check begun last is kept: 0 at
// release-start, 1 at an activity's start for a rule that reads nothing
// of it, 2 + the activity's shape for a rule that reads its shape; -1
// when it is not kept.
func (pe *PolicyEvaluator) slot(cp *CompiledPolicy) int {
	switch {
	case cp.keep == keepNever:
		return -1
	case pe.in.Activity == nil:
		return 0
	case cp.keep == keepRelease:
		return 1
	case pe.shape < 0 || pe.shape >= maxKept:
		return -1
	}
	return 2 + pe.shape
}

// valid reports whether kv still holds for the check begun last.
func (pe *PolicyEvaluator) valid(cp *CompiledPolicy, kv *keptVerdict) bool {
	if cp.approvals && kv.gen != pe.gen {
		return false
	}
	if cp.clock && !kv.v.Recheck.IsZero() && !pe.in.Now.Before(kv.v.Recheck) {
		return false
	}
	if cp.freezes && kv.freezes != pe.freezes {
		return false
	}
	for _, m := range kv.members {
		ok, err := pe.ev.member(m.actor, m.group)
		if err != nil || ok != m.ok {
			return false
		}
	}
	return true
}
