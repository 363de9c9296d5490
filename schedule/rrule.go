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
	freqHourly
)

var freqNames = []string{"DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY"}

// periodCap bounds how many periods Next examines before deciding a rule
// never fires. Calendars repeat every 400 Gregorian years (146097 days =
// 20871 weeks = 4800 months), so a rule that has not fired within one full
// cycle of its period pattern never will. HOURLY rules walk days (jumping
// over days their INTERVAL skips) and share the daily bound.
var periodCap = [...]int{146097 + 1, 20871 + 1, 4800 + 1, 400 + 1, 146097 + 1}

// countWalkCap bounds the number of periods walked at parse time to turn
// COUNT into a last occurrence.
const countWalkCap = 200000

type nthDay struct {
	wd int // 0 = Sunday
	n  int // ±1..53
}

// RRule is a parsed RFC 5545 recurrence: DTSTART, at most one RRULE, and
// optional RDATEs and EXDATEs. Obtain one from Parse; it is immutable and
// safe for concurrent use.
//
// Supported rule parts: FREQ (HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY),
// INTERVAL, COUNT, UNTIL, BYDAY (with ordinals for MONTHLY and YEARLY),
// BYMONTHDAY (negative too), BYMONTH, BYYEARDAY (YEARLY and HOURLY, as RFC
// 5545 allows), BYWEEKNO (YEARLY; weeks start on WKST and week 1 is the
// first with four days in the year), BYHOUR, BYMINUTE, BYSETPOS and WKST.
// BYSECOND, MINUTELY and SECONDLY are refused with ErrUnsupported: a rule
// fires at most once a minute. Occurrences are the dates the rule selects,
// each at the times of day BYHOUR x BYMINUTE give (DTSTART's hour and
// minute by default, DTSTART's second always), starting with the period
// that contains DTSTART; as in python-dateutil and rrule-go, DTSTART
// itself is an occurrence only if the rule selects it, and the first
// WEEKLY period starts at DTSTART (which matters to BYSETPOS). HOURLY
// counts wall-clock hours from DTSTART's hour. Unlike rrule-go, plain and
// ordinal weekdays in one BYDAY ("MO,-1FR") are united, as RFC 5545 says,
// not intersected.
//
// DTSTART is a DATE-TIME with a TZID or in UTC (ending in Z), or an all-day
// DATE (VALUE=DATE, read at midnight in its TZID or UTC), which takes no
// BYHOUR, BYMINUTE or HOURLY. Without an RRULE, the RDATEs are the only
// occurrences. RDATE and EXDATE values without TZID or Z are read in
// DTSTART's zone; DATE values (VALUE=DATE) name the occurrence on that day
// at DTSTART's time of day. EXDATEs remove RDATEs too.
//
// Daylight saving follows the package rules: a time of day that does not
// exist on some date fires shifted forward by the gap, one that happens
// twice fires at its first instant, and two occurrences that land on the
// same instant fire once (an HOURLY rule fires at 03:00 once on a
// spring-forward night, and once in the repeated hour of a fall-back one).
//
// Cost: Next jumps arithmetically to the period that contains its argument,
// so its cost does not depend on the distance from DTSTART. COUNT is
// resolved once, at Parse, into the last occurrence; that walk is linear in
// the number of periods up to it (counting each period's occurrences at
// once) and is refused beyond 200000 periods (use UNTIL).
type RRule struct {
	text     string
	freq     freq
	interval int64
	count    int
	loc      *time.Location
	allDay   bool
	noRule   bool // RDATEs only

	startInst int64 // DTSTART, Unix seconds
	startWall int64 // DTSTART local wall reading, seconds
	startDay  int64 // DTSTART local date, day number
	startHour int64
	startY    int64
	startMI   int64 // year*12 + month-1
	weekStart int64 // day number of the first day of DTSTART's week (WKST)

	hasUntil bool
	until    int64 // last allowed instant, Unix seconds
	hasLast  bool
	lastWall int64 // wall reading of the COUNT-th occurrence

	// Times of day. tods are the times of each selected day (not HOURLY);
	// HOURLY rules fire at minSecs past each selected hour.
	hourSet uint32  // not HOURLY: BYHOUR, or DTSTART's hour
	byHour  uint32  // HOURLY: BYHOUR filter; 0 = any
	minSecs []int64 // seconds past the hour: BYMINUTE x DTSTART's second
	tods    []int64

	byMonth     uint16 // bits 1..12; 0 = any
	hasMonthDay bool
	mdPos       uint32 // bits 1..31
	mdNeg       uint32 // bit k: the k-th last day
	hasByDay    bool
	plain       uint8 // weekday bits 0..6
	plainFirst  [7]uint32
	nth         []nthDay
	nthInYear   bool // YEARLY without BYMONTH: ordinals count within the year
	yearDays    []int
	weekNoPos   uint64 // bits 1..53
	weekNoNeg   uint64 // bit k: the k-th last week
	setPos      []int
	wkst        int

	rdates  []int64 // sorted Unix seconds
	exdates []int64 // sorted Unix seconds
}

