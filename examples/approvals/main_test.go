package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTheApprovalsTourShowsQuorumDeadlineRetryAndRejection(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	s := out.String()
	require.Contains(t, s, "alice  approves approve.quorum  → refused (ErrForbidden)")
	require.Contains(t, s, "one person counts once")
	require.Contains(t, s, "approve.timed: OnHold (approval deadline passed)")
	require.Contains(t, s, "approve.timed: Succeeded on attempt 2")
	require.Contains(t, s, "release: Failed (activity approve.final failed: rejected by frank")
	require.Regexp(t, `activity approve.timed\s+attempt 2 started\s+oncall`, s)
}
