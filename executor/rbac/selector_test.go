package rbac

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSelector(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		err  string
	}{
		{in: "env=prod", want: map[string]string{"env": "prod"}},
		{in: " env = prod , team=payments ", want: map[string]string{"env": "prod", "team": "payments"}},
		{in: "env=", want: map[string]string{"env": ""}},
		{in: "url=a=b", want: map[string]string{"url": "a=b"}},
		{in: "example.com/tier=gold", want: map[string]string{"example.com/tier": "gold"}},
		{in: "", err: "rbac: selector: empty"},
		{in: "  ", err: "rbac: selector: empty"},
		{in: "env", err: `term 1 "env": want key=value`},
		{in: "env=prod,", err: `term 2 "": want key=value`},
		{in: "env=prod,env=dev", err: `term 2: key "env" given twice`},
		{in: "Env=prod", err: `term 1: "Env" is not a valid label key`},
		{in: "=prod", err: "term 1: a label with an empty key"},
		{in: "env=pr\x00d", err: "control characters"},
	} {
		got, err := ParseSelector(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			require.Nil(t, got)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

// FuzzParseSelector: a selector that parses formats back to itself, and
// nothing panics.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"env=prod", "env=prod,team=x", " a = b ", "a=b=c", "a=", "=", ",", "a=\u00a0b\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseSelector(s)
		if err != nil {
			return
		}
		require.NotEmpty(t, m)
		back, err := ParseSelector(FormatSelector(m))
		require.NoError(t, err)
		require.Equal(t, m, back)
		sc := Scope{Labels: m}
		require.NoError(t, sc.check())
	})
}
