package schedule

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
)

type freq int

const (
	freqDaily freq = iota
	freqWeekly
	freqMonthly
	freqYearly
)

var freqNames = []string{"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}

// periodCap bounds how many periods Next examines before deciding a rule
// never fires. Calendars repeat every 400 Gregorian years (146097 days =
// 20871 weeks = 4800 months), so a rule that has not fired within one full
// cycle of its period pattern never will.
var periodCap = [...]int{146097 + 1, 20871 + 1, 4800 + 1, 400 + 1}

// countWalkCap bounds the number of periods walked at parse time to turn
// COUNT into a last occurrence.
const countWalkCap = 200000

type nthDay struct {
	wd int // 0 = Sunday
	n  int // ±1..53
}

// RRule is a parsed RFC 5545 recurrence: DTSTART, one RRULE and optional
// EXDATEs. Obtain one from Parse; it is immutable and safe for concurrent
// use.
//
// Supported rule parts: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL,
// COUNT, UNTIL, BYDAY (with ordinals for MONTHLY and YEARLY), BYMONTHDAY
// (negative too), BYMONTH, BYSETPOS and WKST. BYHOUR, BYMINUTE, BYSECOND,
// BYYEARDAY, BYWEEKNO and sub-daily frequencies are refused with
// ErrUnsupported. Occurrences are the dates the rule selects at DTSTART's
// local time of day, starting with the period that contains DTSTART; as in
// python-dateutil and rrule-go, DTSTART itself is an occurrence only if the
// rule selects it, and the first WEEKLY period starts at DTSTART (which
// matters to BYSETPOS). Unlike rrule-go, plain and ordinal weekdays in one
// BYDAY ("MO,-1FR") are united, as RFC 5545 says, not intersected. A
// DTSTART without TZID must be UTC (end in Z); EXDATEs without TZID or Z are
// read in DTSTART's zone.
//
// Daylight saving follows the package rules: a time of day that does not
// exist on some date fires shifted forward by the gap, one that happens
// twice fires at its first instant.
//
// Cost: Next jumps arithmetically to the period that contains its argument,
// so its cost does not depend on the distance from DTSTART. COUNT is
// resolved once, at Parse, into the instant of the last occurrence; that
// walk is linear in the number of periods up to it and is refused beyond
// 200000 periods (use UNTIL).
type RRule struct {
	text     string
	freq     freq
	interval int64
	count    int
	loc      *time.Location

	startInst int64 // DTSTART, Unix seconds
	startDay  int64 // DTSTART local date, day number
	tod       int64 // DTSTART local time of day, seconds
	startY    int64
	startMI   int64 // year*12 + month-1
	weekStart int64 // day number of the first day of DTSTART's week (WKST)

	hasUntil bool
	until    int64 // last allowed instant, Unix seconds (COUNT folded in)

	byMonth     uint16 // bits 1..12; 0 = any
	hasMonthDay bool
	mdPos       uint32 // bits 1..31
	mdNeg       uint32 // bit k: the k-th last day
	hasByDay    bool
	plain       uint8 // weekday bits 0..6
	plainFirst  [7]uint32
	nth         []nthDay
	nthInYear   bool // YEARLY without BYMONTH: ordinals count within the year
	setPos      []int
	wkst        int

	exdates []int64 // sorted Unix seconds
}

var _ Schedule = (*RRule)(nil)

// String returns the text the rule was parsed from.
func (r *RRule) String() string { return r.text }

// Location returns DTSTART's time zone.
func (r *RRule) Location() *time.Location { return r.loc }

// DTStart returns the rule's DTSTART.
func (r *RRule) DTStart() time.Time { return time.Unix(r.startInst, 0).In(r.loc) }

// daySet is a bitset over the days of one period (at most 366).
type daySet [6]uint64

func (s *daySet) set(i int) { s[i>>6] |= 1 << (i & 63) }
func (s *daySet) orAt(off int, m uint32) {
	// m's bit 0 goes to day offset off.
	w, b := off>>6, off&63
	s[w] |= uint64(m) << b
	if b > 32 && w+1 < len(s) {
		s[w+1] |= uint64(m) >> (64 - b)
	}
}
func (s *daySet) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// nextFrom returns the first set index >= i, or -1.
func (s *daySet) nextFrom(i int) int {
	if i < 0 {
		i = 0
	}
	for w := i >> 6; w < len(s); w++ {
		x := s[w]
		if w == i>>6 {
			x = x >> (i & 63) << (i & 63)
		}
		if x != 0 {
			return w<<6 + bits.TrailingZeros64(x)
		}
	}
	return -1
}

// nth returns the index of the n-th (0-based) set bit.
func (s *daySet) nth(n int) int {
	for w, x := range s {
		c := bits.OnesCount64(x)
		if n >= c {
			n -= c
			continue
		}
		for ; n > 0; n-- {
			x &= x - 1
		}
		return w<<6 + bits.TrailingZeros64(x)
	}
	return -1
}

// monthMask returns the selected days (bit d = day d) of month m of year y,
// whose first day has day number first. extra adds ordinal days counted in
// the year.
func (r *RRule) monthMask(y int64, m int, first int64, extra uint32) uint32 {
	n := daysIn(y, m)
	mask := uint32(1)<<(n+1) - 2
	if r.hasMonthDay {
		md := r.mdPos
		for x := r.mdNeg; x != 0; x &= x - 1 {
			if k := bits.TrailingZeros32(x); k <= n {
				md |= 1 << (n + 1 - k)
			}
		}
		mask &= md
	}
	if r.hasByDay {
		w1 := weekdayOf(first)
		dm := r.plainFirst[w1] | extra
		if !r.nthInYear {
			for _, nd := range r.nth {
				fd := 1 + (nd.wd-w1+7)%7
				var d int
				if nd.n > 0 {
					d = fd + 7*(nd.n-1)
				} else {
					last := fd + 7*((n-fd)/7)
					d = last + 7*(nd.n+1)
				}
				if d >= 1 && d <= n {
					dm |= 1 << d
				}
			}
		}
		mask &= dm
	}
	return mask
}

// period returns the first day number and the length in days of period k.
func (r *RRule) period(k int64) (first int64, n int) {
	switch r.freq {
	case freqDaily:
		return r.startDay + k*r.interval, 1
	case freqWeekly:
		return r.weekStart + 7*k*r.interval, 7
	case freqMonthly:
		mi := r.startMI + k*r.interval
		y := floorDiv(mi, 12)
		m := int(mi-12*y) + 1
		return daysFromCivil(y, m, 1), daysIn(y, m)
	default:
		y := r.startY + k*r.interval
		if isLeap(y) {
			return daysFromCivil(y, 1, 1), 366
		}
		return daysFromCivil(y, 1, 1), 365
	}
}

// expand returns the days selected in period k (before the DTSTART cut),
// BYSETPOS applied.
func (r *RRule) expand(k int64) (first int64, s daySet) {
	first, n := r.period(k)
	switch r.freq {
	case freqDaily, freqWeekly:
		if r.byMonth == 0 && !r.hasMonthDay {
			// Weekdays only: no calendar arithmetic needed.
			w := weekdayOf(first)
			for i := range n {
				if !r.hasByDay || r.plain&(1<<((w+i)%7)) != 0 {
					s.set(i)
				}
			}
			break
		}
		y, m, d := civilFromDays(first)
		for i := range n {
			if i > 0 {
				d++
				if d > daysIn(y, m) {
					d, m = 1, m+1
					if m > 12 {
						m, y = 1, y+1
					}
				}
			}
			if r.byMonth != 0 && r.byMonth&(1<<m) == 0 {
				continue
			}
			if r.hasByDay && r.plain&(1<<weekdayOf(first+int64(i))) == 0 {
				continue
			}
			if r.hasMonthDay {
				l := daysIn(y, m)
				if r.mdPos&(1<<d) == 0 && r.mdNeg&(1<<(l+1-d)) == 0 {
					continue
				}
			}
			s.set(i)
		}
	case freqMonthly:
		y, m, _ := civilFromDays(first)
		if r.byMonth != 0 && r.byMonth&(1<<m) == 0 {
			return first, s
		}
		s.orAt(0, r.monthMask(y, m, first, 0)>>1)
	default:
		y, _, _ := civilFromDays(first)
		var inYear daySet
		if r.nthInYear {
			jan1 := weekdayOf(first)
			for _, nd := range r.nth {
				fd := (nd.wd - jan1 + 7) % 7
				var d int
				if nd.n > 0 {
					d = fd + 7*(nd.n-1)
				} else {
					d = fd + 7*((n-1-fd)/7) + 7*(nd.n+1)
				}
				if d >= 0 && d < n {
					inYear.set(d)
				}
			}
		}
		off := 0
		for m := 1; m <= 12; m++ {
			l := daysIn(y, m)
			if r.byMonth == 0 || r.byMonth&(1<<m) != 0 {
				var extra uint32
				if r.nthInYear {
					extra = inYear.window(off, l) << 1
				}
				s.orAt(off, r.monthMask(y, m, first+int64(off), extra)>>1)
			}
			off += l
		}
	}
	if len(r.setPos) > 0 {
		if r.freq == freqWeekly && k == 0 {
			// As python-dateutil and rrule-go: the first weekly period
			// starts at DTSTART, so BYSETPOS counts from there.
			for i := range int(r.startDay - first) {
				s[0] &^= 1 << i
			}
		}
		total := s.count()
		var out daySet
		for _, p := range r.setPos {
			i := p - 1
			if p < 0 {
				i = total + p
			}
			if i >= 0 && i < total {
				out.set(s.nth(i))
			}
		}
		s = out
	}
	return first, s
}

// window returns l (<= 31) bits of s starting at off.
func (s *daySet) window(off, l int) uint32 {
	w, b := off>>6, off&63
	x := s[w] >> b
	if b > 0 && w+1 < len(s) {
		x |= s[w+1] << (64 - b)
	}
	return uint32(x) & (uint32(1)<<l - 1)
}

// periodIndex returns the index of the last period starting on or before
// day d (day >= startDay).
func (r *RRule) periodIndex(d int64) int64 {
	switch r.freq {
	case freqDaily:
		return floorDiv(d-r.startDay, r.interval)
	case freqWeekly:
		return floorDiv(d-r.weekStart, 7*r.interval)
	case freqMonthly:
		y, m, _ := civilFromDays(d)
		return floorDiv(y*12+int64(m-1)-r.startMI, r.interval)
	default:
		y, _, _ := civilFromDays(d)
		return floorDiv(y-r.startY, r.interval)
	}
}

const maxYear = 1 << 32

// nextRule returns the first rule occurrence strictly after sec (ignoring
// EXDATE).
func (r *RRule) nextRule(sec int64) (int64, bool) {
	if sec < r.startInst {
		sec = r.startInst - 1
	}
	if r.hasUntil && sec >= r.until {
		return 0, false
	}
	if sec > maxYear*366*86400 {
		return 0, false
	}
	var t int64
	found := false
	r.walk(sec, func(v int64) bool {
		t, found = v, true
		return false
	})
	return t, found
}

// walk calls yield with every rule occurrence strictly after sec, in
// order, until yield returns false, UNTIL is passed, or periodCap periods
// in a row select nothing.
func (r *RRule) walk(sec int64, yield func(int64) bool) {
	if sec < r.startInst {
		sec = r.startInst - 1
	}
	// The day before the local date of sec: an occurrence in a gap on
	// that day may be shifted to after sec.
	var zc segCache
	off := int64(0)
	if r.loc != time.UTC {
		off = zc.fill(r.loc, sec)
	}
	dayA := floorDiv(sec+off, 86400) - 1
	if dayA < r.startDay {
		dayA = r.startDay
	}
	k := r.periodIndex(dayA)
	from := -1
	for empty := 0; empty < periodCap[r.freq]; empty++ {
		first, n := r.period(k)
		if from < 0 {
			from = int(max(dayA-first, 0))
		}
		if r.freq == freqDaily && r.byMonth != 0 {
			// Jump over months the rule does not select.
			y, m, _ := civilFromDays(first)
			if r.byMonth&(1<<m) == 0 {
				nm := r.byMonth >> (m + 1) << (m + 1)
				if nm == 0 {
					y++
					nm = r.byMonth
				}
				target := daysFromCivil(y, bits.TrailingZeros16(nm), 1)
				k = floorDiv(target-r.startDay+r.interval-1, r.interval)
				from = 0
				continue
			}
		}
		if r.hasUntil && first > floorDiv(r.until+14*3600, 86400)+1 {
			return
		}
		if from < n {
			first, s := r.expand(k)
			for j := s.nextFrom(from); j >= 0; j = s.nextFrom(j + 1) {
				d := first + int64(j)
				if d < r.startDay {
					continue
				}
				t := zc.resolve(r.loc, d*86400+r.tod)
				if t <= sec {
					continue
				}
				if r.hasUntil && t > r.until {
					return
				}
				empty = -1
				if !yield(t) {
					return
				}
				sec = t
			}
		}
		k++
		from = 0
	}
}

// between yields the occurrences in [from, to) (EXDATEs removed), walking
// periods once instead of calling Next per occurrence.
func (r *RRule) between(from, to time.Time, yield func(time.Time) bool) {
	sec := from.Unix()
	if from.Nanosecond() == 0 {
		sec-- // from itself is included
	}
	if sec > maxYear*366*86400 {
		return
	}
	end := to.Unix()
	if to.Nanosecond() > 0 {
		end++ // occurrences are whole seconds: t < to  <=>  t < end
	}
	r.walk(sec, func(t int64) bool {
		if t >= end {
			return false
		}
		if _, found := slices.BinarySearch(r.exdates, t); found {
			return true
		}
		return yield(time.Unix(t, 0).In(r.loc))
	})
}

// Next returns the first occurrence strictly after after, in DTSTART's time
// zone, or the zero time if there is none. A local time of day that does
// not exist on some date fires shifted forward by the gap; one that happens
// twice fires at its first instant.
func (r *RRule) Next(after time.Time) time.Time {
	sec := after.Unix()
	for range len(r.exdates) + 1 {
		t, ok := r.nextRule(sec)
		if !ok {
			return time.Time{}
		}
		if _, found := slices.BinarySearch(r.exdates, t); !found {
			return time.Unix(t, 0).In(r.loc)
		}
		sec = t
	}
	return time.Time{}
}

// resolveCount folds COUNT into until: the instant of the COUNT-th
// occurrence.
func (r *RRule) resolveCount() error {
	left := r.count
	for k := range int64(countWalkCap) {
		first, s := r.expand(k)
		for j := s.nextFrom(0); j >= 0; j = s.nextFrom(j + 1) {
			d := first + int64(j)
			if d < r.startDay {
				continue
			}
			if left--; left == 0 {
				r.hasUntil, r.until = true, resolve(r.loc, d*86400+r.tod)
				return nil
			}
		}
		if left == r.count && k >= int64(periodCap[r.freq]) {
			r.hasUntil, r.until = true, r.startInst-1 // never fires
			return nil
		}
	}
	return &ParseError{Field: "RRULE COUNT", Value: strconv.Itoa(r.count), Reason: "too large to resolve (more than 200000 periods); use UNTIL", Err: ErrUnsupported}
}

var weekdayCodes = []string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

func weekdayCode(s string) int {
	for i, c := range weekdayCodes {
		if strings.EqualFold(s, c) {
			return i
		}
	}
	return -1
}

// parseDateTime reads YYYYMMDDTHHMMSS[Z] as wall seconds and whether it
// ended in Z.
func parseDateTime(field, v string) (wall int64, utc bool, err error) {
	s := v
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		utc, s = true, s[:len(s)-1]
	}
	if len(s) != 15 || (s[8] != 'T' && s[8] != 't') {
		return 0, false, perr(field, v, "want YYYYMMDDTHHMMSS, with a trailing Z for UTC")
	}
	num := func(a, b int) int {
		n := 0
		for _, c := range s[a:b] {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d, h, mi, sec := num(0, 4), num(4, 6), num(6, 8), num(9, 11), num(11, 13), num(13, 15)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return 0, false, perr(field, v, "not a valid date and time")
	}
	if d > daysIn(int64(y), mo) {
		return 0, false, perr(field, v, "day "+strconv.Itoa(d)+" is not in that month")
	}
	return daysFromCivil(int64(y), mo, d)*86400 + int64(h*3600+mi*60+sec), utc, nil
}

// parseProp splits "NAME;P=V;...:value" into name, params and value.
func parseProp(line string) (name string, params map[string]string, value string, err error) {
	head, value, ok := strings.Cut(line, ":")
	if !ok {
		return "", nil, "", perr("recurrence line", line, "expected NAME:value")
	}
	parts := strings.Split(head, ";")
	name = strings.ToUpper(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return "", nil, "", perr(name+" parameter", p, "expected NAME=value")
		}
		if params == nil {
			params = map[string]string{}
		}
		params[strings.ToUpper(k)] = strings.Trim(v, `"`)
	}
	return name, params, strings.TrimSpace(value), nil
}

