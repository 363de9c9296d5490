package executor

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRefusedActionsNameThePackageOnceAndMatchTheirSentinel(t *testing.T) {
	err := fmt.Errorf("host: %w", forbiddenf("approve", "bob started the release"))
	require.ErrorIs(t, err, ErrForbidden)
	require.False(t, errors.Is(err, ErrInvalid))
	require.Equal(t, "host: executor: approve: forbidden: bob started the release", err.Error())

	err = invalidf("retry", "unknown activity %q", "ship.okay")
	require.ErrorIs(t, err, ErrInvalid)
	require.Equal(t, `executor: retry: invalid argument: unknown activity "ship.okay"`, err.Error())
}
