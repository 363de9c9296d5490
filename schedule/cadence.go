package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Frequency is how often a Cadence repeats.
type Frequency string

// Frequencies a release group can use.
const (
	Daily    Frequency = "daily"    // every Interval days (default 1), optionally only on Weekdays
	Weekly   Frequency = "weekly"   // every Interval weeks on Weekdays (default: Start's weekday)
	Biweekly Frequency = "biweekly" // every other week on Weekdays (default: Start's weekday)
	Monthly  Frequency = "monthly"  // every Interval months on MonthDay, or on the Nth of one weekday
	Custom   Frequency = "custom"   // every Interval Units, with the options of that unit
)

// Unit is the unit of a Custom cadence.
type Unit string

// Units of a Custom cadence.
const (
	Days   Unit = "days"
	Weeks  Unit = "weeks"
	Months Unit = "months"
)

// Cadence describes a release cadence as data, the way a release group
// stores it. Its JSON and YAML keys are kebab-case, like process documents:
//
//	frequency: monthly
//	nth: -1
//	weekdays: [fri]
//	at: "16:00"
//	location: Europe/Berlin
//	start: 2026-01-01
//	end: 2026-12-31
//	duration: 2h
//
// A Cadence becomes a Schedule with Schedule(), which validates it first.
// Occurrences fall on Start or later, at At local time in Location, with
// the daylight-saving rules of RRule.
type Cadence struct {
	// Frequency is required.
	Frequency Frequency `json:"frequency" yaml:"frequency"`
	// Interval repeats every Interval days, weeks or months. Defaults to 1.
	// Not allowed with Biweekly.
	Interval int `json:"interval,omitempty" yaml:"interval,omitempty"`
	// Unit is required for Custom and not allowed otherwise.
	Unit Unit `json:"unit,omitempty" yaml:"unit,omitempty"`
	// Weekdays: for daily cadences, only these days; for weekly ones, these
	// days of each week (defaults to Start's weekday); for monthly ones, the
	// single weekday that Nth counts.
	Weekdays []Weekday `json:"weekdays,omitempty" yaml:"weekdays,omitempty"`
	// MonthDay is the day of the month for monthly cadences: 1 to 31, or -1
	// (last day) to -31. Months without that day are skipped. Defaults to
	// Start's day when Nth is not set.
	MonthDay int `json:"month-day,omitempty" yaml:"month-day,omitempty"`
	// Nth picks the n-th weekday of the month for monthly cadences: 1 to 5,
	// or -1 (last) to -5. Needs exactly one weekday in Weekdays.
	Nth int `json:"nth,omitempty" yaml:"nth,omitempty"`
	// At is the local time of day. Defaults to midnight.
	At TimeOfDay `json:"at" yaml:"at"`
	// Location is an IANA time zone name. Defaults to UTC.
	Location string `json:"location,omitempty" yaml:"location,omitempty"`
	// Start is the first day the cadence may fire; required.
	Start Date `json:"start" yaml:"start"`
	// End is the last day the cadence may fire (inclusive). Defaults to
	// no end.
	End Date `json:"end,omitzero" yaml:"end,omitempty"`
	// Duration is how long each release is expected to take, used for
	// calendar entries. Defaults to zero.
	Duration Duration `json:"duration,omitzero" yaml:"duration,omitempty"`
}

