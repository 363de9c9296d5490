package release

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/batonhq/baton/process"
)

// Release is one execution of a pinned process version with resolved
// inputs. It is the fold of its events: New or Fold builds one from
// release.created, and Apply is the only way it changes. Its JSON encoding
// is the snapshot stores keep (decoding one rebuilds the internal counters).
//
// A Release is not safe for concurrent use; Clone gives an independent copy.
type Release struct {
	ID      ID     `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"` // the version label ("2.4.0")

	ProcessID      process.ID       `json:"process-id"`
	ProcessVersion int              `json:"process-version"`
	Process        *process.Process `json:"process"` // the pinned copy; treat as read-only
	Inputs         map[string]any   `json:"inputs,omitempty"`

	Group      GroupID   `json:"group,omitempty"`
	Occurrence time.Time `json:"occurrence"` // the group occurrence it was made for; zero on demand
	CreatedBy  string    `json:"created-by"`
	// Initiator is who initiated the top-level release this one descends
	// from: CreatedBy for a top-level release, the parent's Initiator for a
	// subprocess's child (whose CreatedBy is the executor). Approval rules
	// about the initiator (forbid-initiator) apply to it. Never empty.
	Initiator string            `json:"initiator,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`

	ScheduledFor  time.Time `json:"scheduled-for"` // never zero: defaults to CreatedAt
	ExpectedStart time.Time `json:"expected-start"`
	ExpectedEnd   time.Time `json:"expected-end"`

	Status    Status    `json:"status"`
	CreatedAt time.Time `json:"created-at"`
	StartedAt time.Time `json:"started-at"` // first release.started
	EndedAt   time.Time `json:"ended-at"`   // when it reached a terminal status
	Error     string    `json:"error,omitempty"`
	// RollingBack says a rollback is under way (release.rollback-started,
	// until release.rolled-back).
	RollingBack bool `json:"rolling-back,omitempty"`

	Phases     map[process.PhaseID]*PhaseState `json:"phases"`
	Activities map[ActivityKey]*ActivityState  `json:"activities"`
	Links      []Link                          `json:"links,omitempty"`    // links on the release itself
	Comments   []Comment                       `json:"comments,omitempty"` // comments on the release itself
	// FreezeOverrides are the freezes operators let the release, or
	// activities of it, through (freeze.overridden), oldest first.
	FreezeOverrides []FreezeOverride `json:"freeze-overrides,omitempty"`
	// PolicyFailures are the policies that held the release's start, or
	// activities of it, back (policy.failed), oldest first; PolicyOverrides
	// the policies operators let it through (policy.overridden).
	PolicyFailures  []PolicyFailure  `json:"policy-failures,omitempty"`
	PolicyOverrides []PolicyOverride `json:"policy-overrides,omitempty"`

	// Seq and Hash are those of the last event applied: the chain head.
	Seq  int64 `json:"seq"`
	Hash Hash  `json:"hash"`
	// Unknown counts events of kinds this package does not know, by kind.
	Unknown map[EventKind]int64 `json:"unknown,omitempty"`

	counts activityCounts // activities by status, kept by Apply
}

// activityCounts counts activities by status (index of ActivityStatuses).
type activityCounts [10]int

func (c *activityCounts) move(from, to ActivityStatus) {
	c[from.index()]--
	c[to.index()]++
}

func (c *activityCounts) done() int {
	return c[ActivitySucceeded.index()] + c[ActivityIgnored.index()] + c[ActivitySkipped.index()]
}

func (c *activityCounts) total() int {
	n := 0
	for _, x := range c {
		n += x
	}
	return n
}

// PhaseState is the state of one phase of a release.
type PhaseState struct {
	ID        process.PhaseID `json:"id"`
	Status    PhaseStatus     `json:"status"`
	StartedAt time.Time       `json:"started-at"`
	EndedAt   time.Time       `json:"ended-at"`
	Error     string          `json:"error,omitempty"`

	counts activityCounts
}

