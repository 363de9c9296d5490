package executor

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEveryActionKindHasOneVerb(t *testing.T) {
	kinds := ActionKinds()
	require.NotEmpty(t, kinds)
	for _, k := range kinds {
		require.NotEmpty(t, k.Verb(), "kind %s", k)
	}
	require.Equal(t, Verb(""), ActionKind("no-such-kind").Verb())
	require.Equal(t, VerbBypassApproval, ActionBypassApproval.Verb(), "bypassing is not approving")
	require.Equal(t, VerbOverrideFreeze, ActionOverrideFreeze.Verb())
	require.Equal(t, VerbApprove, ActionReject.Verb())
}
