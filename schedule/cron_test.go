package schedule

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseCronRejectsBadFieldsWithFieldAndValue(t *testing.T) {
	cases := []struct{ spec, msg string }{
		{"61 * * * *", `schedule: minute field "61": above 59`},
		{"* 24 * * *", `schedule: hour field "24": above 23`},
		{"* * 0 * *", `schedule: day-of-month field "0": below 1`},
		{"* * 32 * *", `schedule: day-of-month field "32": above 31`},
		{"* * * 13 *", `schedule: month field "13": above 12`},
		{"* * * * 8", `schedule: day-of-week field "8": above 7`},
		{"* * * FOO *", `schedule: month field "FOO": not a number or name`},
		{"* * * * MON-FOO", `schedule: day-of-week field "FOO": not a number or name`},
		{"x * * * *", `schedule: minute field "x": not a number`},
		{"*/0 * * * *", `schedule: minute field "*/0": step must be a positive number`},
		{"*/x * * * *", `schedule: minute field "*/x": step must be a positive number`},
		{"5-3 * * * *", `schedule: minute field "5-3": range start above end`},
		{"1,,2 * * * *", `schedule: minute field "1,,2": empty list element`},
		{"* * * *", `schedule: cron spec "* * * *": expected 5 fields (minute hour day-of-month month day-of-week), found 4`},
		{"* * * * * *", `schedule: cron spec "* * * * * *": expected 5 fields (minute hour day-of-month month day-of-week), found 6`},
		{"", `schedule: spec: empty`},
		{"  \n ", `schedule: spec: empty`},
		{"CRON_TZ=Mars/Olympus 0 9 * * *", `schedule: time zone "Mars/Olympus": unknown IANA time zone`},
		{"TZ=Local 0 9 * * *", `schedule: time zone "Local": the machine's local zone is not allowed; name an IANA zone`},
		{"CRON_TZ=UTC", `schedule: time zone prefix "CRON_TZ=UTC": expected a zone name followed by a cron spec`},
		{"@every 5m", `schedule: descriptor "@every 5m": unknown; want @hourly, @daily, @weekly, @monthly, @yearly or @annually`},
		{"0 0 30 2 *", `schedule: cron spec "0 0 30 2 *": never fires: no chosen month has day 30`},
		{"0 0 31 4,6,9,11 *", `schedule: cron spec "0 0 31 4,6,9,11 *": never fires: no chosen month has day 31`},
		{"* ? * * *", `schedule: hour field "?": not a number`},
		{"* * * * 1-", `schedule: day-of-week field "1-": missing value`},
		{"-5 * * * *", `schedule: minute field "-5": missing value`},
		{"* * * * 1-9", `schedule: day-of-week field "9": above 7`},
		{"* 99999999999999999999 * * *", `schedule: hour field "99999999999999999999": above 23`},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := Parse(tc.spec)
			require.EqualError(t, err, tc.msg)
			var pe *ParseError
			require.True(t, errors.As(err, &pe))
		})
	}
}

func TestParseCronNeverFiringSpecWrapsErrNeverFires(t *testing.T) {
	_, err := Parse("0 0 30 2 *")
	require.ErrorIs(t, err, ErrNeverFires)
	_, err = Parse("@every 1h")
	require.ErrorIs(t, err, ErrUnsupported)
}

