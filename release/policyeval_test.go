package release

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/stretchr/testify/require"
)

// evalWorld is what the rules of TestPolicyEvaluatorKeepsAVerdictUntilWhatItsRuleReadsChanges read.
type evalWorld struct {
	rel    *Release
	groups map[string][]string
	now    time.Time
	// frozen() answers frozen, changing at change; freezes counts the
	// changes of the freezes.
	frozen  bool
	change  time.Time
	freezes uint64
}

func (w *evalWorld) member(actor, group string) (bool, error) {
	ms, ok := w.groups[group]
	if !ok {
		return false, errors.New("no such group")
	}
	return slices.Contains(ms, actor), nil
}

func (w *evalWorld) check(a *PolicyActivity, shape int) *PolicyCheck {
	return &PolicyCheck{Point: PolicyActivityStart, Activity: a, Shape: shape, Now: w.now, Member: w.member, Frozen: w.frozenNow,
		Freezes: w.freezes}
}

func (w *evalWorld) frozenNow() (bool, time.Time) {
	if !w.change.IsZero() && !w.now.Before(w.change) {
		return !w.frozen, time.Time{}
	}
	return w.frozen, w.change
}

// TestPolicyEvaluatorKeepsAVerdictUntilWhatItsRuleReadsChanges judges one
// activity, changes something, and judges a second: the second verdict must
// be what a fresh evaluation gives, and the rule must have been evaluated
// again exactly when something it reads may have changed.
func TestPolicyEvaluatorKeepsAVerdictUntilWhatItsRuleReadsChanges(t *testing.T) {
	rollout := &PolicyActivity{Key: "p.rollout", Phase: "p", ID: "rollout", Type: process.Automated, Uses: "cd", Labels: map[string]string{"env": "prod"}}
	verify := &PolicyActivity{Key: "p.verify", Phase: "p", ID: "verify", Type: process.Automated, Uses: "cd", Labels: map[string]string{"env": "prod"}}
	check := &PolicyActivity{Key: "p.check", Phase: "p", ID: "check", Type: process.Manual, Labels: map[string]string{"env": "prod"}}
	approve := func(w *evalWorld) {
		a := w.rel.Activities["p.cab"]
		a.Status, a.Approvals = ActivitySucceeded, []Decision{{Actor: "carol", Approved: true, Attempt: 1}}
	}
	nothing := func(*evalWorld) {}
	for _, tc := range []struct {
		name        string
		rule        string
		approved    bool // the CAB approval has passed before the first check
		change      func(w *evalWorld)
		second      *PolicyActivity // judged second; its shape is 0 when it is rollout's
		first, then bool            // the verdicts
		again       bool            // evaluated again for the second
	}{
		{"release rule, another shape", `release.labels.env == "prod"`, false, nothing, check, true, true, false},
		{"activity type, another shape", `activity.type == "automated"`, false, nothing, check, true, false, true},
		{"activity type, the same shape", `activity.type == "automated"`, false, nothing, verify, true, true, false},
		{"activity identity", `activity.key == "p.rollout"`, false, nothing, verify, true, false, true},
		{"approvals, one completed", `len(approvals) == 0`, false, approve, verify, true, false, true},
		{"approvals, another activity changed", `len(approvals) == 0`, false,
			func(w *evalWorld) { w.rel.Activities["p.rollout"].Status = ActivitySucceeded }, verify, true, true, false},
		{"membership asked, changed", `member(release.initiator, "deployers")`, false,
			func(w *evalWorld) { w.groups["deployers"] = []string{"bob"} }, verify, true, false, true},
		{"membership asked, another group changed", `member(release.initiator, "deployers")`, false,
			func(w *evalWorld) { w.groups["cab"] = []string{"dave"} }, check, true, true, false},
		{"an approver's membership, changed", `approvedBy("cab")`, true,
			func(w *evalWorld) { w.groups["cab"] = []string{"dave"} }, verify, true, false, true},
		{"time window, closed since", `between("08:00", "18:00", "UTC")`, false,
			func(w *evalWorld) { w.now = w.now.Add(9 * time.Hour) }, verify, true, false, true},
		{"time window, still open", `between("08:00", "18:00", "UTC")`, false,
			func(w *evalWorld) { w.now = w.now.Add(time.Hour) }, verify, true, true, false},
		{"the instant", `now.hour == 9`, false, func(w *evalWorld) { w.now = w.now.Add(time.Second) }, verify, true, true, true},
		{"a freeze stored since", `!frozen()`, false, func(w *evalWorld) { w.frozen, w.freezes = true, w.freezes+1 }, verify, true, false, true},
		{"a freeze window opened since", `!frozen()`, false, func(w *evalWorld) { w.now = w.now.Add(time.Hour) }, verify, true, false, true},
		{"a freeze window to open later", `!frozen()`, false, func(w *evalWorld) { w.now = w.now.Add(time.Minute) }, verify, true, true, false},
		{"no freeze changed", `!frozen()`, false, nothing, verify, true, true, false},
		{"frozen, another shape", `!frozen()`, false, nothing, check, true, true, true},
		{"release status changed", `release.status == "Running"`, false,
			func(w *evalWorld) { w.rel.Status = Paused }, verify, true, false, true},
		{"release moved", `release.scheduled-for < "2026-12-03"`, false,
			func(w *evalWorld) { w.rel.ScheduledFor = w.rel.ScheduledFor.Add(48 * time.Hour) }, verify, true, false, true},
		{"an error is not kept", `approvedBy("nope")`, true, nothing, verify, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Policy{ID: "p", Enabled: true, When: []PolicyPoint{PolicyActivityStart}, Scope: FreezeScope{All: true}, Rule: tc.rule}
			cp, err := p.Compile()
			require.NoError(t, err)
			w := &evalWorld{
				rel: &Release{ID: "r1", ProcessID: "shop", Labels: map[string]string{"env": "prod"}, Initiator: "alice", Status: Running,
					ScheduledFor: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC),
					Activities: map[ActivityKey]*ActivityState{
						"p.cab":     {Key: "p.cab", Type: process.Approval, Status: ActivityWaiting, Attempts: []Attempt{{Number: 1}}},
						"p.rollout": {Key: "p.rollout", Type: process.Automated, Status: ActivityPending},
					}},
				groups: map[string][]string{"deployers": {"alice"}, "cab": {"carol"}},
				now:    time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC),
			}
			w.change = w.now.Add(time.Hour) // a freeze window opens
			if tc.approved {
				approve(w)
			}
			pe := NewPolicyEvaluator(w.rel, nil, []ActivityKey{"p.cab"})
			pe.Begin(w.check(rollout, 0))
			v := pe.Eval(cp)
			require.Equal(t, tc.first, v.Pass, "first: %v", v.Err)
			// The same through Judge, the policy after one that always
			// passes: what it remembers of a list that passed must not
			// outlive what the rules read either.
			pass, err := (&Policy{ID: "pass", Enabled: true, When: []PolicyPoint{PolicyActivityStart}, Scope: FreezeScope{All: true},
				Rule: `release.id != ""`}).Compile()
			require.NoError(t, err)
			list := []*CompiledPolicy{pass, cp}
			all := func(*CompiledPolicy) bool { return true }
			pj := NewPolicyEvaluator(w.rel, nil, []ActivityKey{"p.cab"})
			pj.Begin(w.check(rollout, 0))
			failed, _ := pj.Judge(list, all)
			require.Equal(t, tc.first, failed == nil)

			tc.change(w)
			shape := 0
			if tc.second != verify {
				shape = 1
			}
			pe.Begin(w.check(tc.second, shape))
			v = pe.Eval(cp)
			fresh := cp.Eval(&PolicyInput{Point: PolicyActivityStart, Release: w.rel, Activity: tc.second, Now: w.now, Member: w.member,
				Frozen: w.frozenNow})
			require.Equal(t, tc.then, v.Pass, "then: %v", v.Err)
			require.Equal(t, fresh.Pass, v.Pass, "as a fresh evaluation")
			require.Equal(t, fresh.Err == nil, v.Err == nil)
			require.Equal(t, map[bool]int{false: 1, true: 2}[tc.again], pe.evals, "evaluated again")

			pj.Begin(w.check(tc.second, shape))
			failed, _ = pj.Judge(list, all)
			require.Equal(t, fresh.Pass, failed == nil, "Judge as a fresh evaluation")
			want := map[bool]int{false: 2, true: 3}[tc.again]
			if w.rel.Status != Running || !w.rel.ScheduledFor.Equal(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)) {
				want++ // a release changed or moved: every verdict is judged again
			}
			require.Equal(t, want, pj.evals, "Judge evaluated again")
		})
	}
}

