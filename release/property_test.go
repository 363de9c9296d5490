package release_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store/storetest"
)

// For random legal histories: folding the log reproduces the release
// exactly, so does resuming from a snapshot taken anywhere, so does folding
// the events after a JSON round trip, and the chain verifies.
func TestFoldingRandomHistoriesReproducesTheRelease(t *testing.T) {
	seeds := 100
	if testing.Short() {
		seeds = 30
	}
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 7))
		r, log := newMobile(t)
		events, err := storetest.RandomEvents(rng, r, t0, 150)
		require.NoError(t, err, "seed %d", seed)
		log = append(log, events...)
		require.NoError(t, release.VerifyChain(log), "seed %d", seed)

		folded, err := release.Fold(log)
		require.NoError(t, err, "seed %d", seed)
		require.Equal(t, r, folded, "seed %d: fold", seed)

		k := 1 + rng.IntN(len(log))
		part, err := release.Fold(log[:k])
		require.NoError(t, err)
		snap, err := part.MarshalSnapshot()
		require.NoError(t, err)
		resumed, err := release.UnmarshalSnapshot(snap)
		require.NoError(t, err)
		require.NoError(t, release.FoldFrom(resumed, log[k:]))
		require.Equal(t, r, resumed, "seed %d: snapshot at %d + the rest", seed, k)

		parsed := make([]release.Event, len(log))
		for i, e := range log {
			data, err := json.Marshal(e)
			require.NoError(t, err)
			parsed[i], err = release.ParseEvent(data)
			require.NoError(t, err)
		}
		require.Equal(t, log, parsed)
	}
}
