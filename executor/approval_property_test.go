package executor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/stretchr/testify/require"
)

// The people of the approval property test. alice initiates every
// release; bob, carol and dave are named approvers, and the group leads is
// carol and erin; ops is an operator the authorizer allows everything;
// mallory is a stranger it allows only to decide and comment (the
// executor must then refuse her as an approver); the others may do
// anything but bypass. alice is allowed everything too, bypass included,
// so that only the executor's own rule keeps her from bypassing an
// approval that forbids the initiator.
var (
	gateInitiator = "alice"
	gatePeople    = []string{"alice", "bob", "carol", "dave", "erin", "ops", "mallory"}
	gateGroups    = map[string][]string{"leads": {"carol", "erin"}}
)

func gateAuthorize(_ context.Context, a *Action) error {
	switch {
	case a.Actor == "ops" || a.Actor == "alice":
		return nil
	case a.Kind == ActionBypassApproval:
		return errors.New("only operators bypass approvals")
	case a.Actor != "mallory":
		return nil
	case a.Kind == ActionApprove || a.Kind == ActionReject || a.Kind == ActionComment:
		return nil
	}
	return errors.New("strangers may not")
}

// gatePolicy returns a random approval policy: some of the approvers
// (alice among them now and then), a rule, forbid-initiator or not, a
// deadline now and then, and hold or fail on rejection.
func gatePolicy(rng *rand.Rand) string {
	var approvers []string
	for _, who := range []string{"bob", "carol", "dave", "alice", "'group:leads'"} {
		if rng.IntN(2) == 0 {
			approvers = append(approvers, who)
		}
	}
	if len(approvers) == 0 {
		approvers = []string{"bob"}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{approvers: [%s]", strings.Join(approvers, ", "))
	switch rng.IntN(3) {
	case 0:
		fmt.Fprintf(&b, ", min: %d", 1+rng.IntN(min(2, len(approvers))))
	case 1:
		b.WriteString(", rule: majority")
	default:
		b.WriteString(", rule: unanimous")
	}
	fmt.Fprintf(&b, ", forbid-initiator: %v", rng.IntN(3) != 0)
	if rng.IntN(4) == 0 {
		fmt.Fprintf(&b, ", deadline: 1h, on-deadline: %s", []string{"approve", "reject"}[rng.IntN(2)])
	}
	b.WriteString("}")
	// A rejection holds or fails: on-failure ignore is the process
	// author's choice to go on past a rejection, which ends the release
	// PartialSuccess, and is left out of this property.
	return fmt.Sprintf("{id: %%s, type: approval, approval: %s, on-failure: %s}", b.String(), []string{"hold", "fail"}[rng.IntN(2)])
}

// gateDocs returns a random top process and the child processes it runs:
// kid-gate holds an approval (and a manual activity now and then), and
// kid-nested runs kid-gate.
func gateDocs(rng *rand.Rand) (top string, kids []string) {
	kid := "id: kid-gate\nphases:\n  - id: k\n    activities:\n      - " + fmt.Sprintf(gatePolicy(rng), "gate") + "\n"
	if rng.IntN(2) == 0 {
		kid += "      - {id: m, type: manual, tasks: [{id: t, required: true}]}\n"
	}
	kids = []string{kid, "id: kid-nested\nphases:\n  - id: n\n    activities:\n      - {id: sub, type: subprocess, process: kid-gate}\n"}
	var b strings.Builder
	b.WriteString("id: top\nphases:\n")
	phases := 1 + rng.IntN(2)
	for p := range phases {
		fmt.Fprintf(&b, "  - id: p%d\n", p)
		if p > 0 {
			fmt.Fprintf(&b, "    depends-on: [p%d]\n", p-1)
		}
		b.WriteString("    activities:\n")
		for i := range 1 + rng.IntN(3) {
			id := fmt.Sprintf("a%d", i)
			switch rng.IntN(5) {
			case 0, 1:
				fmt.Fprintf(&b, "      - %s\n", fmt.Sprintf(gatePolicy(rng), id))
			case 2:
				fmt.Fprintf(&b, "      - {id: %s, type: manual, tasks: [{id: t, required: true}]}\n", id)
			case 3:
				fmt.Fprintf(&b, "      - {id: %s, uses: work, with: {fail: %v}}\n", id, rng.IntN(2) == 0)
			default:
				fmt.Fprintf(&b, "      - {id: %s, type: subprocess, process: %s}\n", id, []string{"kid-gate", "kid-nested"}[rng.IntN(2)])
			}
		}
	}
	return b.String(), kids
}

// gateTree returns the release and all its descendants.
func gateTree(t *testing.T, h *harness, top release.ID) []*release.Release {
	t.Helper()
	page, err := h.store.ListReleases(context.Background(), &store.ListReleasesParams{Limit: store.MaxLimit})
	require.NoError(t, err)
	kids := map[release.ID][]release.ID{}
	for _, s := range page.Releases {
		if p := s.Labels[LabelParent]; p != "" {
			kids[release.ID(p)] = append(kids[release.ID(p)], s.ID)
		}
	}
	var out []*release.Release
	queue := []release.ID{top}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		out = append(out, h.get(id))
		queue = append(queue, kids[id]...)
	}
	return out
}

func TestRandomActorsNeverPassAnApprovalItsApproversDidNotGrant(t *testing.T) {
	seeds := 80
	if testing.Short() {
		seeds = 20
	}
	if n, err := strconv.Atoi(os.Getenv("BATON_PROPERTY_SEEDS")); err == nil && n > 0 {
		seeds = n
	}
	var succeeded, bypassed int
	var mu sync.Mutex
	t.Cleanup(func() { t.Logf("%d of %d top releases Succeeded, %d approvals bypassed", succeeded, seeds, bypassed) })
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0xa9905))
			top, kids := gateDocs(rng)
			// Every third seed's group lookup fails now and then.
			flaky := seed%3 == 2
			var grng sync.Mutex
			lookups := rand.New(rand.NewPCG(seed, 0x9e0))
			resolve := func(_ context.Context, g string) ([]string, error) {
				grng.Lock()
				defer grng.Unlock()
				if flaky && lookups.IntN(3) == 0 {
					return nil, errors.New("directory unreachable")
				}
				return gateGroups[g], nil
			}
			work := adapters.Func("work", func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
				if req.With["fail"] == true && req.Attempt == 1 {
					return nil, adapters.Permanent(errors.New("first attempt fails"))
				}
				return &adapters.Result{}, nil
			})
			h := newHarness(t, &Config{ResolveGroup: resolve, Authorize: gateAuthorize}, work)
			for _, k := range kids {
				h.put(k)
			}
			h.put(top)
			id := h.create("top", nil)
			defer func() {
				if t.Failed() {
					t.Logf("process:\n%s\n%s\n%s", top, kids[0], kids[1])
					for _, r := range gateTree(t, h, id) {
						t.Logf("release %s (%s) %s", r.ID, r.ProcessID, r.Status)
						for _, e := range h.events(r.ID) {
							t.Logf("  %3d %s %-20s %-8s %-30q %s", e.Seq, e.Time.Format("15:04"), e.Kind, e.Actor, e.Reason, e.Payload)
						}
					}
				}
			}()
			gateDrive(t, h, id, rng)
			n := gateCheck(t, h, id)
			mu.Lock()
			bypassed += n
			if h.get(id).Status == release.Succeeded {
				succeeded++
			}
			mu.Unlock()
		})
	}
}

