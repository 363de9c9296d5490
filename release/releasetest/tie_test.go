package releasetest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
)

// Two parallel activities that fail at the same virtual instant with the
// same backoff have their retries fall due together; the executor handles
// one release's timers due together in a fixed order, so the log repeats
// (run with -race, which shuffles goroutines the most).
func TestParallelFlakyActivitiesRepeatExactly(t *testing.T) {
	doc := `
id: tie
phases:
  - id: p
    activities:
      - {id: a, uses: x.a, retry: {max-attempts: 3, backoff: 1m}}
      - {id: b, uses: x.b, retry: {max-attempts: 3, backoff: 1m}}
      - {id: c, uses: x.b, retry: {max-attempts: 3, backoff: 1m}}
`
	run := func() *releasetest.Result {
		return releasetest.NewYAML(t, doc, &releasetest.Config{Adapters: []adapters.Adapter{
			adaptertest.NewFake("x.a", nil).WithDelay(time.Minute).FailTimes(1, nil),
			adaptertest.NewFake("x.b", nil).WithDelay(time.Minute).FailTimes(2, nil),
		}}).Run(t)
	}
	first := run()
	releasetest.RequireStatus(t, first, release.Succeeded)
	for range 10 {
		require.Equal(t, string(first.EventLog()), string(run().EventLog()))
	}
}