// ActivityState is the state of one activity of a release.
type ActivityState struct {
	Key    ActivityKey          `json:"key"`
	Type   process.ActivityType `json:"type"`
	Status ActivityStatus       `json:"status"`
	// Attempts holds every attempt, first to last.
	Attempts []Attempt      `json:"attempts,omitempty"`
	Outputs  map[string]any `json:"outputs,omitempty"`
	// Tasks are the tasks of a manual activity, in process order.
	Tasks []TaskState `json:"tasks,omitempty"`
	// Approvals are the decisions given on an approval activity, in order.
	Approvals []Decision `json:"approvals,omitempty"`
	Links     []Link     `json:"links,omitempty"`
	Comments  []Comment  `json:"comments,omitempty"` // comments on the activity (not on its tasks)

	// Since is when the activity entered its current status.
	Since     time.Time `json:"since"`
	StartedAt time.Time `json:"started-at"`      // first attempt's start
	EndedAt   time.Time `json:"ended-at"`        // when it last reached Succeeded, Ignored, Skipped, Aborted or RolledBack
	Error     string    `json:"error,omitempty"` // the last failure
	// Reason is the Reason of the event that set the current status.
	Reason string `json:"reason,omitempty"`
}

// Attempt is one run of an activity.
type Attempt struct {
	Number         int            `json:"number"` // 1-based
	Actor          string         `json:"actor"`  // who started or retried it
	Inputs         map[string]any `json:"inputs,omitempty"`
	IdempotencyKey string         `json:"idempotency-key,omitempty"`
	StartedAt      time.Time      `json:"started-at"`
	EndedAt        time.Time      `json:"ended-at"`
	Error          string         `json:"error,omitempty"`
	TimedOut       bool           `json:"timed-out,omitempty"`
}

// TaskState is one human task of a manual activity.
type TaskState struct {
	ID               string           `json:"id"`
	Name             string           `json:"name,omitempty"`
	Assignees        []string         `json:"assignees,omitempty"`
	Required         bool             `json:"required,omitempty"`
	ExpectedDuration process.Duration `json:"expected-duration,omitempty"`
	Status           TaskStatus       `json:"status"`
	UpdatedAt        time.Time        `json:"updated-at"`
	UpdatedBy        string           `json:"updated-by,omitempty"`
	Comments         []Comment        `json:"comments,omitempty"`
}

