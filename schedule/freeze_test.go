package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func collect(s Schedule, from, to time.Time) []string {
	var out []string
	for v := range Between(s, from, to) {
		out = append(out, v.Format("2006-01-02 15:04 MST"))
	}
	return out
}

func TestFrozenFindsOneOffAndRecurringWindows(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	f := &Freezes{
		Windows: []Window{{Name: "launch", Start: at(t, berlin, "2026-03-10 00:00"), End: at(t, berlin, "2026-03-11 00:00")}},
		Recurring: []Recurring{
			{Name: "weekend", Schedule: mustParse(t, "CRON_TZ=Europe/Berlin 0 16 * * 5"), Days: 2, Duration: 16 * time.Hour},
			{Name: "december", Schedule: mustParse(t, "CRON_TZ=Europe/Berlin 0 0 1 12 *"), Months: 1},
		},
	}
	cases := []struct {
		at, name, start, end string
	}{
		{"2026-03-09 12:00", "", "", ""},
		{"2026-03-10 00:00", "launch", "2026-03-10 00:00", "2026-03-11 00:00"},
		{"2026-03-11 00:00", "", "", ""},
		{"2026-03-13 15:59", "", "", ""},
		{"2026-03-13 16:00", "weekend", "2026-03-13 16:00", "2026-03-16 08:00"},
		{"2026-03-15 23:00", "weekend", "2026-03-13 16:00", "2026-03-16 08:00"},
		{"2026-03-16 08:00", "", "", ""},
		// Across the spring-forward weekend the window still ends Monday 08:00 local.
		{"2026-03-30 07:59", "weekend", "2026-03-27 16:00", "2026-03-30 08:00"},
		{"2026-12-24 12:00", "december", "2026-12-01 00:00", "2027-01-01 00:00"},
		// Inside both December and a weekend: the one that ends last.
		{"2026-12-31 20:00", "december", "2026-12-01 00:00", "2027-01-01 00:00"},
	}
	for _, tc := range cases {
		t.Run(tc.at, func(t *testing.T) {
			frozen, w := f.Frozen(at(t, berlin, tc.at))
			require.Equal(t, tc.name != "", frozen)
			if frozen {
				require.Equal(t, tc.name, w.Name)
				require.Equal(t, fmtT(at(t, berlin, tc.start)), fmtT(w.Start))
				require.Equal(t, fmtT(at(t, berlin, tc.end)), fmtT(w.End))
			}
		})
	}
	// 2027-01-01 is a Friday: the weekend window of 2026-12-25 ended at 2026-12-28 08:00.
	frozen, _ := f.Frozen(at(t, berlin, "2027-01-01 00:00"))
	require.False(t, frozen)
}

func TestApplySkipDropsFrozenOccurrences(t *testing.T) {
	f := &Freezes{Windows: []Window{{Name: "freeze", Start: at(t, time.UTC, "2026-03-03 00:00"), End: at(t, time.UTC, "2026-03-05 00:00")}}}
	s := f.Apply(mustParse(t, "0 9 * * *"), Skip)
	require.Equal(t, []string{"2026-03-02 09:00 UTC", "2026-03-05 09:00 UTC", "2026-03-06 09:00 UTC"},
		collect(s, at(t, time.UTC, "2026-03-02 00:00"), at(t, time.UTC, "2026-03-07 00:00")))
}

func TestApplyShiftMovesFrozenOccurrencesToTheFirstAllowedInstantOnce(t *testing.T) {
	f := &Freezes{Windows: []Window{
		{Name: "a", Start: at(t, time.UTC, "2026-03-03 00:00"), End: at(t, time.UTC, "2026-03-04 12:00")},
		{Name: "b", Start: at(t, time.UTC, "2026-03-04 12:00"), End: at(t, time.UTC, "2026-03-05 10:00")},
	}}
	s := f.Apply(mustParse(t, "0 9 * * *"), Shift)
	require.Equal(t, []string{"2026-03-02 09:00 UTC", "2026-03-05 10:00 UTC", "2026-03-06 09:00 UTC"},
		collect(s, at(t, time.UTC, "2026-03-02 00:00"), at(t, time.UTC, "2026-03-07 00:00")))
	// Asking from inside the freeze still yields the shifted occurrence.
	require.Equal(t, fmtT(at(t, time.UTC, "2026-03-05 10:00")), fmtT(s.Next(at(t, time.UTC, "2026-03-03 12:00"))))
	// A freeze with no occurrence in it shifts nothing.
	require.Equal(t, fmtT(at(t, time.UTC, "2026-03-05 10:00")), fmtT(s.Next(at(t, time.UTC, "2026-03-04 10:00"))))
}

func TestApplyOnAScheduleThatEndsReturnsZero(t *testing.T) {
	f := &Freezes{Recurring: []Recurring{{Name: "all", Schedule: mustParse(t, "0 0 * * *"), Days: 1}}}
	s := f.Apply(mustParse(t, "DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;COUNT=3"), Skip)
	require.True(t, s.Next(at(t, time.UTC, "2025-12-31 00:00")).IsZero())
	require.Empty(t, collect(s, at(t, time.UTC, "2026-01-01 00:00"), at(t, time.UTC, "2027-01-01 00:00")))
}

func TestFrozenHandlesHugeRecurringLengthsWithoutOverflow(t *testing.T) {
	f := &Freezes{Recurring: []Recurring{{Name: "forever", Schedule: mustParse(t, "0 0 1 1 *"), Months: 1 << 40, Days: 1 << 40}}}
	frozen, w := f.Frozen(at(t, time.UTC, "2026-06-01 00:00"))
	require.True(t, frozen)
	require.Equal(t, "forever", w.Name)
}

func TestNextStartIsTheFirstWindowToOpenAfterAnInstant(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	f := &Freezes{
		Windows: []Window{{Name: "launch", Start: at(t, berlin, "2026-03-10 00:00"), End: at(t, berlin, "2026-03-11 00:00")}},
		Recurring: []Recurring{
			{Name: "weekend", Schedule: mustParse(t, "CRON_TZ=Europe/Berlin 0 16 * * 5"), Days: 2, Duration: 16 * time.Hour},
		},
	}
	for _, tc := range []struct{ at, want string }{
		{"2026-03-09 12:00", "2026-03-10 00:00"}, // the one-off before the weekend
		{"2026-03-10 00:00", "2026-03-13 16:00"}, // after, not at: the weekend's
		{"2026-03-10 12:00", "2026-03-13 16:00"}, // inside a window: the next to open
		{"2026-03-14 12:00", "2026-03-20 16:00"},
	} {
		require.True(t, at(t, berlin, tc.want).Equal(f.NextStart(at(t, berlin, tc.at))), "at %s", tc.at)
	}
	require.True(t, (&Freezes{Windows: f.Windows}).NextStart(at(t, berlin, "2026-03-10 00:00")).IsZero(), "none opens later")
	require.True(t, (&Freezes{}).NextStart(at(t, berlin, "2026-03-10 00:00")).IsZero())
}
