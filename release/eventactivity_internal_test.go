package release

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// activityByDecoding is what Event.Activity answers by definition: the
// payload decoded as JSON.
func activityByDecoding(payload []byte) (ActivityKey, bool) {
	var v struct {
		Activity ActivityKey `json:"activity"`
	}
	if len(payload) == 0 || json.Unmarshal(payload, &v) != nil || v.Activity == "" {
		return "", false
	}
	return v.Activity, true
}

// Event.Activity reads a canonical payload without decoding it; its
// answer is the decoder's on every payload, canonical or not.
func TestEventActivityAnswersAsDecodingThePayloadDoes(t *testing.T) {
	for _, payload := range []string{
		`{"activity":"build.compile","attempt":1}`,
		`{"attempt":1,"activity":"build.compile"}`, // not canonical: decoded
		`{"activity":"build.compile","attempt":1,"outputs":{"activity":"x.y"}}`,
		`{"a":{"activity":"x.y"},"attempt":1}`,
		`{"Activity":"build.compile"}`, // encoding/json matches keys without case
		`{"ACTIVITY":"a.b","activity":"c.d"}`,
		`{"activity":"build.\u0063ompile"}`,
		`{"activity":"with \"quotes\""}`,
		`{"activity":""}`,
		`{"activity":null}`,
		`{"activity":42}`,
		`{"activity":"a.b"}x`,
		`{"activity":"a.b"`,
		`{}`,
		``,
		`[]`,
		`{"activity":"a.b","activity":"c.d"}`,
		`{"activity":"a.b","b":[1,2,{"c":true}],"c":-1.5e3}`,
		"{\"activity\":\"\xff\"}",
	} {
		t.Run(payload, func(t *testing.T) {
			k, ok := Event{Payload: json.RawMessage(payload)}.Activity()
			wk, wok := activityByDecoding([]byte(payload))
			require.Equal(t, wok, ok)
			require.Equal(t, wk, k)
		})
	}
}

func TestEventActivityOfACanonicalPayloadAllocatesOnlyItsKey(t *testing.T) {
	e := Event{Payload: json.RawMessage(`{"activity":"build.compile","attempt":1,"outputs":{"artifact":"app.apk","size":42}}`)}
	allocs := testing.AllocsPerRun(100, func() {
		if k, ok := e.Activity(); !ok || k != "build.compile" {
			t.Fatal(k, ok)
		}
	})
	require.LessOrEqual(t, allocs, 1.0)
}

func FuzzEventActivity(f *testing.F) {
	f.Add([]byte(`{"activity":"build.compile","attempt":1}`))
	f.Add([]byte(`{"Activity":"a.b"}`))
	f.Add([]byte(`{"activity":"a\u0062"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		k, ok := Event{Payload: payload}.Activity()
		wk, wok := activityByDecoding(payload)
		if k != wk || ok != wok {
			t.Fatalf("Activity() = %q, %v; decoding says %q, %v", k, ok, wk, wok)
		}
	})
}

// isCanonical allocates nothing, numbers included (Seal and every store's
// VerifyChainFrom run it on each event).
func TestIsCanonicalAllocatesNothing(t *testing.T) {
	p := []byte(`{"activity":"build.compile","attempt":12,"outputs":{"ratio":-1.5e3,"size":42}}`)
	require.True(t, isCanonical(p))
	require.Zero(t, testing.AllocsPerRun(100, func() { isCanonical(p) }))
}