func TestCronNextFollowsFieldRules(t *testing.T) {
	cases := []struct {
		name, spec, after string
		want              []string
	}{
		{"every minute", "* * * * *", "2026-03-10 10:00:30", []string{"2026-03-10 10:01", "2026-03-10 10:02"}},
		{"strictly after an exact match", "0 9 * * *", "2026-03-10 09:00", []string{"2026-03-11 09:00"}},
		{"weekdays at nine skip the weekend", "0 9 * * 1-5", "2026-03-13 10:00", []string{"2026-03-16 09:00", "2026-03-17 09:00"}},
		{"step over all minutes", "*/15 * * * *", "2026-03-10 10:07", []string{"2026-03-10 10:15", "2026-03-10 10:30", "2026-03-10 10:45", "2026-03-10 11:00"}},
		{"stepped range", "0 9-17/4 * * *", "2026-03-10 08:00", []string{"2026-03-10 09:00", "2026-03-10 13:00", "2026-03-10 17:00", "2026-03-11 09:00"}},
		{"N/step means N to max by step", "10/20 * * * *", "2026-03-10 08:00", []string{"2026-03-10 08:10", "2026-03-10 08:30", "2026-03-10 08:50", "2026-03-10 09:10"}},
		{"lists", "5,10 1,2 * * *", "2026-03-10 01:06", []string{"2026-03-10 01:10", "2026-03-10 02:05", "2026-03-10 02:10", "2026-03-11 01:05"}},
		{"month names", "0 0 1 JAN,jul *", "2026-03-10 00:00", []string{"2026-07-01 00:00", "2027-01-01 00:00"}},
		{"weekday names", "0 0 * * SAT,sun", "2026-03-10 00:00", []string{"2026-03-14 00:00", "2026-03-15 00:00", "2026-03-21 00:00"}},
		{"seven is Sunday", "0 0 * * 7", "2026-03-10 00:00", []string{"2026-03-15 00:00", "2026-03-22 00:00"}},
		{"zero is Sunday", "0 0 * * 0", "2026-03-10 00:00", []string{"2026-03-15 00:00"}},
		{"weekday range through seven", "0 0 * * 6-7", "2026-03-10 00:00", []string{"2026-03-14 00:00", "2026-03-15 00:00", "2026-03-21 00:00"}},
		{"restricted day of month or weekday match if either matches", "0 0 13 * 5", "2026-03-01 00:00", []string{"2026-03-06 00:00", "2026-03-13 00:00", "2026-03-20 00:00", "2026-03-27 00:00", "2026-04-03 00:00", "2026-04-10 00:00", "2026-04-13 00:00"}},
		{"a star day of month leaves weekdays alone", "0 0 * * 5", "2026-03-01 00:00", []string{"2026-03-06 00:00", "2026-03-13 00:00"}},
		{"question mark is a star", "0 0 ? * 5", "2026-03-01 00:00", []string{"2026-03-06 00:00"}},
		{"leap day", "0 0 29 2 *", "2026-03-01 00:00", []string{"2028-02-29 00:00", "2032-02-29 00:00"}},
		{"leap day across a century", "0 0 29 2 *", "2096-03-01 00:00", []string{"2104-02-29 00:00"}},
		{"leap day or Monday", "0 0 29 2 1", "2026-02-20 00:00", []string{"2026-02-23 00:00", "2027-02-01 00:00"}},
		{"the 31st skips short months", "0 0 31 * *", "2026-04-01 00:00", []string{"2026-05-31 00:00", "2026-07-31 00:00", "2026-08-31 00:00"}},
		{"hourly", "@hourly", "2026-03-10 10:00", []string{"2026-03-10 11:00"}},
		{"daily", "@daily", "2026-03-10 10:00", []string{"2026-03-11 00:00"}},
		{"weekly", "@weekly", "2026-03-10 10:00", []string{"2026-03-15 00:00"}},
		{"monthly", "@monthly", "2026-03-10 10:00", []string{"2026-04-01 00:00"}},
		{"yearly", "@yearly", "2026-03-10 10:00", []string{"2027-01-01 00:00"}},
		{"annually", "@annually", "2026-03-10 10:00", []string{"2027-01-01 00:00"}},
		{"year end rollover", "59 23 31 12 *", "2026-12-31 23:59", []string{"2027-12-31 23:59"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.spec)
			cur := at(t, time.UTC, tc.after)
			for _, w := range tc.want {
				cur = s.Next(cur)
				require.Equal(t, fmtT(at(t, time.UTC, w)), fmtT(cur))
			}
		})
	}
}

