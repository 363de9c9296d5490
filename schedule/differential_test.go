package schedule

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	robfig "github.com/robfig/cron/v3"
	"github.com/stretchr/testify/require"
	"github.com/teambition/rrule-go"
)

// Differential tests against robfig/cron v3 and teambition/rrule-go. Both
// peers are test-only dependencies. Outside the daylight-saving rules the
// results must be identical; the DST differences are asserted one by one in
// TestPeersDifferOnlyOnTheDaylightSavingRules.

const differentialPairs = 100_000

func TestCronNextAgreesWithRobfigCron(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	const perSpec = 200
	pairs, neverFires := 0, 0
	// DST-free zones take any spec; zones with DST take fixed hours away
	// from the transition hours, where the peers agree by definition.
	zones := []string{"", "Asia/Kolkata", "Asia/Tokyo", "Europe/Berlin", "America/New_York"}
	for pairs < differentialPairs {
		zone := zones[r.IntN(len(zones))]
		spec := randomCronSpec(r, false)
		if zone == "Europe/Berlin" || zone == "America/New_York" {
			f := strings.Fields(spec)
			f[1] = fmt.Sprintf("%d,%d", 4+r.IntN(19), 4+r.IntN(19))
			spec = strings.Join(f, " ")
		}
		if zone != "" {
			spec = "CRON_TZ=" + zone + " " + spec
		}
		peer, err := robfig.ParseStandard(spec)
		require.NoError(t, err, spec)
		ours, err := Parse(spec)
		if err != nil {
			// Only specs that can never fire are refused; robfig's Next
			// finds nothing for them either.
			require.ErrorIs(t, err, ErrNeverFires, spec)
			require.True(t, peer.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero(), spec)
			neverFires++
			continue
		}
		for range perSpec {
			after := time.Unix(r.Int64N(3_700_000_000-40_000_000)+40_000_000, int64(r.IntN(3))*int64(r.IntN(1e9))).UTC()
			want, got := peer.Next(after), ours.Next(after)
			if !want.Equal(got) {
				t.Fatalf("%q after %s: robfig %s, ours %s", spec, fmtT(after), fmtT(want), fmtT(got))
			}
			pairs++
		}
	}
	require.GreaterOrEqual(t, pairs, differentialPairs)
	t.Logf("%d pairs, %d never-firing specs", pairs, neverFires)
}

func TestCronRefusesWhatRobfigNeverFires(t *testing.T) {
	for _, spec := range []string{"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 2 *", "CRON_TZ=Europe/Berlin 0 12 31 2,4 *"} {
		peer, err := robfig.ParseStandard(spec)
		require.NoError(t, err)
		require.True(t, peer.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero(), spec)
		_, err = Parse(spec)
		require.ErrorIs(t, err, ErrNeverFires, spec)
	}
}

// randomRRule returns DTSTART + RRULE text that rrule-go and this package
// read the same way.
func randomRRule(r *rand.Rand) (string, time.Time) {
	zones := []string{"UTC", "Asia/Kolkata", "Europe/Berlin", "America/New_York", "Australia/Sydney"}
	zone := zones[r.IntN(len(zones))]
	loc, _ := LoadLocation(zone)
	// Local times from 04:00 to 23:59: never inside a transition.
	start := time.Date(1990+r.IntN(50), time.Month(1+r.IntN(12)), 1+r.IntN(28), 4+r.IntN(20), r.IntN(60), r.IntN(60), 0, loc)
	var b strings.Builder
	if zone == "UTC" {
		b.WriteString("DTSTART:" + start.Format("20060102T150405Z") + "\nRRULE:")
	} else {
		b.WriteString("DTSTART;TZID=" + zone + ":" + start.Format("20060102T150405") + "\nRRULE:")
	}
	f := freq(r.IntN(4))
	b.WriteString("FREQ=" + freqNames[f])
	if r.IntN(3) == 0 {
		fmt.Fprintf(&b, ";INTERVAL=%d", 1+r.IntN(4))
	}
	hasBy := false
	if r.IntN(3) == 0 {
		b.WriteString(";BYMONTH=")
		for i := range 1 + r.IntN(3) {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%d", 1+r.IntN(12))
		}
		hasBy = true
	}
	if f != freqWeekly && r.IntN(3) == 0 {
		b.WriteString(";BYMONTHDAY=")
		for i := range 1 + r.IntN(3) {
			if i > 0 {
				b.WriteString(",")
			}
			d := 1 + r.IntN(31)
			if r.IntN(3) == 0 {
				d = -d
			}
			fmt.Fprintf(&b, "%d", d)
		}
		hasBy = true
	}
	if r.IntN(2) == 0 {
		b.WriteString(";BYDAY=")
		// rrule-go intersects plain and ordinal weekdays in one BYDAY
		// (see TestPeersDifferOnlyOnTheDaylightSavingRules): never mix.
		ordinals := (f == freqMonthly || f == freqYearly) && r.IntN(2) == 0
		for i := range 1 + r.IntN(3) {
			if i > 0 {
				b.WriteString(",")
			}
			if ordinals {
				n := 1 + r.IntN(4)
				if r.IntN(2) == 0 {
					n = -n
				}
				fmt.Fprintf(&b, "%d", n)
			}
			b.WriteString(weekdayCodes[r.IntN(7)])
		}
		hasBy = true
	}
	if hasBy && r.IntN(3) == 0 {
		fmt.Fprintf(&b, ";BYSETPOS=%d", []int{1, 2, -1, -2, 3}[r.IntN(5)])
	}
	if r.IntN(4) == 0 {
		b.WriteString(";WKST=" + weekdayCodes[r.IntN(7)])
	}
	switch r.IntN(4) {
	case 0:
		fmt.Fprintf(&b, ";COUNT=%d", 1+r.IntN(40))
	case 1:
		b.WriteString(";UNTIL=" + start.AddDate(0, r.IntN(30), r.IntN(30)).UTC().Format("20060102T150405Z"))
	}
	return b.String(), start
}

