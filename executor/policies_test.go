package executor

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/sqlite"
)

// cabProcess has a CAB approval and, independent of it, a prod rollout and
// its verification.
const cabProcess = `
id: cabbed
phases:
  - id: gate
    activities:
      - {id: cab, type: approval, approval: {approvers: ['group:cab']}}
  - id: prod
    labels: {env: prod}
    activities:
      - {id: rollout, uses: noop}
      - {id: verify, uses: noop, depends-on: [rollout]}
`

func prodNeedsCAB() *release.Policy {
	return &release.Policy{ID: "prod-needs-cab", Name: "Prod needs CAB", Enabled: true,
		When: []release.PolicyPoint{release.PolicyActivityStart}, Scope: release.FreezeScope{All: true},
		Rule:    `activity.labels.env != "prod" || approvedBy("cab")`,
		Message: "a production change needs a CAB approval in this release"}
}

func resolveCAB(_ context.Context, g string) ([]string, error) {
	switch g {
	case "cab":
		return []string{"carol"}, nil
	}
	return nil, errors.New("unknown group " + g)
}

func (h *harness) putPolicy(p *release.Policy) *release.Policy {
	h.t.Helper()
	stored, err := h.ex.PutPolicy(context.Background(), &PutPolicyParams{Policy: p, By: By{Actor: "alice"}})
	require.NoError(h.t, err)
	return stored
}

func eventsOf(evs []release.Event, k release.EventKind) []release.Event {
	var out []release.Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func failedPayload(t *testing.T, e release.Event) *release.PolicyFailedPayload {
	t.Helper()
	p, err := release.DecodePayload(e)
	require.NoError(t, err)
	return p.(*release.PolicyFailedPayload)
}

func TestAProdActivityWaitsForACABApprovalInItsReleaseAndTheHoldSurvivesARestart(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, &Config{ResolveGroup: resolveCAB}, ad)
	h.put(cabProcess)
	h.putPolicy(prodNeedsCAB())
	ctx := context.Background()

	id := h.create("cabbed", nil)
	h.waitActivity(id, "gate.cab", release.ActivityWaiting)
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(id), release.KindPolicyFailed)) == 1 }))
	require.Never(t, func() bool { return len(ad.Calls()) > 0 }, 50*time.Millisecond, 5*time.Millisecond)
	require.Equal(t, release.ActivityPending, h.get(id).Activities["prod.rollout"].Status)

	ev := eventsOf(h.events(id), release.KindPolicyFailed)[0]
	p := failedPayload(t, ev)
	require.Equal(t, release.PolicyID("prod-needs-cab"), p.Policy)
	require.Equal(t, int64(1), p.Version, "the version that judged is recorded")
	require.Equal(t, release.ActivityKey("prod.rollout"), p.Activity)
	require.Equal(t, "a production change needs a CAB approval in this release", p.Message)

	x, err := h.ex.Why(ctx, id, "prod.rollout", nil)
	require.NoError(t, err)
	require.Len(t, x.Reasons, 1, "%+v", x.Reasons)
	r := x.Reasons[0]
	require.Equal(t, ReasonPolicy, r.Kind)
	require.Equal(t, release.PolicyID("prod-needs-cab"), r.Policy)
	require.Equal(t, int64(1), r.PolicyVersion)
	require.Contains(t, r.Text, `is held by policy "Prod needs CAB" (prod-needs-cab, version 1): a production change needs a CAB approval`)

	// A restart judges again: still held, and nothing new recorded.
	h.shutdown()
	h.start()
	require.Never(t, func() bool { return len(ad.Calls()) > 0 }, 50*time.Millisecond, 5*time.Millisecond)
	require.Len(t, eventsOf(h.events(id), release.KindPolicyFailed), 1)

	// Someone outside the group approving does not count either; carol does.
	h.advance(policyRecheck) // the hourly look changes nothing
	require.Len(t, eventsOf(h.events(id), release.KindPolicyFailed), 1, "looking again records nothing new")
	require.Error(t, h.ex.Approve(ctx, id, "gate.cab", &DecisionParams{By: By{Actor: "mallory"}}))
	require.NoError(t, h.ex.Approve(ctx, id, "gate.cab", &DecisionParams{By: By{Actor: "carol"}}))
	h.waitStatus(id, release.Succeeded)
	require.Equal(t, []release.ActivityKey{"prod.rollout", "prod.verify"}, ad.order())
}