// gateDrive takes random actions by random people on random activities of
// the release and its descendants, and moves the clock now and then, until
// the release ends or the steps run out. Every refusal must be one of the
// executor's sentinel errors.
func gateDrive(t *testing.T, h *harness, top release.ID, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	for step := 0; step < 200; step++ {
		tree := gateTree(t, h, top)
		if tree[0].Status.Terminal() {
			break
		}
		r := tree[rng.IntN(len(tree))]
		keys := slices.Sorted(func(yield func(release.ActivityKey) bool) {
			for k := range r.Activities {
				if !yield(k) {
					return
				}
			}
		})
		k := keys[rng.IntN(len(keys))]
		if waiting := slices.DeleteFunc(keys, func(k release.ActivityKey) bool {
			return r.Activities[k].Status != release.ActivityWaiting
		}); len(waiting) > 0 && rng.IntN(3) > 0 {
			k = waiting[rng.IntN(len(waiting))] // mostly act where someone is awaited
		}
		who := pick(gatePeople)
		var err error
		switch c := rng.IntN(20); {
		case c < 7: // approvers decide most often
			who = pick([]string{"bob", "carol", "dave", "erin", who})
			err = h.ex.Approve(ctx, r.ID, k, &DecisionParams{By: By{Actor: who}})
		case c == 7:
			err = h.ex.Reject(ctx, r.ID, k, &DecisionParams{By: By{Actor: who, Reason: "no"}})
		case c == 8:
			err = h.ex.BypassApproval(ctx, r.ID, k, &BypassParams{By: By{Actor: who, Reason: "urgent"}})
		case c == 9:
			err = h.ex.Skip(ctx, r.ID, k, &By{Actor: who, Reason: "skip"})
		case c == 10:
			err = h.ex.Ignore(ctx, r.ID, k, &IgnoreParams{By: By{Actor: who, Reason: "ignore"}})
		case c == 11:
			var inputs map[string]any
			if rng.IntN(2) == 0 {
				inputs = map[string]any{"fail": false}
			}
			err = h.ex.Retry(ctx, r.ID, k, &RetryParams{By: By{Actor: who, Reason: "again"}, Inputs: inputs})
		case c == 12, c == 13:
			err = h.ex.CompleteTask(ctx, r.ID, k, "t", &By{Actor: who})
		case c == 14:
			err = h.ex.SubmitOutputs(ctx, r.ID, k, &OutputsParams{By: By{Actor: who}, Outputs: map[string]any{"ok": true}})
		case c == 15:
			err = h.ex.UpdateTask(ctx, r.ID, k, &TaskParams{Task: "t", Status: release.TaskFailed, By: By{Actor: who}})
		case c == 16:
			h.advance(time.Duration(10+rng.IntN(40)) * time.Minute)
		case c == 17:
			if rng.IntN(2) == 0 {
				err = h.ex.Pause(ctx, r.ID, &By{Actor: who})
			} else {
				err = h.ex.Resume(ctx, r.ID, &By{Actor: who})
			}
		case c == 18 && rng.IntN(30) == 0:
			err = h.ex.Abort(ctx, r.ID, &By{Actor: who, Reason: "stop"})
		case c == 19 && rng.IntN(30) == 0:
			err = h.ex.RollBack(ctx, r.ID, &By{Actor: who, Reason: "undo"})
		}
		if err != nil && !errors.Is(err, ErrIllegal) && !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrInvalid) &&
			!errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrNotFound) {
			require.NoError(t, err, "step %d", step)
		}
		time.Sleep(time.Millisecond) // let children start and effects run
	}
	time.Sleep(20 * time.Millisecond)
}