func TestCronNextIgnoresSubMinuteAndNanoseconds(t *testing.T) {
	s := mustParse(t, "*/5 * * * *")
	base := at(t, time.UTC, "2026-03-10 10:05")
	require.Equal(t, at(t, time.UTC, "2026-03-10 10:10"), s.Next(base))
	require.Equal(t, at(t, time.UTC, "2026-03-10 10:10"), s.Next(base.Add(time.Nanosecond)))
	require.Equal(t, base, s.Next(base.Add(-time.Nanosecond)))
}

func TestCronNextWithPrefixReturnsTimesInThatZone(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	for _, spec := range []string{"CRON_TZ=America/New_York 0 9 * * *", "TZ=America/New_York 0 9 * * *"} {
		s := mustParse(t, spec)
		got := s.Next(at(t, time.UTC, "2026-06-01 00:00"))
		require.Equal(t, fmtT(at(t, ny, "2026-06-01 09:00")), fmtT(got))
		require.Equal(t, ny, got.Location())
	}
}

// dstCase: spec, after, and the expected sequence of instants written with
// explicit offsets.
type dstCase struct {
	zone, name, spec, after string
	want                    []string
}

func TestCronNextAppliesDaylightSavingRules(t *testing.T) {
	cases := []dstCase{
		// New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
		{"America/New_York", "missing local time fires once shifted by the gap", "30 2 * * *", "2026-03-07 12:00 -0500",
			[]string{"2026-03-07 02:30 -0500", "2026-03-08 03:30 -0400", "2026-03-09 02:30 -0400"}[1:]},
		{"America/New_York", "missing hour shifted keeps minutes in order", "0,30 2,3 * * *", "2026-03-08 00:00 -0500",
			[]string{"2026-03-08 03:00 -0400", "2026-03-08 03:30 -0400", "2026-03-09 02:00 -0400"}},
		{"America/New_York", "repeated local time fires once at its first instant", "30 1 * * *", "2026-10-31 12:00 -0400",
			[]string{"2026-11-01 01:30 -0400", "2026-11-02 01:30 -0500"}},
		{"America/New_York", "asking from inside the repeated hour does not fire again", "30 1 * * *", "2026-11-01 01:10 -0500",
			[]string{"2026-11-02 01:30 -0500"}},
		{"America/New_York", "asking from just after the jump still fires the shifted time", "30 2 * * *", "2026-03-08 03:10 -0400",
			[]string{"2026-03-08 03:30 -0400", "2026-03-09 02:30 -0400"}},
		{"America/New_York", "wildcard hour fires in every real hour across spring forward", "30 * * * *", "2026-03-08 00:45 -0500",
			[]string{"2026-03-08 01:30 -0500", "2026-03-08 03:30 -0400", "2026-03-08 04:30 -0400"}},
		{"America/New_York", "wildcard hour fires twice in the repeated hour", "30 * * * *", "2026-11-01 00:45 -0400",
			[]string{"2026-11-01 01:30 -0400", "2026-11-01 01:30 -0500", "2026-11-01 02:30 -0500"}},
		{"America/New_York", "stepped hour fires in real hours only", "0 */2 * * *", "2026-03-08 00:30 -0500",
			[]string{"2026-03-08 04:00 -0400", "2026-03-08 06:00 -0400"}},
		{"America/New_York", "every fifteen minutes follows real time through fall back", "*/15 * * * *", "2026-11-01 01:40 -0400",
			[]string{"2026-11-01 01:45 -0400", "2026-11-01 01:00 -0500", "2026-11-01 01:15 -0500"}},
		{"America/New_York", "Sunday 02:00 on the spring-forward Sunday fires at 03:00", "0 2 * * 0", "2026-03-01 12:00 -0500",
			[]string{"2026-03-08 03:00 -0400", "2026-03-15 02:00 -0400"}},
		// Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
		{"Europe/Berlin", "missing local time fires once shifted by the gap", "30 2 * * *", "2026-03-28 12:00 +0100",
			[]string{"2026-03-29 03:30 +0200", "2026-03-30 02:30 +0200"}},
		{"Europe/Berlin", "repeated local time fires once at its first instant", "30 2 * * *", "2026-10-24 12:00 +0200",
			[]string{"2026-10-25 02:30 +0200", "2026-10-26 02:30 +0100"}},
		{"Europe/Berlin", "wildcard hour fires twice in the repeated hour", "0 * * * *", "2026-10-25 01:30 +0200",
			[]string{"2026-10-25 02:00 +0200", "2026-10-25 02:00 +0100", "2026-10-25 03:00 +0100"}},
		// Sydney: 2026-10-04 02:00 AEST -> 03:00 AEDT; 2026-04-05 03:00 AEDT -> 02:00 AEST.
		{"Australia/Sydney", "missing local time fires once shifted by the gap", "15 2 * * *", "2026-10-03 12:00 +1000",
			[]string{"2026-10-04 03:15 +1100", "2026-10-05 02:15 +1100"}},
		{"Australia/Sydney", "repeated local time fires once at its first instant", "15 2 * * *", "2026-04-04 12:00 +1100",
			[]string{"2026-04-05 02:15 +1100", "2026-04-06 02:15 +1000"}},
		{"Australia/Sydney", "wildcard hour skips the missing hour", "15 * * * *", "2026-10-04 01:20 +1000",
			[]string{"2026-10-04 03:15 +1100"}},
		// Adelaide (half-hour offsets): 2026-10-04 02:00 ACST(+0930) -> 03:00 ACDT(+1030).
		{"Australia/Adelaide", "missing local time fires once shifted by the gap in a half-hour zone", "45 2 * * *", "2026-10-03 12:00 +0930",
			[]string{"2026-10-04 03:45 +1030", "2026-10-05 02:45 +1030"}},
		{"Australia/Adelaide", "repeated local time fires once in a half-hour zone", "45 2 * * *", "2026-04-04 12:00 +1030",
			[]string{"2026-04-05 02:45 +1030", "2026-04-06 02:45 +0930"}},
		{"Australia/Adelaide", "wildcard hour fires twice in the repeated hour in a half-hour zone", "45 * * * *", "2026-04-05 01:50 +1030",
			[]string{"2026-04-05 02:45 +1030", "2026-04-05 02:45 +0930", "2026-04-05 03:45 +0930"}},
		// Kolkata has no DST: nothing special, half-hour offset.
		{"Asia/Kolkata", "a half-hour zone without DST fires daily", "30 2 * * *", "2026-03-08 00:00 +0530",
			[]string{"2026-03-08 02:30 +0530", "2026-03-09 02:30 +0530"}},
	}
	for _, tc := range cases {
		t.Run(tc.zone+"/"+tc.name, func(t *testing.T) {
			loc := mustLoc(t, tc.zone)
			s := mustParse(t, "CRON_TZ="+tc.zone+" "+tc.spec)
			cur := at(t, loc, tc.after)
			for _, w := range tc.want {
				next := s.Next(cur)
				require.Equal(t, fmtT(at(t, loc, w)), fmtT(next), "after %s", fmtT(cur))
				cur = next
			}
		})
	}
}

