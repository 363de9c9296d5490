package executor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

// callLog records which instance ran which attempt.
type callLog struct {
	mu    sync.Mutex
	block release.ID          // instance a's calls for this release block until cancelled
	calls map[string][]string // idempotency key -> instances
	dead  map[string]bool
}

func (c *callLog) adapter(instance string) adapters.Adapter {
	inner := workAdapter()
	return adapters.Func("work", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		c.mu.Lock()
		c.calls[req.IdempotencyKey] = append(c.calls[req.IdempotencyKey], instance)
		block := instance == "a" && req.Release == c.block
		c.mu.Unlock()
		if block {
			<-ctx.Done() // a long deploy, in flight when a dies
			return nil, ctx.Err()
		}
		return inner.Run(ctx, req)
	})
}

func TestTwoExecutorsShareAStoreAndOneTakesOverWhenTheOtherDies(t *testing.T) {
	w := newWorld(t)
	log := &callLog{calls: map[string][]string{}}
	a := w.startWith("a", adapters.NewRegistry(log.adapter("a")), 0, false)
	b := w.startWith("b", adapters.NewRegistry(log.adapter("b")), 0, false)
	defer b.shutdown()
	ctx := context.Background()

	// Reference outcome: the same release on its own, without crashes.
	want, _, _, _ := runBig(t, 0, false)

	var ids []release.ID
	for i := 0; i < 6; i++ {
		ex := a.ex
		if i%2 == 1 {
			ex = b.ex
		}
		sum, err := ex.Create(ctx, &CreateParams{Process: "big", By: By{Actor: "alice"}, ScheduledFor: t0.Add(time.Second)})
		require.NoError(t, err)
		ids = append(ids, sum.ID)
	}
	log.mu.Lock()
	log.block = ids[0] // set before the clock lets the releases start
	log.mu.Unlock()
	blocked := idemKey(ids[0], "build.a0", 1)

	alive := []*instance{a, b}
	killed := false
	for step, deadline := 0, time.Now().Add(60*time.Second); time.Now().Before(deadline); step++ {
		done := 0
		for n, id := range ids {
			r, err := w.mem.GetRelease(ctx, id)
			require.NoError(t, err)
			if r.Status.Terminal() {
				done++
				continue
			}
			ex := alive[n%len(alive)].ex
			for _, k := range []release.ActivityKey{"qa.m0", "qa.g0", "deploy.g1"} {
				if r.Activities[k].Status != release.ActivityWaiting {
					continue
				}
				if k == "qa.m0" {
					_ = ex.SubmitOutputs(ctx, id, k, &OutputsParams{By: By{Actor: "qa"}, Outputs: map[string]any{"report": "r-1"}})
					_ = ex.CompleteTask(ctx, id, k, "t", &By{Actor: "qa"})
					continue
				}
				_ = ex.Approve(ctx, id, k, &DecisionParams{By: By{Actor: "bob"}})
				_ = ex.Approve(ctx, id, k, &DecisionParams{By: By{Actor: "carol"}})
			}
		}
		if done == len(ids) {
			break
		}
		if step == 3 && !killed {
			// Kill a mid-run: its store calls fail from now on, so it
			// cannot even give its leases back.
			killed = true
			a.fs.kill()
			a.shutdown()
			alive = []*instance{b}
			log.mu.Lock()
			log.dead = map[string]bool{}
			for k := range log.calls {
				log.dead[k] = true
			}
			log.mu.Unlock()
		}
		w.clock.Add(5 * time.Second)
		time.Sleep(2 * time.Millisecond)
	}
	require.True(t, killed)
	for _, id := range ids {
		r, err := w.mem.GetRelease(ctx, id)
		require.NoError(t, err)
		require.Equal(t, want, outcomeOf(r), "release %s", id)
		evs := allEvents(t, w, id)
		require.NoError(t, release.VerifyChain(evs))
		requireNoDoubleCompletion(t, evs)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	require.Equal(t, []string{"a", "b"}, log.calls[blocked], "b re-ran the attempt a held when it died, after its lease expired")
	for key, who := range log.calls {
		if len(who) > 1 {
			// Only an attempt a had started before it died may run twice:
			// b re-runs it with the same key.
			require.Truef(t, log.dead[key], "attempt %s ran on %v while both were alive", key, who)
			require.Equal(t, []string{"a", "b"}, who[:2], fmt.Sprintf("attempt %s", key))
		}
	}
}
