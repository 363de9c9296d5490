package release

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// slowPayload is what the general path makes of p: NewEvent's encoding,
// Seal's canonical form, DecodePayload's value.
func slowPayload(t testing.TB, p Payload) ([]byte, Payload) {
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	canon, err := canonicalPayload(raw)
	require.NoError(t, err)
	typed, err := DecodePayload(Event{Kind: p.EventKind(), Payload: canon})
	require.NoError(t, err)
	return canon, typed
}

func requireSameAsSlowPath(t testing.TB, p Payload) {
	t.Helper()
	fast, typed, err := fastPayload(nil, p)
	require.NoError(t, err, "%#v", p)
	canon, want := slowPayload(t, p)
	require.Equal(t, string(canon), string(fast), "canonical bytes of %#v", p)
	require.Equal(t, want, typed, "decoded value of %#v", p)
	again, err := canonicalPayload(fast)
	require.NoError(t, err)
	require.Equal(t, string(fast), string(again), "the fast bytes are already canonical")
}

func TestFastPayloadsMatchTheGeneralPath(t *testing.T) {
	tricky := map[string]any{
		"html":       "<a href=\"x\">&</a>",
		"controls":   "tab\tnl\ncr\rbs\bff\fnul\x00esc\x1b",
		"seps":       "line\u2028para\u2029",
		"unicode":    "héllo wörld ✓ 𝄞",
		"floats":     []any{0.1, 1e-7, 1e21, 1e20, -0.0, 123456.789, 5e-324, math.MaxFloat64},
		"ints":       []any{0, -1, 42, int64(1) << 52, int8(-8), uint16(9), uint64(1 << 40)},
		"nested":     map[string]any{"b": map[string]any{}, "a": []any{}, "c": nil, "z": []any{map[string]any{"y": true, "x": false}}},
		"strs":       []string{"a", "<b>"},
		"strmap":     map[string]string{"k2": "v", "k1": "w"},
		"nilslice":   []any(nil),
		"nilmap":     map[string]any(nil),
		"k\"ey":      "quoted key",
		"Z-upper":    "sorts before lower case",
		"\u00e9cole": "sorts after ASCII",
	}
	payloads := []Payload{
		&ActivityStartedPayload{Activity: "build.compile"},
		&ActivityStartedPayload{Activity: "build.compile", IdempotencyKey: "r/build.compile/1", Inputs: tricky},
		&ActivityStartedPayload{Activity: "a.b", Inputs: map[string]any{}},
		&ActivitySucceededPayload{Activity: "a.b"},
		&ActivitySucceededPayload{Activity: "a.b", Outputs: tricky},
		&ActivitySucceededPayload{Activity: "a.b", Outputs: map[string]any{}},
		&ActivityIgnoredPayload{Activity: "a.b", Outputs: map[string]any{"x": 1}},
		&OutputsSubmittedPayload{Activity: "a.b"},
		&OutputsSubmittedPayload{Activity: "a.b", Outputs: map[string]any{}},
		&OutputsSubmittedPayload{Activity: "a.b", Outputs: map[string]any{"u": "https://x?a=1&b=2"}},
		&ActivityWaitingPayload{Activity: "a.b"},
		&ActivityResumedPayload{Activity: "a.b"},
		&ActivitySkippedPayload{Activity: "a.b"},
		&ActivityAbortedPayload{Activity: "a.b"},
		&ActivityFailedPayload{Activity: "a.b"},
		&ActivityFailedPayload{Activity: "a.b", Error: "exit 1: <stderr>", TimedOut: true, Permanent: true},
		&ActivityFailedPayload{Activity: "a.b", Error: "x", TimedOut: true},
		&ActivityHeldPayload{Activity: "a.b"},
		&ActivityHeldPayload{Activity: "a.b", Error: "boom"},
		&ActivityHeldPayload{Activity: "a.b", Error: "timed out after 30s", TimedOut: true},
		&ActivityHeldPayload{Activity: "a.b", Error: "x", TimedOut: true, Permanent: true},
		&ActivityHeldPayload{Activity: "a.b", Permanent: true},
		&ActivityRolledBackPayload{Activity: "a.b", Error: "rb"},
		&PhaseStartedPayload{Phase: "build"},
		&PhaseSucceededPayload{Phase: "build"},
		&PhaseFailedPayload{Phase: "build", Error: "a.b failed"},
		&PhaseSkippedPayload{Phase: "build"},
		&PhaseAbortedPayload{Phase: "build"},
		&ReleaseStartedPayload{}, &ReleasePausedPayload{}, &ReleaseResumedPayload{},
		&ReleaseSucceededPayload{}, &ReleasePartiallySucceededPayload{}, &ReleaseAbortedPayload{},
		&ReleaseFailedPayload{}, &ReleaseFailedPayload{Error: "e"},
		&ReleaseRolledBackPayload{Error: "why"},
		&ReleaseRollbackStartedPayload{}, &ReleaseRollbackStartedPayload{Activity: "a.b", Error: "boom"},
		&ReleaseRollbackStartedPayload{Error: "operator"},
		&ApprovalGrantedPayload{Activity: "qa.signoff"},
		&ApprovalGrantedPayload{Activity: "qa.signoff", Comment: "lgtm & ship"},
		&ApprovalRejectedPayload{Activity: "qa.signoff", Comment: "no"},
		&TaskUpdatedPayload{Activity: "qa.r", Task: "t", Status: TaskSucceeded},
		&TaskUpdatedPayload{Activity: "qa.r", Task: "t", Assignees: []string{"bob", "<eve>"}},
		&TaskUpdatedPayload{Activity: "qa.r", Task: "t", Assignees: []string{}},
		&CommentAddedPayload{Text: "hi"},
		&CommentAddedPayload{Activity: "a.b", Task: "t", Text: "hi\n"},
		ActivityStartedPayload{Activity: "by.value", Inputs: map[string]any{"n": 3}},
		ActivitySucceededPayload{Activity: "by.value", Outputs: map[string]any{"n": 3.5}},
	}
	for _, p := range payloads {
		requireSameAsSlowPath(t, p)
	}
}