func TestRRuleNextAgreesWithRRuleGo(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	const perRule = 200
	const window = 3 * 365 * 24 * time.Hour
	pairs, empty := 0, 0
	for pairs < differentialPairs {
		text, start := randomRRule(r)
		ours, err := Parse(text)
		require.NoError(t, err, text)
		end := start.Add(window)
		if first := ours.Next(start.Add(-time.Second)); first.IsZero() || first.After(end) {
			// rrule-go may search to year 9999 for a rule that never
			// fires; check ours stays empty instead.
			empty++
			continue
		}
		set, err := rrule.StrToRRuleSet(text)
		require.NoError(t, err, text)
		want := set.Between(start.Add(-time.Second), end, true)
		for range perRule {
			after := start.Add(time.Duration(r.Int64N(int64(window-60*24*time.Hour))) - 30*24*time.Hour)
			i, _ := slices.BinarySearchFunc(want, after, func(a, b time.Time) int { return a.Compare(b) })
			for i < len(want) && !want[i].After(after) {
				i++
			}
			got := ours.Next(after)
			if i == len(want) {
				if !got.IsZero() && !got.After(end) {
					t.Fatalf("%s\nafter %s: rrule-go none before %s, ours %s", text, fmtT(after), fmtT(end), fmtT(got))
				}
			} else if !want[i].Equal(got) {
				t.Fatalf("%s\nafter %s: rrule-go %s, ours %s", text, fmtT(after), fmtT(want[i]), fmtT(got))
			}
			pairs++
		}
	}
	require.GreaterOrEqual(t, pairs, differentialPairs)
	require.Less(t, empty, differentialPairs/perRule)
}

