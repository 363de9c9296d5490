package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

// A parent whose subprocess runs a middle release whose subprocess runs a
// child holding an approval that forbids the initiator.
const (
	gatedChild = `
id: gated
phases:
  - id: p
    activities:
      - id: gate
        type: approval
        approval: {approvers: [alice, bob], forbid-initiator: true}
`
	middleOfGated = `
id: middle
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: gated}
`
	topOfMiddle = `
id: top
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: middle}
`
)

// waitingDescendant waits for the one release, depth levels below top,
// whose approval p.gate is Waiting, and returns its id.
func waitingDescendant(t *testing.T, h *harness, top release.ID, depth int) release.ID {
	t.Helper()
	var found release.ID
	require.True(t, waitFor(func() bool {
		ids := []release.ID{top}
		for range depth {
			var next []release.ID
			for _, id := range ids {
				for _, k := range children(t, h, id) {
					next = append(next, k.ID)
				}
			}
			ids = next
		}
		if len(ids) == 1 && h.get(ids[0]).Activities["p.gate"].Status == release.ActivityWaiting {
			found = ids[0]
		}
		return found != ""
	}), "release %s has one descendant %d levels down waiting on its approval", top, depth)
	return found
}

func TestTheInitiatorOfAParentCannotApproveItsChildren(t *testing.T) {
	for _, tc := range []struct {
		name  string
		top   string
		depth int
	}{
		{"child", "middle", 1},
		{"grandchild", "top", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.put(gatedChild)
			h.put(middleOfGated)
			h.put(topOfMiddle)
			id := h.create(process.ID(tc.top), nil) // alice
			kid := waitingDescendant(t, h, id, tc.depth)
			k := h.get(kid)
			require.Equal(t, h.ex.cfg.InstanceID, k.CreatedBy, "the executor creates the child")
			require.Equal(t, "alice", k.Initiator, "but alice initiated it")

			ctx := context.Background()
			err := h.ex.Approve(ctx, kid, "p.gate", &DecisionParams{By: By{Actor: "alice"}})
			require.ErrorIs(t, err, ErrForbidden)
			require.ErrorContains(t, err, "forbids the initiator")
			require.Empty(t, h.get(kid).Activities["p.gate"].Approvals)

			require.NoError(t, h.ex.Approve(ctx, kid, "p.gate", &DecisionParams{By: By{Actor: "bob"}}))
			h.waitStatus(id, release.Succeeded)
		})
	}
}

// flakyGroups resolves group:security to carol and dave once ok is set,
// and fails as its mode says until then.
type flakyGroups struct {
	mu   sync.Mutex
	ok   bool
	mode string // "error" or "missing"
}

func (f *flakyGroups) resolve(_ context.Context, g string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case g != "security":
		return nil, fmt.Errorf("no group %q", g)
	case f.ok:
		return []string{"carol", "dave"}, nil
	case f.mode == "missing":
		return nil, nil
	}
	return nil, errors.New("directory unreachable")
}

func (f *flakyGroups) heal() {
	f.mu.Lock()
	f.ok = true
	f.mu.Unlock()
}

func TestAnUnresolvableApproverGroupNeverLetsAnApprovalPass(t *testing.T) {
	rules := []struct {
		name, policy string
		bobAlone     bool // bob's approval alone passes it when the group resolves
	}{
		{"min", `{approvers: [bob, 'group:security'], min: 1}`, true},
		{"majority", `{approvers: [bob, 'group:security'], rule: majority}`, false},
		{"unanimous", `{approvers: [bob, 'group:security'], rule: unanimous}`, false},
	}
	resolvers := []struct {
		name string
		mode string // "" resolves; else flakyGroups' mode; "nil" sets no resolver
		why  string
	}{
		{"resolver ok", "", ""},
		{"resolver error", "error", "directory unreachable"},
		{"no resolver", "nil", "Config.ResolveGroup is not set"},
		{"group missing", "missing", "it has no members"},
	}
	for _, rule := range rules {
		for _, res := range resolvers {
			t.Run(rule.name+"/"+res.name, func(t *testing.T) {
				groups := &flakyGroups{ok: res.mode == "", mode: res.mode}
				cfg := &Config{ResolveGroup: groups.resolve}
				if res.mode == "nil" {
					cfg.ResolveGroup = nil
				}
				h := newHarness(t, cfg, &recorder{kind: "noop"})
				h.put(approvalDoc(rule.policy))
				id := h.create("appr", nil)
				h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
				ctx := context.Background()
				require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))

				if res.mode == "" {
					if rule.bobAlone {
						h.waitStatus(id, release.Succeeded)
						return
					}
					require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "carol"}}))
					if rule.name == "unanimous" {
						require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "dave"}}))
					}
					h.waitStatus(id, release.Succeeded)
					return
				}

				// bob's approval does not pass it, whatever the rule.
				require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status)
				ex, err := h.ex.Why(ctx, id, "qa.signoff", nil)
				require.NoError(t, err)
				var found *Reason
				for i := range ex.Reasons {
					if ex.Reasons[i].Kind == ReasonApprovers {
						found = &ex.Reasons[i]
					}
				}
				require.NotNil(t, found, "Why names the unresolved group: %+v", ex.Reasons)
				require.Equal(t, []string{"group:security"}, found.Approvers)
				require.Equal(t, res.why, found.Status)
				require.Contains(t, found.Text, `group "security" could not be resolved`)

				// A member of the group cannot decide while it is unresolved.
				err = h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "carol"}})
				require.ErrorIs(t, err, ErrForbidden)
				require.ErrorContains(t, err, `group "security" could not be resolved: `+res.why)
				require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status)
				for _, e := range h.events(id) {
					require.NotEqual(t, release.KindReleaseSucceeded, e.Kind)
				}
			})
		}
	}
}