func TestFastPayloadsCopyTheCallersValues(t *testing.T) {
	in := map[string]any{"list": []any{"a"}, "m": map[string]any{"k": "v"}}
	_, typed, err := fastPayload(nil, &ActivityStartedPayload{Activity: "a.b", Inputs: in})
	require.NoError(t, err)
	in["list"].([]any)[0] = "changed"
	in["m"].(map[string]any)["k"] = "changed"
	in["new"] = 1
	got := typed.(*ActivityStartedPayload).Inputs
	require.Equal(t, map[string]any{"list": []any{"a"}, "m": map[string]any{"k": "v"}}, got)
}

func TestFastPayloadsLeaveOddValuesToTheGeneralPath(t *testing.T) {
	type custom struct{ A int }
	for name, v := range map[string]any{
		"invalid UTF-8":      "a\xffb",
		"NaN":                math.NaN(),
		"infinity":           math.Inf(1),
		"json.Number":        json.Number("1.50"),
		"float32":            float32(0.1),
		"struct":             custom{A: 1},
		"typed map":          map[string]int{"a": 1},
		"big int":            int64(1)<<53 + 1,
		"big uint":           uint64(math.MaxUint64),
		"deep nesting":       deep(100),
		"invalid UTF-8 list": []string{"\xff"},
	} {
		_, _, err := fastPayload(nil, &ActivitySucceededPayload{Activity: "a.b", Outputs: map[string]any{"v": v}})
		require.True(t, errors.Is(err, errSlow), name)
	}
	_, _, err := fastPayload(nil, &ActivityWaitingPayload{Activity: "a\xff"})
	require.ErrorIs(t, err, errSlow)
	_, _, err = fastPayload(nil, &ReleaseCreatedPayload{})
	require.ErrorIs(t, err, errSlow, "release.created takes the general path")
}

func deep(n int) any {
	var v any = "leaf"
	for range n {
		v = []any{v}
	}
	return v
}

// Random values: the fast path and the general path agree on bytes and
// decoded values.
func TestFastPayloadsMatchOnRandomValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		out := randomMap(rng, 0)
		requireSameAsSlowPath(t, &ActivitySucceededPayload{Activity: ActivityKey("a" + randomString(rng)), Outputs: out})
		requireSameAsSlowPath(t, &ActivityFailedPayload{Activity: "a.b", Error: randomString(rng), TimedOut: rng.IntN(2) == 0})
	}
}

func randomString(rng *rand.Rand) string {
	alphabet := []string{"a", "Z", "-", ".", "<", ">", "&", "\"", "\\", "\n", "\x01", "\u2028", "é", "✓", "𝄞", " ", "/"}
	var b strings.Builder
	for range rng.IntN(8) {
		b.WriteString(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

func randomValue(rng *rand.Rand, depth int) any {
	k := rng.IntN(10)
	if depth > 3 && k >= 7 {
		k = rng.IntN(7)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return randomString(rng)
	case 3:
		return rng.Float64() * math.Pow(10, float64(rng.IntN(60)-30))
	case 4:
		return rng.Int64N(1<<53) - 1<<52
	case 5:
		return rng.IntN(1000)
	case 6:
		return []string{randomString(rng)}
	case 7:
		l := make([]any, rng.IntN(4))
		for i := range l {
			l[i] = randomValue(rng, depth+1)
		}
		return l
	default:
		return randomMap(rng, depth+1)
	}
}

func randomMap(rng *rand.Rand, depth int) map[string]any {
	if rng.IntN(6) == 0 {
		return nil
	}
	m := map[string]any{}
	for range rng.IntN(5) {
		m[randomString(rng)] = randomValue(rng, depth)
	}
	return m
}

func FuzzFastPayloadMatchesJSON(f *testing.F) {
	f.Add("build.compile", "key", "value", 1.5, int64(3))
	f.Add("a\u2028", "<&>", "\x00\x1f", -0.0, int64(-1))
	f.Fuzz(func(t *testing.T, activity, key, value string, num float64, n int64) {
		p := &ActivitySucceededPayload{Activity: ActivityKey(activity), Outputs: map[string]any{
			key: value, key + "n": num, key + "i": n, "list": []any{value, num},
		}}
		fast, typed, err := fastPayload(nil, p)
		if errors.Is(err, errSlow) || activity == "" { // "" is refused by DecodePayload
			return
		}
		require.NoError(t, err)
		raw, err := json.Marshal(p)
		require.NoError(t, err)
		canon, err := canonicalPayload(raw)
		require.NoError(t, err)
		require.Equal(t, string(canon), string(fast))
		want, err := DecodePayload(Event{Kind: p.EventKind(), Payload: canon})
		require.NoError(t, err)
		require.Equal(t, want, typed)
	})
}

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
