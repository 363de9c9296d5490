package release

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// isCanonical says yes only to what canonicalJSON leaves as it is, and
// says yes to everything canonicalJSON writes (keys without escapes).
func FuzzIsCanonical(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":[1.5,"x",{"c":true,"d":null}]}`, `{"b":1,"a":2}`, `{"a":1,"a":1}`,
		`{"a":"\u00e9\n"}`, `{"a" :1}`, `{"a":01}`, `{"k":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":[]}`, `{"":{"":[]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		canon, err := canonicalJSON(nil, data)
		if isCanonical(data) {
			require.NoError(t, err, "isCanonical accepted %q", data)
			require.Equal(t, string(data), string(canon), "isCanonical accepted %q, which is not canonical", data)
		}
		if err == nil && len(canon) > 0 && canon[0] == '{' && !strings.Contains(string(canon), `\`) {
			require.True(t, isCanonical(canon), "isCanonical refused the canonical %q", canon)
		}
	})
}

func TestAppendTimeWritesRFC3339NanoInUTC(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []time.Time{{}, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 3, 29, 2, 30, 0, 100, time.FixedZone("x", 3600)), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC)}
	for range 10000 {
		cases = append(cases, time.Unix(rng.Int64N(400000000000)-62135596800, rng.Int64N(1e9)).UTC())
		cases = append(cases, time.Unix(rng.Int64N(4000000000), rng.Int64N(1000)*1e6))
	}
	for _, c := range cases {
		require.Equal(t, c.UTC().Format(time.RFC3339Nano), string(appendTime(nil, c)), "%v", c)
	}
}

func TestActivityStatusIndexFollowsActivityStatuses(t *testing.T) {
	for i, s := range ActivityStatuses {
		require.Equal(t, i, s.index(), s)
	}
	require.Equal(t, -1, ActivityStatus("Bogus").index())
}
