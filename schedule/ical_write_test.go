package schedule

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCalendarWriteToWritesStatusAndCategoriesAndDropsControlCharacters(t *testing.T) {
	start := at(t, time.UTC, "2026-03-02 09:00")
	cal := Calendar{Events: []Event{{
		UID: "r-1", Summary: "Train\r\nDESCRIPTION:forged\x00\x1b", Description: "a\rb\tc",
		Start: start, End: start.Add(time.Hour), Status: "TENTATIVE", Categories: []string{"planned", "env=prod,eu"},
	}}}
	var b bytes.Buffer
	_, err := cal.WriteTo(&b)
	require.NoError(t, err)
	out := b.String()
	require.Contains(t, out, "SUMMARY:Train\\nDESCRIPTION:forged\r\n", "a line break in text cannot start a property")
	require.Contains(t, out, "DESCRIPTION:a\\nb\tc\r\n")
	require.Contains(t, out, "STATUS:TENTATIVE\r\n")
	require.Contains(t, out, "CATEGORIES:planned,env=prod\\,eu\r\n")
	require.Equal(t, 1, strings.Count(out, "\r\nDESCRIPTION:"), "one DESCRIPTION property")
	for l := range strings.SplitSeq(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		require.NotContains(t, l, "\r")
		require.NotContains(t, l, "\n")
	}
}

// FuzzCalendarRoundTrip writes one event with any summary and times and
// reads it back with ReadFreezes: one window, same instants, same name
// (line breaks normalised to \n, other control characters dropped).
func TestCalendarWriteToRefusesTimesItCannotWrite(t *testing.T) {
	start := time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)
	for _, e := range []Event{
		{UID: "far", Start: start, End: start.Add(2 * time.Hour)},
		{UID: "backwards", Start: start, End: start.Add(-time.Hour)},
	} {
		var b bytes.Buffer
		n, err := (&Calendar{Events: []Event{e}}).WriteTo(&b)
		require.ErrorIs(t, err, ErrOutOfRange)
		require.ErrorContains(t, err, e.UID)
		require.Zero(t, n)
		require.Zero(t, b.Len())
	}
}

func FuzzCalendarRoundTrip(f *testing.F) {
	f.Add("Release train; mobile, web", int64(1773137220), int64(7200), "Europe/Berlin")
	f.Add("a\\nb\r\nc\rd\x00"+strings.Repeat("é", 60), int64(0), int64(1), "UTC")
	f.Add(strings.Repeat("x", 200), int64(-86400), int64(86400*40), "America/New_York")
	f.Fuzz(func(t *testing.T, summary string, unix, secs int64, zone string) {
		loc, err := LoadLocation(zone)
		if err != nil || loc == time.Local || secs <= 0 || secs > 86400*365 {
			return
		}
		start := fuzzInstant(unix).Truncate(time.Second).In(loc)
		end := start.Add(time.Duration(secs) * time.Second)
		cal := Calendar{Events: []Event{{UID: "u", Summary: summary, Start: start, End: end, Categories: []string{summary}}}}
		var b bytes.Buffer
		if _, err := cal.WriteTo(&b); err != nil {
			if !errors.Is(err, ErrOutOfRange) || end.Year() <= 9999 && end.UTC().Year() <= 9999 && start.Year() >= 1 {
				t.Fatal(err)
			}
			return
		}
		back, err := ReadFreezes(&b, nil)
		if err != nil {
			t.Fatalf("written calendar does not read back: %v\n%s", err, b.String())
		}
		if len(back.Windows) != 1 || len(back.Recurring) != 0 {
			t.Fatalf("read %d windows, %d recurring; want 1 window\n%s", len(back.Windows), len(back.Recurring), b.String())
		}
		w := back.Windows[0]
		if !w.Start.Equal(start) || !w.End.Equal(end) {
			t.Fatalf("window %s..%s, want %s..%s\n%s", w.Start, w.End, start, end, b.String())
		}
		want := strings.Map(func(r rune) rune {
			if badTextRune(r) {
				return -1
			}
			return r
		}, summary)
		// The reader trims the blanks around a value.
		want = strings.Trim(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(want), " \t")
		if w.Name != want {
			t.Fatalf("name %q, want %q", w.Name, want)
		}
	})
}
