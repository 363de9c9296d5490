package schedule

import (
	"math"
	"strings"
	"sync"
	"time"
)

// zones caches *time.Location values by IANA name, so that a zone is read
// from the time zone database once per process rather than once per Parse.
// Only successful loads are stored; the set of names is bounded by tzdata.
var zones sync.Map // string -> *time.Location

// LoadLocation returns the named IANA time zone, loading it once and serving
// later calls from a process-wide cache. "UTC" and "" are time.UTC. "Local"
// is refused: a schedule must not depend on the machine it runs on.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if strings.EqualFold(name, "local") {
		return nil, perr("time zone", name, "the machine's local zone is not allowed; name an IANA zone")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, perr("time zone", name, "unknown IANA time zone")
	}
	v, _ := zones.LoadOrStore(name, loc)
	return v.(*time.Location), nil
}

// zoneAt returns the UTC offset in force at instant sec (Unix seconds) in
// loc and the bounds [start, end) of that offset period. Unbounded sides are
// math.MinInt64 / math.MaxInt64.
func zoneAt(loc *time.Location, sec int64) (off, start, end int64) {
	t := time.Unix(sec, 0).In(loc)
	_, o := t.Zone()
	s, e := t.ZoneBounds()
	start, end = math.MinInt64, math.MaxInt64
	if !s.IsZero() {
		start = s.Unix()
	}
	if !e.IsZero() {
		end = e.Unix()
	}
	return int64(o), start, end
}

// offsetAt returns only the UTC offset at sec.
func offsetAt(loc *time.Location, sec int64) int64 {
	_, o := time.Unix(sec, 0).In(loc).Zone()
	return int64(o)
}

// resolve maps a wall-clock reading w (seconds since 1970-01-01T00:00 read
// as if UTC) in loc to an instant (Unix seconds) using the fixed-time rules:
// a reading that happens twice maps to its first instant; a reading that
// does not exist (a spring-forward gap) is read with the offset in force
// before the gap, which shifts it forward by the size of the gap.
func resolve(loc *time.Location, w int64) int64 {
	if loc == time.UTC {
		return w
	}
	t := w - offsetAt(loc, w)
	for range 4 {
		o, s, e := zoneAt(loc, t)
		t = w - o
		switch {
		case t < s:
			po := offsetAt(loc, s-1)
			tp := w - po
			if tp < s {
				t = tp
				continue
			}
			return tp // in the gap before s: shifted forward
		case t >= e:
			tn := w - offsetAt(loc, e)
			if tn >= e {
				t = tn
				continue
			}
			return t // in the gap at e: read with the offset before it
		default:
			// An earlier instant reading w needs an offset larger by more
			// than t-s; offsets never differ by more than 26 hours.
			if s != math.MinInt64 && t-s <= maxOffsetSpread {
				po, ps, _ := zoneAt(loc, s-1)
				if tp := w - po; tp < s && tp >= ps {
					return tp // the earlier of two instants reading w
				}
			}
			return t
		}
	}
	return t
}

// maxOffsetSpread bounds how far apart two UTC offsets of one zone can be
// (UTC-12 to UTC+14).
const maxOffsetSpread = 26 * 3600

// segCache remembers one UTC-offset period of a zone, so that a run of
// resolve calls that fall in it needs no time zone lookups.
type segCache struct {
	off, start, end int64
	ok              bool
}

// fill caches the offset period holding instant sec and returns its offset.
func (c *segCache) fill(loc *time.Location, sec int64) int64 {
	c.off, c.start, c.end = zoneAt(loc, sec)
	c.ok = true
	return c.off
}

// resolve is resolve(loc, w), answered from the cached period when the
// reading falls well inside it: then it exists, and no earlier instant can
// read the same, since that would need an offset larger by more than
// maxOffsetSpread.
func (c *segCache) resolve(loc *time.Location, w int64) int64 {
	if loc == time.UTC {
		return w
	}
	if c.ok {
		if t := w - c.off; t < c.end && t-maxOffsetSpread >= c.start {
			return t
		}
	}
	t := resolve(loc, w)
	c.fill(loc, t)
	return t
}

// resolveShift is resolve, also reporting whether w fell in a gap and was
// shifted forward (its instant reads a later wall-clock time).
func (c *segCache) resolveShift(loc *time.Location, w int64) (int64, bool) {
	if c.ok {
		if t := w - c.off; t < c.end && t-maxOffsetSpread >= c.start {
			return t, false
		}
	}
	return c.resolveShiftSlow(loc, w)
}

func (c *segCache) resolveShiftSlow(loc *time.Location, w int64) (int64, bool) {
	if loc == time.UTC {
		return w, false
	}
	t := resolve(loc, w)
	return t, t+c.fill(loc, t) != w
}

// minOffsetNear returns the smallest UTC offset of loc from three days
// before sec to two days after it (the instants of the wall readings a
// walk from the day before sec's local date examines first). c must hold
// the period of sec; the answer is c.off unless a transition is near.
func (c *segCache) minOffsetNear(loc *time.Location, sec int64) int64 {
	lo, hi := sec-3*86400, sec+2*86400
	if c.start <= lo && c.end > hi {
		return c.off
	}
	m := c.off
	for t, n := lo, 0; n < 16; n++ {
		o, _, e := zoneAt(loc, t)
		m = min(m, o)
		if e > hi {
			break
		}
		t = e
	}
	return m
}
