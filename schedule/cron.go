package schedule

import (
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed 5-field cron spec. Obtain one from Parse; the zero value
// is not usable. A Cron is immutable and safe for concurrent use.
//
// Field rules follow Vixie cron and robfig/cron: when both day-of-month and
// day-of-week are restricted a day matches if either does ("*", "?" and
// "*/1" are unrestricted; a stepped "*/2" is restricted, as in
// robfig/cron); "N/step" means N to the field's maximum by step. A step
// larger than the field's maximum is an error. See Next for daylight
// saving.
type Cron struct {
	minute   uint64 // bits 0..59
	hour     uint32 // bits 0..23
	dom      uint32 // bits 1..31
	month    uint16 // bits 1..12
	dow      uint8  // bits 0..6, Sunday = 0
	domStar  bool
	dowStar  bool
	periodic bool // hour field is "*" or stepped: fire in every real hour
	loc      *time.Location
	// dowByFirst[w] has bit d set when day d of a month whose first day is
	// weekday w falls on a chosen weekday.
	dowByFirst [7]uint32
	spec       string
}

var _ Schedule = (*Cron)(nil)

// String returns the spec the schedule was parsed from.
func (c *Cron) String() string { return c.spec }

// Location returns the time zone the spec is evaluated in.
func (c *Cron) Location() *time.Location { return c.loc }

var descriptors = map[string]string{
	"@hourly":   "0 * * * *",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@weekly":   "0 0 * * 0",
	"@monthly":  "0 0 1 * *",
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
}

type cronField struct {
	name     string
	min, max int
	names    []string // index = value - nameBase
	nameBase int
	question bool // "?" allowed
}

var (
	fMinute = cronField{name: "minute field", min: 0, max: 59}
	fHour   = cronField{name: "hour field", min: 0, max: 23}
	fDom    = cronField{name: "day-of-month field", min: 1, max: 31, question: true}
	fMonth  = cronField{name: "month field", min: 1, max: 12, nameBase: 1,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	fDow = cronField{name: "day-of-week field", min: 0, max: 7, question: true,
		names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
)

// parseCron parses a 5-field spec with an optional CRON_TZ= / TZ= prefix or
// a descriptor.
func parseCron(spec string) (*Cron, error) {
	orig := spec
	s := strings.TrimSpace(spec)
	loc := time.UTC
	if strings.HasPrefix(s, "CRON_TZ=") || strings.HasPrefix(s, "TZ=") {
		eq := strings.IndexByte(s, '=')
		rest := s[eq+1:]
		sp := strings.IndexAny(rest, " \t")
		if sp < 0 {
			return nil, perr("time zone prefix", s, "expected a zone name followed by a cron spec")
		}
		var err error
		if loc, err = LoadLocation(rest[:sp]); err != nil {
			return nil, err
		}
		s = strings.TrimSpace(rest[sp:])
	}
	if strings.HasPrefix(s, "@") {
		d, ok := descriptors[strings.ToLower(s)]
		if !ok {
			return nil, &ParseError{Field: "descriptor", Value: s, Reason: "unknown; want @hourly, @daily, @weekly, @monthly, @yearly or @annually", Err: ErrUnsupported}
		}
		s = d
	}
	fs := strings.Fields(s)
	if len(fs) != 5 {
		return nil, perr("cron spec", s, "expected 5 fields (minute hour day-of-month month day-of-week), found "+strconv.Itoa(len(fs)))
	}
	c := &Cron{loc: loc, spec: orig}
	var err error
	var m, h, dom, mon, dow fieldBits
	if m, err = parseCronField(fs[0], fMinute); err != nil {
		return nil, err
	}
	if h, err = parseCronField(fs[1], fHour); err != nil {
		return nil, err
	}
	if dom, err = parseCronField(fs[2], fDom); err != nil {
		return nil, err
	}
	if mon, err = parseCronField(fs[3], fMonth); err != nil {
		return nil, err
	}
	if dow, err = parseCronField(fs[4], fDow); err != nil {
		return nil, err
	}
	c.minute = m.bits
	c.hour = uint32(h.bits)
	c.periodic = h.wild || h.stepped
	c.dom = uint32(dom.bits)
	c.domStar = dom.star
	c.month = uint16(mon.bits)
	if dow.bits&(1<<7) != 0 {
		dow.bits = dow.bits&^(1<<7) | 1
	}
	c.dow = uint8(dow.bits)
	c.dowStar = dow.star
	c.dowByFirst = weekdayMasks(c.dow)
	if !c.domStar && c.dowStar {
		// Only the day of month restricts days: some chosen month must be
		// long enough for the smallest chosen day.
		minDay := bits.TrailingZeros32(c.dom)
		ok := false
		for mo := 1; mo <= 12; mo++ {
			if c.month&(1<<mo) != 0 && daysIn(2000, mo) >= minDay {
				ok = true
			}
		}
		if !ok {
			return nil, &ParseError{Field: "cron spec", Value: s, Reason: "never fires: no chosen month has day " + strconv.Itoa(minDay), Err: ErrNeverFires}
		}
	}
	return c, nil
}

type fieldBits struct {
	bits    uint64
	star    bool // unrestricted: "*", "?" or "*/1"
	wild    bool // a "*" appears (any step)
	stepped bool // a step appears
}

func parseCronField(text string, f cronField) (fieldBits, error) {
	var out fieldBits
	for part := range strings.SplitSeq(text, ",") {
		if part == "" {
			return out, perr(f.name, text, "empty list element")
		}
		lo, hi, step := f.min, f.max, 1
		rng, stepText, hasStep := strings.Cut(part, "/")
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n <= 0 {
				return out, perr(f.name, part, "step must be a positive number")
			}
			if n > f.max {
				return out, perr(f.name, part, "step above "+strconv.Itoa(f.max))
			}
			step = n
			out.stepped = true
		}
		switch {
		case rng == "*" || (rng == "?" && f.question):
			out.wild = true
			if step == 1 {
				out.star = true
			}
			if f.name == fDow.name {
				hi = 6
			}
		default:
			a, b, isRange := strings.Cut(rng, "-")
			if a == "" || (isRange && b == "") {
				return out, perr(f.name, part, "missing value")
			}
			var err error
			if lo, err = fieldValue(a, f); err != nil {
				return out, err
			}
			hi = lo
			if isRange {
				if hi, err = fieldValue(b, f); err != nil {
					return out, err
				}
				if hi < lo {
					return out, perr(f.name, part, "range start above end")
				}
			} else if hasStep {
				hi = f.max // "N/step" means N-max/step
				if f.name == fDow.name {
					hi = 6
				}
			}
		}
		for v := lo; v <= hi; v += step {
			out.bits |= 1 << v
		}
	}
	return out, nil
}

func fieldValue(s string, f cronField) (int, error) {
	if s == "" {
		return 0, perr(f.name, s, "missing value")
	}
	if s[0] < '0' || s[0] > '9' {
		for i, n := range f.names {
			if strings.EqualFold(s, n) {
				return i + f.nameBase, nil
			}
		}
		if f.names == nil {
			return 0, perr(f.name, s, "not a number")
		}
		return 0, perr(f.name, s, "not a number or name")
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		if len(s) > 4 {
			return 0, perr(f.name, s, "above "+strconv.Itoa(f.max))
		}
		return 0, perr(f.name, s, "not a number")
	}
	if n > f.max {
		return 0, perr(f.name, s, "above "+strconv.Itoa(f.max))
	}
	if n < f.min {
		return 0, perr(f.name, s, "below "+strconv.Itoa(f.min))
	}
	return n, nil
}

// dayMask returns the days (bits 1..31) of month m of year y that match the
// day-of-month and day-of-week fields, using the cron rule that when both
// are restricted a day matches if either does.
func (c *Cron) dayMask(y int64, m int) uint32 {
	n := daysIn(y, m)
	lenMask := uint32(1)<<(n+1) - 2
	var mask uint32
	switch {
	case c.domStar && c.dowStar:
		return lenMask
	case c.domStar:
		mask = c.dowByFirst[weekdayOf(daysFromCivil(y, m, 1))]
	case c.dowStar:
		mask = c.dom
	default:
		mask = c.dom | c.dowByFirst[weekdayOf(daysFromCivil(y, m, 1))]
	}
	return mask & lenMask
}

// nextMatch returns the first wall-clock minute at or after w (seconds since
// 1970 read as UTC) that matches every field. It steps field by field (month,
// day, hour, minute) with bit scans, never minute by minute, and gives up
// after ten calendar years (every valid spec fires within eight).
func (c *Cron) nextMatch(w int64) (int64, bool) {
	w = floorDiv(w+59, 60) * 60
	days := floorDiv(w, 86400)
	sod := int(w - days*86400)
	y, m, d := civilFromDays(days)
	h, mi := sod/3600, sod%3600/60
	limit := y + 10
	for y <= limit {
		if c.month&(1<<m) == 0 {
			nm := c.month >> (m + 1) << (m + 1)
			if nm == 0 {
				y++
				nm = c.month
			}
			m, d, h, mi = bits.TrailingZeros16(nm), 1, 0, 0
			continue
		}
		dm := c.dayMask(y, m) >> d << d
		if dm == 0 {
			m, d, h, mi = m+1, 1, 0, 0
			if m > 12 {
				y, m = y+1, 1
			}
			continue
		}
		if nd := bits.TrailingZeros32(dm); nd != d {
			d, h, mi = nd, 0, 0
		}
		hm := c.hour >> h << h
		if hm == 0 {
			d, h, mi = d+1, 0, 0
			continue
		}
		if nh := bits.TrailingZeros32(hm); nh != h {
			h, mi = nh, 0
		}
		mm := c.minute >> mi << mi
		if mm == 0 {
			h, mi = h+1, 0
			continue
		}
		mi = bits.TrailingZeros64(mm)
		return daysFromCivil(y, m, d)*86400 + int64(h*3600+mi*60), true
	}
	return 0, false
}

// Next returns the first occurrence strictly after after, in the spec's
// time zone, or the zero time if there is none within ten years.
//
// Daylight saving: when the hour field names fixed hours (a value, list or
// range), a local time that does not exist fires once, shifted forward by
// the gap, and a local time that happens twice fires once, at its first
// instant. When the hour field is "*" or stepped, the spec fires in every
// real hour: times in a gap do not fire and a repeated hour fires twice.
func (c *Cron) Next(after time.Time) time.Time {
	sec := after.Unix()
	if c.loc == time.UTC {
		r, ok := c.nextMatch(floorDiv(sec, 60)*60 + 60)
		if !ok {
			return time.Time{}
		}
		return time.Unix(r, 0).UTC()
	}
	if c.periodic {
		return c.nextPeriodic(sec)
	}
	return c.nextFixed(sec)
}

// nextPeriodic walks real time one UTC-offset period at a time; inside a
// period wall clock and real time advance together.
func (c *Cron) nextPeriodic(sec int64) time.Time {
	probe := sec
	for range 1024 {
		off, _, end := zoneAt(c.loc, probe)
		r, ok := c.nextMatch(floorDiv(sec+off, 60)*60 + 60)
		if !ok {
			return time.Time{}
		}
		if t := r - off; t < end {
			return time.Unix(t, 0).In(c.loc)
		}
		// Nothing left in this offset period: continue from its end.
		sec, probe = end-1, end
	}
	return time.Time{}
}

// nextFixed enumerates matching wall-clock minutes and maps each to an
// instant with resolve; that map never decreases, so the first mapped
// instant after sec is the answer.
func (c *Cron) nextFixed(sec int64) time.Time {
	var zc segCache
	off := zc.fill(c.loc, sec)
	start := zc.start
	lo := off
	if start != minInt64 && sec-start < 2*86400 {
		// Just after a spring-forward, readings inside the gap (read
		// with the earlier, smaller offset) may still lie ahead.
		if po := offsetAt(c.loc, start-1); po < lo {
			lo = po
		}
	}
	w := floorDiv(sec+lo, 60) * 60
	for range 1 << 16 {
		r, ok := c.nextMatch(w)
		if !ok {
			return time.Time{}
		}
		if t := zc.resolve(c.loc, r); t > sec {
			return time.Unix(t, 0).In(c.loc)
		}
		w = r + 60
	}
	return time.Time{}
}

const minInt64 = -1 << 63

// weekdayMasks returns, for each weekday w of the first of a month, the
// days 1..31 (bit d) falling on a weekday in dow (bit 0 = Sunday).
func weekdayMasks(dow uint8) (out [7]uint32) {
	// Day d of a month starting on weekday w falls on weekday (w+d-1)%7:
	// bit w+d-1 of the weekly pattern repeated.
	var rep uint64
	for i := range 38 {
		if dow&(1<<(i%7)) != 0 {
			rep |= 1 << i
		}
	}
	for w := range 7 {
		out[w] = uint32(rep>>w) << 1
	}
	return out
}
