package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
)

// ChangeAdapter performs activities of kind "change.request": it opens a
// change ticket on the Desk and waits until the ticket is approved (the
// activity succeeds with the ticket's id as output) or rejected (it fails
// permanently: retrying would not change the board's mind).
//
//   - id: change
//     uses: change.request
//     with: {summary: 'Ship mobile ${{ inputs.version }}', risk: medium}
//     outputs: [ticket]
//
// It implements the two optional capabilities: adapters.Validator (a typo
// in with: is reported when the process is registered, with its path) and
// adapters.Poller (the executor polls the ticket between timers instead of
// holding a goroutine for hours, and after a restart it polls the same
// ticket again rather than opening a second one).
type ChangeAdapter struct {
	Desk *Desk
	// Every is the wait between two polls. Defaults to 30s.
	Every time.Duration
}

var (
	_ adapters.Adapter   = (*ChangeAdapter)(nil)
	_ adapters.Validator = (*ChangeAdapter)(nil)
	_ adapters.Poller    = (*ChangeAdapter)(nil)
)

// Kind returns "change.request".
func (a *ChangeAdapter) Kind() string { return "change.request" }

// ValidateWith checks with: summary (a string, required), risk (low,
// medium or high; optional, low by default). Anything else is a typo.
func (a *ChangeAdapter) ValidateWith(with map[string]any) error {
	for k := range with {
		if k != "summary" && k != "risk" {
			return &adapters.ParamError{Param: k, Msg: "unknown parameter (want summary, risk)"}
		}
	}
	if s, ok := with["summary"].(string); !ok || s == "" {
		return &adapters.ParamError{Param: "summary", Msg: "required: a short description of the change"}
	}
	if r, ok := with["risk"]; ok {
		switch r {
		case "low", "medium", "high":
		default:
			if s, isStr := r.(string); !isStr || !isTemplate(s) {
				return &adapters.ParamError{Param: "risk", Msg: fmt.Sprintf("%v: want low, medium or high", r)}
			}
		}
	}
	return nil
}

// isTemplate reports whether s holds a ${{ }} expression, whose value is
// only known when the activity runs.
func isTemplate(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '$' && s[i+1] == '{' && s[i+2] == '{' {
			return true
		}
	}
	return false
}

func params(req *adapters.Request) (summary, risk string, err error) {
	summary, _ = req.With["summary"].(string)
	risk, _ = req.With["risk"].(string)
	if risk == "" {
		risk = "low"
	}
	if summary == "" {
		return "", "", adapters.Permanent(fmt.Errorf("change.request: with.summary: required"))
	}
	if risk != "low" && risk != "medium" && risk != "high" {
		return "", "", adapters.Permanent(fmt.Errorf("change.request: with.risk %q: want low, medium or high", risk))
	}
	return summary, risk, nil
}

// Start opens the ticket (once per idempotency key) and returns its id.
func (a *ChangeAdapter) Start(ctx context.Context, req *adapters.Request) (string, error) {
	summary, risk, err := params(req)
	if err != nil {
		return "", err
	}
	id, err := a.Desk.Open(ctx, req.IdempotencyKey, summary, risk)
	if errors.Is(err, ErrBusy) {
		// Not a failure of this change: ask the executor to try again
		// later, without using up the retry policy's backoff.
		return "", adapters.RetryAfter(10*time.Minute, fmt.Errorf("change.request: %w", err))
	}
	if err != nil {
		return "", fmt.Errorf("change.request: opening a ticket: %w", err)
	}
	if req.Reporter != nil {
		req.Reporter.Link(release.Link{Kind: release.LinkTicket, Ref: id, URL: "https://desk.example.com/" + id})
	}
	return id, nil
}

// Poll checks the ticket once.
func (a *ChangeAdapter) Poll(ctx context.Context, req *adapters.Request, id string) (adapters.PollStatus, error) {
	state, reason, err := a.Desk.Status(ctx, id)
	if err != nil {
		return adapters.PollStatus{}, fmt.Errorf("change.request: %w", err)
	}
	switch state {
	case "approved":
		return adapters.PollStatus{Done: true, Result: &adapters.Result{Outputs: map[string]any{"ticket": id}}}, nil
	case "rejected":
		return adapters.PollStatus{Done: true}, adapters.Permanent(fmt.Errorf("change.request: %s rejected: %s", id, reason))
	}
	return adapters.PollStatus{After: a.every()}, nil
}

func (a *ChangeAdapter) every() time.Duration {
	if a.Every > 0 {
		return a.Every
	}
	return 30 * time.Second
}

// Run opens the ticket and polls it until it is decided or ctx is done:
// the same work as Start and Poll, for callers that want one call.
func (a *ChangeAdapter) Run(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
	id, err := a.Start(ctx, req)
	if err != nil {
		return nil, err
	}
	for {
		st, err := a.Poll(ctx, req, id)
		if err != nil || st.Done {
			return st.Result, err
		}
		t := time.NewTimer(st.After)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("change.request: waiting for %s: %w", id, ctx.Err())
		case <-t.C:
		}
	}
}
