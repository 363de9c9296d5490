package schedule

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCalendarWriteToProducesFoldedCRLFEventsWithTZID(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	s := mustParse(t, "CRON_TZ=Europe/Berlin 0 16 * * 5")
	events := OccurrenceEvents(s, at(t, berlin, "2026-03-20 00:00"), at(t, berlin, "2026-04-01 00:00"), 2*time.Hour, "Release train; mobile, web", "mobile")
	require.Len(t, events, 2)
	events[1].Description = strings.Repeat("é", 50) // 100 octets: must fold between runes
	cal := Calendar{Name: "Mobile releases", Stamp: at(t, time.UTC, "2026-03-01 12:00"), Events: events}
	var b bytes.Buffer
	n, err := cal.WriteTo(&b)
	require.NoError(t, err)
	require.Equal(t, int64(b.Len()), n)
	out := b.String()
	want := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Baton//schedule//EN\r\nCALSCALE:GREGORIAN\r\nX-WR-CALNAME:Mobile releases\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n" +
		"BEGIN:STANDARD\r\nDTSTART:20251026T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD\r\n" +
		"BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT\r\n" +
		"END:VTIMEZONE\r\n" +
		"BEGIN:VEVENT\r\nUID:mobile-20260320T150000Z\r\nDTSTAMP:20260301T120000Z\r\nDTSTART;TZID=Europe/Berlin:20260320T160000\r\n" +
		"DTEND;TZID=Europe/Berlin:20260320T180000\r\nSUMMARY:Release train\\; mobile\\, web\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:mobile-20260327T150000Z\r\nDTSTAMP:20260301T120000Z\r\nDTSTART;TZID=Europe/Berlin:20260327T160000\r\n" +
		"DTEND;TZID=Europe/Berlin:20260327T180000\r\nSUMMARY:Release train\\; mobile\\, web\r\n" +
		"DESCRIPTION:" + strings.Repeat("é", 31) + "\r\n " + strings.Repeat("é", 19) + "\r\n" +
		"END:VEVENT\r\nEND:VCALENDAR\r\n"
	require.Equal(t, want, out)
	for l := range strings.SplitSeq(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		require.LessOrEqual(t, len(l), 75, l)
	}
}

func TestCalendarWriteToUsesUTCWithoutTimezone(t *testing.T) {
	cal := Calendar{Events: []Event{{UID: "x", Start: at(t, time.UTC, "2026-03-01 09:00"), End: at(t, time.UTC, "2026-03-01 10:00")}}}
	var b bytes.Buffer
	_, err := cal.WriteTo(&b)
	require.NoError(t, err)
	require.NotContains(t, b.String(), "VTIMEZONE")
	require.Contains(t, b.String(), "DTSTART:20260301T090000Z\r\nDTEND:20260301T100000Z\r\n")
	require.Contains(t, b.String(), "DTSTAMP:19700101T000000Z\r\n")
}

const freezeICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//EN\r\n" +
	"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\n" +
	"BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Year-end freeze\r\nDTSTART;VALUE=DATE:20261221\r\nDTEND;VALUE=DATE:20270104\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:2\r\nSUMMARY:Weekend\r\nDTSTART;TZID=Europe/Berlin:20260102T160000\r\nDTEND;TZID=Europe/Berlin:20260105T080000\r\n" +
	"RRULE:FREQ=WEEKLY;BYDAY=FR\r\nEXDATE;TZID=Europe/Berlin:20260313T160000\r\n" +
	"BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:3\r\nSUMMARY:Audit\\, day\r\n  one\r\nDTSTART:20260401T060000Z\r\nDURATION:PT10H\r\nEND:VEVENT\r\n" +
	"END:VCALENDAR\r\n"