func TestATimeWindowPolicyHoldsAnActivityUntilTheWindowOpensOnTheClock(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(deployProcess)
	// t0 is 10:00 in Berlin; prod changes only from 12:00.
	h.putPolicy(&release.Policy{ID: "office-hours", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart},
		Scope: prodOnly, Rule: `between("12:00", "18:00", "Europe/Berlin")`, Message: "prod changes between 12:00 and 18:00 Berlin time"})
	opens := t0.Add(2 * time.Hour)

	id := h.create("deploy", nil)
	h.waitActivity(id, "build.compile", release.ActivitySucceeded)
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(id), release.KindPolicyFailed)) == 1 }))
	x, err := h.ex.Why(context.Background(), id, "prod.rollout", nil)
	require.NoError(t, err)
	require.Equal(t, ReasonPolicy, x.Reasons[0].Kind)
	require.True(t, x.Reasons[0].Until.Equal(t0.Add(policyRecheck)), "looked at again within the hour, and when the window opens: %s", x.Reasons[0].Until)

	h.until(opens.Add(-time.Second))
	require.Equal(t, []release.ActivityKey{"build.compile"}, ad.order())
	h.until(opens)
	h.waitStatus(id, release.Succeeded)
	require.True(t, h.get(id).Activities["prod.rollout"].StartedAt.Equal(opens))
}

func TestReleaseStartPoliciesRefuseAnOnDemandStartAndHoldAScheduledOne(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(deployProcess)
	h.putPolicy(&release.Policy{ID: "no-prod-releases", Name: "No prod releases", Enabled: true,
		When: []release.PolicyPoint{release.PolicyReleaseStart}, Scope: release.FreezeScope{Processes: []process.ID{"deploy"}},
		Rule: `release.labels.env != "prod" || between("12:00", "18:00", "Europe/Berlin")`, Message: "prod releases start in the afternoon"})
	ctx := context.Background()

	_, err := h.ex.Create(ctx, &CreateParams{Process: "deploy", Labels: map[string]string{"env": "prod"}, By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrPolicy)
	var pe *PolicyError
	require.True(t, errors.As(err, &pe))
	require.Equal(t, release.PolicyID("no-prod-releases"), pe.Policy)
	require.Equal(t, int64(1), pe.Version)
	require.Equal(t, ActionCreate, pe.Action)
	require.Contains(t, err.Error(), `executor: create: release is held by policy "No prod releases" (no-prod-releases, version 1): prod releases start in the afternoon`)
	page, err := h.store.ListReleases(ctx, &store.ListReleasesParams{})
	require.NoError(t, err)
	require.Empty(t, page.Releases, "a refused on-demand start stores nothing")

	// Out of scope, or not prod: it starts.
	h.waitStatus(h.create("deploy", nil), release.Succeeded)

	// A scheduled start is held, recorded, and goes once the rule passes.
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "deploy", Labels: map[string]string{"env": "prod"}, ScheduledFor: t0.Add(time.Hour), By: By{Actor: "alice"}})
	require.NoError(t, err)
	h.until(t0.Add(time.Hour))
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(sum.ID), release.KindPolicyFailed)) == 1 }))
	require.Equal(t, release.Scheduled, h.get(sum.ID).Status)
	x, err := h.ex.Why(ctx, sum.ID, "build.compile", nil)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(x.Reasons, func(r Reason) bool { return r.Kind == ReasonPolicy && r.Policy == "no-prod-releases" }), "%+v", x.Reasons)
	// Starting it by hand is refused too.
	require.ErrorIs(t, h.ex.Start(ctx, sum.ID, &By{Actor: "alice"}), ErrPolicy)
	h.until(t0.Add(2 * time.Hour))
	r := h.waitStatus(sum.ID, release.Succeeded)
	require.True(t, r.StartedAt.Equal(t0.Add(2*time.Hour)))
	require.Len(t, eventsOf(h.events(sum.ID), release.KindPolicyFailed), 1)
}