// gateCheck checks, from the event logs of the release and its
// descendants, that every approval that succeeded was granted by enough
// of its eligible approvers (the initiator of the top release excluded
// where the policy forbids her), bypassed by an authorized person who may
// bypass it, or approved by its deadline as its policy says; that no
// approval was skipped or ignored; and that a top release that Succeeded
// passed every approval of the releases it ran. It returns the number of
// bypasses.
func gateCheck(t *testing.T, h *harness, top release.ID) int {
	t.Helper()
	bypasses := 0
	tree := gateTree(t, h, top)
	for _, r := range tree {
		require.Equal(t, gateInitiator, r.Initiator, "release %s", r.ID)
		policies := map[release.ActivityKey]*process.ApprovalPolicy{}
		for _, ph := range r.Process.Phases {
			for _, a := range ph.Activities {
				if a.Approval != nil {
					policies[release.Key(ph.ID, a.ID)] = a.Approval
				}
			}
		}
		type gate struct {
			started time.Time
			grants  map[string]bool
			bypass  bool
		}
		gates := map[release.ActivityKey]*gate{}
		for _, e := range h.events(r.ID) {
			p, err := release.DecodePayload(e)
			require.NoError(t, err)
			var k release.ActivityKey
			switch p := p.(type) {
			case *release.ActivityStartedPayload:
				k = p.Activity
			case *release.ApprovalGrantedPayload:
				k = p.Activity
			case *release.ApprovalBypassedPayload:
				k = p.Activity
			case *release.ActivitySucceededPayload:
				k = p.Activity
			case *release.ActivitySkippedPayload:
				k = p.Activity
			case *release.ActivityIgnoredPayload:
				k = p.Activity
			default:
				continue
			}
			pol := policies[k]
			if pol == nil {
				continue
			}
			eligible := gateEligible(pol)
			g := gates[k]
			switch e.Kind {
			case release.KindActivityStarted:
				gates[k] = &gate{started: e.Time, grants: map[string]bool{}}
			case release.KindApprovalGranted:
				require.Containsf(t, eligible, e.Actor, "release %s seq %d: %s granted %s but is not an eligible approver", r.ID, e.Seq, e.Actor, k)
				g.grants[e.Actor] = true
			case release.KindApprovalBypassed:
				require.Contains(t, []string{"ops", "alice"}, e.Actor, "release %s seq %d: only authorized people bypass", r.ID, e.Seq)
				require.Falsef(t, pol.ForbidInitiator && e.Actor == gateInitiator, "release %s seq %d: the initiator bypassed %s, whose policy forbids her", r.ID, e.Seq, k)
				require.NotEmpty(t, e.Reason)
				g.bypass = true
				bypasses++
			case release.KindActivitySucceeded:
				need := max(pol.Min, 1)
				switch pol.Rule {
				case process.Majority:
					need = len(eligible)/2 + 1
				case process.Unanimous:
					need = max(len(eligible), 1)
				}
				deadline := pol.Deadline > 0 && pol.OnDeadline == process.ApproveOnDeadline && !e.Time.Before(g.started.Add(pol.Deadline.D()))
				require.Truef(t, g.bypass || len(g.grants) >= need || deadline,
					"release %s seq %d: approval %s succeeded with %d of %d grants (%v), no bypass, no deadline", r.ID, e.Seq, k, len(g.grants), need, g.grants)
			default:
				require.Failf(t, "an approval was skipped or ignored", "release %s seq %d: %s %s by %s", r.ID, e.Seq, e.Kind, k, e.Actor)
			}
		}
	}
	if tree[0].Status == release.Succeeded {
		gatePassed(t, h, tree[0])
	}
	return bypasses
}

