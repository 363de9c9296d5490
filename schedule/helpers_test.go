package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// at parses "2006-01-02 15:04" (or with seconds / an explicit offset) in loc.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04:05 -0700", "2006-01-02 15:04 -0700", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if v, err := time.ParseInLocation(layout, s, loc); err == nil {
			return v
		}
	}
	t.Fatalf("bad time %q", s)
	return time.Time{}
}

func mustParse(t testing.TB, spec string) Schedule {
	t.Helper()
	s, err := Parse(spec)
	require.NoError(t, err, spec)
	return s
}

func fmtT(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return t.Format("2006-01-02 15:04:05 -0700 MST")
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