func TestPolicyOverridesAreAuthorizedRecordedAndCoverOnlyTheirTargetAndVersion(t *testing.T) {
	ad := &recorder{kind: "noop"}
	var mu sync.Mutex
	var seen []Action
	auth := func(_ context.Context, a *Action) error {
		if a.Kind == ActionOverridePolicy {
			mu.Lock()
			seen = append(seen, *a)
			mu.Unlock()
			if a.Actor != "carol" {
				return errForTest
			}
		}
		return nil
	}
	h := newHarness(t, &Config{Authorize: auth, ResolveGroup: resolveCAB}, ad)
	h.put(cabProcess)
	h.putPolicy(prodNeedsCAB())
	ctx := context.Background()
	a := h.create("cabbed", nil)
	b := h.create("cabbed", nil)
	for _, id := range []release.ID{a, b} {
		require.True(t, waitFor(func() bool { return len(eventsOf(h.events(id), release.KindPolicyFailed)) == 1 }))
	}

	o := &OverridePolicyParams{Policy: "prod-needs-cab", By: By{Actor: "bob", Reason: "hotfix"}}
	require.ErrorIs(t, h.ex.OverridePolicy(ctx, a, "prod.rollout", o), ErrUnauthorized)
	require.Empty(t, eventsOf(h.events(a), release.KindPolicyOverridden), "a refused override records nothing")
	require.ErrorIs(t, h.ex.OverridePolicy(ctx, a, "prod.rollout", &OverridePolicyParams{Policy: "prod-needs-cab", By: By{Actor: "carol"}}), ErrInvalid, "the reason is required")
	require.ErrorIs(t, h.ex.OverridePolicy(ctx, a, "prod.rollout", &OverridePolicyParams{Policy: "nope", By: By{Actor: "carol", Reason: "x"}}), ErrNotFound)
	require.ErrorIs(t, h.ex.OverridePolicy(ctx, a, "prod.rollout", &OverridePolicyParams{Policy: "prod-needs-cab", Version: 9, By: By{Actor: "carol", Reason: "x"}}), ErrNotFound)
	require.ErrorIs(t, h.ex.OverridePolicy(ctx, a, "prod.nope", &OverridePolicyParams{Policy: "prod-needs-cab", By: By{Actor: "carol", Reason: "x"}}), ErrNotFound)

	o.Actor = "carol"
	require.NoError(t, h.ex.OverridePolicy(ctx, a, "prod.rollout", o))
	h.waitActivity(a, "prod.rollout", release.ActivitySucceeded)
	ov := eventsOf(h.events(a), release.KindPolicyOverridden)
	require.Len(t, ov, 1)
	require.Equal(t, "carol", ov[0].Actor)
	require.Equal(t, "hotfix", ov[0].Reason)
	got := h.get(a).PolicyOverrides
	require.Equal(t, []release.PolicyOverride{{Policy: "prod-needs-cab", Version: 1, Activity: "prod.rollout", Actor: "carol", Reason: "hotfix", At: got[0].At}}, got)
	mu.Lock()
	last := seen[len(seen)-1]
	mu.Unlock()
	require.Equal(t, a, last.Release)
	require.Equal(t, release.ActivityKey("prod.rollout"), last.Activity)
	require.Equal(t, release.PolicyID("prod-needs-cab"), last.Policy)
	require.Equal(t, VerbOverridePolicy, last.Verb)
	require.Equal(t, process.Automated, last.ActivityType)

	// That activity only: its dependent waits, and so does the other release.
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(a), release.KindPolicyFailed)) == 2 }), "prod.verify is held in turn")
	require.Equal(t, release.ActivityPending, h.get(a).Activities["prod.verify"].Status)
	require.Equal(t, release.ActivityPending, h.get(b).Activities["prod.rollout"].Status, "an override of another release lets nothing through here")

	// A release-wide override covers every activity of version 1; a new
	// version judges afresh.
	require.NoError(t, h.ex.OverridePolicy(ctx, b, "", &OverridePolicyParams{Policy: "prod-needs-cab", By: By{Actor: "carol", Reason: "all of it"}}))
	h.waitActivity(b, "prod.verify", release.ActivitySucceeded)
	v2 := prodNeedsCAB()
	v2.Version, v2.Message = 1, "still needs CAB"
	h.putPolicy(v2)
	require.Never(t, func() bool { return h.get(a).Activities["prod.verify"].Status != release.ActivityPending }, 50*time.Millisecond, 5*time.Millisecond)
	require.NoError(t, h.ex.OverridePolicy(ctx, a, "", &OverridePolicyParams{Policy: "prod-needs-cab", Version: 1, By: By{Actor: "carol", Reason: "old version"}}))
	require.Never(t, func() bool { return h.get(a).Activities["prod.verify"].Status != release.ActivityPending }, 50*time.Millisecond, 5*time.Millisecond)
	fails := eventsOf(h.events(a), release.KindPolicyFailed)
	require.Equal(t, int64(2), failedPayload(t, fails[len(fails)-1]).Version, "the new version judged, and is recorded")
	require.NoError(t, h.ex.OverridePolicy(ctx, a, "", &OverridePolicyParams{Policy: "prod-needs-cab", By: By{Actor: "carol", Reason: "latest"}}))
	h.waitActivity(a, "prod.verify", release.ActivitySucceeded)
}

