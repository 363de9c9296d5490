package schedule

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one entry of an iCalendar feed.
type Event struct {
	// UID identifies the event across feed refreshes; keep it stable.
	UID         string
	Summary     string
	Description string
	// Start and End are written with the TZID of their location (or as
	// UTC), so clients show them in the zone the cadence lives in.
	Start, End time.Time
	// Status is the event's STATUS: "TENTATIVE", "CONFIRMED" or
	// "CANCELLED"; empty writes none.
	Status string
	// Categories are written as one CATEGORIES property (for example
	// "release", "planned", "freeze"), for clients that filter or colour
	// by category.
	Categories []string
}

// Calendar is an RFC 5545 iCalendar object: a release calendar or a
// freeze-window calendar that any calendar client can subscribe to.
type Calendar struct {
	// Name is shown by clients as the calendar's name (X-WR-CALNAME).
	// Defaults to none.
	Name string
	// ProdID identifies the producer. Defaults to "-//Baton//schedule//EN".
	ProdID string
	// Stamp is every event's DTSTAMP; hosts pass their clock's now (this
	// package never reads the clock). Defaults to 1970-01-01T00:00:00Z.
	Stamp  time.Time
	Events []Event
}

// OccurrenceEvents returns one event per occurrence of s in [from, to),
// each lasting d, with UID uidPrefix + "-" + the UTC start time.
func OccurrenceEvents(s Schedule, from, to time.Time, d time.Duration, summary, uidPrefix string) []Event {
	var out []Event
	for t := range Between(s, from, to) {
		out = append(out, Event{UID: uidPrefix + "-" + t.UTC().Format("20060102T150405Z"), Summary: summary, Start: t, End: t.Add(d)})
	}
	return out
}

// WindowEvents returns one event per freeze window of f that overlaps
// [from, to), with UID uidPrefix + "-" + the UTC start time. The window's
// Name is the event's summary.
func WindowEvents(f *Freezes, from, to time.Time, uidPrefix string) []Event {
	var out []Event
	add := func(w Window) {
		if w.End.After(from) && w.Start.Before(to) {
			out = append(out, Event{UID: uidPrefix + "-" + w.Start.UTC().Format("20060102T150405Z"), Summary: w.Name, Start: w.Start, End: w.End})
		}
	}
	for _, w := range f.Windows {
		add(w)
	}
	for _, r := range f.Recurring {
		if r.Schedule == nil {
			continue
		}
		for s := range Between(r.Schedule, from.Add(-r.reach()), to) {
			add(Window{Name: r.Name, Start: s, End: r.end(s)})
		}
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.Start.Compare(b.Start) })
	return out
}

