package release_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/batonhq/baton/release"
)

// FuzzPolicyCompile feeds arbitrary rules and policy documents to Compile:
// it must never panic, a policy it accepts must evaluate without panicking
// (passing, failing or with an error), and every refusal must be a
// *PolicyValidationError.
func FuzzPolicyCompile(f *testing.F) {
	for _, s := range []string{
		`activity.labels.env != "prod" || approvedBy("cab")`,
		`between("08:00", "18:00", "Europe/Berlin") && !(weekday("Europe/Berlin") in ["Saturday", "Sunday"])`,
		`any(approvals, {any(.decisions, {member(.actor, "cab")})})`,
		`release.labels.team-name == "pay" && now.hour > 8`,
		`between("22:00", "06:00", release.labels.tz)`,
		`${{ frozen() }}`,
		`len(map(1..1000, {#})) > 3`,
		`between(`,
		`member("a")`,
		`"a" + "b"`,
	} {
		f.Add(s, []byte(`{"id":"p","when":["activity-start"],"scope":{"all":true},"enabled":true}`))
	}
	f.Add("true", []byte(`{"id":"p","when":["release-start","nope"],"scope":{"labels":{"env":"prod"}}}`))
	now := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC) // a DST change in Europe
	f.Fuzz(func(t *testing.T, rule string, doc []byte) {
		var p release.Policy
		_ = json.Unmarshal(doc, &p)
		p.Rule = rule
		cp, err := p.Compile()
		if err != nil {
			if _, ok := err.(*release.PolicyValidationError); !ok {
				t.Fatalf("refusal is %T, want *release.PolicyValidationError: %v", err, err)
			}
			return
		}
		in := &release.PolicyInput{Point: release.PolicyActivityStart, Release: policyRelease(), Now: now,
			Activity: &release.PolicyActivity{Key: "deploy.rollout", Labels: map[string]string{"env": "prod"}},
			Member:   func(actor, group string) (bool, error) { return actor == "carol", nil }}
		v := cp.Eval(in)
		if v.Pass && v.Err != nil {
			t.Fatalf("passed with an error: %v", v.Err)
		}
		if !v.Recheck.IsZero() && !v.Recheck.After(now) {
			t.Fatalf("recheck %v is not after now", v.Recheck)
		}
	})
}