func TestAChangedOrDeletedPolicyJudgesHeldActivitiesAtOnce(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(deployProcess)
	p := h.putPolicy(&release.Policy{ID: "strict", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart},
		Scope: prodOnly, Rule: "false", Message: "nothing goes"})
	ctx := context.Background()
	a := h.create("deploy", nil)
	b := h.create("deploy", nil)
	h.waitActivity(a, "build.compile", release.ActivitySucceeded)
	h.waitActivity(b, "build.compile", release.ActivitySucceeded)
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(a), release.KindPolicyFailed)) == 1 }))

	// Version 2 lets the rollout through but not the verification.
	p.Rule = `activity.id != "verify"`
	v2 := h.putPolicy(p)
	require.Equal(t, int64(2), v2.Version)
	h.waitActivity(a, "prod.rollout", release.ActivitySucceeded)
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(a), release.KindPolicyFailed)) == 2 }))
	fails := eventsOf(h.events(a), release.KindPolicyFailed)
	require.Equal(t, int64(2), failedPayload(t, fails[1]).Version)
	require.Equal(t, release.ActivityKey("prod.verify"), failedPayload(t, fails[1]).Activity)

	// Deleting it disables it: a new version, and everything goes.
	require.NoError(t, h.ex.DeletePolicy(ctx, "strict", &By{Actor: "alice"}))
	h.waitStatus(a, release.Succeeded)
	h.waitStatus(b, release.Succeeded)
	got, err := h.ex.GetPolicy(ctx, "strict", 0, nil)
	require.NoError(t, err)
	require.False(t, got.Enabled)
	require.Equal(t, int64(3), got.Version)
	old, err := h.ex.GetPolicy(ctx, "strict", 1, nil)
	require.NoError(t, err)
	require.Equal(t, "false", old.Rule, "the versions that judged stay readable")
}

func TestRetrySkipAndIgnoreCannotGetAHeldActivityPastAPolicy(t *testing.T) {
	var mu sync.Mutex
	failures := map[release.ActivityKey]int{"prod.rollout": 1}
	ad := &recorder{kind: "noop", fn: func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		if failures[req.Activity] > 0 {
			failures[req.Activity]--
			return nil, adapters.Permanent(errors.New("boom"))
		}
		return &adapters.Result{}, nil
	}}
	h := newHarness(t, nil, ad)
	h.put(deployProcess)
	ctx := context.Background()
	id := h.create("deploy", nil)
	h.waitActivity(id, "prod.rollout", release.ActivityOnHold)
	h.putPolicy(&release.Policy{ID: "strict", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart},
		Scope: prodOnly, Rule: "false", Message: "nothing goes"})

	err := h.ex.Retry(ctx, id, "prod.rollout", &RetryParams{By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrPolicy, "a retry starts the activity: refused while a policy fails")
	require.Contains(t, err.Error(), "executor: retry: activity prod.rollout of release")
	require.Equal(t, release.ActivityOnHold, h.get(id).Activities["prod.rollout"].Status)

	// Ignoring runs nothing; the dependent it frees is held in turn.
	require.NoError(t, h.ex.Ignore(ctx, id, "prod.rollout", &IgnoreParams{By: By{Actor: "alice"}}))
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(id), release.KindPolicyFailed)) == 1 }))
	require.Equal(t, release.ActivityPending, h.get(id).Activities["prod.verify"].Status)
	require.Len(t, ad.Calls(), 2, "compile and the failed rollout only")
	// Skipping the held activity runs nothing either.
	require.NoError(t, h.ex.Skip(ctx, id, "prod.verify", &By{Actor: "alice"}))
	h.waitStatus(id, release.PartialSuccess)
	require.Len(t, ad.Calls(), 2)
}

func TestAnAutomaticRetryWaitsForAPolicy(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	ad := &recorder{kind: "noop", fn: func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return nil, errors.New("flaky")
		}
		return &adapters.Result{}, nil
	}}
	h := newHarness(t, nil, ad)
	h.put(retryProcess)
	id := h.create("retrying", nil)
	h.waitActivity(id, "prod.rollout", release.ActivityFailed)
	// t0 is 10:00 in Berlin.
	h.putPolicy(&release.Policy{ID: "after-11", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart},
		Scope: prodOnly, Rule: `between("11:00", "18:00", "Europe/Berlin")`})
	h.advance(time.Minute)
	require.Never(t, func() bool { return len(ad.Calls()) > 1 }, 50*time.Millisecond, 5*time.Millisecond)
	h.until(t0.Add(time.Hour))
	h.waitStatus(id, release.Succeeded)
	require.True(t, h.get(id).Activities["prod.rollout"].Attempts[1].StartedAt.Equal(t0.Add(time.Hour)))
}

