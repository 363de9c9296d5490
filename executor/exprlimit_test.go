package executor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// An activity whose with: builds more than an expression may fails with the
// limit error, the adapter is never called, and no event stores the value.
func TestAnActivityWhoseWithPassesTheExpressionLimitsFails(t *testing.T) {
	bomb := "${{ " + strings.Repeat("toJSON(", 22) + `'"'` + strings.Repeat(")", 22) + " }}" // 186 bytes, 12.5 MB unbounded
	var many strings.Builder
	for i := range 50 {
		fmt.Fprintf(&many, "k%d: '${{ inputs.big }}', ", i) // 50 x 30 kB: each fits, together they do not
	}
	tests := []struct {
		name, with, msg string
	}{
		{"a toJSON bomb", "{payload: '" + strings.ReplaceAll(bomb, "'", "''") + "'}", "memory budget"},
		{"many values that add up", "{" + strings.TrimSuffix(many.String(), ", ") + "}", "add up to more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ad := &recorder{kind: "cd.deploy"}
			h := newHarness(t, nil, ad)
			doc := "id: app\ninputs:\n  big: {type: string}\nphases:\n  - id: ship\n    activities:\n" +
				"      - {id: deploy, uses: cd.deploy, on-failure: fail, with: " + tt.with + "}\n"
			p := h.put(doc)
			inputs := map[string]any{"big": strings.Repeat("x", 30_000)}
			id := h.create("app", inputs)
			r := h.waitStatus(id, release.Failed)

			a := r.Activities["ship.deploy"]
			require.Equal(t, release.ActivityFailed, a.Status)
			require.Len(t, a.Attempts, 1)
			require.Contains(t, a.Attempts[0].Error, "ship.deploy: with:")
			require.Contains(t, a.Attempts[0].Error, tt.msg)
			require.Nil(t, a.Attempts[0].Inputs, "nothing evaluated is kept")
			require.Contains(t, r.Error, tt.msg)
			require.Empty(t, ad.Calls(), "the adapter never runs")

			// The executor keeps the error as text; the error it was made
			// from matches ErrLimit.
			c, err := process.Compile(p)
			require.NoError(t, err)
			_, err = c.With(process.ActivityRef{Phase: "ship", Activity: "deploy"}, &process.Scope{Inputs: inputs})
			require.ErrorIs(t, err, process.ErrLimit)
			require.Equal(t, a.Attempts[0].Error, err.Error())

			for _, ev := range h.events(id) {
				require.Less(t, len(ev.Payload), 64<<10, "event %d (%s) stores %d bytes", ev.Seq, ev.Kind, len(ev.Payload))
			}
			require.NoError(t, release.VerifyChain(h.events(id)))
		})
	}
}