// WriteTo writes c as iCalendar text: CRLF line ends, lines folded at 75
// octets, one VTIMEZONE per time zone used (with the transitions the
// events span), and one VEVENT per event.
//
// An event whose times iCalendar cannot hold (a year outside 1 to 9999,
// in UTC or in its zone) or whose End is before its Start is refused with
// an error wrapping ErrOutOfRange, naming the event; nothing is written.
func (c *Calendar) WriteTo(w io.Writer) (int64, error) {
	for i := range c.Events {
		e := &c.Events[i]
		for _, t := range []time.Time{e.Start, e.End} {
			if y, ly := t.UTC().Year(), t.Year(); y < 1 || y > 9999 || ly < 1 || ly > 9999 {
				return 0, fmt.Errorf("schedule: calendar event %q: %s: year outside 1 to 9999: %w", e.UID, t, ErrOutOfRange)
			}
		}
		if e.End.Before(e.Start) {
			return 0, fmt.Errorf("schedule: calendar event %q: ends (%s) before it starts (%s): %w", e.UID, e.End, e.Start, ErrOutOfRange)
		}
	}
	var buf bytes.Buffer
	line := func(s string) { writeFolded(&buf, s) }
	prodID := c.ProdID
	if prodID == "" {
		prodID = "-//Baton//schedule//EN"
	}
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:" + escapeText(prodID))
	line("CALSCALE:GREGORIAN")
	if c.Name != "" {
		line("X-WR-CALNAME:" + escapeText(c.Name))
	}
	// Time zones, in order of first use.
	type span struct {
		loc      *time.Location
		from, to time.Time
	}
	var zones []*span
	for _, e := range c.Events {
		for _, t := range []time.Time{e.Start, e.End} {
			loc := t.Location()
			if loc == time.UTC || t.IsZero() {
				continue
			}
			i := slices.IndexFunc(zones, func(z *span) bool { return z.loc.String() == loc.String() })
			if i < 0 {
				zones = append(zones, &span{loc, t, t})
				continue
			}
			if t.Before(zones[i].from) {
				zones[i].from = t
			}
			if t.After(zones[i].to) {
				zones[i].to = t
			}
		}
	}
	for _, z := range zones {
		writeTimezone(line, z.loc, z.from, z.to)
	}
	stamp := c.Stamp
	if stamp.IsZero() {
		stamp = time.Unix(0, 0)
	}
	for _, e := range c.Events {
		line("BEGIN:VEVENT")
		line("UID:" + escapeText(e.UID))
		line("DTSTAMP:" + stamp.UTC().Format("20060102T150405Z"))
		line("DTSTART" + icsTime(e.Start))
		line("DTEND" + icsTime(e.End))
		if e.Summary != "" {
			line("SUMMARY:" + escapeText(e.Summary))
		}
		if e.Description != "" {
			line("DESCRIPTION:" + escapeText(e.Description))
		}
		if e.Status != "" {
			line("STATUS:" + escapeText(e.Status))
		}
		if len(e.Categories) > 0 {
			cats := make([]string, len(e.Categories))
			for i, c := range e.Categories {
				cats[i] = escapeText(c)
			}
			line("CATEGORIES:" + strings.Join(cats, ","))
		}
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	n, err := w.Write(buf.Bytes())
	return int64(n), err
}

func icsTime(t time.Time) string {
	if t.Location() == time.UTC {
		return ":" + t.Format("20060102T150405Z")
	}
	return ";TZID=" + t.Location().String() + ":" + t.Format("20060102T150405")
}

// writeTimezone writes a VTIMEZONE for loc listing the observance in force
// at from, every transition up to to and the first one after it.
func writeTimezone(line func(string), loc *time.Location, from, to time.Time) {
	line("BEGIN:VTIMEZONE")
	line("TZID:" + loc.String())
	observance := func(onset time.Time, prevOff int) {
		name, off := onset.In(loc).Zone()
		kind := "STANDARD"
		if onset.In(loc).IsDST() {
			kind = "DAYLIGHT"
		}
		line("BEGIN:" + kind)
		line("DTSTART:" + onset.UTC().Add(time.Duration(prevOff)*time.Second).Format("20060102T150405"))
		line("TZOFFSETFROM:" + icsOffset(prevOff))
		line("TZOFFSETTO:" + icsOffset(off))
		line("TZNAME:" + escapeText(name))
		line("END:" + kind)
	}
	start, end := from.In(loc).ZoneBounds()
	_, off := from.In(loc).Zone()
	if start.IsZero() {
		line("BEGIN:STANDARD")
		line("DTSTART:16010101T000000")
		line("TZOFFSETFROM:" + icsOffset(off))
		line("TZOFFSETTO:" + icsOffset(off))
		name, _ := from.In(loc).Zone()
		line("TZNAME:" + escapeText(name))
		line("END:STANDARD")
	} else {
		_, prev := start.Add(-time.Second).In(loc).Zone()
		observance(start, prev)
	}
	// Every transition up to to, and the first one after it.
	for i := 0; i < 1000 && !end.IsZero(); i++ {
		_, prev := end.Add(-time.Second).In(loc).Zone()
		observance(end, prev)
		if end.After(to) {
			break
		}
		_, end = end.In(loc).ZoneBounds()
	}
	line("END:VTIMEZONE")
}

func icsOffset(off int) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := fmt.Sprintf("%s%02d%02d", sign, off/3600, off%3600/60)
	if off%60 != 0 {
		s += fmt.Sprintf("%02d", off%60)
	}
	return s
}

var textEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

// escapeText escapes s as an RFC 5545 TEXT value. Line breaks become \n;
// other control characters, which TEXT may not hold (tab aside), are
// dropped, so that no text can end a content line or forge a property.
func escapeText(s string) string {
	if strings.ContainsFunc(s, badTextRune) {
		s = strings.Map(func(r rune) rune {
			if badTextRune(r) {
				return -1
			}
			return r
		}, s)
	}
	return textEscaper.Replace(s)
}

// badTextRune reports whether r is a control character TEXT may not hold
// (CR and LF are escaped, not dropped).
func badTextRune(r rune) bool {
	return (r < ' ' && r != '\t' && r != '\r' && r != '\n') || r == 0x7f || r == utf8.RuneError
}