// gatePassed checks that every approval of a release that succeeded, and
// of the children its subprocess activities ran, succeeded.
func gatePassed(t *testing.T, h *harness, r *release.Release) {
	t.Helper()
	for _, ph := range r.Process.Phases {
		for _, a := range ph.Activities {
			k := release.Key(ph.ID, a.ID)
			st := r.Activities[k]
			switch a.EffectiveType() {
			case process.Approval:
				require.Equalf(t, release.ActivitySucceeded, st.Status, "release %s ended %s past approval %s", r.ID, r.Status, k)
			case process.Subprocess:
				require.Equalf(t, release.ActivitySucceeded, st.Status, "release %s ended %s past subprocess %s", r.ID, r.Status, k)
				child := h.get(childID(r.ID, k, len(st.Attempts)))
				require.Contains(t, []release.Status{release.Succeeded, release.PartialSuccess}, child.Status)
				gatePassed(t, h, child)
			}
		}
	}
}

// gateEligible is who may approve under pol, from the true group
// membership.
func gateEligible(pol *process.ApprovalPolicy) []string {
	var out []string
	for _, who := range pol.Approvers {
		members := []string{who}
		if g, ok := strings.CutPrefix(who, "group:"); ok {
			members = gateGroups[g]
		}
		for _, m := range members {
			if !slices.Contains(out, m) && !(pol.ForbidInitiator && m == gateInitiator) {
				out = append(out, m)
			}
		}
	}
	return out
}