func TestAFailedGroupLookupIsRetriedWithBackoff(t *testing.T) {
	groups := &flakyGroups{mode: "error"}
	h := newHarness(t, &Config{ResolveGroup: groups.resolve}, &recorder{kind: "noop"})
	h.put(approvalDoc(`{approvers: [bob, 'group:security'], min: 1}`))
	id := h.create("appr", nil)
	h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	require.NoError(t, h.ex.Approve(context.Background(), id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))

	k := timerKey{rel: id, kind: timerResolve, act: 0, attempt: 1}
	var looks []time.Duration // when each look is due, after bob's approval
	for range 4 {
		var at time.Time
		require.True(t, waitFor(func() bool {
			var ok bool
			at, ok = h.ex.timers.when(k)
			return ok && (len(looks) == 0 || at.Sub(t0) > looks[len(looks)-1])
		}), "a look is due after %v", looks)
		looks = append(looks, at.Sub(t0))
		h.advance(at.Sub(h.clock.Now()))
	}
	require.Equal(t, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}, looks, "the wait doubles")
	require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status)

	// The look at 80s fires on its own goroutine: wait until it has armed
	// the next one before healing, else that look may pass already.
	var at time.Time
	require.True(t, waitFor(func() bool {
		var ok bool
		at, ok = h.ex.timers.when(k)
		return ok && at.Sub(t0) > looks[len(looks)-1]
	}), "a look is due after %v", looks)
	groups.heal()
	h.advance(at.Sub(h.clock.Now()))
	h.waitStatus(id, release.Succeeded)
}

func TestAFailedGroupLookupIsRetriedWhenSomeoneDecides(t *testing.T) {
	groups := &flakyGroups{mode: "error"}
	h := newHarness(t, &Config{ResolveGroup: groups.resolve}, &recorder{kind: "noop"})
	h.put(approvalDoc(`{approvers: [bob, 'group:security'], rule: majority}`))
	id := h.create("appr", nil)
	h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	ctx := context.Background()
	require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
	groups.heal()
	require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "carol"}}))
	h.waitStatus(id, release.Succeeded)
}

// gatedRelease is a release of approvalDoc(policy) created by alice, its
// approval qa.signoff Waiting.
func gatedRelease(t *testing.T, h *harness, policy string) release.ID {
	t.Helper()
	h.put(approvalDoc(policy))
	id := h.create("appr", nil)
	h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	return id
}