func TestReadFreezesReadsOneOffRecurringAndAllDayWindows(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	f, err := ReadFreezes(strings.NewReader(freezeICS), berlin)
	require.NoError(t, err)
	require.Len(t, f.Windows, 2)
	require.Len(t, f.Recurring, 1)
	cases := []struct{ at, name string }{
		{"2026-12-17 12:00", ""},
		{"2026-12-21 00:00", "Year-end freeze"},
		{"2027-01-01 12:00", "Year-end freeze"},
		{"2027-01-03 23:59", "Weekend"}, // both: the one that ends last
		{"2026-03-06 16:00", "Weekend"},
		{"2026-03-09 07:59", "Weekend"},
		{"2026-03-09 08:00", ""},
		{"2026-03-14 12:00", ""}, // excluded by EXDATE
		{"2026-03-30 07:30", "Weekend"},
		{"2026-04-01 08:00", "Audit, day one"},
		{"2026-04-01 18:00", ""},
	}
	for _, tc := range cases {
		frozen, w := f.Frozen(at(t, berlin, tc.at))
		require.Equal(t, tc.name != "", frozen, tc.at)
		require.Equal(t, tc.name, w.Name, tc.at)
	}
}

func TestReadFreezesRoundTripsWrittenWindows(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	f := &Freezes{Recurring: []Recurring{{Name: "Weekend", Schedule: mustParse(t, "CRON_TZ=Europe/Berlin 0 16 * * 5"), Days: 2, Duration: 16 * time.Hour}}}
	cal := Calendar{Events: WindowEvents(f, at(t, berlin, "2026-03-01 00:00"), at(t, berlin, "2026-04-01 00:00"), "freeze")}
	require.Len(t, cal.Events, 5) // Feb 27 (still open on Mar 1), Mar 6, 13, 20, 27
	var b bytes.Buffer
	_, err := cal.WriteTo(&b)
	require.NoError(t, err)
	back, err := ReadFreezes(&b, nil)
	require.NoError(t, err)
	require.Len(t, back.Windows, 5)
	for _, e := range cal.Events {
		w := back.Windows[0]
		back.Windows = back.Windows[1:]
		require.Equal(t, e.Summary, w.Name)
		require.True(t, e.Start.Equal(w.Start) && e.End.Equal(w.End), "%s %s", fmtT(w.Start), fmtT(w.End))
	}
}

func TestReadFreezesRejectsBadEventsWithTheirLine(t *testing.T) {
	wrap := func(ev string) string {
		return "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" + ev + "END:VEVENT\r\nEND:VCALENDAR\r\n"
	}
	cases := []struct{ ics, msg string }{
		{wrap("SUMMARY:x\r\n"), `schedule: ics VEVENT at line 2 "x": missing DTSTART`},
		{wrap("DTSTART:20260101T000000Z\r\n"), `schedule: ics VEVENT at line 2: needs DTEND or DURATION`},
		{wrap("DTSTART:20260101T000000Z\r\nDURATION:P1X\r\n"), `schedule: ics line 4 DURATION "P1X": want an RFC 5545 duration such as P1W, P2D or PT16H`},
		{wrap("DTSTART:20260101T000000Z\r\nDTEND:20251231T000000Z\r\n"), `schedule: ics VEVENT at line 2: ends before it starts`},
		{wrap("DTSTART;TZID=W. Europe Standard Time:20260101T000000\r\nDURATION:PT1H\r\n"), `schedule: ics line 3 DTSTART "W. Europe Standard Time": TZID must be an IANA time zone name`},
		{wrap("DTSTART:20260101T000000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=SOMETIMES\r\n"), `schedule: ics line 5 RRULE FREQ "SOMETIMES": want HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY`},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", `schedule: ics: unterminated VEVENT`},
		{"BEGIN:VCALENDAR\r\nEND:VEVENT\r\n", `schedule: ics line 2 "END:VEVENT": END without matching BEGIN`},
		{"BEGIN:VCALENDAR\r\nnonsense\r\n", `schedule: ics line 2 "nonsense": expected NAME:value`},
	}
	for _, tc := range cases {
		t.Run(tc.msg, func(t *testing.T) {
			_, err := ReadFreezes(strings.NewReader(tc.ics), nil)
			require.EqualError(t, err, tc.msg)
		})
	}
}