// writeFolded writes s as one content line folded at 75 octets (never inside
// a UTF-8 sequence), each physical line ending in CRLF.
func writeFolded(b *bytes.Buffer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// ReadFreezes reads freeze windows from an iCalendar (.ics) file: every
// VEVENT with DTSTART and DTEND or DURATION becomes a Window, or, with an
// RRULE (and EXDATEs), a Recurring window whose length is the event's. The
// event's SUMMARY is the window's name. TZID values must be IANA zone
// names; floating times and all-day dates are read in loc (nil means UTC).
// Other components (VTIMEZONE, VTODO, VALARM) are ignored. An input of
// more than MaxICalSize bytes is refused with a *ParseError wrapping
// ErrTooLarge.
func ReadFreezes(r io.Reader, loc *time.Location) (*Freezes, error) {
	if loc == nil {
		loc = time.UTC
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxICalSize+1))
	if err != nil {
		return nil, &ParseError{Field: "ics", Reason: err.Error(), Err: err}
	}
	if len(data) > MaxICalSize {
		return nil, &ParseError{Field: "ics", Err: ErrTooLarge,
			Reason: fmt.Sprintf("larger than MaxICalSize (%d bytes)", MaxICalSize)}
	}
	lines := unfold(data)
	f := &Freezes{}
	var stack []string
	var ev *icsEvent
	for _, l := range lines {
		name, params, value, err := parseProp(l.text)
		if err != nil {
			return nil, perr(fmt.Sprintf("ics line %d", l.n), clipLine(l.text), "expected NAME:value")
		}
		switch name {
		case "BEGIN":
			stack = append(stack, strings.ToUpper(value))
			if len(stack) == 2 && stack[0] == "VCALENDAR" && stack[1] == "VEVENT" {
				ev = &icsEvent{line: l.n}
			}
			continue
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != strings.ToUpper(value) {
				return nil, perr(fmt.Sprintf("ics line %d", l.n), l.text, "END without matching BEGIN")
			}
			stack = stack[:len(stack)-1]
			if ev != nil && len(stack) == 1 {
				if err := ev.add(f, loc); err != nil {
					return nil, err
				}
				ev = nil
			}
			continue
		}
		if ev == nil || len(stack) != 2 {
			continue
		}
		p := icsProp{line: l.n, params: params, value: value}
		switch name {
		case "DTSTART":
			ev.start = &p
		case "DTEND":
			ev.end = &p
		case "DURATION":
			ev.duration = &p
		case "RRULE":
			ev.rrule = &p
		case "EXDATE":
			ev.exdates = append(ev.exdates, p)
		case "SUMMARY":
			ev.summary = unescapeText(value)
		}
	}
	if len(stack) != 0 {
		return nil, perr("ics", "", "unterminated "+stack[len(stack)-1])
	}
	return f, nil
}

// MaxICalSize is the largest iCalendar input ReadFreezes reads, 4 MiB:
// thousands of times a year of weekly freeze windows, and small enough that
// any input is read in a fraction of a second.
const MaxICalSize = 4 << 20

// icsLine is one content line, unfolded, and the number of its first
// physical line.
type icsLine struct {
	n    int
	text string
}

// unfold splits data into content lines, joining each folded line (a line
// that begins with a space or tab continues the last non-empty one) in one
// pass, and drops empty lines.
func unfold(data []byte) []icsLine {
	var lines []icsLine
	var cur []byte // the content line being joined
	start := 0     // its first physical line, 0 for none
	flush := func() {
		if start > 0 {
			lines = append(lines, icsLine{start, string(cur)})
		}
		cur, start = cur[:0], 0
	}
	for n := 1; len(data) > 0; n++ {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		l = bytes.TrimRight(l, "\r")
		switch {
		case len(l) == 0:
		case (l[0] == ' ' || l[0] == '\t') && start > 0:
			cur = append(cur, l[1:]...)
		default:
			flush()
			cur, start = append(cur, l...), n
		}
	}
	flush()
	return lines
}