func TestAChildReleaseIsJudgedOnItsOwnAndAParentsOverrideDoesNotCoverIt(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(`
id: child
phases:
  - id: c
    activities:
      - {id: work, uses: noop}
`)
	h.put(parentOfOne)
	h.putPolicy(&release.Policy{ID: "no-child", Name: "No child", Enabled: true, When: []release.PolicyPoint{release.PolicyReleaseStart},
		Scope: release.FreezeScope{Processes: []process.ID{"child"}}, Rule: "false", Message: "children wait"})
	ctx := context.Background()
	// A child of the process cannot be started on demand either.
	_, err := h.ex.Create(ctx, &CreateParams{Process: "child", By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrPolicy)

	parent := h.create("parent", nil)
	child := childID(parent, "p.sub", 1)
	require.True(t, waitFor(func() bool {
		r, err := h.store.GetRelease(ctx, child)
		return err == nil && len(r.PolicyFailures) == 1
	}))
	require.Equal(t, release.Scheduled, h.get(child).Status)
	require.Equal(t, release.ActivityRunning, h.get(parent).Activities["p.sub"].Status)

	require.NoError(t, h.ex.OverridePolicy(ctx, parent, "", &OverridePolicyParams{Policy: "no-child", By: By{Actor: "carol", Reason: "parent"}}))
	require.Never(t, func() bool { return h.get(child).Status != release.Scheduled }, 50*time.Millisecond, 5*time.Millisecond)
	require.NoError(t, h.ex.OverridePolicy(ctx, child, "", &OverridePolicyParams{Policy: "no-child", By: By{Actor: "carol", Reason: "the child itself"}}))
	h.waitStatus(parent, release.Succeeded)
	h.waitStatus(child, release.Succeeded)
}

func TestPolicyActionsAreAuthorizedAndBadPoliciesRefusedWithTheirField(t *testing.T) {
	var mu sync.Mutex
	var seen []Action
	auth := func(_ context.Context, a *Action) error {
		mu.Lock()
		seen = append(seen, *a)
		mu.Unlock()
		if a.Actor == "mallory" || (a.Kind == ActionView && a.Policy == "secret" && a.Actor != "alice") {
			return errForTest
		}
		return nil
	}
	h := newHarness(t, &Config{Authorize: auth})
	ctx := context.Background()
	lastAction := func() Action {
		mu.Lock()
		defer mu.Unlock()
		return seen[len(seen)-1]
	}
	p := &release.Policy{ID: "p", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart}, Scope: prodOnly, Rule: "true"}

	_, err := h.ex.PutPolicy(ctx, &PutPolicyParams{Policy: p, By: By{Actor: "mallory"}})
	require.ErrorIs(t, err, ErrUnauthorized)
	a := lastAction()
	require.Equal(t, ActionPutPolicy, a.Kind)
	require.Equal(t, VerbEdit, a.Verb)
	require.Equal(t, ResourcePolicy, a.Resource)
	require.Equal(t, release.PolicyID("p"), a.NewPolicy.ID)
	_, err = h.ex.PutPolicy(ctx, &PutPolicyParams{Policy: p})
	require.ErrorIs(t, err, ErrInvalid, "the actor is required")

	bad := p.Clone()
	bad.Rule = `release.labels.env == `
	_, err = h.ex.PutPolicy(ctx, &PutPolicyParams{Policy: bad, By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorIs(t, err, release.ErrInvalidPolicy)
	require.Contains(t, err.Error(), "rule: expr:")
	_, err = h.ex.GetPolicy(ctx, "p", 0, nil)
	require.ErrorIs(t, err, store.ErrNotFound, "nothing stored")

	stored, err := h.ex.PutPolicy(ctx, &PutPolicyParams{Policy: p, By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.Equal(t, "alice", stored.CreatedBy)
	require.True(t, stored.CreatedAt.Equal(t0))
	secret := p.Clone()
	secret.ID = "secret"
	h.putPolicy(secret)

	_, err = h.ex.GetPolicy(ctx, "secret", 0, &By{Actor: "bob"})
	require.ErrorIs(t, err, ErrUnauthorized)
	require.Equal(t, ActionView, lastAction().Kind)
	page, err := h.ex.ListPolicies(ctx, &ListPoliciesParams{By: By{Actor: "bob"}})
	require.NoError(t, err)
	require.Len(t, page.Policies, 1, "the policies bob may not see are left out")
	require.Equal(t, release.PolicyID("p"), page.Policies[0].ID)
	page, err = h.ex.ListPolicies(ctx, &ListPoliciesParams{By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.Len(t, page.Policies, 2)
	_, err = h.ex.ListPolicyVersions(ctx, &ListPolicyVersionsParams{By: By{Actor: "bob"}, ListPolicyVersionsParams: store.ListPolicyVersionsParams{ID: "secret"}})
	require.ErrorIs(t, err, ErrUnauthorized)

	require.ErrorIs(t, h.ex.DeletePolicy(ctx, "p", &By{Actor: "mallory"}), ErrUnauthorized)
	require.Equal(t, ActionDeletePolicy, lastAction().Kind)
	require.Equal(t, VerbDelete, lastAction().Verb)
	require.ErrorIs(t, h.ex.DeletePolicy(ctx, "nope", &By{Actor: "alice"}), ErrNotFound)
	require.NoError(t, h.ex.DeletePolicy(ctx, "p", &By{Actor: "alice"}))
	vs, err := h.ex.ListPolicyVersions(ctx, &ListPolicyVersionsParams{By: By{Actor: "alice"}, ListPolicyVersionsParams: store.ListPolicyVersionsParams{ID: "p"}})
	require.NoError(t, err)
	require.Len(t, vs.Policies, 2)
	require.False(t, vs.Policies[1].Enabled)
}

func TestAGroupsScheduledStartIsHeldByAPolicyAndGoesOnceItIsDeleted(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(noopProcess)
	h.putPolicy(&release.Policy{ID: "no-train", Enabled: true, When: []release.PolicyPoint{release.PolicyReleaseStart},
		Scope: release.FreezeScope{Groups: []release.GroupID{"weekly"}}, Rule: `release.group != "weekly"`, Message: "the train is stopped"})
	h.putGroup(weeklyGroup())
	h.until(firstMonday.Add(-24 * time.Hour))
	rs := h.waitReleases("weekly", 1)
	h.until(firstMonday)
	id := rs[0].ID
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(id), release.KindPolicyFailed)) == 1 }))
	require.Equal(t, release.Scheduled, h.get(id).Status)
	h.advance(DefaultPollInterval) // the scheduler looks again: still held, nothing new recorded
	require.Never(t, func() bool { return h.get(id).Status != release.Scheduled }, 50*time.Millisecond, 5*time.Millisecond)
	require.Len(t, eventsOf(h.events(id), release.KindPolicyFailed), 1)
	require.Empty(t, ad.Calls())

	require.NoError(t, h.ex.DeletePolicy(context.Background(), "no-train", &By{Actor: "alice"}))
	h.advance(DefaultPollInterval)
	h.waitStatus(id, release.Succeeded)
}

func TestAPolicyThatCannotBeEvaluatedHoldsAndAFreezeOverrideDoesNotPassAPolicyAgainstFreezes(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, &Config{ResolveGroup: resolveCAB}, ad)
	h.put(deployProcess)
	ctx := context.Background()
	// Fails closed: the group cannot be resolved.
	h.putPolicy(&release.Policy{ID: "ghosts", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart},
		Scope: prodOnly, Rule: `member(release.initiator, "ghosts")`, Message: "ghosts must approve"})
	id := h.create("deploy", nil)
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(id), release.KindPolicyFailed)) == 1 }))
	p := failedPayload(t, eventsOf(h.events(id), release.KindPolicyFailed)[0])
	require.Contains(t, p.Message, "ghosts must approve (the rule could not be evaluated: ")
	require.Contains(t, p.Message, "unknown group ghosts")
	require.NoError(t, h.ex.DeletePolicy(ctx, "ghosts", &By{Actor: "alice"}))
	h.waitStatus(id, release.Succeeded)

	// frozen() is true under a freeze an override lets the release through.
	h.putFreeze(oneOff("prod-freeze", t0, t0.Add(24*time.Hour), prodOnly))
	h.putPolicy(&release.Policy{ID: "not-in-a-freeze", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart},
		Scope: prodOnly, Rule: `!frozen()`, Message: "no prod change in a freeze, overridden or not"})
	b := h.create("deploy", nil)
	h.waitActivity(b, "build.compile", release.ActivitySucceeded)
	require.NoError(t, h.ex.OverrideFreeze(ctx, b, "", &OverrideFreezeParams{Freeze: "prod-freeze", By: By{Actor: "carol", Reason: "hotfix"}}))
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(b), release.KindPolicyFailed)) == 1 }))
	x, err := h.ex.Why(ctx, b, "prod.rollout", nil)
	require.NoError(t, err)
	require.Equal(t, ReasonPolicy, x.Reasons[0].Kind)
	require.True(t, x.Reasons[0].Until.Equal(t0.Add(policyRecheck)), "looked at again within the hour (the freeze ends later): %s", x.Reasons[0].Until)
	h.until(t0.Add(24 * time.Hour))
	h.waitStatus(b, release.Succeeded)
}

