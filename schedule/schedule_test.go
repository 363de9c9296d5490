package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoadLocationCachesZonesAndRefusesLocal(t *testing.T) {
	a, err := LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	b, err := LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	require.Same(t, a, b)
	c1 := mustParse(t, "CRON_TZ=Asia/Kolkata 0 9 * * *").(*Cron)
	c2 := mustParse(t, "TZ=Asia/Kolkata 0 9 * * *").(*Cron)
	require.Same(t, c1.Location(), c2.Location())
	utc, err := LoadLocation("")
	require.NoError(t, err)
	require.Same(t, time.UTC, utc)
	_, err = LoadLocation("Local")
	require.Error(t, err)
}

func TestBetweenIsHalfOpenAndInOrder(t *testing.T) {
	s := mustParse(t, "0 * * * *")
	from, to := at(t, time.UTC, "2026-03-10 10:00"), at(t, time.UTC, "2026-03-10 13:00")
	require.Equal(t, []string{"2026-03-10 10:00 UTC", "2026-03-10 11:00 UTC", "2026-03-10 12:00 UTC"}, collect(s, from, to))
	require.Empty(t, collect(s, to, from))
	// Early exit stops the iteration.
	n := 0
	for range Between(s, from, to) {
		n++
		break
	}
	require.Equal(t, 1, n)
	r := mustParse(t, "DTSTART:20260310T100000Z\nRRULE:FREQ=DAILY")
	require.Equal(t, []string{"2026-03-10 10:00 UTC", "2026-03-11 10:00 UTC"}, collect(r, from, at(t, time.UTC, "2026-03-12 10:00")))
	n = 0
	for range Between(r, from, to.AddDate(0, 1, 0)) {
		n++
		break
	}
	require.Equal(t, 1, n)
}

type stuck struct{ t time.Time }

func (s stuck) Next(time.Time) time.Time { return s.t }

func TestBetweenStopsOnAScheduleThatDoesNotAdvance(t *testing.T) {
	v := at(t, time.UTC, "2026-03-10 10:00")
	require.Equal(t, []string{"2026-03-10 10:00 UTC"}, collect(stuck{v}, v.Add(-time.Hour), v.Add(time.Hour)))
}

func TestParseDispatchesOnRecurrenceText(t *testing.T) {
	_, ok := mustParse(t, "  dtstart:20260101T000000Z\r\nrrule:freq=daily  ").(*RRule)
	require.True(t, ok)
	_, ok = mustParse(t, "@daily").(*Cron)
	require.True(t, ok)
	_, err := Parse("DTSTART:20260101T000000Z\nRRULE:FREQ=MINUTELY")
	require.ErrorIs(t, err, ErrUnsupported)
}

func TestNextIsStrictlyIncreasingOverLongRuns(t *testing.T) {
	for _, spec := range []string{
		"CRON_TZ=America/New_York */20 * * * *",
		"CRON_TZ=Australia/Lord_Howe 15,45 1-3 * * *",
		"DTSTART;TZID=Europe/Berlin:20260101T023000\nRRULE:FREQ=DAILY",
		"DTSTART;TZID=Australia/Lord_Howe:20260101T000000\nRRULE:FREQ=HOURLY;BYMINUTE=10,20,40,50",
		"DTSTART;TZID=America/New_York:20260101T000000\nRRULE:FREQ=DAILY;BYHOUR=0,1,2,3;BYMINUTE=0,30;BYSETPOS=2,-3",
	} {
		s := mustParse(t, spec)
		prev := at(t, time.UTC, "2026-01-01 00:00")
		for range 5000 {
			n := s.Next(prev)
			require.True(t, n.After(prev), "%s: %s after %s", spec, fmtT(n), fmtT(prev))
			prev = n
		}
	}
}