// Validate reports every problem with c at once, each as a *ParseError
// naming the key ("schedule: cadence month-day \"32\": ..."), joined with
// errors.Join.
func (c Cadence) Validate() error {
	var errs []error
	bad := func(key, value, reason string) {
		errs = append(errs, perr("cadence "+key, value, reason))
	}
	unit := c.Unit
	switch c.Frequency {
	case Daily:
		unit = Days
	case Weekly, Biweekly:
		unit = Weeks
	case Monthly:
		unit = Months
	case Custom:
		switch c.Unit {
		case Days, Weeks, Months:
		case "":
			bad("unit", "", "required for a custom cadence: days, weeks or months")
		default:
			bad("unit", string(c.Unit), "want days, weeks or months")
		}
	case "":
		bad("frequency", "", "required: daily, weekly, biweekly, monthly or custom")
	default:
		bad("frequency", string(c.Frequency), "want daily, weekly, biweekly, monthly or custom")
	}
	if c.Frequency != Custom && c.Unit != "" {
		bad("unit", string(c.Unit), "only allowed with frequency custom")
	}
	switch {
	case c.Interval < 0 || c.Interval > 100000:
		bad("interval", strconv.Itoa(c.Interval), "want 1 to 100000")
	case c.Frequency == Biweekly && c.Interval > 1:
		bad("interval", strconv.Itoa(c.Interval), "not allowed with biweekly; use weekly with interval 2")
	}
	for _, w := range c.Weekdays {
		if w < 0 || w > 6 {
			bad("weekdays", strconv.Itoa(int(w)), "not a weekday")
		}
	}
	if c.MonthDay != 0 {
		switch {
		case unit != Months:
			bad("month-day", strconv.Itoa(c.MonthDay), "only allowed with monthly cadences")
		case c.MonthDay > 31 || c.MonthDay < -31:
			bad("month-day", strconv.Itoa(c.MonthDay), "want 1 to 31 or -31 to -1")
		case c.Nth != 0:
			bad("month-day", strconv.Itoa(c.MonthDay), "give month-day or nth, not both")
		}
	}
	if c.Nth != 0 {
		switch {
		case unit != Months:
			bad("nth", strconv.Itoa(c.Nth), "only allowed with monthly cadences")
		case c.Nth > 5 || c.Nth < -5:
			bad("nth", strconv.Itoa(c.Nth), "want 1 to 5 or -5 (fifth last) to -1 (last)")
		case len(c.Weekdays) != 1:
			bad("nth", strconv.Itoa(c.Nth), "needs exactly one weekday in weekdays")
		}
	} else if unit == Months && len(c.Weekdays) > 0 {
		bad("weekdays", "", "monthly cadences take weekdays only with nth")
	}
	if err := c.At.valid(); err != "" {
		bad("at", c.At.String(), err)
	}
	if c.Location != "" {
		if _, err := LoadLocation(c.Location); err != nil {
			bad("location", c.Location, "unknown IANA time zone")
		}
	}
	if c.Start.IsZero() {
		bad("start", "", "required")
	} else if err := c.Start.valid(); err != "" {
		bad("start", c.Start.String(), err)
	}
	if !c.End.IsZero() {
		if err := c.End.valid(); err != "" {
			bad("end", c.End.String(), err)
		} else if !c.Start.IsZero() && c.End.days() < c.Start.days() {
			bad("end", c.End.String(), "before start "+c.Start.String())
		}
	}
	if c.Duration < 0 {
		bad("duration", time.Duration(c.Duration).String(), "must not be negative")
	}
	return errors.Join(errs...)
}

// RRule returns the RFC 5545 recurrence text equivalent to c. c must be
// valid.
func (c Cadence) RRule() string {
	var b strings.Builder
	startWall := c.Start.days()*86400 + int64(c.At.Hour*3600+c.At.Minute*60+c.At.Second)
	y, m, d := civilFromDays(floorDiv(startWall, 86400))
	stamp := fmt.Sprintf("%04d%02d%02dT%02d%02d%02d", y, m, d, c.At.Hour, c.At.Minute, c.At.Second)
	if c.Location == "" || c.Location == "UTC" {
		b.WriteString("DTSTART:" + stamp + "Z\n")
	} else {
		b.WriteString("DTSTART;TZID=" + c.Location + ":" + stamp + "\n")
	}
	unit := map[Frequency]Unit{Daily: Days, Weekly: Weeks, Biweekly: Weeks, Monthly: Months}[c.Frequency]
	if c.Frequency == Custom {
		unit = c.Unit
	}
	b.WriteString("RRULE:FREQ=" + map[Unit]string{Days: "DAILY", Weeks: "WEEKLY", Months: "MONTHLY"}[unit])
	interval := max(c.Interval, 1)
	if c.Frequency == Biweekly {
		interval = 2
	}
	if interval > 1 {
		fmt.Fprintf(&b, ";INTERVAL=%d", interval)
	}
	if len(c.Weekdays) > 0 {
		b.WriteString(";BYDAY=")
		for i, w := range c.Weekdays {
			if i > 0 {
				b.WriteString(",")
			}
			if c.Nth != 0 {
				b.WriteString(strconv.Itoa(c.Nth))
			}
			b.WriteString(weekdayCodes[w])
		}
	}
	if c.MonthDay != 0 {
		fmt.Fprintf(&b, ";BYMONTHDAY=%d", c.MonthDay)
	}
	if !c.End.IsZero() {
		fmt.Fprintf(&b, ";UNTIL=%04d%02d%02d", c.End.Year, c.End.Month, c.End.Day)
	}
	return b.String()
}

