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
		})
	}
}
