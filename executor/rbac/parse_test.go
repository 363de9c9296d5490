package rbac

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/batonhq/baton/executor"
	"github.com/stretchr/testify/require"
)

const rulesDoc = `
roles:
  - {name: freeze-breaker, verbs: [override-freeze]}
bindings:
  - {subject: "group:sre", role: admin, scope: {all: true}}
  - subject: alice
    role: operator
    scope: {process: shop, labels: {env: prod}}
  - {subject: bob, role: freeze-breaker, scope: {group: nightly}}
  - {subject: "system:anonymous", role: viewer, scope: {labels: {public: "yes"}}}
`

func TestParseRules(t *testing.T) {
	r, err := ParseRules([]byte(rulesDoc))
	require.NoError(t, err)
	want := &Rules{
		Roles: []Role{{Name: "freeze-breaker", Verbs: []executor.Verb{executor.VerbOverrideFreeze}}},
		Bindings: []Binding{
			{Subject: "group:sre", Role: Admin, Scope: Everything},
			{Subject: "alice", Role: Operator, Scope: Scope{Process: "shop", Labels: map[string]string{"env": "prod"}}},
			{Subject: "bob", Role: "freeze-breaker", Scope: Scope{Group: "nightly"}},
			{Subject: Anonymous, Role: Viewer, Scope: Scope{Labels: map[string]string{"public": "yes"}}},
		},
	}
	require.Equal(t, want, r)
	// The JSON form reads the same.
	js, err := json.Marshal(want)
	require.NoError(t, err)
	r, err = ParseRules(js)
	require.NoError(t, err)
	require.Equal(t, want, r)

	a, err := New(r, nil)
	require.NoError(t, err)
	require.NoError(t, a.Authorize(context.Background(), &executor.Action{Kind: executor.ActionAbort, Actor: "alice", Release: "r",
		Process: "shop", ActivityLabels: map[string]string{"env": "prod"}, Activity: "a.b"}))

	empty, err := ParseRules(nil)
	require.NoError(t, err)
	require.Empty(t, empty.Bindings)
}

func TestParseRulesErrors(t *testing.T) {
	for _, tc := range []struct{ doc, err string }{
		{"bindings:\n  - {subject: a, role: viewer, scope: {all: true}, roel: x}\n", "line 2: field roel not found"},
		{"bindings:\n  - {subject: a, role: viewer, scope: {proces: p}}\n", "line 2: field proces not found"},
		{"bindings: {subject: a}\n", "line 1: cannot unmarshal"},
		{"bindings:\n  - {subject: a, subject: b, role: viewer, scope: {all: true}}\n", `mapping key "subject" already defined`},
		{"bindings:\n  - {subject: a, role: viewer, scope: {all: yes please}}\n", "cannot unmarshal"},
		{"bindings: []\n---\nbindings: []\n", "want one document"},
		{"bindings:\n  - {subject: a, role: viewr, scope: {all: true}}\n", `bindings[0].role: "viewr": no such role`},
		{"bindings:\n  - {subject: a, role: viewer}\n", "bindings[0].scope: empty"},
		{"[", "rbac: rules: yaml"},
	} {
		_, err := ParseRules([]byte(tc.doc))
		require.ErrorContains(t, err, tc.err, tc.doc)
	}
	_, err := ParseRules([]byte("bindings:\n  - {subject: a, role: viewr, scope: {all: true}}\n"))
	require.ErrorIs(t, err, ErrInvalid)
}

// FuzzParseRules: no document panics, and rules that parse make an
// Authorizer and read back the same from their JSON form.
func FuzzParseRules(f *testing.F) {
	f.Add([]byte(rulesDoc))
	f.Add([]byte(`{"bindings":[{"subject":"a","role":"viewer","scope":{"all":true}}]}`))
	f.Add([]byte("bindings:\n  - {subject: a, role: viewer, scope: {labels: {env: \"\"}}}\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, err := ParseRules(doc)
		if err != nil {
			return
		}
		a, err := New(r, nil)
		require.NoError(t, err)
		_ = a.Authorize(context.Background(), &executor.Action{Kind: executor.ActionView, Actor: "a"})
		js, err := json.Marshal(r)
		require.NoError(t, err)
		back, err := ParseRules(js)
		require.NoError(t, err)
		require.Equal(t, len(r.Bindings), len(back.Bindings))
		require.Equal(t, len(r.Roles), len(back.Roles))
	})
}