// Schedule validates c and returns its schedule, an *RRule.
func (c Cadence) Schedule() (Schedule, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	r, err := parseRRule(c.RRule())
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UnmarshalJSON decodes a cadence, rejecting unknown keys.
func (c *Cadence) UnmarshalJSON(data []byte) error {
	type plain Cadence
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("schedule: cadence: %w", err)
	}
	*c = Cadence(p)
	return nil
}

// Weekday is a time.Weekday written as "mon", "tue", ... in JSON and YAML.
// Decoding also accepts full names and RFC 5545 codes, in any case.
type Weekday time.Weekday

// Weekday values, for building cadences in code.
const (
	Sunday Weekday = iota
	Monday
	Tuesday
	Wednesday
	Thursday
	Friday
	Saturday
)

var weekdayShort = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func (w Weekday) String() string {
	if w < 0 || w > 6 {
		return "weekday(" + strconv.Itoa(int(w)) + ")"
	}
	return weekdayShort[w]
}

// MarshalText implements encoding.TextMarshaler.
func (w Weekday) MarshalText() ([]byte, error) {
	if w < 0 || w > 6 {
		return nil, perr("weekday", strconv.Itoa(int(w)), "not a weekday")
	}
	return []byte(weekdayShort[w]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (w *Weekday) UnmarshalText(b []byte) error {
	s := strings.ToLower(string(b))
	for i, short := range weekdayShort {
		if s == short || s == strings.ToLower(time.Weekday(i).String()) || s == strings.ToLower(weekdayCodes[i]) {
			*w = Weekday(i)
			return nil
		}
	}
	return perr("weekday", string(b), "want mon, tue, wed, thu, fri, sat or sun")
}

// TimeOfDay is a local wall-clock time, written "15:04" or "15:04:05".
type TimeOfDay struct {
	Hour, Minute, Second int
}

func (t TimeOfDay) String() string {
	if t.Second != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", t.Hour, t.Minute, t.Second)
	}
	return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute)
}

func (t TimeOfDay) valid() string {
	if t.Hour < 0 || t.Hour > 23 || t.Minute < 0 || t.Minute > 59 || t.Second < 0 || t.Second > 59 {
		return "want a time of day from 00:00 to 23:59:59"
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *TimeOfDay) UnmarshalText(b []byte) error {
	parts := strings.Split(string(b), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return perr("time of day", string(b), "want HH:MM or HH:MM:SS")
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != 2 {
			return perr("time of day", string(b), "want HH:MM or HH:MM:SS")
		}
		v[i] = n
	}
	tod := TimeOfDay{v[0], v[1], v[2]}
	if err := tod.valid(); err != "" {
		return perr("time of day", string(b), err)
	}
	*t = tod
	return nil
}

// Date is a calendar date without a time zone, written "2006-01-02".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

func (d Date) days() int64 { return daysFromCivil(int64(d.Year), int(d.Month), d.Day) }

func (d Date) valid() string {
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > daysIn(int64(d.Year), int(d.Month)) {
		return "not a valid date"
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	t, err := time.Parse(time.DateOnly, string(b))
	if err != nil {
		return perr("date", string(b), "want YYYY-MM-DD")
	}
	*d = Date{t.Year(), t.Month(), t.Day()}
	return nil
}

// Duration is a time.Duration written as "1h30m" in JSON and YAML.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return perr("duration", string(b), "want a duration such as 90m or 2h30m")
	}
	*d = Duration(v)
	return nil
}