// clipLine shortens a content line quoted in an error to 200 bytes.
func clipLine(s string) string {
	if len(s) <= 200 {
		return s
	}
	cut := 200
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

type icsProp struct {
	line   int
	params map[string]string
	value  string
}

type icsEvent struct {
	line                 int
	start, end, duration *icsProp
	rrule                *icsProp
	exdates              []icsProp
	summary              string
}

// icsTimeValue reads a DATE or DATE-TIME property: its wall reading, zone,
// and whether it is a date.
func icsTimeValue(field string, p *icsProp, loc *time.Location) (wall int64, zone *time.Location, date bool, err error) {
	field = fmt.Sprintf("ics line %d %s", p.line, field)
	if strings.EqualFold(p.params["VALUE"], "DATE") || len(p.value) == 8 {
		w, _, err := parseDateTime(field, p.value+"T000000")
		if err != nil {
			return 0, nil, false, perr(field, p.value, "want YYYYMMDD")
		}
		return w, loc, true, nil
	}
	w, utc, err := parseDateTime(field, p.value)
	if err != nil {
		return 0, nil, false, err
	}
	switch {
	case utc:
		return w, time.UTC, false, nil
	case p.params["TZID"] != "":
		z, err := LoadLocation(p.params["TZID"])
		if err != nil {
			return 0, nil, false, perr(field, p.params["TZID"], "TZID must be an IANA time zone name")
		}
		return w, z, false, nil
	}
	return w, loc, false, nil
}

func (e *icsEvent) add(f *Freezes, loc *time.Location) error {
	where := fmt.Sprintf("ics VEVENT at line %d", e.line)
	if e.start == nil {
		return perr(where, e.summary, "missing DTSTART")
	}
	sw, zone, date, err := icsTimeValue("DTSTART", e.start, loc)
	if err != nil {
		return err
	}
	start := time.Unix(resolve(zone, sw), 0).In(zone)
	// The length as calendar days plus a duration, so that recurring
	// windows keep their wall-clock ends across daylight-saving changes.
	var days int
	var dur time.Duration
	switch {
	case e.end != nil && e.duration != nil:
		return perr(where, e.summary, "has both DTEND and DURATION")
	case e.end != nil:
		ew, ezone, _, err := icsTimeValue("DTEND", e.end, loc)
		if err != nil {
			return err
		}
		if ezone == zone {
			days = int(floorDiv(ew, 86400) - floorDiv(sw, 86400))
			dur = time.Duration(ew-floorDiv(ew, 86400)*86400-(sw-floorDiv(sw, 86400)*86400)) * time.Second
		} else {
			dur = time.Unix(resolve(ezone, ew), 0).Sub(start)
		}
	case e.duration != nil:
		if days, dur, err = parseICSDuration(fmt.Sprintf("ics line %d DURATION", e.duration.line), e.duration.value); err != nil {
			return err
		}
	case date:
		days = 1 // an all-day event lasts its day
	default:
		return perr(where, e.summary, "needs DTEND or DURATION")
	}
	end := start.AddDate(0, 0, days).Add(dur)
	if !end.After(start) {
		return perr(where, e.summary, "ends before it starts")
	}
	if e.rrule == nil {
		f.Windows = append(f.Windows, Window{Name: e.summary, Start: start, End: end})
		return nil
	}
	var text strings.Builder
	stamp := func(w int64) string {
		y, m, d := civilFromDays(floorDiv(w, 86400))
		sod := w - floorDiv(w, 86400)*86400
		return fmt.Sprintf("%04d%02d%02dT%02d%02d%02d", y, m, d, sod/3600, sod%3600/60, sod%60)
	}
	if zone == time.UTC {
		text.WriteString("DTSTART:" + stamp(sw) + "Z\n")
	} else {
		text.WriteString("DTSTART;TZID=" + zone.String() + ":" + stamp(sw) + "\n")
	}
	text.WriteString("RRULE:" + e.rrule.value + "\n")
	for _, x := range e.exdates {
		for v := range strings.SplitSeq(x.value, ",") {
			w, z, _, err := icsTimeValue("EXDATE", &icsProp{line: x.line, params: x.params, value: strings.TrimSpace(v)}, zone)
			if err != nil {
				return err
			}
			if len(strings.TrimSpace(v)) == 8 { // a date excludes the occurrence on that day
				w += sw - floorDiv(sw, 86400)*86400
			}
			text.WriteString("EXDATE:" + time.Unix(resolve(z, w), 0).UTC().Format("20060102T150405Z") + "\n")
		}
	}
	s, err := parseRRule(text.String())
	if err != nil {
		if pe, ok := err.(*ParseError); ok {
			pe.Field = fmt.Sprintf("ics line %d %s", e.rrule.line, pe.Field)
		}
		return err
	}
	f.Recurring = append(f.Recurring, Recurring{Name: e.summary, Schedule: s, Days: days, Duration: dur})
	return nil
}

// parseICSDuration reads an RFC 5545 dur-value (P1W, P2DT3H, PT90M) as
// calendar days and a duration.
func parseICSDuration(field, v string) (days int, d time.Duration, err error) {
	s := strings.TrimPrefix(strings.ToUpper(v), "+")
	bad := perr(field, v, "want an RFC 5545 duration such as P1W, P2D or PT16H")
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, 0, bad
	}
	s = s[1:]
	inTime := false
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return 0, 0, bad
			}
			inTime, s = true, s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 6 {
			return 0, 0, bad
		}
		n, _ := strconv.Atoi(s[:i])
		switch u := s[i]; {
		case u == 'W' && !inTime:
			days += 7 * n
		case u == 'D' && !inTime:
			days += n
		case u == 'H' && inTime:
			d += time.Duration(n) * time.Hour
		case u == 'M' && inTime:
			d += time.Duration(n) * time.Minute
		case u == 'S' && inTime:
			d += time.Duration(n) * time.Second
		default:
			return 0, 0, bad
		}
		s = s[i+1:]
	}
	if days > 36600 || d > 36600*24*time.Hour {
		return 0, 0, perr(field, v, "longer than 100 years")
	}
	return days, d, nil
}

var textUnescaper = strings.NewReplacer(`\\`, `\`, `\;`, ";", `\,`, ",", `\n`, "\n", `\N`, "\n")

func unescapeText(s string) string { return textUnescaper.Replace(s) }