func parseRRule(text string) (*RRule, error) {
	r := &RRule{text: text, interval: 1, loc: time.UTC, wkst: 1}
	var (
		haveStart, haveRule bool
		startWall           int64
		ruleText            string
		exLines             [][2]string // tzid, value
	)
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	// Unfold RFC 5545 continuation lines.
	var unfolded []string
	for _, l := range lines {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(unfolded) > 0 {
			unfolded[len(unfolded)-1] += l[1:]
			continue
		}
		if l = strings.TrimSpace(l); l != "" {
			unfolded = append(unfolded, l)
		}
	}
	for _, line := range unfolded {
		name, params, value, err := parseProp(line)
		if err != nil {
			return nil, err
		}
		switch name {
		case "DTSTART":
			if haveStart {
				return nil, perr("DTSTART", value, "appears twice")
			}
			haveStart = true
			if v, ok := params["VALUE"]; ok && !strings.EqualFold(v, "DATE-TIME") {
				return nil, &ParseError{Field: "DTSTART", Value: line, Reason: "only DATE-TIME values are supported", Err: ErrUnsupported}
			}
			w, utc, err := parseDateTime("DTSTART", value)
			if err != nil {
				return nil, err
			}
			tzid, hasTZ := params["TZID"]
			switch {
			case hasTZ && utc:
				return nil, perr("DTSTART", line, "a UTC time (ending in Z) cannot have a TZID")
			case hasTZ:
				if r.loc, err = LoadLocation(tzid); err != nil {
					return nil, err
				}
			case !utc:
				return nil, perr("DTSTART", line, "floating time: add ;TZID=Zone or end the time with Z for UTC")
			}
			startWall = w
		case "RRULE":
			if haveRule {
				return nil, &ParseError{Field: "RRULE", Value: value, Reason: "only one RRULE is supported", Err: ErrUnsupported}
			}
			haveRule, ruleText = true, value
		case "EXDATE":
			if v, ok := params["VALUE"]; ok && !strings.EqualFold(v, "DATE-TIME") {
				return nil, &ParseError{Field: "EXDATE", Value: line, Reason: "only DATE-TIME values are supported", Err: ErrUnsupported}
			}
			exLines = append(exLines, [2]string{params["TZID"], value})
		default:
			return nil, &ParseError{Field: "recurrence line", Value: line, Reason: "want DTSTART, RRULE or EXDATE", Err: ErrUnsupported}
		}
	}
	if !haveStart {
		return nil, perr("recurrence", text, "missing DTSTART line")
	}
	if !haveRule {
		return nil, perr("recurrence", text, "missing RRULE line")
	}
	r.startInst = resolve(r.loc, startWall)
	r.startDay = floorDiv(startWall, 86400)
	r.tod = startWall - r.startDay*86400
	y, m, _ := civilFromDays(r.startDay)
	r.startY, r.startMI = y, y*12+int64(m-1)
	if err := r.parseRule(ruleText); err != nil {
		return nil, err
	}
	for _, ex := range exLines {
		loc := r.loc
		if ex[0] != "" {
			var err error
			if loc, err = LoadLocation(ex[0]); err != nil {
				return nil, err
			}
		}
		for v := range strings.SplitSeq(ex[1], ",") {
			w, utc, err := parseDateTime("EXDATE", strings.TrimSpace(v))
			if err != nil {
				return nil, err
			}
			if utc {
				r.exdates = append(r.exdates, w)
			} else {
				r.exdates = append(r.exdates, resolve(loc, w))
			}
		}
	}
	slices.Sort(r.exdates)
	r.exdates = slices.Compact(r.exdates)
	return r, nil
}