// defaultStart is the start of a cadence or recurrence that names none.
var defaultStart = Date{1970, time.January, 1}

var ordinals = []string{"", "1st", "2nd", "3rd", "4th", "5th"}

// String returns c in the text form that ParseCadence and Parse read:
//
//	daily | weekly | biweekly | monthly | every N days|weeks|months
//	  [on mon,wed,...]                 (daily, weekly, biweekly, every N days|weeks)
//	  [on day N | on the last day]     (monthly, every N months; N may be -31 to -1)
//	  [on the 2nd tue | on the last fri | on the 2nd last fri]
//	  [at 09:00] [in Europe/Berlin] [from 2026-03-02] [until 2026-12-31] [for 2h]
//
// A daily, weekly or monthly cadence with an Interval above 1 is written
// as "every N days" (weeks, months), which reads back as a Custom cadence
// with the same schedule. Start is left out when it is 1970-01-01, the
// default.
func (c Cadence) String() string {
	var b strings.Builder
	n := max(c.Interval, 1)
	switch {
	case c.Frequency == Custom:
		fmt.Fprintf(&b, "every %d %s", n, c.Unit)
	case c.Frequency == Biweekly:
		b.WriteString("biweekly")
	case n > 1:
		unit := map[Frequency]Unit{Daily: Days, Weekly: Weeks, Monthly: Months}[c.Frequency]
		fmt.Fprintf(&b, "every %d %s", n, unit)
	default:
		b.WriteString(string(c.Frequency))
	}
	switch {
	case c.Nth != 0 && len(c.Weekdays) == 1:
		b.WriteString(" on the ")
		switch {
		case c.Nth == -1:
			b.WriteString("last")
		case c.Nth < 0 && -c.Nth < len(ordinals):
			b.WriteString(ordinals[-c.Nth] + " last")
		case c.Nth > 0 && c.Nth < len(ordinals):
			b.WriteString(ordinals[c.Nth])
		default:
			b.WriteString(strconv.Itoa(c.Nth))
		}
		b.WriteString(" " + c.Weekdays[0].String())
	case len(c.Weekdays) > 0:
		b.WriteString(" on ")
		for i, w := range c.Weekdays {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(w.String())
		}
	}
	switch {
	case c.MonthDay == -1:
		b.WriteString(" on the last day")
	case c.MonthDay != 0:
		fmt.Fprintf(&b, " on day %d", c.MonthDay)
	}
	if c.At != (TimeOfDay{}) {
		b.WriteString(" at " + c.At.String())
	}
	if c.Location != "" {
		b.WriteString(" in " + c.Location)
	}
	if !c.Start.IsZero() && c.Start != defaultStart {
		b.WriteString(" from " + c.Start.String())
	}
	if !c.End.IsZero() {
		b.WriteString(" until " + c.End.String())
	}
	if c.Duration != 0 {
		b.WriteString(" for " + time.Duration(c.Duration).String())
	}
	return b.String()
}