// Decision is one approval or rejection of an approval activity.
type Decision struct {
	Actor    string    `json:"actor"`
	Approved bool      `json:"approved"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
	// Attempt is the attempt the decision was taken on (zero in snapshots
	// written before it was recorded).
	Attempt int `json:"attempt,omitempty"`
	// Bypassed says Actor is not an approver but decided in their place
	// (approval.bypassed); Comment holds the reason given.
	Bypassed bool `json:"bypassed,omitempty"`
}

// Comment is a comment on a release, an activity or a task.
type Comment struct {
	Author string    `json:"author"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// Head returns the release's chain head: the place its next events go.
func (r *Release) Head() Head { return Head{Release: r.ID, Seq: r.Seq, Hash: r.Hash} }

// WaitingForInput reports whether any activity is Waiting or OnHold.
func (r *Release) WaitingForInput() bool {
	return r.counts[ActivityWaiting.index()]+r.counts[ActivityOnHold.index()] > 0
}

// Activity returns the state of the activity with key k, or nil.
func (r *Release) Activity(k ActivityKey) *ActivityState { return r.Activities[k] }

// Task returns the task with the given id, or nil.
// Decisions returns the approval decisions taken on the activity's
// current attempt: a retried approval starts counting again. (For a
// decision without an Attempt, from an older snapshot, its time says.)
func (a *ActivityState) Decisions() []Decision {
	n := len(a.Attempts)
	if n == 0 {
		return nil
	}
	var out []Decision
	for _, d := range a.Approvals {
		if d.Attempt == n || (d.Attempt == 0 && !d.At.Before(a.Attempts[n-1].StartedAt)) {
			out = append(out, d)
		}
	}
	return out
}

// Task returns the activity's task with the given id, or nil when it has
// none. The result points into a: change a copy, not it.
func (a *ActivityState) Task(id string) *TaskState {
	for i := range a.Tasks {
		if a.Tasks[i].ID == id {
			return &a.Tasks[i]
		}
	}
	return nil
}

// Summary is the small part of a release that lists, calendars and reports
// query. Stores keep it next to the event log and refresh it on every
// append; computing it costs O(labels), whatever the size of the release.
type Summary struct {
	ID             ID                `json:"id"`
	Name           string            `json:"name"`
	Version        string            `json:"version,omitempty"`
	ProcessID      process.ID        `json:"process-id"`
	ProcessVersion int               `json:"process-version"`
	Group          GroupID           `json:"group,omitempty"`
	Occurrence     time.Time         `json:"occurrence"`
	CreatedBy      string            `json:"created-by"`
	Labels         map[string]string `json:"labels,omitempty"`
	ScheduledFor   time.Time         `json:"scheduled-for"`
	ExpectedStart  time.Time         `json:"expected-start"`
	ExpectedEnd    time.Time         `json:"expected-end"`
	Status         Status            `json:"status"`
	CreatedAt      time.Time         `json:"created-at"`
	StartedAt      time.Time         `json:"started-at"`
	EndedAt        time.Time         `json:"ended-at"`
	// ActivitiesDone counts activities Succeeded, Ignored or Skipped.
	ActivitiesDone  int  `json:"activities-done"`
	ActivitiesTotal int  `json:"activities-total"`
	WaitingForInput bool `json:"waiting-for-input"`
	// Seq and Hash are the chain head.
	Seq  int64 `json:"seq"`
	Hash Hash  `json:"hash"`
}

// Summary returns the release's summary. It shares no memory with r.
func (r *Release) Summary() Summary {
	return Summary{
		ID: r.ID, Name: r.Name, Version: r.Version,
		ProcessID: r.ProcessID, ProcessVersion: r.ProcessVersion,
		Group: r.Group, Occurrence: r.Occurrence, CreatedBy: r.CreatedBy,
		Labels:       cloneStrings(r.Labels),
		ScheduledFor: r.ScheduledFor, ExpectedStart: r.ExpectedStart, ExpectedEnd: r.ExpectedEnd,
		Status: r.Status, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, EndedAt: r.EndedAt,
		ActivitiesDone: r.counts.done(), ActivitiesTotal: r.counts.total(),
		WaitingForInput: r.WaitingForInput(),
		Seq:             r.Seq, Hash: r.Hash,
	}
}

// Head returns the chain head the summary records.
func (s *Summary) Head() Head { return Head{Release: s.ID, Seq: s.Seq, Hash: s.Hash} }

// Clone returns a copy of s that shares no memory with it.
func (s Summary) Clone() Summary {
	s.Labels = cloneStrings(s.Labels)
	return s
}

// MarshalSnapshot encodes r as a snapshot (its JSON form).
func (r *Release) MarshalSnapshot() ([]byte, error) { return json.Marshal(r) }

// UnmarshalSnapshot decodes a snapshot written by MarshalSnapshot.
func UnmarshalSnapshot(data []byte) (*Release, error) { return unmarshalSnapshot(data, nil) }

func unmarshalSnapshot(data []byte, c *ProcessCache) (*Release, error) {
	r := new(Release)
	if err := r.unmarshal(data, c); err != nil {
		return nil, &SnapshotError{Err: err}
	}
	if err := r.check(); err != nil {
		return nil, &SnapshotError{Err: err}
	}
	return r, nil
}

// SnapshotError reports a snapshot that cannot be decoded.
type SnapshotError struct{ Err error }

func (e *SnapshotError) Error() string { return "release: decoding snapshot: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *SnapshotError) Unwrap() error { return e.Err }

// MarshalJSON encodes the release as a snapshot. Initiator is left out when
// it is CreatedBy (every top-level release), so such snapshots read as they
// did before releases had an initiator; decoding restores it.
func (r Release) MarshalJSON() ([]byte, error) {
	type plain Release
	if r.Initiator == r.CreatedBy {
		r.Initiator = ""
	}
	return json.Marshal(plain(r))
}

// UnmarshalJSON decodes a release and rebuilds its counters.
func (r *Release) UnmarshalJSON(data []byte) error { return r.unmarshal(data, nil) }

// unmarshal is UnmarshalJSON, decoding the pinned process through c.
func (r *Release) unmarshal(data []byte, c *ProcessCache) error {
	type plain Release
	var x struct {
		plain
		Process json.RawMessage `json:"process"`
	}
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	proc, err := c.decode(x.Process)
	if err != nil {
		return err
	}
	*r = Release(x.plain)
	r.Process = proc
	if r.Initiator == "" {
		r.Initiator = r.CreatedBy // a snapshot written before the field existed
	}
	if n := r.Unknown[KindReleaseRollbackStarted]; n > 0 {
		// A snapshot written before this package knew the kind.
		r.RollingBack = r.Status == Running || r.Status == Paused
		delete(r.Unknown, KindReleaseRollbackStarted)
		if len(r.Unknown) == 0 {
			r.Unknown = nil
		}
	}
	r.recount()
	return nil
}

// check verifies the invariants a decoded snapshot must hold.
func (r *Release) check() error {
	switch {
	case r.ID == "":
		return errorf("id: missing")
	case !r.Status.Valid():
		return errorf("status %q: not a release status", r.Status)
	case r.Seq < 1:
		return errorf("seq %d: must be 1 or more", r.Seq)
	}
	for k, a := range r.Activities {
		if a == nil || a.Key != k || !a.Status.Valid() {
			return errorf("activities[%q]: missing, misnamed or with an unknown status", k)
		}
		if r.Phases[k.Phase()] == nil {
			return errorf("activities[%q]: no phase %q", k, k.Phase())
		}
	}
	for id, p := range r.Phases {
		if p == nil || p.ID != id || !p.Status.Valid() {
			return errorf("phases[%q]: missing, misnamed or with an unknown status", id)
		}
	}
	return nil
}

func (r *Release) recount() {
	r.counts = activityCounts{}
	for _, p := range r.Phases {
		if p != nil {
			p.counts = activityCounts{}
		}
	}
	for k, a := range r.Activities {
		if a == nil || a.Status.index() < 0 {
			continue
		}
		r.counts[a.Status.index()]++
		if p := r.Phases[k.Phase()]; p != nil {
			p.counts[a.Status.index()]++
		}
	}
}

// Clone returns a deep copy of r that shares no memory with it, except the
// pinned process, which is never modified after release.created and is
// shared. Cloning costs O(release size).
func (r *Release) Clone() *Release {
	if r == nil {
		return nil
	}
	c := *r
	c.Inputs = cloneAny(r.Inputs)
	c.Labels = cloneStrings(r.Labels)
	c.Links = slices.Clone(r.Links)
	c.Comments = slices.Clone(r.Comments)
	c.FreezeOverrides = slices.Clone(r.FreezeOverrides)
	c.PolicyFailures = slices.Clone(r.PolicyFailures)
	c.PolicyOverrides = slices.Clone(r.PolicyOverrides)
	c.Unknown = maps.Clone(r.Unknown)
	if r.Phases != nil {
		c.Phases = make(map[process.PhaseID]*PhaseState, len(r.Phases))
		for k, p := range r.Phases {
			pc := *p
			c.Phases[k] = &pc
		}
	}
	if r.Activities != nil {
		c.Activities = make(map[ActivityKey]*ActivityState, len(r.Activities))
		for k, a := range r.Activities {
			c.Activities[k] = a.clone()
		}
	}
	return &c
}

func (a *ActivityState) clone() *ActivityState {
	c := *a
	c.Attempts = slices.Clone(a.Attempts)
	for i := range c.Attempts {
		c.Attempts[i].Inputs = cloneAny(c.Attempts[i].Inputs)
	}
	c.Outputs = cloneAny(a.Outputs)
	c.Tasks = slices.Clone(a.Tasks)
	for i := range c.Tasks {
		c.Tasks[i].Assignees = slices.Clone(c.Tasks[i].Assignees)
		c.Tasks[i].Comments = slices.Clone(c.Tasks[i].Comments)
	}
	c.Approvals = slices.Clone(a.Approvals)
	c.Links = slices.Clone(a.Links)
	c.Comments = slices.Clone(a.Comments)
	return &c
}

// cloneAny deep-copies JSON-shaped values (maps, slices, scalars).
func cloneAny(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = cloneValue(v)
	}
	return c
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneAny(v)
	case []any:
		c := make([]any, len(v))
		for i, x := range v {
			c[i] = cloneValue(x)
		}
		return c
	}
	return v
}
