package schedule

import (
	"errors"
	"testing"
	"time"
)

// checkNext calls Next a few times from after and checks the contract:
// every result is strictly after its argument, or zero. Termination is the
// other half of the check: a Next that loops forever hangs the fuzzer.
func checkNext(t *testing.T, s Schedule, after time.Time) {
	t.Helper()
	prev := after
	for range 4 {
		n := s.Next(prev)
		if n.IsZero() {
			return
		}
		if !n.After(prev) {
			t.Fatalf("Next(%s) = %s, not after", prev, n)
		}
		prev = n
	}
}

func fuzzInstant(unix int64) time.Time {
	// Years 1 to 9999.
	const lo, span = -62135596800, 253402300799 + 62135596800
	u := unix % span
	if u < 0 {
		u += span
	}
	return time.Unix(lo+u, 0).UTC()
}

func checkParseError(t *testing.T, spec string, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse(%q): error %v is not a *ParseError", spec, err)
	}
	if pe.Error() == "" {
		t.Fatalf("Parse(%q): empty message", spec)
	}
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{
		"0 9 * * 1-5", "*/15 * * * *", "0 0 1 * *", "CRON_TZ=America/New_York 0 2 * * 0", "0 0 29 2 *",
		"0 0 29 2 1", "0 0 30 2 *", "5,10 1-3/2 */7 JAN-MAR,dec sun,7", "TZ=Australia/Adelaide 45 2 * * *",
		"@hourly", "@yearly", "@every 5m", "61 * * * *", "1/2 * ? * 1/3", "* * 31 4,6,9,11 *",
	} {
		f.Add(s, int64(1773137220))
	}
	f.Fuzz(func(t *testing.T, spec string, unix int64) {
		s, err := Parse(spec)
		if err != nil {
			checkParseError(t, spec, err)
			return
		}
		checkNext(t, s, fuzzInstant(unix))
	})
}

func FuzzParseRRule(f *testing.F) {
	for _, s := range []string{
		"DTSTART:20260302T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR",
		"DTSTART;TZID=America/New_York:20260301T023000\nRRULE:FREQ=DAILY;COUNT=10",
		"DTSTART;TZID=Europe/Berlin:20260101T170000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20301231T000000Z",
		"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=1;BYSETPOS=2",
		"DTSTART:20260101T090000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
		"DTSTART:20260101T090000Z\nRRULE:FREQ=YEARLY;BYDAY=20MO,-1SU;WKST=SU",
		"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;INTERVAL=7;BYDAY=TU;BYMONTH=2,3",
		"DTSTART;TZID=Australia/Sydney:20260101T020000\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1,1\nEXDATE;TZID=Australia/Sydney:20260102T020000",
		"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;INTERVAL=12;BYMONTH=3;COUNT=3",
		"DTSTART;TZID=America/New_York:20260308T000000\nRRULE:FREQ=HOURLY;BYMINUTE=10,50;COUNT=50",
		"DTSTART;TZID=Australia/Lord_Howe:20261001T000000\nRRULE:FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=20,40;BYSETPOS=-2,3",
		"DTSTART:20260101T000000Z\nRRULE:FREQ=HOURLY;INTERVAL=49;BYDAY=SA;BYYEARDAY=-1,60",
		"DTSTART:20260101T090000Z\nRRULE:FREQ=YEARLY;BYWEEKNO=1,-1,53;BYDAY=MO,SU;WKST=SU;BYHOUR=9",
		"DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=WEEKLY;UNTIL=20260301\nRDATE;VALUE=DATE:20260704\nEXDATE;VALUE=DATE:20260108",
		"DTSTART;TZID=Europe/Berlin:20260101T090000\nRDATE:20260329T023000,20261025T023000",
		"DTSTART:20260101T090000Z\nRRULE:FREQ=MINUTELY",
	} {
		f.Add(s, int64(1773137220))
	}
	f.Fuzz(func(t *testing.T, spec string, unix int64) {
		s, err := Parse(spec)
		if err != nil {
			checkParseError(t, spec, err)
			return
		}
		at := fuzzInstant(unix)
		checkNext(t, s, at)
		// Between's period walk agrees with repeated Next over two days.
		var fast, slow []time.Time
		for v := range Between(s, at, at.Add(48*time.Hour)) {
			if fast = append(fast, v); len(fast) > 200 {
				return
			}
		}
		for v := range Between(nextOnly{s}, at, at.Add(48*time.Hour)) {
			slow = append(slow, v)
		}
		if len(fast) != len(slow) {
			t.Fatalf("Between from %s: %d occurrences, repeated Next %d", at, len(fast), len(slow))
		}
		for i := range fast {
			if !fast[i].Equal(slow[i]) {
				t.Fatalf("Between from %s: %s, repeated Next %s", at, fast[i], slow[i])
			}
		}
	})
}

func FuzzReadFreezes(f *testing.F) {
	f.Add(freezeICS, int64(1773137220))
	f.Add("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260101T000000Z\r\nDURATION:P1W\r\nRRULE:FREQ=MONTHLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", int64(0))
	f.Fuzz(func(t *testing.T, ics string, unix int64) {
		fr, err := ReadFreezes(stringsReader(ics), nil)
		if err != nil {
			return
		}
		at := fuzzInstant(unix)
		if frozen, w := fr.Frozen(at); frozen && !w.Contains(at) {
			t.Fatalf("Frozen(%s) returned %v, which does not contain it", at, w)
		}
	})
}

func FuzzParseCadence(f *testing.F) {
	for _, s := range []string{
		"weekly on mon", "daily on weekdays at 09:00 in America/New_York", "biweekly on thu from 2026-03-02",
		"monthly on the last fri at 16:00 in Europe/Berlin until 2026-12-31 for 2h", "monthly on day -2",
		"monthly on the 2nd last mon", "every 3 months on the last day", "every 2 weeks on mon, fri", "every day at 23:59:59",
		"monthly on the 5th sun from 2026-02-01", "weekly on mon on tue", "monthly on the",
	} {
		f.Add(s, int64(1773137220))
	}
	f.Fuzz(func(t *testing.T, text string, unix int64) {
		if s, err := Parse(text); err != nil {
			checkParseError(t, text, err)
		} else {
			checkNext(t, s, fuzzInstant(unix))
		}
		c, err := ParseCadence(text)
		if err != nil {
			checkParseError(t, text, err)
			return
		}
		back, err := ParseCadence(c.String())
		if err != nil {
			t.Fatalf("ParseCadence(%q) = %+v, whose String %q does not parse: %v", text, c, c.String(), err)
		}
		if back.RRule() != c.RRule() {
			t.Fatalf("%q reads as %q, and its String %q as %q", text, c.RRule(), c.String(), back.RRule())
		}
	})
}
