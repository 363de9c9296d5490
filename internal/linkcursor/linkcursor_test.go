package linkcursor

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestACursorRoundTripsAndIsRefusedByAnotherQuery(t *testing.T) {
	c := Encode("history", int64(1700000000), 123456789, "0190d000-0000-7000-8000-000000000001", int64(7))
	var s, ns, seq int64
	var id string
	ok, err := Decode(c, "history", &s, &ns, &id, &seq)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []any{int64(1700000000), int64(123456789), "0190d000-0000-7000-8000-000000000001", int64(7)}, []any{s, ns, id, seq})

	ok, err = Decode("", "history", &s)
	require.NoError(t, err)
	require.False(t, ok, "an empty cursor is the first page")

	for name, bad := range map[string]struct {
		c    string
		kind string
		dst  []any
	}{
		"another query's":   {c, "find", []any{&s, &ns, &id, &seq}},
		"too few parts":     {c, "history", []any{&s, &ns}},
		"not base64":        {"%%%", "history", []any{&s}},
		"not JSON":          {Encode("x")[:3], "x", nil},
		"a part's bad type": {Encode("find", "x", "y"), "find", []any{&id, &seq}},
	} {
		_, err := Decode(bad.c, bad.kind, bad.dst...)
		require.Error(t, err, name)
	}
}

// FuzzDecode: no cursor, however made, panics Decode, and what it decodes
// encodes to a cursor that decodes to the same key (cursors need not be
// canonical: JSON allows spaces and escapes).
func FuzzDecode(f *testing.F) {
	f.Add(Encode("find", "0190d000-0000-7000-8000-000000000001", int64(3)))
	f.Add(Encode("deployments", "prod", "api"))
	f.Add("W10")
	f.Fuzz(func(t *testing.T, c string) {
		var id string
		var seq int64
		ok, err := Decode(c, "find", &id, &seq)
		if err == nil && ok {
			var id2 string
			var seq2 int64
			_, err := Decode(Encode("find", id, seq), "find", &id2, &seq2)
			require.NoError(t, err)
			require.Equal(t, id, id2)
			require.Equal(t, seq, seq2)
		}
	})
}
