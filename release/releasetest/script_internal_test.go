package releasetest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequireBeforeFailsWhenTheOrderIsNotSo(t *testing.T) {
	r := sample(t)
	require.False(t, check(t, func(tb testing.TB) { RequireBefore(tb, r, "build.compile", "qa.signoff") }).failed)
	ft := check(t, func(tb testing.TB) { RequireBefore(tb, r, "qa.signoff", "build.compile") })
	require.True(t, ft.failed)
	require.Contains(t, ft.msg, "build.compile started")
	ft = check(t, func(tb testing.TB) { RequireBefore(tb, r, "build.compile", "nope.never") })
	require.True(t, ft.failed)
	require.Contains(t, ft.msg, "nope.never never started")
}
