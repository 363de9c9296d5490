package http

import (
	nethttp "net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRetryAfterCapsBothFormsAndIgnoresGarbage(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	a := &Adapter{now: func() time.Time { return now }}
	date := func(d time.Duration) string { return now.Add(d).Format(nethttp.TimeFormat) }
	const year = 365 * 24 * time.Hour
	tests := []struct {
		name  string
		value string
		delay time.Duration // -1: no delay (the retry policy decides)
	}{
		{"seconds", "120", 2 * time.Minute},
		{"zero seconds", "0", 0},
		{"seconds with spaces", " 30 ", 30 * time.Second},
		{"seconds at the cap", "31536000", year},
		{"seconds over the cap", "31536001", -1},
		{"seconds overflowing int64", "99999999999999999999", -1},
		{"negative seconds", "-5", -1},
		{"signed seconds", "+5", -1},
		{"fractional seconds", "1.5", -1},
		{"a word", "soon", -1},
		{"empty", "", -1},
		{"a date ahead", date(90 * time.Second), 90 * time.Second},
		{"a date in the past", date(-time.Hour), 0},
		{"a date in year 1", "Mon, 01 Jan 0001 00:00:00 GMT", 0},
		{"a date at the cap", date(year), year},
		{"a date past the cap", date(year + time.Second), -1},
		{"a date in year 9999", "Fri, 31 Dec 9999 23:59:59 GMT", -1},
		{"an RFC 850 date", "Wednesday, 25-Nov-26 12:01:30 GMT", 90 * time.Second},
		{"an ANSI C date", "Wed Nov 25 12:01:30 2026", 90 * time.Second},
		{"an impossible date", "Wed, 32 Nov 2026 12:01:30 GMT", -1},
		{"a date with trailing garbage", date(time.Minute) + " x", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := nethttp.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			d, ok := a.retryAfter(h)
			require.Equal(t, tt.delay >= 0, ok, "Retry-After %q gave %v", tt.value, d)
			if tt.delay >= 0 {
				require.Equal(t, tt.delay, d)
			}
		})
	}
}
