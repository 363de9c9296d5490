package executor

import (
	"context"
	"errors"
	"fmt"
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
			require.Equal(t, DefaultInstanceID, k.CreatedBy, "the executor creates the child")
			require.Equal(t, "alice", k.Initiator, "but alice initiated it")

			ctx := context.Background()
			err := h.ex.Approve(ctx, kid, "p.gate", &DecisionParams{Actor: "alice"})
			require.ErrorIs(t, err, ErrForbidden)
			require.ErrorContains(t, err, "forbids the initiator")
			require.Empty(t, h.get(kid).Activities["p.gate"].Approvals)

			require.NoError(t, h.ex.Approve(ctx, kid, "p.gate", &DecisionParams{Actor: "bob"}))
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
				require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{Actor: "bob"}))

				if res.mode == "" {
					if rule.bobAlone {
						h.waitStatus(id, release.Succeeded)
						return
					}
					require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{Actor: "carol"}))
					if rule.name == "unanimous" {
						require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{Actor: "dave"}))
					}
					h.waitStatus(id, release.Succeeded)
					return
				}

				// bob's approval does not pass it, whatever the rule.
				require.Equal(t, release.ActivityWaiting, h.get(id).Activities["qa.signoff"].Status)
				ex, err := h.ex.Why(ctx, id, "qa.signoff")
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
				err = h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{Actor: "carol"})
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
	require.NoError(t, h.ex.Approve(context.Background(), id, "qa.signoff", &DecisionParams{Actor: "bob"}))

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

	groups.heal()
	at, ok := h.ex.timers.when(k)
	require.True(t, ok)
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
	require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{Actor: "bob"}))
	groups.heal()
	require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{Actor: "carol"}))
	h.waitStatus(id, release.Succeeded)
}
