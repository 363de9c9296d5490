package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
)

// The conformance suite: kind, cancellation, permanent errors, concurrent
// runs, the Validator and the Poller (polling on a fresh adapter, as after
// a restart) all checked in a few lines.
func TestChangeAdapterKeepsTheAdapterContract(t *testing.T) {
	desk := NewDesk() // one external system, shared by every adapter the factory makes
	opened := make(chan string, 64)
	desk.opened = opened
	n := 0
	key := func() string { n++; return fmt.Sprintf("release-1/change.ticket/%d", n) }
	req := func(risk, summary string) *adapters.Request {
		return &adapters.Request{IdempotencyKey: key(), Attempt: 1, With: map[string]any{"summary": summary, "risk": risk}}
	}
	adaptertest.TestAdapter(t, func(t *testing.T) adapters.Adapter {
		return &ChangeAdapter{Desk: desk, Every: 5 * time.Millisecond}
	}, &adaptertest.Options{
		Kind:      "change.request",
		Success:   func(*testing.T) *adapters.Request { return req("medium", "Ship 2.4.0") },
		Permanent: func(*testing.T) *adapters.Request { return req("high", "Database migration on Friday") },
		Blocking: func(*testing.T) (*adapters.Request, <-chan struct{}) {
			// A high-risk change waits for the board, which never meets here.
			started := make(chan struct{})
			go func() { <-opened; close(started) }()
			for len(opened) > 0 {
				<-opened
			}
			return req("high", "Rotate the payment keys"), started
		},
		RetryAfter: func(t *testing.T) *adapters.Request {
			// Another high-risk change already waits for the board.
			_, err := desk.Open(context.Background(), key(), "Resize the primary database", "high")
			if err != nil {
				require.ErrorIs(t, err, ErrBusy) // one was open already
			}
			return req("high", "Rotate the payment keys")
		},
		RetryAfterDelay: 10 * time.Minute,
		ValidWith:       []map[string]any{{"summary": "x"}, {"summary": "x", "risk": "high"}, {"summary": "x", "risk": "${{ inputs.risk }}"}},
		InvalidWith:     []map[string]any{{}, {"summary": 3}, {"summary": "x", "risk": "extreme"}, {"summary": "x", "owner": "bob"}},
	})
}

func TestATypoInWithIsAValidationErrorWithItsPath(t *testing.T) {
	reg := adapters.NewRegistry(&ChangeAdapter{Desk: NewDesk()})
	p, err := process.Parse([]byte("id: x\nphases:\n  - id: a\n    activities: [{id: b, uses: change.request, with: {summary: s, rsik: low}}]\n"))
	require.NoError(t, err)
	err = reg.ValidateProcess(p)
	require.ErrorContains(t, err, "phases.a.activities.b.with.rsik: unknown parameter (want summary, risk)")
}

// The adapter in a whole release, on releasetest's virtual clock: the
// medium-risk ticket is approved on the third poll, 30s apart.
func TestTheReleaseWaitsForTheTicketThenDeploysWithIt(t *testing.T) {
	deploy := adaptertest.NewFake("cd.deploy", nil)
	h := releasetest.NewYAML(t, doc, &releasetest.Config{
		Inputs:   map[string]any{"version": "3.1.2"},
		Adapters: []adapters.Adapter{&ChangeAdapter{Desk: NewDesk()}, deploy},
	})
	res := h.Run(t)
	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "change.ticket", releasetest.ActivityWant{Outputs: map[string]any{"ticket": "CHG-0001"}})
	releasetest.RequireRelease(t, res, releasetest.ReleaseWant{MinDuration: time.Minute, MaxDuration: time.Minute})
	require.Equal(t, "CHG-0001", deploy.Calls()[0].Request.With["ticket"])
}

// A rejection is permanent: no retry, the activity holds for an operator.
func TestARejectedChangeIsNotRetriedAndWaitsForAnOperator(t *testing.T) {
	friday := strings.Replace(doc, "risk: medium}", "risk: high}\n        retry: {max-attempts: 3, backoff: 1m}", 1)
	h := releasetest.NewYAML(t, friday, &releasetest.Config{
		Inputs:   map[string]any{"version": "3.1.2 (Friday)"},
		Adapters: []adapters.Adapter{&ChangeAdapter{Desk: NewDesk()}, adaptertest.NewFake("cd.deploy", nil)},
	})
	res := h.Run(t)
	releasetest.RequireActivity(t, res, "change.ticket", releasetest.ActivityWant{
		Status: release.ActivityOnHold, Attempts: 1, ErrorContains: "no high-risk changes on Fridays",
	})
	releasetest.RequireNoEvent(t, res, releasetest.EventWant{Kind: release.KindActivityStarted, Activity: "ship.deploy"})
}

func TestTheProgramRunsTheHotfixRelease(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	require.Contains(t, out.String(), "phases.change.activities.ticket.with.sumary")
	require.Contains(t, out.String(), "cd.deploy: deploying under ticket CHG-0001")
	require.Contains(t, out.String(), "Release Succeeded")
}