func TestSkipAndIgnoreNeverPassAnApproval(t *testing.T) {
	ctx := context.Background()
	for name, act := range map[string]func(h *harness, id release.ID, k release.ActivityKey) error{
		"skip": func(h *harness, id release.ID, k release.ActivityKey) error {
			return h.ex.Skip(ctx, id, k, &By{Actor: "alice", Reason: "in a hurry"})
		},
		"ignore": func(h *harness, id release.ID, k release.ActivityKey) error {
			return h.ex.Ignore(ctx, id, k, &IgnoreParams{By: By{Actor: "alice", Reason: "in a hurry"}})
		},
	} {
		t.Run(name+" of an approval", func(t *testing.T) {
			h := newHarness(t, nil, &recorder{kind: "noop"})
			id := gatedRelease(t, h, `{approvers: [bob], forbid-initiator: true}`)
			before := len(h.events(id))
			err := act(h, id, "qa.signoff")
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, "use BypassApproval")
			require.Len(t, h.events(id), before, "nothing recorded")
			require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status)
		})
		t.Run(name+" of a subprocess whose child holds an approval", func(t *testing.T) {
			h := newHarness(t, nil)
			h.put(`
id: gated-fail
phases:
  - id: p
    activities:
      - {id: gate, type: approval, approval: {approvers: [bob]}, on-failure: fail}
`)
			h.put(`
id: middle-fail
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: gated-fail, on-failure: fail}
`)
			h.put(`
id: top-fail
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: middle-fail}
`)
			id := h.create("top-fail", nil)
			kid := waitingDescendant(t, h, id, 2)
			// The grandchild's approval is rejected: the grandchild and the
			// child fail, and the top's subprocess activity is held, where
			// skip or ignore would pass it.
			require.NoError(t, h.ex.Reject(ctx, kid, "p.gate", &DecisionParams{By: By{Actor: "bob"}}))
			h.waitActivity(id, "p.sub", release.ActivityOnHold)
			before := len(h.events(id))
			err := act(h, id, "p.sub")
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, "holds the approval gated-fail: p.gate")
			require.Len(t, h.events(id), before, "nothing recorded")
			require.Equal(t, release.ActivityOnHold, h.get(id).Activities["p.sub"].Status)
		})
	}
	t.Run("skip of a subprocess without approvals", func(t *testing.T) {
		h := newHarness(t, nil, hanging("slow"))
		h.put(hangingChild)
		h.put(`
id: parent
phases:
  - id: p
    activities:
      - {id: first, type: manual, tasks: [{id: t}]}
      - {id: sub, type: subprocess, process: child, depends-on: [first]}
`)
		id := h.create("parent", nil)
		h.waitActivity(id, "p.first", release.ActivityWaiting)
		require.NoError(t, h.ex.Skip(ctx, id, "p.sub", &By{Actor: "ops", Reason: "not today"}))
		require.NoError(t, h.ex.CompleteTask(ctx, id, "p.first", "t", &By{Actor: "ops"}))
		h.waitStatus(id, release.Succeeded)
	})
}