// oracleCron scans real minutes to find the next occurrence under the DST
// rules, independently of Cron.Next's stepping and resolve. It looks at most
// window ahead and reports false if nothing was found.
func oracleCron(c *Cron, after time.Time, window time.Duration) (time.Time, bool) {
	matches := func(w time.Time) bool { // w: wall clock as UTC
		y, m, d := w.Date()
		dm := c.dayMask(int64(y), int(m))
		return c.month&(1<<int(m)) != 0 && dm&(1<<d) != 0 && c.hour&(1<<w.Hour()) != 0 && c.minute&(1<<w.Minute()) != 0
	}
	wall := func(u time.Time) time.Time {
		_, off := u.In(c.loc).Zone()
		return time.Unix(u.Unix()+int64(off), 0).UTC()
	}
	start := after.Add(-26 * time.Hour).Truncate(time.Minute)
	var best time.Time
	for u := start; u.Before(after.Add(window)); u = u.Add(time.Minute) {
		w := wall(u)
		if c.periodic {
			if u.After(after) && matches(w) {
				return u.In(c.loc), true
			}
			continue
		}
		prev := wall(u.Add(-time.Minute))
		if gap := w.Sub(prev); gap > time.Minute {
			// Readings skipped by a spring-forward fire shifted forward.
			for g := prev.Add(time.Minute); g.Before(w); g = g.Add(time.Minute) {
				if matches(g) {
					s := u.Add(-time.Minute).Add(g.Sub(prev))
					if s.After(after) && (best.IsZero() || s.Before(best)) {
						best = s
					}
				}
			}
		}
		first := !wall(u.Add(-time.Hour)).Equal(w) && !wall(u.Add(-30*time.Minute)).Equal(w)
		if matches(w) && first && u.After(after) && (best.IsZero() || u.Before(best)) {
			best = u
		}
		if !best.IsZero() && u.After(best) {
			break
		}
	}
	return best.In(c.loc), !best.IsZero()
}

