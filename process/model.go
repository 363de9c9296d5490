package process

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ID identifies a process. It matches [a-z0-9][a-z0-9_-]*.
type ID string

// PhaseID identifies a phase within a process.
type PhaseID string

// ActivityID identifies an activity within a phase.
type ActivityID string

// Process is a reusable, versioned release blueprint: inputs, variables and
// phases of activities. The zero Version means "not yet stored"; stores
// assign versions.
type Process struct {
	ID          ID
	Version     int
	Name        string
	Description string
	Inputs      []InputSpec // in document order
	Variables   []Variable  // in document order; later variables may read earlier ones
	Phases      []Phase
}

// Variable is a named value computed once per release, usually from inputs.
type Variable struct {
	Name  string
	Value string // a literal or a ${{ }} template
}

// Phase is a milestone grouping activities.
type Phase struct {
	ID          PhaseID
	Name        string
	Description string
	Owners      []string
	DependsOn   []PhaseID
	If          string // a boolean expression; empty means always
	Activities  []Activity
	// Labels are the phase's labels (env: prod), inherited by its
	// activities; freezes select activities by them (see EffectiveLabels).
	Labels map[string]string
}

// ActivityType says how an activity is carried out.
type ActivityType string

// The four activity types.
const (
	Automated  ActivityType = "automated"  // runs through an adapter (uses:)
	Manual     ActivityType = "manual"     // human tasks and submitted outputs
	Approval   ActivityType = "approval"   // a governance gate
	Subprocess ActivityType = "subprocess" // another process run as a child release
)

// Valid reports whether t is one of the four activity types.
func (t ActivityType) Valid() bool {
	switch t {
	case Automated, Manual, Approval, Subprocess:
		return true
	}
	return false
}

// FailureStrategy is what happens once an activity has failed for good
// (after its retries).
type FailureStrategy string

// The failure strategies. The empty value means Hold.
const (
	Hold     FailureStrategy = "hold"     // wait for an operator to retry, ignore or abort
	Fail     FailureStrategy = "fail"     // fail the release
	Ignore   FailureStrategy = "ignore"   // carry on; the release ends PartialSuccess
	Rollback FailureStrategy = "rollback" // roll back completed activities, end RolledBack
)

// Valid reports whether s is a known strategy or empty (Hold).
func (s FailureStrategy) Valid() bool {
	switch s {
	case "", Hold, Fail, Ignore, Rollback:
		return true
	}
	return false
}

// Activity is one unit of work in a phase.
type Activity struct {
	ID          ActivityID
	Name        string
	Description string
	// Type defaults to Automated when empty.
	Type ActivityType
	// DependsOn names sibling activities ("compile") or activities of other
	// phases ("build.compile").
	DependsOn []string
	If        string // a boolean expression; empty means always
	// Labels are the activity's own labels, over its phase's (see
	// EffectiveLabels).
	Labels map[string]string

	// Uses is the adapter kind of an automated activity ("ci.pipeline").
	Uses string
	// With holds the adapter's parameters (automated) or the child's inputs
	// (subprocess). String values may hold ${{ }} templates, at any depth.
	With map[string]any
	// Outputs declares the names of the outputs the activity produces.
	Outputs []string

	// Timeout bounds each attempt, for every type of activity: an attempt
	// still running (or, for people, still waiting) when it passes fails
	// timed out, like any failure (retries, then on-failure). A
	// subprocess's child is aborted.
	Timeout          Duration
	ExpectedDuration Duration
	Retry            *RetryPolicy
	OnFailure        FailureStrategy
	Rollback         *RollbackSpec

	Tasks    []Task          // manual
	Approval *ApprovalPolicy // approval

	// Process and ProcessVersion name the child process of a subprocess
	// activity; version 0 means the latest.
	Process        ID
	ProcessVersion int
}

// EffectiveType returns the activity's type, Automated when unset.
func (a *Activity) EffectiveType() ActivityType {
	if a.Type == "" {
		return Automated
	}
	return a.Type
}

