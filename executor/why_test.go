package executor

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

func kinds(x *Explanation) []ReasonKind {
	var out []ReasonKind
	for _, r := range x.Reasons {
		out = append(out, r.Kind)
	}
	return out
}

func TestWhyExplainsInDataWhatAnActivityWaitsFor(t *testing.T) {
	h := newHarness(t, &Config{ResolveGroup: groups},
		adapters.Func("flaky", func(context.Context, *adapters.Request) (*adapters.Result, error) { return nil, errors.New("503") }),
		&recorder{kind: "noop"})
	h.put(`
id: why
phases:
  - id: build
    activities:
      - {id: compile, uses: flaky, retry: {max-attempts: 3, backoff: 1m}}
  - id: qa
    activities:
      - {id: regression, type: manual, tasks: [{id: run-suite, required: true, assignees: ['group:qa']}], outputs: [report-url]}
      - id: signoff
        type: approval
        depends-on: [regression]
        approval: {approvers: ['group:qa-leads'], min: 2, deadline: 24h}
  - id: deploy
    depends-on: [build, qa]
    activities:
      - {id: rollout, uses: noop}
`)
	ctx := context.Background()
	id := h.create("why", nil)
	h.waitActivity(id, "build.compile", release.ActivityFailed)
	h.waitActivity(id, "qa.regression", release.ActivityWaiting)

	x, err := h.ex.Why(ctx, id, "build.compile", nil)
	require.NoError(t, err)
	require.Equal(t, []ReasonKind{ReasonBackoff}, kinds(x))
	require.Equal(t, t0.Add(time.Minute), x.Reasons[0].Until)
	require.Contains(t, x.Reasons[0].Text, "retry backoff until 2026-11-25T09:01:00Z after: 503")

	x, err = h.ex.Why(ctx, id, "qa.regression", nil)
	require.NoError(t, err)
	require.Equal(t, []ReasonKind{ReasonTask, ReasonOutput}, kinds(x))
	require.Equal(t, "run-suite", x.Reasons[0].Task)
	require.Equal(t, "report-url", x.Reasons[1].Output)

	require.NoError(t, h.ex.CompleteTask(ctx, id, "qa.regression", "run-suite", &By{Actor: "qa1"}))
	require.NoError(t, h.ex.SubmitOutputs(ctx, id, "qa.regression", &OutputsParams{By: By{Actor: "qa1"}, Outputs: map[string]any{"report-url": "u"}}))
	h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	require.NoError(t, h.ex.Approve(ctx, id, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
	x, err = h.ex.Why(ctx, id, "qa.signoff", nil)
	require.NoError(t, err)
	require.Equal(t, []ReasonKind{ReasonApproval}, kinds(x))
	r := x.Reasons[0]
	require.Equal(t, 1, r.Have)
	require.Equal(t, 2, r.Need)
	require.Equal(t, []string{"group:qa-leads"}, r.Approvers)
	require.Equal(t, "approval 1 of 2 from group:qa-leads, deadline 2026-11-26T09:00:00Z", r.Text)

	x, err = h.ex.Why(ctx, id, "deploy.rollout", nil)
	require.NoError(t, err)
	require.Equal(t, []ReasonKind{ReasonDependency, ReasonDependency}, kinds(x))
	require.Equal(t, release.ActivityKey("build.compile"), x.Reasons[0].Activity)
	require.Equal(t, "Failed", x.Reasons[0].Status)
	require.Equal(t, release.ActivityKey("qa.signoff"), x.Reasons[1].Activity)

	require.NoError(t, h.ex.Pause(ctx, id, &By{Actor: "alice", Reason: "freeze"}))
	x, err = h.ex.Why(ctx, id, "deploy.rollout", nil)
	require.NoError(t, err)
	require.Equal(t, ReasonPaused, x.Reasons[0].Kind)
	require.Equal(t, "alice", x.Reasons[0].Actor)
	require.Equal(t, "paused by alice", x.Reasons[0].Text)

	_, err = h.ex.Why(ctx, id, "deploy.nope", nil)
	require.ErrorIs(t, err, ErrNotFound)
}

func TestPlanProjectsTheEndFromExpectedDurationsAlongTheCriticalPath(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(`
id: plan
phases:
  - id: build
    activities:
      - {id: compile, uses: noop, expected-duration: 10m}
  - id: qa
    depends-on: [build]
    activities:
      - {id: regression, type: manual, tasks: [{id: a, expected-duration: 3h}, {id: b, expected-duration: 1h}]}
      - {id: quick, type: manual, tasks: [{id: q, expected-duration: 30m}]}
      - {id: signoff, type: approval, depends-on: [regression], expected-duration: 1h, approval: {approvers: [bob]}}
  - id: deploy
    depends-on: [qa]
    activities:
      - {id: rollout, uses: noop, expected-duration: 20m}
`)
	id := h.create("plan", nil)
	h.waitActivity(id, "qa.regression", release.ActivityWaiting)
	x, err := h.ex.Plan(context.Background(), id, nil)
	require.NoError(t, err)
	require.Equal(t, []release.ActivityKey{"build.compile", "qa.regression", "qa.signoff", "deploy.rollout"}, x.CriticalPath)
	// compile is done (took 0 on the mock clock); regression started now.
	require.Equal(t, t0.Add(4*time.Hour+time.Hour+20*time.Minute), x.ProjectedEnd)
	require.Equal(t, 5*time.Hour+20*time.Minute, x.Remaining)
	require.Equal(t, Window{Start: t0.Add(5 * time.Hour), End: t0.Add(5*time.Hour + 20*time.Minute)}, x.Activities["deploy.rollout"])

	r := h.get(id)
	require.Equal(t, t0.Add(10*time.Minute+4*time.Hour+time.Hour+20*time.Minute), r.ExpectedEnd, "Create sets the expected end from the process")
}

func TestBackoffGrowsByTheMultiplierUpToTheCapAndJitterStaysInRange(t *testing.T) {
	pol := &process.RetryPolicy{MaxAttempts: 10, Backoff: process.Duration(time.Second), MaxBackoff: process.Duration(10 * time.Second)}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 9: 10 * time.Second} {
		require.Equal(t, want, backoffDelay(pol, n), "after %d failures", n)
	}
	pol3 := &process.RetryPolicy{Backoff: process.Duration(time.Second), Multiplier: 3}
	require.Equal(t, 9*time.Second, backoffDelay(pol3, 3))
	require.Zero(t, backoffDelay(nil, 1))

	ex, err := New(newHarness(t, nil).store, nil, &Config{Jitter: 0.5})
	require.NoError(t, err)
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		d := ex.backoff(pol, 4)
		require.GreaterOrEqual(t, d, 8*time.Second, "jitter never shortens the backoff")
		require.LessOrEqual(t, d, 12*time.Second)
		seen[d] = true
	}
	require.Greater(t, len(seen), 50, "jitter varies the delay")
}