func TestAHoldSurvivesARestartFromASQLiteSnapshot(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "baton.db"), &sqlite.Options{SnapshotDue: func(*release.Release, int64) bool { return true }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	ad := &recorder{kind: "noop"}
	h := newHarnessOn(t, st, &Config{ResolveGroup: resolveCAB}, ad)
	h.put(cabProcess)
	h.putPolicy(prodNeedsCAB())
	ctx := context.Background()
	id := h.create("cabbed", nil)
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(id), release.KindPolicyFailed)) == 1 }))
	require.NoError(t, h.ex.OverridePolicy(ctx, id, "prod.verify", &OverridePolicyParams{Policy: "prod-needs-cab", By: By{Actor: "carol", Reason: "verify is read only"}}))

	h.shutdown()
	got, err := st.GetRelease(ctx, id) // from the snapshot
	require.NoError(t, err)
	require.Len(t, got.PolicyFailures, 1)
	require.Equal(t, release.PolicyFailure{Policy: "prod-needs-cab", Version: 1, Activity: "prod.rollout",
		Message: "a production change needs a CAB approval in this release", At: got.PolicyFailures[0].At}, got.PolicyFailures[0])
	require.True(t, got.PolicyOverridden("prod-needs-cab", 1, "prod.verify"))
	require.False(t, got.PolicyOverridden("prod-needs-cab", 1, "prod.rollout"))

	h.start()
	require.Never(t, func() bool { return len(ad.Calls()) > 0 }, 50*time.Millisecond, 5*time.Millisecond)
	require.Len(t, eventsOf(h.events(id), release.KindPolicyFailed), 1, "the restart judged again and recorded nothing new")
	require.NoError(t, h.ex.Approve(ctx, id, "gate.cab", &DecisionParams{By: By{Actor: "carol"}}))
	h.waitStatus(id, release.Succeeded)
}