func TestBypassApproval(t *testing.T) {
	ctx := context.Background()
	deny := func(kinds ...ActionKind) func(context.Context, *Action) error {
		return func(_ context.Context, a *Action) error {
			if slices.Contains(kinds, a.Kind) {
				return errors.New("not allowed")
			}
			return nil
		}
	}
	for _, tc := range []struct {
		name      string
		policy    string
		authorize func(context.Context, *Action) error
		actor     string
		reason    string
		want      error // nil: bypassed
		contains  string
	}{
		{name: "an operator bypasses with a reason", policy: `{approvers: [bob], forbid-initiator: true}`, actor: "ops", reason: "bob is away, change approved by phone"},
		{name: "the initiator where the policy allows it", policy: `{approvers: [bob]}`, actor: "alice", reason: "hotfix"},
		{name: "the initiator where the policy forbids it, even if authorized", policy: `{approvers: [bob], forbid-initiator: true}`,
			actor: "alice", reason: "hotfix", want: ErrForbidden, contains: "forbids the initiator"},
		{name: "no reason", policy: `{approvers: [bob]}`, actor: "ops", want: ErrInvalid, contains: "reason: required"},
		{name: "an authorizer that allows skip and ignore only", policy: `{approvers: [bob]}`, actor: "ops", reason: "x",
			authorize: deny(ActionBypassApproval), want: ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []ActionKind
			var mu sync.Mutex
			cfg := &Config{Authorize: func(ctx context.Context, a *Action) error {
				mu.Lock()
				seen = append(seen, a.Kind)
				mu.Unlock()
				if tc.authorize != nil {
					return tc.authorize(ctx, a)
				}
				return nil
			}}
			h := newHarness(t, cfg, &recorder{kind: "noop"})
			id := gatedRelease(t, h, tc.policy)
			before := len(h.events(id))
			err := h.ex.BypassApproval(ctx, id, "qa.signoff", &BypassParams{By: By{Actor: tc.actor, Reason: tc.reason}})
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				require.ErrorContains(t, err, tc.contains)
				require.Len(t, h.events(id), before, "nothing recorded")
				require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status)
				return
			}
			require.NoError(t, err)
			r := h.waitStatus(id, release.Succeeded)
			mu.Lock()
			require.Contains(t, seen, ActionBypassApproval)
			mu.Unlock()
			a := r.Activities["qa.signoff"]
			require.Equal(t, []release.Decision{{Actor: tc.actor, Approved: true, Bypassed: true, Comment: tc.reason, At: t0, Attempt: 1}}, a.Approvals)
			var bypassed *release.Event
			for _, e := range h.events(id) {
				if e.Kind == release.KindApprovalBypassed {
					bypassed = &e
				}
			}
			require.NotNil(t, bypassed)
			require.Equal(t, tc.actor, bypassed.Actor)
			require.Equal(t, tc.reason, bypassed.Reason)
		})
	}
	t.Run("only a waiting approval", func(t *testing.T) {
		h := newHarness(t, nil, &recorder{kind: "noop"})
		id := gatedRelease(t, h, `{approvers: [bob]}`)
		err := h.ex.BypassApproval(ctx, id, "ship.go", &BypassParams{By: By{Actor: "ops", Reason: "x"}})
		require.ErrorIs(t, err, ErrInvalid)
		require.ErrorContains(t, err, "not an approval")
		require.NoError(t, h.ex.Reject(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
		h.waitActivity(id, "qa.signoff", release.ActivityOnHold)
		err = h.ex.BypassApproval(ctx, id, "qa.signoff", &BypassParams{By: By{Actor: "ops", Reason: "x"}})
		require.ErrorIs(t, err, ErrIllegal, "a rejected approval is retried (the approvers decide again), not bypassed")
		ex, err := h.ex.Why(ctx, id, "qa.signoff", nil)
		require.NoError(t, err)
		require.Len(t, ex.Reasons, 1)
		require.Contains(t, ex.Reasons[0].Text, "an operator decides: retry (the approvers decide again) or abort")
	})
}

// Every other path around an approval leaves it to its approvers.
func TestOtherPathsAroundAnApprovalNeedItsApprovers(t *testing.T) {
	ctx := context.Background()
	const policy = `{approvers: [bob], forbid-initiator: true}`
	t.Run("submit outputs", func(t *testing.T) {
		h := newHarness(t, nil, &recorder{kind: "noop"})
		id := gatedRelease(t, h, policy)
		err := h.ex.SubmitOutputs(ctx, id, "qa.signoff", &OutputsParams{By: By{Actor: "alice"}, Outputs: map[string]any{"ok": true}})
		require.ErrorIs(t, err, ErrInvalid)
		require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status)
	})
	t.Run("complete a task", func(t *testing.T) {
		h := newHarness(t, nil, &recorder{kind: "noop"})
		id := gatedRelease(t, h, policy)
		err := h.ex.CompleteTask(ctx, id, "qa.signoff", "approve", &By{Actor: "alice"})
		require.ErrorIs(t, err, ErrNotFound)
		require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status)
	})
	t.Run("retry of a rejected approval asks the approvers again", func(t *testing.T) {
		h := newHarness(t, nil, &recorder{kind: "noop"})
		id := gatedRelease(t, h, policy)
		require.NoError(t, h.ex.Reject(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
		h.waitActivity(id, "qa.signoff", release.ActivityOnHold)
		require.NoError(t, h.ex.Retry(ctx, id, "qa.signoff", &RetryParams{By: By{Actor: "alice", Reason: "try again"}}))
		h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
		require.ErrorIs(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "alice"}}), ErrForbidden)
		require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status)
	})
	t.Run("abort then retry", func(t *testing.T) {
		h := newHarness(t, nil, &recorder{kind: "noop"})
		id := gatedRelease(t, h, policy)
		require.NoError(t, h.ex.Abort(ctx, id, &By{Actor: "alice", Reason: "stop"}))
		h.waitStatus(id, release.Aborted)
		require.ErrorIs(t, h.ex.Retry(ctx, id, "qa.signoff", &RetryParams{By: By{Actor: "alice"}}), ErrIllegal)
		require.ErrorIs(t, h.ex.BypassApproval(ctx, id, "qa.signoff", &BypassParams{By: By{Actor: "ops", Reason: "x"}}), ErrIllegal)
		require.Equal(t, release.Aborted, h.get(id).Status)
	})
	t.Run("roll back", func(t *testing.T) {
		h := newHarness(t, nil, &recorder{kind: "noop"})
		id := gatedRelease(t, h, policy)
		require.NoError(t, h.ex.RollBack(ctx, id, &By{Actor: "alice", Reason: "undo"}))
		r := h.waitStatus(id, release.RolledBack)
		require.NotEqual(t, release.ActivitySucceeded, r.Activities["qa.signoff"].Status)
	})
}
