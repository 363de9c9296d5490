package executor

import (
	"errors"

	"context"
	"github.com/batonhq/baton/adapters"
	"math"
	"testing"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/stretchr/testify/require"
)

// Values a Go host can put in CreateParams.Inputs that no event can hold
// are refused up front, as invalid input naming the input, and nothing is
// stored.
func TestCreateRefusesValuesThatAreNotData(t *testing.T) {
	cyclicMap := map[string]any{}
	cyclicMap["self"] = cyclicMap
	cyclicList := make([]any, 1)
	cyclicList[0] = cyclicList
	type point struct{ X int }
	for _, tc := range []struct {
		name  string
		input string
		value any
		want  string
	}{
		{"NaN number", "n", math.NaN(), "inputs.n"},
		{"+Inf number", "n", math.Inf(1), "inputs.n"},
		{"-Inf float32", "n", float32(math.Inf(-1)), "inputs.n"},
		{"NaN inside a list", "l", []any{1.0, math.NaN()}, "inputs.l[1]"},
		{"Inf inside an object", "o", map[string]any{"a": map[string]any{"b": math.Inf(1)}}, "inputs.o.a.b"},
		{"a function", "o", map[string]any{"f": func() {}}, "inputs.o.f"},
		{"a channel", "l", []any{make(chan int)}, "inputs.l[0]"},
		{"a complex number", "o", map[string]any{"c": complex(1, 2)}, "inputs.o.c"},
		{"a struct", "o", map[string]any{"p": point{1}}, "inputs.o.p"},
		{"a map with int keys", "o", map[string]any{"m": map[int]any{1: "x"}}, "inputs.o.m"},
		{"a cyclic object", "o", cyclicMap, "cycle"},
		{"a cyclic list", "l", cyclicList, "cycle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil, &recorder{kind: "noop"})
			h.put(`
id: vals
inputs:
  n: {type: number}
  l: {type: list}
  o: {type: object}
phases:
  - id: p
    activities:
      - {id: a, uses: noop}
`)
			_, err := h.ex.Create(context.Background(), &CreateParams{
				Process: "vals", By: By{Actor: "alice"}, Inputs: map[string]any{tc.input: tc.value},
			})
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.want)
			page, err := h.store.ListReleases(context.Background(), &store.ListReleasesParams{})
			require.NoError(t, err)
			require.Empty(t, page.Releases, "nothing is stored")
		})
	}
}

// Shared (not cyclic) values are data: the same map twice is fine.
func TestCreateAcceptsSharedValues(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put("id: vals\ninputs:\n  o: {type: object}\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: noop}\n")
	shared := map[string]any{"k": "v"}
	id := h.create("vals", map[string]any{"o": map[string]any{"a": shared, "b": shared, "n": 1, "u": uint8(2), "s": []string{"x"}}})
	r := h.waitStatus(id, release.Succeeded)
	require.Equal(t, "v", r.Inputs["o"].(map[string]any)["b"].(map[string]any)["k"])
}

// Outputs a person submits, or substitutes when ignoring a failure, are
// checked the same way, before anything is recorded.
func TestOutputsThatAreNotDataAreRefused(t *testing.T) {
	h := newHarness(t, nil, &failing{kind: "boom"})
	h.put(`
id: outs
phases:
  - id: p
    activities:
      - {id: man, type: manual, outputs: [report]}
      - {id: auto, uses: boom, outputs: [url]}
`)
	id := h.create("outs", nil)
	h.waitActivity(id, "p.man", release.ActivityWaiting)
	h.waitActivity(id, "p.auto", release.ActivityOnHold)
	before := h.events(id)
	ctx := context.Background()

	err := h.ex.SubmitOutputs(ctx, id, "p.man", &OutputsParams{By: By{Actor: "bob"}, Outputs: map[string]any{"report": math.NaN()}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "outputs.report")
	err = h.ex.Ignore(ctx, id, "p.auto", &IgnoreParams{By: By{Actor: "ops", Reason: "known"}, Outputs: map[string]any{"url": []any{func() {}}}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "outputs.url[0]")
	require.Equal(t, before, h.events(id), "nothing is recorded")
}

// failing fails every attempt, permanently.
type failing struct{ kind string }

func (f *failing) Kind() string { return f.kind }
func (f *failing) Run(context.Context, *adapters.Request) (*adapters.Result, error) {
	return nil, adapters.Permanent(errors.New("it broke"))
}
