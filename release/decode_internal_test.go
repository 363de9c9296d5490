package release

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// Payloads decoded through a ProcessCache (which reuses its decoding
// state) come out as DecodePayload decodes them, errors included, however
// the payloads before them ended.
func TestACacheDecodesPayloadsAsDecodePayloadDoes(t *testing.T) {
	payloads := []string{
		`{"activity":"build.compile","idempotency-key":"r/build.compile/1","inputs":{"n":1,"s":["a","b"]}}`,
		`{"activity":"build.compile"}  `,
		`{"activity":"build.compile"} {"activity":"x.y"}`,
		`{"activity":"build.compile"`,
		`{"activity":42}`,
		`{"activity":"a.b","inputs":{"n":1e400}}`,
		`null`,
		`{}`,
		` {"activity":"c.d","inputs":{}} `,
		"{\"activity\":\"\xff.x\"}",
		`{"activity":"build.compile","idempotency-key":"r/build.compile/1","inputs":{"n":1,"s":["a","b"]}}`,
	}
	var c ProcessCache
	for round := 0; round < 2; round++ {
		for _, raw := range payloads {
			e := Event{Seq: 3, Kind: KindActivityStarted, Payload: json.RawMessage(raw)}
			want, werr := DecodePayload(e)
			got, gerr := c.decodeKnown(e)
			if werr != nil {
				require.Error(t, gerr, raw)
				require.Equal(t, werr.Error(), gerr.Error(), raw)
				var ee *EventError
				require.True(t, errors.As(gerr, &ee))
				continue
			}
			require.NoError(t, gerr, raw)
			require.Equal(t, want, got, raw)
		}
	}
}

func FuzzACacheDecodesAsDecodePayload(f *testing.F) {
	f.Add([]byte(`{"activity":"a.b","inputs":{"k":[1,"x",null]}}`), []byte(`{"activity":"c.d"} x`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var c ProcessCache
		for _, raw := range [][]byte{a, b, a} {
			e := Event{Seq: 2, Kind: KindActivityStarted, Payload: raw}
			want, werr := DecodePayload(e)
			got, gerr := c.decodeKnown(e)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%q: DecodePayload error %v, through a cache %v", raw, werr, gerr)
			}
			if werr == nil {
				require.Equal(t, want, got)
			}
		}
	})
}