// Expected returns how long the activity is expected to take: its
// ExpectedDuration when set, else the sum of its tasks' ExpectedDuration
// (a cautious estimate: the tasks may fall to one person), else 0. Plans,
// health and critical paths all use it.
func (a *Activity) Expected() time.Duration {
	if a == nil {
		return 0
	}
	if a.ExpectedDuration > 0 {
		return a.ExpectedDuration.D()
	}
	var d time.Duration
	for _, t := range a.Tasks {
		d += t.ExpectedDuration.D()
	}
	return d
}

// RollbackSpec is the automated step that undoes an activity.
type RollbackSpec struct {
	Uses string
	With map[string]any
}

// RetryPolicy controls automatic retries of a failed automated activity.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt: 3 means up to two retries.
	MaxAttempts int
	// Backoff is the delay before the first retry; it doubles (times
	// Multiplier) after each, up to MaxBackoff.
	Backoff    Duration
	MaxBackoff Duration
	// Multiplier defaults to 2 when zero.
	Multiplier float64
}

// Task is one human task of a manual activity.
type Task struct {
	ID               string
	Name             string
	Description      string
	Assignees        []string // users or "group:NAME"
	Required         bool
	ExpectedDuration Duration
}

// ApprovalRule says how many approvals an approval activity needs.
type ApprovalRule string

// The approval rules. The empty value means AtLeast (with Min, default 1).
const (
	AtLeast   ApprovalRule = "min"
	Majority  ApprovalRule = "majority"
	Unanimous ApprovalRule = "unanimous"
)

// DeadlineAction is what an approval does when its deadline passes.
type DeadlineAction string

// The deadline actions. The empty value means RejectOnDeadline.
const (
	RejectOnDeadline  DeadlineAction = "reject"
	ApproveOnDeadline DeadlineAction = "approve"
)

// ApprovalPolicy governs an approval activity.
type ApprovalPolicy struct {
	Approvers []string // users or "group:NAME", resolved by the host
	Rule      ApprovalRule
	// Min is the number of approvals needed under AtLeast; 0 means 1.
	Min             int
	Deadline        Duration
	OnDeadline      DeadlineAction
	ForbidInitiator bool
}

// Duration is a time.Duration written as Go duration text ("30m", "1h30m")
// with one addition: a whole number of days ("2d").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d the way ParseDuration reads it back.
func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	s := td.String()
	// Trim the "0s" tails Go adds ("1h0m0s" -> "1h").
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// ParseDuration reads Go duration text ("90s", "1h30m") or whole days
// ("2d"). Negative durations are an error.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseInt(n, 10, 32)
		if err != nil || days < 0 || days > 100000 {
			return 0, fmt.Errorf("duration %q: want a whole number of days such as 2d", s)
		}
		return Duration(time.Duration(days) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want a number with a unit such as 30s, 15m, 4h or 2d", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q: negative", s)
	}
	return Duration(d), nil
}

// InputType is the type of a process input.
type InputType string

// The input types.
const (
	String  InputType = "string"
	Number  InputType = "number"
	Integer InputType = "integer"
	Boolean InputType = "boolean"
	List    InputType = "list"
	Object  InputType = "object"
)

// Valid reports whether t is a known input type.
func (t InputType) Valid() bool {
	switch t {
	case String, Number, Integer, Boolean, List, Object:
		return true
	}
	return false
}

// InputSpec declares one input of a process.
type InputSpec struct {
	Name        string
	Type        InputType // defaults to String when empty
	Description string
	Required    bool
	Default     any   // nil when there is none
	Enum        []any // allowed values, when set
	Pattern     string
	Min, Max    *float64 // bounds on numbers, string lengths or list lengths
}

// EffectiveType returns the input's type, String when unset.
func (s *InputSpec) EffectiveType() InputType {
	if s.Type == "" {
		return String
	}
	return s.Type
}

// InputSet is a named set of input values for a process ("QA inputs").
type InputSet struct {
	ID      string
	Process ID
	Name    string
	Values  map[string]any
}