// An adapter's Log lines go to Config.Logger with the release, activity
// and attempt; its last Progress report shows in Why while it runs.
func TestAdapterLogsGoToTheLoggerAndProgressShowsInWhy(t *testing.T) {
	var logs safeBuffer
	reported, finish := make(chan struct{}), make(chan struct{})
	h := newHarness(t, &Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))},
		adapters.Func("upload", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
			req.Reporter.Log("uploading app.ipa")
			req.Reporter.Progress(0.4, "2 of 5 files")
			close(reported)
			select {
			case <-finish:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return &adapters.Result{}, nil
		}))
	h.put("id: up\nphases:\n  - id: p\n    activities:\n      - {id: upload, uses: upload}\n")
	id := h.create("up", nil)
	<-reported
	x, err := h.ex.Why(context.Background(), id, "p.upload", nil)
	require.NoError(t, err)
	require.Equal(t, []ReasonKind{ReasonRunning}, kinds(x))
	require.Equal(t, 0.4, x.Reasons[0].Progress)
	require.Equal(t, "2 of 5 files", x.Reasons[0].Note)
	require.Contains(t, x.Reasons[0].Text, "40% done: 2 of 5 files")
	close(finish)
	h.waitStatus(id, release.Succeeded)
	line := logs.String()
	require.Contains(t, line, `msg="uploading app.ipa"`)
	require.Contains(t, line, "release="+string(id))
	require.Contains(t, line, "activity=p.upload attempt=1")
}

type safeBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
