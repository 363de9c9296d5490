package release

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/batonhq/baton/internal/expr"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/schedule"
)

// GroupID identifies a release group.
type GroupID string

// OverlapPolicy says what a group does when its previous release is still
// running at the next occurrence.
type OverlapPolicy string

// The overlap policies. The zero value means OverlapAllow.
const (
	// OverlapAllow starts the new release anyway.
	OverlapAllow OverlapPolicy = "allow"
	// OverlapForbid records the occurrence as skipped, with the reason (the
	// release still running), and makes no release for it. A release
	// already made ahead of its occurrence by the group's lead time is
	// aborted instead. Of executors that judge the occurrence as the
	// previous release ends, one skipping it and another making its
	// release, the first to write wins (the skip claims the occurrence:
	// GroupRecord.Claims); it is never both.
	OverlapForbid OverlapPolicy = "forbid"
	// OverlapQueue starts the new release once the previous one has ended.
	OverlapQueue OverlapPolicy = "queue"
)

// ErrInvalidGroup is matched (errors.Is) by every *GroupError.
var ErrInvalidGroup = errors.New("release: invalid group")

// Group is a release group: a cadence that generates releases of one
// process. An executor's scheduler creates one release per occurrence of the
// cadence, LeadTime before it, and starts it at the occurrence when
// AutoExecute is on.
//
// The fields are plain data; Validate checks them all at once.
type Group struct {
	ID          GroupID `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	// Process and ProcessVersion name the process every release runs;
	// version 0 means the latest version when each release is made.
	Process        process.ID `json:"process"`
	ProcessVersion int        `json:"process-version,omitempty"`
	// InputSet names a stored input set of the process (optional); Inputs
	// override its values for every release of the group.
	InputSet string         `json:"input-set,omitempty"`
	Inputs   map[string]any `json:"inputs,omitempty"`
	// Cadence is the schedule spec, read by schedule.ParseIn: a preset
	// ("weekly on mon at 09:00"), a cron spec or RFC 5545 recurrence text.
	Cadence string `json:"cadence"`
	// Timezone is the IANA zone of a cadence that names none (a cron spec
	// without CRON_TZ=, a preset without "in", recurrence text without
	// DTSTART); empty means UTC.
	Timezone string `json:"timezone,omitempty"`
	// Start and End bound the occurrences: none before Start, none at or
	// after End (zero: unbounded).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// ReleaseDuration is how long a generated release is expected to take
	// (its expected end is the occurrence plus this).
	ReleaseDuration process.Duration `json:"release-duration,omitempty"`
	// LeadTime is how long before an occurrence its release is created: it
	// waits Scheduled meanwhile, so people can prepare and edit it.
	LeadTime process.Duration `json:"lead-time,omitempty"`
	// AutoExecute starts each release at its occurrence. When false the
	// release waits Scheduled for a person to Start it.
	AutoExecute bool `json:"auto-execute"`
	// NameTemplate and VersionTemplate make each release's name and version
	// label with the expression engine (see Names). Empty: the group's
	// name and the occurrence's date; no version.
	NameTemplate    string `json:"name-template,omitempty"`
	VersionTemplate string `json:"version-template,omitempty"`
	// Enabled is false while the group is paused: no releases are made.
	Enabled bool              `json:"enabled"`
	Labels  map[string]string `json:"labels,omitempty"`
	// CatchUp is how late an occurrence missed while no executor ran is
	// still created (marked late). Older ones are recorded as missed.
	CatchUp process.Duration `json:"catch-up,omitempty"`
	// Overlap is what happens when the group's previous release is still
	// running at an occurrence. Empty means OverlapAllow.
	Overlap OverlapPolicy `json:"overlap,omitempty"`
	// FreezePolicy is what happens to an occurrence that falls in a freeze
	// window holding the group's releases: FreezeSkip (the default) or
	// FreezeShift.
	FreezePolicy FreezePolicy `json:"freeze-policy,omitempty"`
	// Revision counts the stored versions of the group; stores set it (1 on
	// create, +1 on each update) and use it for optimistic concurrency.
	Revision int64 `json:"revision"`
}

// Clone returns a deep copy of g (Inputs are copied one level deep; their
// values are treated as immutable).
func (g *Group) Clone() *Group {
	if g == nil {
		return nil
	}
	c := *g
	c.Labels = cloneStrings(g.Labels)
	if g.Inputs != nil {
		c.Inputs = maps.Clone(g.Inputs)
	}
	return &c
}

func cloneStrings(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// GroupError lists every problem found in a group, in field order. It
// matches ErrInvalidGroup.
type GroupError struct {
	Group    GroupID
	Problems []process.Problem
}

func (e *GroupError) Error() string { return problemsText("group", string(e.Group), e.Problems) }

// Is reports whether target is ErrInvalidGroup.
func (e *GroupError) Is(target error) bool { return target == ErrInvalidGroup }

// maxGroupText bounds the group's ids and names.
const maxGroupText = 256

// Validate checks every field of g and returns a *GroupError listing all
// the problems, or nil. Paths name the JSON fields ("cadence", "timezone",
// "lead-time"). It cannot check what needs a store (that the process and
// input set exist, that Inputs fit the process): the executor does.
func (g *Group) Validate() error {
	var ps problems
	add := ps.add
	text := func(path, v string, required bool) { ps.text(path, v, maxGroupText, required, false) }
	text("id", string(g.ID), true)
	text("name", g.Name, false)
	text("process", string(g.Process), true)
	if g.ProcessVersion < 0 {
		add("process-version", "%d: must be 0 (the latest) or a version number", g.ProcessVersion)
	}
	text("input-set", g.InputSet, false)
	if _, err := g.location(); err != nil {
		add("timezone", "%q: want an IANA time zone name such as Europe/Paris: %v", g.Timezone, err)
	} else if strings.TrimSpace(g.Cadence) == "" {
		add("cadence", "required: a cron spec or RRULE text")
	} else if _, err := g.Schedule(); err != nil {
		add("cadence", "%v", err)
	}
	if !g.End.IsZero() && !g.End.After(g.Start) {
		add("end", "%s: must be after start (%s)", g.End.Format(time.RFC3339), g.Start.Format(time.RFC3339))
	}
	for _, d := range []struct {
		path string
		v    process.Duration
	}{{"release-duration", g.ReleaseDuration}, {"lead-time", g.LeadTime}, {"catch-up", g.CatchUp}} {
		if d.v < 0 {
			add(d.path, "%s: must not be negative", time.Duration(d.v))
		}
	}
	for _, t := range []struct{ path, src string }{{"name-template", g.NameTemplate}, {"version-template", g.VersionTemplate}} {
		if _, err := expr.CompileTemplate(t.src, groupEnv()); err != nil {
			add(t.path, "%v", err)
		}
	}
	switch g.Overlap {
	case "", OverlapAllow, OverlapForbid, OverlapQueue:
	default:
		add("overlap", "%q: want allow, forbid or queue", g.Overlap)
	}
	switch g.FreezePolicy {
	case "", FreezeSkip, FreezeShift:
	default:
		add("freeze-policy", "%q: want skip or shift", g.FreezePolicy)
	}
	for k := range g.Labels {
		if k == "" {
			add("labels", "a label with an empty key")
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &GroupError{Group: g.ID, Problems: ps}
}

func (g *Group) location() (*time.Location, error) {
	return schedule.LoadLocation(g.Timezone)
}

// Schedule parses the group's cadence with schedule.ParseIn, in the
// group's time zone (see Timezone). It does not apply Start and End:
// NextOccurrence does.
func (g *Group) Schedule() (schedule.Schedule, error) {
	loc, err := g.location()
	if err != nil {
		return nil, err
	}
	return schedule.ParseIn(g.Cadence, loc)
}

// NextOccurrence returns the group's first occurrence strictly after
// after, within [Start, End), or the zero time when there is none.
func (g *Group) NextOccurrence(s schedule.Schedule, after time.Time) time.Time {
	if !g.Start.IsZero() && after.Before(g.Start) {
		after = g.Start.Add(-time.Nanosecond)
	}
	t := s.Next(after)
	if t.IsZero() || (!g.End.IsZero() && !t.Before(g.End)) {
		return time.Time{}
	}
	return t
}

// groupEnv declares what the name and version templates read: the roots
// group, occurrence and sequence, and (the spelling of earlier versions)
// the same under vars.
func groupEnv() *expr.Env {
	return &expr.Env{
		Vars: []string{"group", "occurrence", "sequence"},
		Roots: map[string][]string{
			"group":      {"id", "name", "labels"},
			"occurrence": {"date", "time", "weekday", "year", "month", "day", "week"},
			"sequence":   nil,
		},
	}
}

// Names evaluates the group's name and version templates for one
// occurrence and the release's sequence number in the group (1 for its
// first release). The templates read:
//
//	group.id, group.name, group.labels   (group.name is the id when Name is empty)
//	occurrence.date     "2006-01-02", in the group's zone
//	occurrence.time     RFC 3339, in the group's zone
//	occurrence.weekday  "Monday"
//	occurrence.year, occurrence.month, occurrence.day   numbers
//	occurrence.week     the ISO 8601 week number
//	sequence            the sequence number
//
// so `${{ group.name }} ${{ occurrence.date }}` names a release
// "Mobile train 2026-03-02" and `1.${{ sequence }}.0` numbers it. The same
// values are readable as vars.group, vars.occurrence and vars.sequence.
func (g *Group) Names(occurrence time.Time, sequence int) (name, version string, err error) {
	loc, err := g.location()
	if err != nil {
		return "", "", fmt.Errorf("release: group %s: timezone: %w", g.ID, err)
	}
	at := occurrence.In(loc)
	labels := map[string]any{}
	for k, v := range g.Labels {
		labels[k] = v
	}
	gname := g.Name
	if gname == "" {
		gname = string(g.ID)
	}
	_, week := at.ISOWeek()
	values := map[string]any{
		"group": map[string]any{"id": string(g.ID), "name": gname, "labels": labels},
		"occurrence": map[string]any{"date": at.Format(time.DateOnly), "time": at.Format(time.RFC3339), "weekday": at.Weekday().String(),
			"year": at.Year(), "month": int(at.Month()), "day": at.Day(), "week": week},
		"sequence": sequence,
	}
	scope := &expr.Scope{Vars: values, Roots: values}
	eval := func(what, src string) (string, error) {
		t, err := expr.CompileTemplate(src, groupEnv())
		if err != nil {
			return "", fmt.Errorf("release: group %s: %s: %w", g.ID, what, err)
		}
		v, err := t.Eval(scope)
		if err != nil {
			return "", fmt.Errorf("release: group %s: %s: %w", g.ID, what, err)
		}
		if s, ok := v.(string); ok {
			return s, nil
		}
		return fmt.Sprint(v), nil
	}
	nameSrc := g.NameTemplate
	if nameSrc == "" {
		nameSrc = "${{ group.name }} ${{ occurrence.date }}"
	}
	if name, err = eval("name-template", nameSrc); err != nil {
		return "", "", err
	}
	if g.VersionTemplate != "" {
		if version, err = eval("version-template", g.VersionTemplate); err != nil {
			return "", "", err
		}
	}
	return name, version, nil
}

// GroupDecision names what a group's scheduler decided for one occurrence.
type GroupDecision string

// The decisions a group's history records.
const (
	// DecisionCreated: the occurrence's release was created on time.
	DecisionCreated GroupDecision = "created"
	// DecisionLate: the release was created after its occurrence (after
	// downtime, inside the group's catch-up window).
	DecisionLate GroupDecision = "late"
	// DecisionMissed: the occurrence passed beyond the catch-up window
	// while no executor ran; no release was made.
	DecisionMissed GroupDecision = "missed"
	// DecisionSkipped: the occurrence was skipped (Reason says why, e.g.
	// the previous release still running under OverlapForbid).
	DecisionSkipped GroupDecision = "skipped"
	// DecisionQueued: the release waits for the previous one to end
	// (OverlapQueue).
	DecisionQueued GroupDecision = "queued"
	// DecisionStarted: the scheduler started the release.
	DecisionStarted GroupDecision = "started"
	// DecisionShifted: a freeze held the occurrence and the group's
	// FreezePolicy is FreezeShift; Shift says from when to when. Its
	// release is made for the shifted instant.
	DecisionShifted GroupDecision = "shifted"
	// DecisionWaited: a freeze held the release's start, which waited
	// for the freeze to end (Reason names it).
	DecisionWaited GroupDecision = "waited"
)

// GroupRecord is one entry of a group's history: a decision about one
// occurrence. A group's history holds at most one record per (Occurrence,
// Decision), so several executors deciding the same thing record it once.
type GroupRecord struct {
	Group      GroupID       `json:"group"`
	Occurrence time.Time     `json:"occurrence"`
	Decision   GroupDecision `json:"decision"`
	// Release is the release made for the occurrence, if any.
	Release ID `json:"release,omitempty"`
	// Sequence is the release's number in the group (1 for the first), for
	// created and late records.
	Sequence int    `json:"sequence,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// ShiftedTo is the instant a shifted occurrence moved to (Occurrence
	// is where it was); zero for other decisions.
	ShiftedTo time.Time `json:"shifted-to,omitempty"`
	// Freeze names the freeze behind a skipped, shifted or waited
	// decision.
	Freeze FreezeID `json:"freeze,omitempty"`
	// At is when the decision was made; By is the executor instance.
	At time.Time `json:"at"`
	By string    `json:"by,omitempty"`
}

// Claims reports whether r decides its occurrence without a release: a
// missed occurrence, or one skipped before its release was made. Such a
// record takes the occurrence as a release of it would: a store refuses
// to make a release for it once the record is stored, and refuses the
// record once a release is made (store.GroupHistoryStore), so executors
// racing for one occurrence cannot both skip it and make it.
func (r *GroupRecord) Claims() bool {
	return r.Release == "" && (r.Decision == DecisionMissed || r.Decision == DecisionSkipped)
}