// TestPeersDifferOnlyOnTheDaylightSavingRules pins down every known
// difference from the peers, so that a change in either is noticed.
func TestPeersDifferOnlyOnTheDaylightSavingRules(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	t.Run("robfig skips a missing local time for the day; we fire shifted by the gap", func(t *testing.T) {
		spec := "CRON_TZ=America/New_York 30 2 * * *"
		peer, _ := robfig.ParseStandard(spec)
		after := at(t, ny, "2026-03-07 12:00")
		require.Equal(t, fmtT(at(t, ny, "2026-03-09 02:30")), fmtT(peer.Next(after).In(ny)))
		require.Equal(t, fmtT(at(t, ny, "2026-03-08 03:30")), fmtT(mustParse(t, spec).Next(after)))
	})
	t.Run("robfig fires a repeated local time twice; we fire once", func(t *testing.T) {
		spec := "CRON_TZ=America/New_York 30 1 * * *"
		peer, _ := robfig.ParseStandard(spec)
		first := at(t, ny, "2026-11-01 01:30 -0400")
		require.Equal(t, fmtT(first.Add(time.Hour)), fmtT(peer.Next(first).In(ny)))
		require.Equal(t, fmtT(at(t, ny, "2026-11-02 01:30")), fmtT(mustParse(t, spec).Next(first)))
	})
	t.Run("robfig and we both fire a wildcard hour in every real hour", func(t *testing.T) {
		spec := "CRON_TZ=America/New_York 30 * * * *"
		peer, _ := robfig.ParseStandard(spec)
		first := at(t, ny, "2026-11-01 01:30 -0400")
		require.Equal(t, fmtT(first.Add(time.Hour)), fmtT(peer.Next(first).In(ny)))
		require.Equal(t, fmtT(first.Add(time.Hour)), fmtT(mustParse(t, spec).Next(first)))
	})
	t.Run("rrule-go fires a missing local time before the gap; we fire after it", func(t *testing.T) {
		text := "DTSTART;TZID=America/New_York:20260301T023000\nRRULE:FREQ=DAILY"
		set, err := rrule.StrToRRuleSet(text)
		require.NoError(t, err)
		after := at(t, ny, "2026-03-07 12:00")
		require.Equal(t, fmtT(at(t, ny, "2026-03-08 01:30")), fmtT(set.After(after, false)))
		require.Equal(t, fmtT(at(t, ny, "2026-03-08 03:30")), fmtT(mustParse(t, text).Next(after)))
	})
	t.Run("rrule-go and we both fire a repeated local time at its first instant", func(t *testing.T) {
		text := "DTSTART;TZID=America/New_York:20261030T013000\nRRULE:FREQ=DAILY"
		set, err := rrule.StrToRRuleSet(text)
		require.NoError(t, err)
		after := at(t, ny, "2026-10-31 12:00")
		want := at(t, ny, "2026-11-01 01:30 -0400")
		require.Equal(t, fmtT(want), fmtT(set.After(after, false)))
		require.Equal(t, fmtT(want), fmtT(mustParse(t, text).Next(after)))
	})
	t.Run("rrule-go intersects plain and ordinal weekdays in one BYDAY; we follow RFC 5545 and unite them", func(t *testing.T) {
		text := "DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=MO,-1FR;COUNT=3"
		set, err := rrule.StrToRRuleSet(text)
		require.NoError(t, err)
		require.Empty(t, set.All())
		var got []string
		for v := range Between(mustParse(t, text), at(t, time.UTC, "2026-01-01 00:00"), at(t, time.UTC, "2027-01-01 00:00")) {
			got = append(got, v.Format("2006-01-02"))
		}
		require.Equal(t, []string{"2026-01-05", "2026-01-12", "2026-01-19"}, got)
	})
}

// nextOnly hides the concrete type so Between takes its generic path.
type nextOnly struct{ s Schedule }

func (n nextOnly) Next(t time.Time) time.Time { return n.s.Next(t) }

func TestBetweenOnRRuleAgreesWithRepeatedNext(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		text, start := randomRRule(r)
		if r.IntN(3) == 0 {
			text += "\nEXDATE:" + start.AddDate(0, 0, r.IntN(60)).UTC().Format("20060102T150405Z")
		}
		s := mustParse(t, text)
		from := start.Add(time.Duration(r.Int64N(int64(400*24*time.Hour))) - 30*24*time.Hour)
		if r.IntN(2) == 0 {
			from = from.Truncate(time.Second)
		}
		to := from.AddDate(1, 0, 0)
		var fast, slow []string
		for v := range Between(s, from, to) {
			fast = append(fast, fmtT(v))
		}
		for v := range Between(nextOnly{s}, from, to) {
			slow = append(slow, fmtT(v))
		}
		require.Equal(t, slow, fast, "%s from %s", text, fmtT(from))
	}
}

// TestBetweenOnSubDailyRRuleAgreesWithRepeatedNextAcrossDST checks the
// period walk's merge of instants shifted out of spring-forward gaps:
// random rules of every part, in zones with daylight saving, starting in
// the months of their transitions.
func TestBetweenOnSubDailyRRuleAgreesWithRepeatedNextAcrossDST(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	zones := []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Australia/Adelaide", "America/Santiago"}
	occurrences := 0
	for range 300 {
		c := randomDateutilCase(r, zones, time.March, time.April, time.September, time.October, time.November)
		s := mustParse(t, c.ours)
		from := c.start.Add(time.Duration(r.Int64N(int64(20*24*time.Hour))) - 24*time.Hour)
		to := from.Add(30 * 24 * time.Hour)
		var fast, slow []string
		for v := range Between(s, from, to) {
			fast = append(fast, fmtT(v))
			if len(fast) == 2000 {
				to = v
				fast = fast[:len(fast)-1]
				break
			}
		}
		for v := range Between(nextOnly{s}, from, to) {
			slow = append(slow, fmtT(v))
		}
		require.Equal(t, slow, fast, "%s\nfrom %s", c.ours, fmtT(from))
		occurrences += len(fast)
	}
	require.Greater(t, occurrences, 2000)
}