func randomCronSpec(r *rand.Rand, dense bool) string {
	field := func(min, max int, pick []string) string {
		switch r.IntN(6) {
		case 0:
			return "*"
		case 1:
			return pick[r.IntN(len(pick))]
		case 2:
			a := min + r.IntN(max-min+1)
			b := a + r.IntN(max-a+1)
			return itoa(a) + "-" + itoa(b)
		case 3:
			return "*/" + itoa(1+r.IntN(max/2+1))
		case 4:
			a := min + r.IntN(max-min+1)
			b := min + r.IntN(max-min+1)
			return itoa(a) + "," + itoa(b)
		default:
			return itoa(min + r.IntN(max-min+1))
		}
	}
	if dense {
		return field(0, 59, []string{"0", "30", "15"}) + " " + field(0, 23, []string{"0", "2", "9", "1", "3"}) + " * * *"
	}
	return field(0, 59, []string{"0", "30", "15"}) + " " +
		field(0, 23, []string{"0", "2", "9", "1"}) + " " +
		field(1, 31, []string{"1", "15", "31", "29"}) + " " +
		field(1, 12, []string{"2", "JAN", "dec"}) + " " +
		field(0, 6, []string{"1-5", "MON", "0", "fri"})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestCronNextAgreesWithMinuteScanningOracleAroundTransitions(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	zones := []string{"America/New_York", "Europe/Berlin", "Australia/Sydney", "Australia/Adelaide", "Australia/Lord_Howe"}
	n := 300
	if testing.Short() {
		n = 60
	}
	checked := 0
	for range n {
		zone := zones[r.IntN(len(zones))]
		loc := mustLoc(t, zone)
		spec := randomCronSpec(r, r.IntN(5) != 0)
		s, err := Parse("CRON_TZ=" + zone + " " + spec)
		if err != nil {
			continue
		}
		c := s.(*Cron)
		// An instant within a day of a transition in 2026.
		_, end := time.Date(2026, time.Month(1+r.IntN(12)), 1, 0, 0, 0, 0, loc).ZoneBounds()
		after := end.Add(time.Duration(r.IntN(48*60)-24*60) * time.Minute).Add(time.Duration(r.IntN(60)) * time.Second)
		want, ok := oracleCron(c, after, 2*24*time.Hour)
		got := c.Next(after)
		if !ok {
			require.True(t, got.IsZero() || got.After(after.Add(2*24*time.Hour-time.Minute)), "%s after %s: got %s", spec, fmtT(after), fmtT(got))
			continue
		}
		checked++
		require.Equal(t, fmtT(want), fmtT(got), "%s in %s after %s", spec, zone, fmtT(after))
	}
	require.Greater(t, checked, n/2)
}