func TestPolicyChangesByAnotherExecutorAreSeenWithinTheRescanInterval(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, &Config{RescanInterval: time.Minute}, ad)
	h.put(deployProcess)
	p := h.putPolicy(&release.Policy{ID: "strict", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart},
		Scope: prodOnly, Rule: "false"})
	id := h.create("deploy", nil)
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(id), release.KindPolicyFailed)) == 1 }))
	// The policies are read again on the freezes' timer, which the first read
	// (at Run) re-arms a RescanInterval after the clock's now: moving the clock
	// before it is re-armed would arm it a minute later than the test waits.
	waitIdle(t, h.ex)
	at, armed := h.ex.timers.when(timerKey{kind: timerFreezes})
	require.True(t, armed)
	require.Equal(t, t0.Add(time.Minute), at)

	// Disabled straight in the store, as another executor would.
	p.Enabled = false
	_, err := h.store.(store.PolicyStore).PutPolicy(context.Background(), p)
	require.NoError(t, err)
	h.advance(time.Minute)
	h.waitStatus(id, release.Succeeded)
}

func TestAStoredPolicyWhoseRuleNoLongerCompilesHoldsEverythingInItsScope(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, &Config{RescanInterval: time.Minute}, ad)
	h.put(deployProcess)
	// Stored around the executor's validation (a host writing the store),
	// and read within the RescanInterval.
	_, err := h.store.(store.PolicyStore).PutPolicy(context.Background(), &release.Policy{ID: "broken", Enabled: true,
		When: []release.PolicyPoint{release.PolicyActivityStart}, Scope: prodOnly, Rule: "release.nope ==", Message: "broken"})
	require.NoError(t, err)
	h.advance(time.Minute)
	require.True(t, waitFor(func() bool { return len(h.ex.activePolicies(context.Background())) == 1 }))
	id := h.create("deploy", nil)
	require.True(t, waitFor(func() bool { return len(eventsOf(h.events(id), release.KindPolicyFailed)) == 1 }))
	p := failedPayload(t, eventsOf(h.events(id), release.KindPolicyFailed)[0])
	require.Equal(t, release.PolicyID("broken"), p.Policy)
	require.Contains(t, p.Message, "the stored rule cannot be compiled")
	require.Equal(t, []release.ActivityKey{"build.compile"}, ad.order())
}

// directoryOf is a group resolver over a directory that a test changes.
type directoryOf struct {
	mu     sync.Mutex
	groups map[string][]string
}

func (d *directoryOf) set(group string, members ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.groups[group] = members
}

func (d *directoryOf) resolve(_ context.Context, g string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ms, ok := d.groups[g]
	if !ok {
		return nil, errors.New("unknown group " + g)
	}
	return slices.Clone(ms), nil
}