func (r *RRule) parseRule(text string) error {
	seen := map[string]bool{}
	var untilText string
	var byDay []nthDay
	haveFreq := false
	for part := range strings.SplitSeq(text, ";") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToUpper(k)
		field := "RRULE " + k
		if !ok || v == "" {
			return perr("RRULE", part, "expected NAME=value")
		}
		if seen[k] {
			return perr(field, v, "appears twice")
		}
		seen[k] = true
		switch k {
		case "FREQ":
			i := slices.Index(freqNames, strings.ToUpper(v))
			if i < 0 {
				switch strings.ToUpper(v) {
				case "HOURLY", "MINUTELY", "SECONDLY":
					return &ParseError{Field: field, Value: v, Reason: "sub-daily frequencies are not supported; use a cron spec", Err: ErrUnsupported}
				}
				return perr(field, v, "want DAILY, WEEKLY, MONTHLY or YEARLY")
			}
			r.freq, haveFreq = freq(i), true
		case "INTERVAL":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100000 {
				return perr(field, v, "want a whole number from 1 to 100000")
			}
			r.interval = int64(n)
		case "COUNT":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return perr(field, v, "want a positive whole number")
			}
			r.count = n
		case "UNTIL":
			untilText = v
		case "WKST":
			if r.wkst = weekdayCode(v); r.wkst < 0 {
				return perr(field, v, "want MO, TU, WE, TH, FR, SA or SU")
			}
		case "BYMONTH":
			for x := range strings.SplitSeq(v, ",") {
				n, err := strconv.Atoi(x)
				if err != nil || n < 1 || n > 12 {
					return perr(field, x, "want a month number from 1 to 12")
				}
				r.byMonth |= 1 << n
			}
		case "BYMONTHDAY":
			r.hasMonthDay = true
			for x := range strings.SplitSeq(v, ",") {
				n, err := strconv.Atoi(x)
				switch {
				case err != nil || n == 0 || n > 31 || n < -31:
					return perr(field, x, "want a day from 1 to 31 or -31 to -1")
				case n > 0:
					r.mdPos |= 1 << n
				default:
					r.mdNeg |= 1 << -n
				}
			}
		case "BYDAY":
			r.hasByDay = true
			for x := range strings.SplitSeq(v, ",") {
				x = strings.TrimSpace(x)
				if len(x) < 2 {
					return perr(field, x, "want a weekday code such as MO, 2TU or -1FR")
				}
				wd := weekdayCode(x[len(x)-2:])
				if wd < 0 {
					return perr(field, x, "want a weekday code such as MO, 2TU or -1FR")
				}
				n := 0
				if ord := x[:len(x)-2]; ord != "" {
					var err error
					if n, err = strconv.Atoi(ord); err != nil || n == 0 || n > 53 || n < -53 {
						return perr(field, x, "ordinal must be 1 to 53 or -53 to -1")
					}
				}
				byDay = append(byDay, nthDay{wd: wd, n: n})
			}
		case "BYSETPOS":
			for x := range strings.SplitSeq(v, ",") {
				n, err := strconv.Atoi(x)
				if err != nil || n == 0 || n > 366 || n < -366 {
					return perr(field, x, "want a position from 1 to 366 or -366 to -1")
				}
				if !slices.Contains(r.setPos, n) {
					r.setPos = append(r.setPos, n)
				}
			}
		case "BYHOUR", "BYMINUTE", "BYSECOND", "BYYEARDAY", "BYWEEKNO", "RSCALE", "SKIP":
			return &ParseError{Field: field, Value: v, Reason: "not supported", Err: ErrUnsupported}
		default:
			return perr("RRULE", part, "unknown rule part")
		}
	}
	if !haveFreq {
		return perr("RRULE", text, "missing FREQ")
	}
	if r.count > 0 && untilText != "" {
		return perr("RRULE", text, "COUNT and UNTIL must not both be given")
	}
	if len(r.setPos) > 0 && r.byMonth == 0 && !r.hasMonthDay && len(byDay) == 0 {
		return perr("RRULE BYSETPOS", text, "needs another BYxxx rule part to select from")
	}
	if r.hasMonthDay && r.freq == freqWeekly {
		return perr("RRULE BYMONTHDAY", text, "not allowed with FREQ=WEEKLY")
	}
	for _, d := range byDay {
		if d.n == 0 {
			r.plain |= 1 << d.wd
			continue
		}
		switch {
		case r.freq == freqDaily || r.freq == freqWeekly:
			return perr("RRULE BYDAY", strconv.Itoa(d.n)+weekdayCodes[d.wd], "ordinals need FREQ=MONTHLY or FREQ=YEARLY")
		case (r.freq == freqMonthly || r.byMonth != 0) && (d.n > 5 || d.n < -5):
			return perr("RRULE BYDAY", strconv.Itoa(d.n)+weekdayCodes[d.wd], "ordinal within a month must be 1 to 5 or -5 to -1")
		}
		r.nth = append(r.nth, d)
	}
	r.nthInYear = r.freq == freqYearly && r.byMonth == 0 && len(r.nth) > 0
	// Defaults from DTSTART (RFC 5545 3.3.10, as python-dateutil).
	if !r.hasMonthDay && !r.hasByDay {
		_, m, d := civilFromDays(r.startDay)
		switch r.freq {
		case freqYearly:
			if r.byMonth == 0 {
				r.byMonth = 1 << m
			}
			r.hasMonthDay, r.mdPos = true, 1<<d
		case freqMonthly:
			r.hasMonthDay, r.mdPos = true, 1<<d
		case freqWeekly:
			r.hasByDay, r.plain = true, 1<<weekdayOf(r.startDay)
		}
	}
	r.plainFirst = weekdayMasks(r.plain)
	r.weekStart = r.startDay - int64((weekdayOf(r.startDay)-r.wkst+7)%7)
	if untilText != "" {
		field := "RRULE UNTIL"
		switch {
		case len(untilText) == 8:
			w, _, err := parseDateTime(field, untilText+"T000000")
			if err != nil {
				return perr(field, untilText, "want YYYYMMDD or YYYYMMDDTHHMMSSZ")
			}
			// A date bound includes the whole day.
			r.until = resolve(r.loc, w+86400) - 1
		default:
			w, utc, err := parseDateTime(field, untilText)
			if err != nil {
				return err
			}
			if utc {
				r.until = w
			} else {
				r.until = resolve(r.loc, w)
			}
		}
		r.hasUntil = true
	}
	if r.count > 0 {
		return r.resolveCount()
	}
	return nil
}
