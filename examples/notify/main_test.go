package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTheReceiverGetsEveryNotificationOnceInOrder(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	require.Equal(t, `receiver: 503 to the first request (a simulated outage)
receiver: release-created -> #web-releases: release "Web release" created by alice
receiver: phase-ended -> #web-releases: release "Web release": phase build succeeded
receiver: waiting-for-person -> #web-releases, bob, carol: release "Web release": activity ship.approve waits for 1 approval(s) from group:release-managers
bob approves
receiver: phase-ended -> #web-releases: release "Web release": phase ship succeeded
receiver: release-succeeded -> #web-releases: release "Web release" succeeded
5 notifications, each key handled once
`, out.String())
}