// ParseCadence reads the text form of a cadence (see Cadence.String), such
// as "weekly on mon,thu at 09:30 in Europe/Berlin" or "monthly on the last
// fri at 16:00". Keywords and weekday names are case-insensitive; weekdays
// may be written mon, monday or MO, and lists may have spaces after their
// commas; "on weekdays" means Monday to Friday. Start defaults to
// 1970-01-01 and At to midnight. The cadence is validated: the error is a
// *ParseError naming the word at fault, or Validate's errors.
func ParseCadence(text string) (Cadence, error) {
	var c Cadence
	s := strings.TrimSpace(text)
	for strings.Contains(s, ", ") || strings.Contains(s, " ,") {
		s = strings.ReplaceAll(strings.ReplaceAll(s, ", ", ","), " ,", ",")
	}
	words := strings.Fields(s)
	i := 0
	next := func() (string, bool) {
		if i >= len(words) {
			return "", false
		}
		i++
		return words[i-1], true
	}
	bad := func(value, reason string) (Cadence, error) {
		return Cadence{}, perr("cadence", value, reason)
	}
	first, _ := next()
	switch strings.ToLower(first) {
	case "daily":
		c.Frequency = Daily
	case "weekly":
		c.Frequency = Weekly
	case "biweekly", "fortnightly":
		c.Frequency = Biweekly
	case "monthly":
		c.Frequency = Monthly
	case "every":
		c.Frequency, c.Interval = Custom, 1
		w, _ := next()
		if n, err := strconv.Atoi(w); err == nil {
			if n < 1 || n > 100000 {
				return bad(w, "want every N days, weeks or months, N from 1 to 100000")
			}
			c.Interval = n
			w, _ = next()
		}
		switch strings.ToLower(w) {
		case "day", "days":
			c.Unit = Days
		case "week", "weeks":
			c.Unit = Weeks
		case "month", "months":
			c.Unit = Months
		default:
			return bad(w, "want every N days, weeks or months")
		}
	default:
		return bad(first, "want daily, weekly, biweekly, monthly or every N days|weeks|months, a cron spec or an RRULE")
	}
	seen := map[string]bool{}
	for i < len(words) {
		key, _ := next()
		key = strings.ToLower(key)
		arg, ok := next()
		if !ok {
			return bad(key, "expected a value after it")
		}
		if seen[key] {
			return bad(key, "appears twice")
		}
		seen[key] = true
		var err error
		switch key {
		case "on":
			err = c.parseOn(arg, next)
		case "at":
			err = c.At.UnmarshalText([]byte(arg))
		case "in":
			c.Location = arg
		case "from":
			err = c.Start.UnmarshalText([]byte(arg))
		case "until":
			err = c.End.UnmarshalText([]byte(arg))
		case "for":
			err = c.Duration.UnmarshalText([]byte(arg))
		default:
			return bad(key, "want on, at, in, from, until or for")
		}
		if err != nil {
			return Cadence{}, err
		}
	}
	if c.Start.IsZero() {
		c.Start = defaultStart
	}
	if err := c.Validate(); err != nil {
		return Cadence{}, err
	}
	return c, nil
}

// parseOn reads what follows "on": a weekday list, "weekdays", "day N",
// "the last day", or "the [Nth] [last] weekday".
func (c *Cadence) parseOn(arg string, next func() (string, bool)) error {
	switch strings.ToLower(arg) {
	case "weekdays":
		c.Weekdays = []Weekday{Monday, Tuesday, Wednesday, Thursday, Friday}
		return nil
	case "day":
		v, _ := next()
		n, err := strconv.Atoi(v)
		if err != nil || n == 0 {
			return perr("cadence on day", v, "want a day of the month, 1 to 31 or -31 to -1")
		}
		c.MonthDay = n
		return nil
	case "the":
		w, _ := next()
		n := 1
		if k := slices.Index(ordinals, strings.ToLower(w)); k > 0 {
			n = k
			w, _ = next()
		} else if strings.EqualFold(w, "first") {
			w, _ = next()
		}
		if strings.EqualFold(w, "last") {
			n = -n
			w, _ = next()
		}
		if strings.EqualFold(w, "day") {
			if n != -1 {
				return perr("cadence on the", w, "only \"the last day\"; write \"on day N\" for another day")
			}
			c.MonthDay = -1
			return nil
		}
		if w == "" {
			return perr("cadence on the", "", `want a weekday (the last fri) or "the last day"`)
		}
		var wd Weekday
		if err := wd.UnmarshalText([]byte(w)); err != nil {
			return err
		}
		c.Nth, c.Weekdays = n, []Weekday{wd}
		return nil
	}
	for x := range strings.SplitSeq(arg, ",") {
		var wd Weekday
		if err := wd.UnmarshalText([]byte(x)); err != nil {
			return err
		}
		c.Weekdays = append(c.Weekdays, wd)
	}
	return nil
}