var _ Schedule = (*RRule)(nil)

// String returns the recurrence text the rule was parsed from, with the
// DTSTART line Parse supplies when the spec has none; Parse reads it back
// as the same schedule.
func (r *RRule) String() string { return r.text }

// Location returns DTSTART's time zone.
func (r *RRule) Location() *time.Location { return r.loc }

// DTStart returns the rule's DTSTART.
func (r *RRule) DTStart() time.Time { return time.Unix(r.startInst, 0).In(r.loc) }

// AllDay reports whether DTSTART is a DATE (VALUE=DATE): the rule names
// days, and fires at their local midnight.
func (r *RRule) AllDay() bool { return r.allDay }

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
// HOURLY rules walk days: their period k is day startDay+k.
func (r *RRule) period(k int64) (first int64, n int) {
	switch r.freq {
	case freqHourly:
		return r.startDay + k, 1
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

// yearLen returns the number of days in year y.
func yearLen(y int64) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

// yearDayOK reports whether the day of year doy (1-based) of a year of n
// days is selected by BYYEARDAY.
func (r *RRule) yearDayOK(doy, n int) bool {
	for _, v := range r.yearDays {
		if v == doy || n+1+v == doy {
			return true
		}
	}
	return false
}

// expand returns the days selected in period k (before BYSETPOS, times of
// day and the DTSTART cut).
func (r *RRule) expand(k int64) (first int64, s daySet) {
	first, n := r.period(k)
	switch r.freq {
	case freqDaily, freqWeekly, freqHourly:
		if r.byMonth == 0 && !r.hasMonthDay && len(r.yearDays) == 0 {
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
		jan1 := daysFromCivil(y, 1, 1)
		for i := range n {
			if i > 0 {
				d++
				if d > daysIn(y, m) {
					d, m = 1, m+1
					if m > 12 {
						m, y = 1, y+1
						jan1 = daysFromCivil(y, 1, 1)
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
			if len(r.yearDays) > 0 && !r.yearDayOK(int(first+int64(i)-jan1)+1, yearLen(y)) {
				continue
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
		if len(r.yearDays) > 0 {
			var yd daySet
			for _, v := range r.yearDays {
				if v > 0 && v <= n {
					yd.set(v - 1)
				} else if v < 0 && n+v >= 0 {
					yd.set(n + v)
				}
			}
			s.and(&yd)
		}
		if r.weekNoPos|r.weekNoNeg != 0 {
			wn := r.weekNoMask(y, first, n)
			s.and(&wn)
		}
	}
	if len(r.setPos) > 0 && r.freq == freqWeekly && k == 0 {
		// As python-dateutil and rrule-go: the first weekly period starts
		// at DTSTART, so BYSETPOS counts from there.
		for i := range int(r.startDay - first) {
			s[0] &^= 1 << i
		}
	}
	return first, s
}

func (s *daySet) and(o *daySet) {
	for i := range s {
		s[i] &= o[i]
	}
}

// week1Start returns the day number of the first day of week 1 of year y:
// the week (starting on WKST) that holds January 4th, so the first with at
// least four days in the year.
func (r *RRule) week1Start(y int64) int64 {
	jan4 := daysFromCivil(y, 1, 4)
	return jan4 - int64((weekdayOf(jan4)-r.wkst+7)%7)
}

// weekSelected reports whether week wk of a week-numbering year of num
// weeks is in BYWEEKNO.
func (r *RRule) weekSelected(wk, num int64) bool {
	return r.weekNoPos&(1<<wk) != 0 || r.weekNoNeg&(1<<(num+1-wk)) != 0
}

// weekNoMask returns the days of year y (first day first, n days) whose
// week, numbered within its own week-numbering year, BYWEEKNO selects.
// Days before week 1 belong to the last week of the year before, days
// from the next year's week 1 on to that week.
func (r *RRule) weekNoMask(y, first int64, n int) daySet {
	var s daySet
	w1, w1next := r.week1Start(y), r.week1Start(y+1)
	num := (w1next - w1) / 7
	if first < w1 {
		prev := (w1 - r.week1Start(y-1)) / 7
		if r.weekSelected(prev, prev) {
			for i := range int(w1 - first) {
				s.set(i)
			}
		}
	}
	for wk := int64(1); wk <= num; wk++ {
		if !r.weekSelected(wk, num) {
			continue
		}
		off := w1 + 7*(wk-1) - first
		for i := max(off, 0); i < off+7 && i < int64(n); i++ {
			s.set(int(i))
		}
	}
	if w1next < first+int64(n) {
		if next := (r.week1Start(y+2) - w1next) / 7; r.weekSelected(1, next) {
			for i := w1next - first; i < int64(n); i++ {
				s.set(int(i))
			}
		}
	}
	return s
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

// hoursOf returns the hours (bit h) at which day d fires: BYHOUR or
// DTSTART's hour, or for HOURLY the hours INTERVAL reaches from DTSTART's
// hour, filtered by BYHOUR.
func (r *RRule) hoursOf(d int64) uint32 {
	if r.freq != freqHourly {
		return r.hourSet
	}
	base := (d-r.startDay)*24 - r.startHour // hour 0 of d, counted from DTSTART's hour
	h := (-base) % r.interval               // the first hour of d with base+h a multiple of INTERVAL
	if h < 0 {
		h += r.interval
	}
	var m uint32
	for ; h < 24; h += r.interval {
		m |= 1 << h
	}
	if r.byHour != 0 {
		m &= r.byHour
	}
	return m
}

// periodWalls calls fn with the wall readings (local seconds) of the
// occurrences of period k on its days from index from on, in order, BYSETPOS
// applied, and reports false if fn stopped it. Walls below minWall are
// skipped without calling fn.
func (r *RRule) periodWalls(k int64, from int, minWall int64, fn func(w int64) bool) bool {
	first, s := r.expand(k)
	if len(r.setPos) > 0 && r.freq != freqHourly {
		per := len(r.tods)
		total := s.count() * per
		var buf [8]int
		pos := buf[:0]
		for _, p := range r.setPos {
			i := p - 1
			if p < 0 {
				i = total + p
			}
			if i >= 0 && i < total {
				pos = append(pos, i)
			}
		}
		slices.Sort(pos)
		for _, i := range slices.Compact(pos) {
			j := s.nth(i / per)
			if w := (first+int64(j))*86400 + r.tods[i%per]; j >= from && w >= minWall && !fn(w) {
				return false
			}
		}
		return true
	}
	for j := s.nextFrom(from); j >= 0; j = s.nextFrom(j + 1) {
		d := first + int64(j)
		if (d+1)*86400 <= minWall {
			continue
		}
		if r.freq == freqHourly {
			for hs := r.hoursOf(d); hs != 0; hs &= hs - 1 {
				base := d*86400 + int64(bits.TrailingZeros32(hs))*3600
				if base+3600 <= minWall {
					continue
				}
				for _, ms := range r.minSecs {
					if base+ms >= minWall && !fn(base+ms) {
						return false
					}
				}
			}
			continue
		}
		tods := r.tods
		if d*86400 < minWall {
			i, _ := slices.BinarySearch(tods, minWall-d*86400)
			tods = tods[i:]
		}
		for _, tod := range tods {
			if !fn(d*86400 + tod) {
				return false
			}
		}
	}
	return true
}

// periodCount returns the number of occurrences of period k, DTSTART cut
// not applied.
func (r *RRule) periodCount(k int64) int {
	first, s := r.expand(k)
	switch {
	case r.freq == freqHourly:
		if s.nextFrom(0) < 0 {
			return 0
		}
		return bits.OnesCount32(r.hoursOf(first)) * len(r.minSecs)
	case len(r.setPos) > 0:
		total := s.count() * len(r.tods)
		var buf [8]int
		pos := buf[:0]
		for _, p := range r.setPos {
			i := p - 1
			if p < 0 {
				i = total + p
			}
			if i >= 0 && i < total && !slices.Contains(pos, i) {
				pos = append(pos, i)
			}
		}
		return len(pos)
	default:
		return s.count() * len(r.tods)
	}
}

// periodIndex returns the index of the last period starting on or before
// day d (day >= startDay).
func (r *RRule) periodIndex(d int64) int64 {
	switch r.freq {
	case freqHourly:
		return d - r.startDay
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
// EXDATE and RDATE).
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
// order, until yield returns false, UNTIL or COUNT is passed, or periodCap
// periods in a row select nothing.
//
// Occurrences come from wall readings in wall order, resolved to instants.
// Resolution keeps that order except for readings in a spring-forward gap,
// which move forward by the gap, past readings just after it: those wait
// in pend until the walk reaches them, and equal instants fire once.
func (r *RRule) walk(sec int64, yield func(int64) bool) {
	if r.noRule {
		return
	}
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
	// A wall reading below minWall maps to an instant before sec. Worth
	// the zone lookups only for rules with many times a day.
	minWall := r.startWall
	if r.freq == freqHourly || len(r.tods) > 1 {
		m := off
		if r.loc != time.UTC {
			m = zc.minOffsetNear(r.loc, sec)
		}
		minWall = max(sec+m, r.startWall)
	}
	var pend []int64
	stopped, found := false, false
	emit := func(t int64) bool {
		if t <= sec {
			return true
		}
		if (r.hasUntil && t > r.until) || !yield(t) {
			stopped = true
			return false
		}
		sec = t
		return true
	}
	// merge handles what the fast path below does not: a shifted instant,
	// or an instant with shifted ones waiting before it.
	merge := func(t int64, shifted bool) bool {
		if shifted {
			if i, dup := slices.BinarySearch(pend, t); !dup {
				pend = slices.Insert(pend, i, t)
			}
			return true
		}
		for len(pend) > 0 && pend[0] <= t {
			p := pend[0]
			pend = pend[1:]
			if !emit(p) {
				return false
			}
		}
		return emit(t)
	}
	onWall := func(w int64) bool {
		if w < r.startWall {
			return true
		}
		if r.hasLast && w > r.lastWall {
			return false
		}
		t, shifted := zc.resolveShift(r.loc, w)
		if t <= sec {
			return true // pend holds only instants after sec
		}
		found = true
		if shifted || len(pend) > 0 {
			return merge(t, shifted)
		}
		if (r.hasUntil && t > r.until) || !yield(t) {
			stopped = true
			return false
		}
		sec = t
		return true
	}
	k := r.periodIndex(dayA)
	from := -1
	for empty := 0; empty < periodCap[r.freq]; empty++ {
		first, n := r.period(k)
		if from < 0 {
			from = int(max(dayA-first, 0))
		}
		if (r.freq == freqDaily || r.freq == freqHourly) && r.byMonth != 0 {
			// Jump over months the rule does not select.
			y, m, _ := civilFromDays(first)
			if r.byMonth&(1<<m) == 0 {
				nm := r.byMonth >> (m + 1) << (m + 1)
				if nm == 0 {
					y++
					nm = r.byMonth
				}
				target := daysFromCivil(y, bits.TrailingZeros16(nm), 1)
				k = r.periodIndex(target-1) + 1
				from = 0
				continue
			}
		}
		if r.freq == freqHourly && r.interval > 24 && r.hoursOf(first) == 0 {
			// Jump to the day of the next hour INTERVAL reaches.
			base := (first-r.startDay)*24 - r.startHour + 24
			next := -floorDiv(-base, r.interval) * r.interval
			k = floorDiv(next+r.startHour, 24)
			from = 0
			continue
		}
		if (r.hasUntil && first > floorDiv(r.until+14*3600, 86400)+1) || (r.hasLast && first*86400 > r.lastWall) {
			break
		}
		if from < n {
			found = false
			if !r.periodWalls(k, from, minWall, onWall) {
				break
			}
			if found {
				empty = -1
			}
		}
		k++
		from = 0
	}
	if !stopped {
		for _, p := range pend {
			if !emit(p) {
				return
			}
		}
	}
}

// between yields the occurrences in [from, to) (EXDATEs removed, RDATEs
// added), walking periods once instead of calling Next per occurrence.
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
	rd, _ := slices.BinarySearch(r.rdates, sec+1)
	out := func(t int64) bool {
		if _, found := slices.BinarySearch(r.exdates, t); found {
			return true
		}
		return yield(time.Unix(t, 0).In(r.loc))
	}
	ok := true
	r.walk(sec, func(t int64) bool {
		if t >= end {
			return false
		}
		for ; rd < len(r.rdates) && r.rdates[rd] <= t; rd++ {
			if r.rdates[rd] < t && !out(r.rdates[rd]) {
				ok = false
				return false
			}
		}
		ok = out(t)
		return ok
	})
	for ; ok && rd < len(r.rdates) && r.rdates[rd] < end; rd++ {
		ok = out(r.rdates[rd])
	}
}

// Next returns the first occurrence strictly after after, in DTSTART's time
// zone, or the zero time if there is none. A local time of day that does
// not exist on some date fires shifted forward by the gap; one that happens
// twice fires at its first instant.
func (r *RRule) Next(after time.Time) time.Time {
	sec := after.Unix()
	for range len(r.exdates) + 1 {
		t, ok := r.nextRule(sec)
		if i, _ := slices.BinarySearch(r.rdates, sec+1); i < len(r.rdates) && (!ok || r.rdates[i] < t) {
			t, ok = r.rdates[i], true
		}
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

// resolveCount folds COUNT into lastWall: the wall reading of the COUNT-th
// occurrence. Periods wholly after DTSTART are counted at once.
func (r *RRule) resolveCount() error {
	left := r.count
	for k := range int64(countWalkCap) {
		if first, _ := r.period(k); first > r.startDay {
			if c := r.periodCount(k); c < left {
				left -= c
				if left == r.count && k >= int64(periodCap[r.freq]) {
					r.hasLast, r.lastWall = true, r.startWall-1 // never fires
					return nil
				}
				continue
			}
		}
		r.periodWalls(k, 0, r.startWall, func(w int64) bool {
			if left--; left == 0 {
				r.hasLast, r.lastWall = true, w
				return false
			}
			return true
		})
		if r.hasLast {
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

// dateList is one RDATE or EXDATE line: its TZID, whether its values are
// DATEs, and its comma-separated values.
type dateList struct {
	name, tzid, values string
	date               bool
}

func parseRRule(text string) (*RRule, error) {
	r := &RRule{text: text, interval: 1, loc: time.UTC, wkst: 1}
	var (
		haveStart, haveRule bool
		ruleText            string
		lists               []dateList
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
			date, err := dateValue("DTSTART", line, params, value)
			if err != nil {
				return nil, err
			}
			r.allDay = date
			if date {
				if len(value) != 8 {
					return nil, perr("DTSTART", value, "want YYYYMMDD for an all-day (VALUE=DATE) start")
				}
				value += "T000000"
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
			case !utc && !date:
				return nil, perr("DTSTART", line, "floating time: add ;TZID=Zone or end the time with Z for UTC")
			}
			r.startWall = w
		case "RRULE":
			if haveRule {
				return nil, &ParseError{Field: "RRULE", Value: value, Reason: "only one RRULE is supported", Err: ErrUnsupported}
			}
			haveRule, ruleText = true, value
		case "RDATE", "EXDATE":
			date, err := dateValue(name, line, params, value)
			if err != nil {
				return nil, err
			}
			lists = append(lists, dateList{name: name, tzid: params["TZID"], values: value, date: date})
		default:
			return nil, &ParseError{Field: "recurrence line", Value: line, Reason: "want DTSTART, RRULE, RDATE or EXDATE", Err: ErrUnsupported}
		}
	}
	if !haveStart {
		return nil, perr("recurrence", text, "missing DTSTART line")
	}
	r.startInst = resolve(r.loc, r.startWall)
	r.startDay = floorDiv(r.startWall, 86400)
	r.startHour = (r.startWall - r.startDay*86400) / 3600
	y, m, _ := civilFromDays(r.startDay)
	r.startY, r.startMI = y, y*12+int64(m-1)
	if haveRule {
		if err := r.parseRule(ruleText); err != nil {
			return nil, err
		}
	} else {
		r.noRule = true
	}
	tod := r.startWall - r.startDay*86400
	for _, l := range lists {
		loc := r.loc
		if l.tzid != "" {
			var err error
			if loc, err = LoadLocation(l.tzid); err != nil {
				return nil, err
			}
		}
		for v := range strings.SplitSeq(l.values, ",") {
			v = strings.TrimSpace(v)
			var t int64
			if l.date {
				// A date names the occurrence on that day, at DTSTART's
				// time of day.
				w, _, err := parseDateTime(l.name, v+"T000000")
				if err != nil || len(v) != 8 {
					return nil, perr(l.name, v, "want YYYYMMDD (VALUE=DATE)")
				}
				t = resolve(loc, w+tod)
			} else {
				w, utc, err := parseDateTime(l.name, v)
				if err != nil {
					return nil, err
				}
				t = w
				if !utc {
					t = resolve(loc, w)
				}
			}
			if l.name == "RDATE" {
				r.rdates = append(r.rdates, t)
			} else {
				r.exdates = append(r.exdates, t)
			}
		}
	}
	if !haveRule && len(r.rdates) == 0 {
		return nil, perr("recurrence", text, "missing RRULE line (or RDATE lines)")
	}
	slices.Sort(r.rdates)
	r.rdates = slices.Compact(r.rdates)
	slices.Sort(r.exdates)
	r.exdates = slices.Compact(r.exdates)
	return r, nil
}

// dateValue reads a property's VALUE parameter: true for DATE, false for
// DATE-TIME (the default). A bare 8-digit value is a DATE too, as
// calendar tools write them. PERIOD is not supported.
func dateValue(name, line string, params map[string]string, value string) (bool, error) {
	v, ok := params["VALUE"]
	switch {
	case !ok:
		first, _, _ := strings.Cut(value, ",")
		return len(strings.TrimSpace(first)) == 8, nil
	case strings.EqualFold(v, "DATE"):
		return true, nil
	case strings.EqualFold(v, "DATE-TIME"):
		return false, nil
	}
	return false, &ParseError{Field: name, Value: line, Reason: "only DATE and DATE-TIME values are supported", Err: ErrUnsupported}
}

// setTimes fills the times of day from BYHOUR and BYMINUTE (bit sets, 0 =
// not given), defaulting to DTSTART's hour and minute.
func (r *RRule) setTimes(byHour uint32, byMinute uint64) {
	tod := r.startWall - r.startDay*86400
	if byMinute == 0 {
		byMinute = 1 << (tod % 3600 / 60)
	}
	for m := byMinute; m != 0; m &= m - 1 {
		r.minSecs = append(r.minSecs, int64(bits.TrailingZeros64(m))*60+tod%60)
	}
	if r.freq == freqHourly {
		r.byHour = byHour
		if len(r.setPos) > 0 {
			// An HOURLY period is one hour: BYSETPOS picks among its
			// minutes, the same ones every hour.
			var picked []int64
			for _, p := range r.setPos {
				i := p - 1
				if p < 0 {
					i = len(r.minSecs) + p
				}
				if i >= 0 && i < len(r.minSecs) {
					picked = append(picked, r.minSecs[i])
				}
			}
			slices.Sort(picked)
			r.minSecs = slices.Compact(picked)
		}
		return
	}
	r.hourSet = byHour
	if r.hourSet == 0 {
		r.hourSet = 1 << (tod / 3600)
	}
	for h := r.hourSet; h != 0; h &= h - 1 {
		for _, ms := range r.minSecs {
			r.tods = append(r.tods, int64(bits.TrailingZeros32(h))*3600+ms)
		}
	}
}

func (r *RRule) parseRule(text string) error {
	seen := map[string]bool{}
	var untilText string
	var byDay []nthDay
	var byHour uint32
	var byMinute uint64
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
				case "MINUTELY", "SECONDLY":
					return &ParseError{Field: field, Value: v, Reason: "rules fire at most once a minute; use FREQ=HOURLY with BYMINUTE, or a cron spec", Err: ErrUnsupported}
				}
				return perr(field, v, "want HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY")
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
		case "BYHOUR":
			for x := range strings.SplitSeq(v, ",") {
				n, err := strconv.Atoi(x)
				if err != nil || n < 0 || n > 23 {
					return perr(field, x, "want an hour from 0 to 23")
				}
				byHour |= 1 << n
			}
		case "BYMINUTE":
			for x := range strings.SplitSeq(v, ",") {
				n, err := strconv.Atoi(x)
				if err != nil || n < 0 || n > 59 {
					return perr(field, x, "want a minute from 0 to 59")
				}
				byMinute |= 1 << n
			}
		case "BYYEARDAY":
			for x := range strings.SplitSeq(v, ",") {
				n, err := strconv.Atoi(x)
				if err != nil || n == 0 || n > 366 || n < -366 {
					return perr(field, x, "want a day of the year from 1 to 366 or -366 to -1")
				}
				if !slices.Contains(r.yearDays, n) {
					r.yearDays = append(r.yearDays, n)
				}
			}
		case "BYWEEKNO":
			for x := range strings.SplitSeq(v, ",") {
				n, err := strconv.Atoi(x)
				switch {
				case err != nil || n == 0 || n > 53 || n < -53:
					return perr(field, x, "want a week number from 1 to 53 or -53 to -1")
				case n > 0:
					r.weekNoPos |= 1 << n
				default:
					r.weekNoNeg |= 1 << -n
				}
			}
		case "BYSECOND", "RSCALE", "SKIP":
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
	hasWeekNo := r.weekNoPos|r.weekNoNeg != 0
	if len(r.setPos) > 0 && r.byMonth == 0 && !r.hasMonthDay && len(byDay) == 0 && byHour == 0 && byMinute == 0 && len(r.yearDays) == 0 && !hasWeekNo {
		return perr("RRULE BYSETPOS", text, "needs another BYxxx rule part to select from")
	}
	if r.hasMonthDay && r.freq == freqWeekly {
		return perr("RRULE BYMONTHDAY", text, "not allowed with FREQ=WEEKLY")
	}
	if len(r.yearDays) > 0 && r.freq != freqYearly && r.freq != freqHourly {
		return perr("RRULE BYYEARDAY", text, "only allowed with FREQ=YEARLY or FREQ=HOURLY (RFC 5545)")
	}
	if hasWeekNo && r.freq != freqYearly {
		return perr("RRULE BYWEEKNO", text, "only allowed with FREQ=YEARLY (RFC 5545)")
	}
	if r.allDay && (byHour != 0 || byMinute != 0 || r.freq == freqHourly) {
		return perr("RRULE", text, "an all-day (VALUE=DATE) DTSTART has no time of day: BYHOUR, BYMINUTE and FREQ=HOURLY need a DATE-TIME DTSTART")
	}
	for _, d := range byDay {
		if d.n == 0 {
			r.plain |= 1 << d.wd
			continue
		}
		switch {
		case r.freq == freqDaily || r.freq == freqWeekly || r.freq == freqHourly:
			return perr("RRULE BYDAY", strconv.Itoa(d.n)+weekdayCodes[d.wd], "ordinals need FREQ=MONTHLY or FREQ=YEARLY")
		case hasWeekNo:
			return perr("RRULE BYDAY", strconv.Itoa(d.n)+weekdayCodes[d.wd], "ordinals are not allowed with BYWEEKNO (RFC 5545)")
		case (r.freq == freqMonthly || r.byMonth != 0) && (d.n > 5 || d.n < -5):
			return perr("RRULE BYDAY", strconv.Itoa(d.n)+weekdayCodes[d.wd], "ordinal within a month must be 1 to 5 or -5 to -1")
		}
		r.nth = append(r.nth, d)
	}
	r.nthInYear = r.freq == freqYearly && r.byMonth == 0 && len(r.nth) > 0
	// Defaults from DTSTART (RFC 5545 3.3.10, as python-dateutil).
	if !r.hasMonthDay && !r.hasByDay && len(r.yearDays) == 0 && !hasWeekNo {
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
	r.setTimes(byHour, byMinute)
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