// A release keeps the verdicts of rules that read nothing of the activity,
// or only its shape, from one activity start to the next while it is in
// memory (here an activity's adapter call, "hold", keeps it there): a
// verdict kept must not outlive what its rule read. In each case the
// policy passes until what its rule reads changes while a person's
// approval or task holds the release; the next start it judges must then
// be held, though its verdict for an activity alike was kept.
func TestKeptPolicyVerdictsSeeApprovalsAndMembershipChangesBetweenStarts(t *testing.T) {
	const doc = `
id: kept
phases:
  - id: p
    labels: {env: prod}
    activities:
      - {id: hold, uses: block}
      - {id: first, uses: noop}
      - {id: cab, type: approval, depends-on: [first], approval: {approvers: [carol]}}
      - {id: second, uses: noop, depends-on: [cab]}
      - {id: check, type: manual, depends-on: [second], tasks: [{id: t, name: Check}]}
      - {id: third, uses: noop, depends-on: [check]}
`
	order := []release.ActivityKey{"p.first", "p.cab", "p.second", "p.check", "p.third"}
	cases := []struct {
		name     string
		rule     string
		changeAt release.ActivityKey // the change is made while this waits (none: the approval is the change)
		change   func(d *directoryOf)
		held     release.ActivityKey
	}{
		{"a membership the rule asked about, the rule reading nothing of the activity",
			`member(release.created-by, "deployers")`, "p.cab", func(d *directoryOf) { d.set("deployers", "bob") }, "p.second"},
		{"a membership the rule asked about, the rule reading the activity's type",
			`activity.type != "automated" || member(release.created-by, "deployers")`, "p.cab",
			func(d *directoryOf) { d.set("deployers", "bob") }, "p.second"},
		{"the membership of an approver (approvedBy), the rule reading the activity's type and labels",
			`activity.type != "automated" || activity.labels.env != "prod" || len(approvals) == 0 || approvedBy("cab")`, "p.check",
			func(d *directoryOf) { d.set("cab", "dave") }, "p.third"},
		{"the approvals, the rule reading nothing of the activity", `len(approvals) == 0`, "", nil, "p.second"},
		{"the approvals, the rule reading the activity's type", `activity.type != "automated" || len(approvals) == 0`, "", nil, "p.second"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &directoryOf{groups: map[string][]string{"deployers": {"alice"}, "cab": {"carol"}}}
			ad := &recorder{kind: "noop"}
			unblock := make(chan struct{})
			defer close(unblock)
			block := adapters.Func("block", func(ctx context.Context, _ *adapters.Request) (*adapters.Result, error) {
				select {
				case <-unblock:
				case <-ctx.Done():
				}
				return &adapters.Result{}, nil
			})
			h := newHarness(t, &Config{ResolveGroup: d.resolve}, ad, block)
			h.put(doc)
			h.putPolicy(&release.Policy{ID: "kept", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart},
				Scope: release.FreezeScope{All: true}, Rule: c.rule})
			ctx := context.Background()

			id := h.create("kept", nil)
			var ran []release.ActivityKey
			for _, k := range order {
				if k == c.held {
					break
				}
				switch k {
				case "p.first", "p.second", "p.third":
					ran = append(ran, k)
					continue
				}
				h.waitActivity(id, k, release.ActivityWaiting)
				if k == c.changeAt {
					c.change(d)
				}
				if k == "p.cab" {
					require.NoError(t, h.ex.Approve(ctx, id, k, &DecisionParams{By: By{Actor: "carol"}}))
				} else {
					require.NoError(t, h.ex.CompleteTask(ctx, id, k, "t", &By{Actor: "carol"}))
				}
			}
			require.True(t, waitFor(func() bool {
				fs := eventsOf(h.events(id), release.KindPolicyFailed)
				return len(fs) == 1 && failedPayload(t, fs[0]).Activity == c.held
			}), "%s is held: a verdict kept from an earlier start is not reused; events: %v", c.held, h.events(id))
			require.Equal(t, release.ActivityPending, h.get(id).Activities[c.held].Status)
			require.Equal(t, ran, ad.order(), "every activity before it ran")
		})
	}
}

// A hold judges the policies (or freezes) and then, once its events are
// stored, notes that it waits; a change of the policies in between fires
// the waits noted before it, not it: noted after a change it saw nothing
// of, it looks again at once instead of sleeping until its recheck (an
// hour later; seen as TestAChangedOrDeletedPolicyJudgesHeldActivitiesAtOnce
// holding a release for good on the fake clock).
func TestAHoldNotedAfterThePoliciesOrFreezesChangedLooksAgainAtOnce(t *testing.T) {
	ctx := context.Background()
	ex, err := New(memstore.New(nil), adapters.NewRegistry(), &Config{Clock: newFakeClock(t0)})
	require.NoError(t, err)
	later := t0.Add(policyRecheck)
	for i, c := range []struct {
		name   string
		change func()
		want   time.Time
	}{
		{"nothing changed", func() {}, later},
		{"a policy stored", func() {
			_, err := ex.PutPolicy(ctx, &PutPolicyParams{By: By{Actor: "alice"}, Policy: &release.Policy{ID: "p", Enabled: true,
				When: []release.PolicyPoint{release.PolicyActivityStart}, Scope: prodOnly, Rule: "false"}})
			require.NoError(t, err)
		}, t0},
		{"a freeze stored", func() {
			_, err := ex.PutFreeze(ctx, &PutFreezeParams{By: By{Actor: "alice"}, Freeze: oneOff("xmas", t0.Add(24*time.Hour), t0.Add(48*time.Hour), prodOnly)})
			require.NoError(t, err)
		}, t0},
		{"a policy disabled", func() { require.NoError(t, ex.DeletePolicy(ctx, "p", &By{Actor: "alice"})) }, t0},
	} {
		seen := ex.waitGen()
		c.change()
		k := timerKey{rel: "r", kind: timerFreezeWait, act: int32(i)}
		ex.waitForFreeze(k, later, seen)
		at, ok := ex.timers.when(k)
		require.True(t, ok)
		require.True(t, c.want.Equal(at), "%s: fires at %s, want %s", c.name, at, c.want)
	}
}
