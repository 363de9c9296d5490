package release_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

func validPolicy() *release.Policy {
	return &release.Policy{
		ID: "prod-needs-cab", Name: "Prod needs CAB", Enabled: true,
		When:    []release.PolicyPoint{release.PolicyActivityStart},
		Scope:   release.FreezeScope{All: true},
		Rule:    `activity.labels.env != "prod" || approvedBy("cab")`,
		Message: "a production deployment needs a CAB approval in this release",
	}
}

func TestPolicyValidateReportsEveryProblemWithItsField(t *testing.T) {
	require.NoError(t, validPolicy().Validate())
	p := validPolicy()
	p.ID = "Bad ID"
	p.When = []release.PolicyPoint{"sometimes", release.PolicyActivityStart, release.PolicyActivityStart}
	p.Scope = release.FreezeScope{}
	p.Rule = `activity.labels.env == "prod" && `
	p.Message = strings.Repeat("x", release.MaxPolicyDescription+1)
	err := p.Validate()
	require.ErrorIs(t, err, release.ErrInvalidPolicy)
	var ve *release.PolicyValidationError
	require.True(t, errors.As(err, &ve))
	var paths []string
	for _, pr := range ve.Problems {
		paths = append(paths, pr.Path)
	}
	require.Equal(t, []string{"id", "when[0]", "when[2]", "scope", "rule", "message"}, paths)
	require.Contains(t, err.Error(), "offset")
}

func TestPolicyRuleErrorsNameWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name, rule string
		when       []release.PolicyPoint
		msg        string
	}{
		{"unknown root", `env.x == 1`, nil, "unknown name"},
		{"inputs are under release", `inputs.x == 1`, nil, `undeclared input "x"`},
		{"unknown release field", `release.secret == 1`, nil, `unknown release field "secret"`},
		{"not boolean", `"yes"`, nil, "must be boolean"},
		{"arity", `between("08:00", "18:00")`, nil, "between takes 3 arguments, got 2"},
		{"activity at release start", `activity.type == "manual"`, []release.PolicyPoint{release.PolicyReleaseStart}, "no activity"},
		{"empty", "   ", nil, "required"},
		{"method call", `release.name.upper()`, nil, "method call"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validPolicy()
			p.Rule = tc.rule
			if tc.when != nil {
				p.When = tc.when
			}
			err := p.Validate()
			require.ErrorIs(t, err, release.ErrInvalidPolicy)
			require.Contains(t, err.Error(), "rule: ")
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

func policyRelease() *release.Release {
	return &release.Release{
		ID: "r1", Name: "Mobile 1.2", Version: "1.2.0", ProcessID: "mobile", ProcessVersion: 3,
		Group: "payments", Labels: map[string]string{"env": "prod", "team-name": "pay"},
		Inputs: map[string]any{"version": "1.2.0"}, Initiator: "alice", CreatedBy: "alice", Status: release.Running,
		Activities: map[release.ActivityKey]*release.ActivityState{
			"qa.cab": {Key: "qa.cab", Type: process.Approval, Status: release.ActivitySucceeded,
				Attempts:  []release.Attempt{{Number: 1}},
				Approvals: []release.Decision{{Actor: "carol", Approved: true, Attempt: 1}, {Actor: "root", Approved: true, Bypassed: true, Attempt: 1}}},
			"qa.pending": {Key: "qa.pending", Type: process.Approval, Status: release.ActivityWaiting,
				Attempts: []release.Attempt{{Number: 1}}, Approvals: []release.Decision{{Actor: "dave", Approved: true, Attempt: 1}}},
		},
	}
}

func TestPolicyEvalReadsTheReleaseActivityApprovalsAndCalendar(t *testing.T) {
	// Wednesday 2026-12-02 09:30 UTC = 10:30 in Berlin.
	now := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	groups := map[string][]string{"cab": {"carol"}, "root-group": {"root"}, "dev": {"dave"}}
	member := func(actor, group string) (bool, error) {
		ms, ok := groups[group]
		if !ok {
			return false, errors.New("no such group")
		}
		for _, m := range ms {
			if m == actor {
				return true, nil
			}
		}
		return false, nil
	}
	in := func(act *release.PolicyActivity) *release.PolicyInput {
		return &release.PolicyInput{Point: release.PolicyActivityStart, Release: policyRelease(), Vars: map[string]any{"tag": "v1.2.0"},
			Activity: act, Now: now, Member: member}
	}
	deploy := &release.PolicyActivity{Key: "deploy.rollout", Phase: "deploy", ID: "rollout", Type: process.Automated,
		Labels: map[string]string{"env": "prod"}, Uses: "cd.deploy"}
	for _, tc := range []struct {
		rule    string
		pass    bool
		recheck time.Time
		err     bool
	}{
		{rule: `release.labels.env == "prod" && release.labels.team-name == "pay"`, pass: true},
		{rule: `release.process == "mobile" && release.process-version == 3 && release.group == "payments"`, pass: true},
		{rule: `release.inputs.version == "1.2.0" && release.vars.tag == "v1.2.0" && release.initiator == "alice"`, pass: true},
		{rule: `activity.key == "deploy.rollout" && activity.uses == "cd.deploy" && activity.type == "automated"`, pass: true},
		{rule: `activity.labels.env != "prod" || approvedBy("cab")`, pass: true},
		// A bypass is not an approval by the group; an approval still
		// waiting is not completed.
		{rule: `approvedBy("root-group")`, pass: false},
		{rule: `approvedBy("dev")`, pass: false},
		{rule: `len(approvals) == 1 && approvals[0].activity == "qa.cab" && "carol" in approvals[0].approvers`, pass: true},
		{rule: `any(approvals, {any(.decisions, {member(.actor, "cab")})})`, pass: true},
		{rule: `approvedBy("nope")`, err: true},
		{rule: `between("08:00", "18:00", "Europe/Berlin")`, pass: true, recheck: time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)},
		{rule: `between("22:00", "06:00", "Europe/Berlin")`, pass: false, recheck: time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)},
		{rule: `weekday("Europe/Berlin") == "Wednesday"`, pass: true, recheck: time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC)},
		{rule: `localTime("Europe/Berlin") == "10:30" && localDate("Asia/Tokyo") == "2026-12-02"`, pass: true, recheck: now.Add(time.Minute)},
		{rule: `now.weekday == "Wednesday" && now.hour == 9 && now.minute == 30`, pass: true, recheck: now.Add(time.Minute)},
		{rule: `between("08:00", "18:00", "Mars/Base")`, err: true},
		{rule: `between("8", "18:00", "UTC")`, err: true},
		{rule: `!frozen()`, pass: true},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			p := validPolicy()
			p.Rule = tc.rule
			cp, err := p.Compile()
			require.NoError(t, err)
			v := cp.Eval(in(deploy))
			if tc.err {
				require.Error(t, v.Err)
				require.False(t, v.Pass)
				return
			}
			require.NoError(t, v.Err)
			require.Equal(t, tc.pass, v.Pass)
			require.True(t, tc.recheck.Equal(v.Recheck), "recheck %v, want %v", v.Recheck, tc.recheck)
		})
	}
}

func TestPolicyEvalIsBoundedLikeProcessExpressions(t *testing.T) {
	p := validPolicy()
	p.Rule = `len(map(1..100000, {map(1..1000, {#})})) > 0`
	cp, err := p.Compile()
	require.NoError(t, err)
	v := cp.Eval(&release.PolicyInput{Release: policyRelease(), Now: time.Now()})
	require.Error(t, v.Err)
	require.False(t, v.Pass)
}

func TestPolicyOverriddenNamesOneVersion(t *testing.T) {
	r := policyRelease()
	r.PolicyOverrides = []release.PolicyOverride{{Policy: "p", Version: 2, Activity: "deploy.rollout"}, {Policy: "q", Version: 1}}
	require.True(t, r.PolicyOverridden("p", 2, "deploy.rollout"))
	require.False(t, r.PolicyOverridden("p", 3, "deploy.rollout"), "a new version judges afresh")
	require.False(t, r.PolicyOverridden("p", 2, "deploy.other"))
	require.True(t, r.PolicyOverridden("q", 1, "deploy.other"), "a release-wide override covers its activities")
	require.True(t, r.PolicyOverridden("q", 1, ""))
}