// A verdict kept for a rule that asked about a membership is checked by
// asking again at every check; those questions are not noted again, so
// what the evaluator holds does not grow with the checks.
func TestPolicyEvaluatorHoldsNoMoreForMoreChecks(t *testing.T) {
	p := &Policy{ID: "p", Enabled: true, When: []PolicyPoint{PolicyActivityStart}, Scope: FreezeScope{All: true},
		Rule: `member(release.initiator, "deployers")`}
	cp, err := p.Compile()
	require.NoError(t, err)
	w := &evalWorld{rel: &Release{ID: "r1", Initiator: "alice", Status: Running}, groups: map[string][]string{"deployers": {"alice"}},
		now: time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)}
	pe := NewPolicyEvaluator(w.rel, nil, nil)
	a := &PolicyActivity{Key: "p.a", Type: process.Automated}
	for range 1000 {
		pe.Begin(w.check(a, 0))
		require.True(t, pe.Eval(cp).Pass)
	}
	require.Equal(t, 1, pe.evals)
	require.LessOrEqual(t, cap(pe.ev.asked), 4)
	require.Equal(t, 1, pe.nkept)
}

// Judge remembers a list that passed by the list itself: another list
// (a policy replaced by its new version) is judged, and a release with an
// override is judged policy by policy.
func TestPolicyEvaluatorJudgeRemembersOnlyTheListThatPassed(t *testing.T) {
	compile := func(id, rule string) *CompiledPolicy {
		cp, err := (&Policy{ID: PolicyID(id), Enabled: true, When: []PolicyPoint{PolicyActivityStart}, Scope: FreezeScope{All: true}, Rule: rule}).Compile()
		require.NoError(t, err)
		return cp
	}
	p1, p2, p2v2 := compile("p1", "true"), compile("p2", "true"), compile("p2", "false")
	w := &evalWorld{rel: &Release{ID: "r1", Initiator: "alice", Status: Running}, now: time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)}
	a := &PolicyActivity{Key: "p.a", Type: process.Automated}
	pe := NewPolicyEvaluator(w.rel, nil, nil)
	all := func(*CompiledPolicy) bool { return true }
	pe.Begin(w.check(a, 0))
	failed, _ := pe.Judge([]*CompiledPolicy{p1, p2}, all)
	require.Nil(t, failed)

	pe.Begin(w.check(a, 0))
	failed, _ = pe.Judge([]*CompiledPolicy{p1, p2v2}, all)
	require.Equal(t, p2v2, failed, "a new list, with p2's next version, is judged")

	list := []*CompiledPolicy{p1, p2}
	pe.Begin(w.check(a, 0))
	failed, _ = pe.Judge(list, all)
	require.Nil(t, failed)
	w.rel.PolicyOverrides = []PolicyOverride{{Policy: "p9", Version: 1, Activity: "p.b"}}
	pe.Begin(w.check(a, 0))
	calls := 0
	failed, _ = pe.Judge(list, func(*CompiledPolicy) bool { calls++; return true })
	require.Nil(t, failed)
	require.Equal(t, 2, calls, "with an override, which policies apply is asked again")
}