func TestUnfoldJoinsFoldedLinesAndNumbersThemByTheirFirstLine(t *testing.T) {
	cases := []struct {
		name, in string
		want     []icsLine
	}{
		{"CRLF", "A:1\r\nB:2\r\n", []icsLine{{1, "A:1"}, {2, "B:2"}}},
		{"LF and no final newline", "A:1\nB:2", []icsLine{{1, "A:1"}, {2, "B:2"}}},
		{"space and tab folds", "A:1\r\n 23\r\n\t4\r\nB:2\r\n", []icsLine{{1, "A:1234"}, {4, "B:2"}}},
		{"a fold keeps the spaces after the first", "A:1\r\n  2\r\n", []icsLine{{1, "A:1 2"}}},
		{"empty lines are dropped, a fold after one continues the line before", "A:1\r\n\r\n 2\r\nB:\r\n", []icsLine{{1, "A:12"}, {4, "B:"}}},
		{"a fold with nothing before it is a line", " A:1\r\nB:2\r\n", []icsLine{{1, " A:1"}, {2, "B:2"}}},
		{"a fold of nothing", "A:1\r\n \r\n", []icsLine{{1, "A:1"}}},
		{"nothing", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, unfold([]byte(tc.in)))
		})
	}
}

// foldedICS is a calendar whose one event's SUMMARY is folded into size
// bytes of two-byte continuation lines (" x\r\n" each): the shape that made
// unfolding quadratic.
func foldedICS(size int) string {
	head := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260101T000000Z\r\nDURATION:PT1H\r\nSUMMARY:"
	tail := "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	n := (size - len(head) - len(tail)) / 4
	return head + strings.Repeat("x\r\n ", n) + "x" + tail
}

func TestReadFreezesUnfoldsAMillionFoldedLines(t *testing.T) {
	ics := foldedICS(MaxICalSize)
	require.LessOrEqual(t, len(ics), MaxICalSize)
	f, err := ReadFreezes(strings.NewReader(ics), nil)
	require.NoError(t, err)
	require.Len(t, f.Windows, 1)
	require.Equal(t, strings.Repeat("x", strings.Count(ics, "x\r\n ")+1), f.Windows[0].Name)
	require.Greater(t, len(f.Windows[0].Name), 1_000_000)
}

// endless is a reader of endless folded lines that counts what it gives.
type endless struct{ read int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = " x\r\n"[(e.read+i)%4]
	}
	e.read += len(p)
	return len(p), nil
}

func TestReadFreezesRefusesInputOverMaxICalSize(t *testing.T) {
	ok := foldedICS(MaxICalSize)
	over := ok + strings.Repeat("\n", MaxICalSize+1-len(ok))
	require.Len(t, over, MaxICalSize+1)
	_, err := ReadFreezes(strings.NewReader(over[:MaxICalSize]), nil)
	require.NoError(t, err, "exactly MaxICalSize bytes are read")

	cases := []struct {
		name string
		r    io.Reader
	}{
		{"one byte over", strings.NewReader(over)},
		{"an endless stream", io.MultiReader(strings.NewReader("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:"), &endless{})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFreezes(tc.r, nil)
			require.ErrorIs(t, err, ErrTooLarge)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, "schedule: ics: larger than MaxICalSize (4194304 bytes)", err.Error())
		})
	}
}

func TestAnUnreadableLineIsQuotedShort(t *testing.T) {
	_, err := ReadFreezes(strings.NewReader("BEGIN:VCALENDAR\r\n"+strings.Repeat("y", 10_000)+"\r\n"), nil)
	require.EqualError(t, err, `schedule: ics line 2 "`+strings.Repeat("y", 200)+`...": expected NAME:value`)
}
