package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/process"
)

// Payload is the typed payload of an event of a known kind. Each payload
// type below names its kind; NewEvent encodes one, DecodePayload decodes one.
type Payload interface {
	EventKind() EventKind
}

// ErrUnknownKind is returned (wrapped) by DecodePayload for an event whose
// kind this package does not know. Kinds are an open set: callers that fold
// or display events skip such events rather than fail.
var ErrUnknownKind = errors.New("release: unknown event kind")

// ErrBadEvent is matched (errors.Is) by every *EventError.
var ErrBadEvent = errors.New("release: bad event")

// EventError reports an event that cannot be applied: its payload does not
// fit its kind, it names an activity, phase or task the release does not
// have, or it does not continue the release's chain.
type EventError struct {
	Seq  int64
	Kind EventKind
	Err  error
}

func (e *EventError) Error() string {
	return fmt.Sprintf("release: event %d (%s): %v", e.Seq, e.Kind, e.Err)
}

// Unwrap returns the underlying error.
func (e *EventError) Unwrap() error { return e.Err }

// Is reports whether target is ErrBadEvent.
func (e *EventError) Is(target error) bool { return target == ErrBadEvent }

// ReleaseCreatedPayload is the payload of release.created, the first event of
// every release. The event's Actor is the release's creator.
type ReleaseCreatedPayload struct {
	Name    string           `json:"name"`
	Version string           `json:"version,omitempty"` // a version label ("2.4.0")
	Process *process.Process `json:"process"`           // the pinned copy; its ID and Version must be set
	Inputs  map[string]any   `json:"inputs,omitempty"`  // resolved input values
	Group   GroupID          `json:"group,omitempty"`
	// Occurrence is the group occurrence the release was made for (zero for a
	// release made on demand). Stores keep (Group, Occurrence) unique.
	Occurrence time.Time `json:"occurrence"`
	// ScheduledFor is when the release should start; zero means the event's
	// time (on demand).
	ScheduledFor  time.Time         `json:"scheduled-for"`
	ExpectedStart time.Time         `json:"expected-start"`
	ExpectedEnd   time.Time         `json:"expected-end"`
	Labels        map[string]string `json:"labels,omitempty"`
	// Initiator is the person who initiated the top-level release this one
	// descends from (a subprocess's child release is created by the
	// executor, but its initiator is the parent's). Empty means the event's
	// Actor, as for every top-level release and for children created before
	// the field existed.
	Initiator string `json:"initiator,omitempty"`
}

// ReleaseStartedPayload is the payload of release.started (Scheduled -> Running).
type ReleaseStartedPayload struct{}

// ReleasePausedPayload is the payload of release.paused (Running -> Paused).
type ReleasePausedPayload struct{}

// ReleaseResumedPayload is the payload of release.resumed (Paused -> Running).
type ReleaseResumedPayload struct{}

// ReleaseRescheduledPayload is the payload of release.rescheduled, legal while the
// release is Scheduled. Zero fields are left unchanged.
type ReleaseRescheduledPayload struct {
	ScheduledFor  time.Time `json:"scheduled-for"`
	ExpectedStart time.Time `json:"expected-start"`
	ExpectedEnd   time.Time `json:"expected-end"`
}

// ReleaseSucceededPayload is the payload of release.succeeded (Running -> Succeeded).
type ReleaseSucceededPayload struct{}

// ReleasePartiallySucceededPayload is the payload of release.partially-succeeded
// (Running -> PartialSuccess: done, with an ignored failure).
type ReleasePartiallySucceededPayload struct{}

// ReleaseFailedPayload is the payload of release.failed (Running or Paused ->
// Failed).
type ReleaseFailedPayload struct {
	Error string `json:"error,omitempty"`
}

// ReleaseAbortedPayload is the payload of release.aborted (Scheduled, Running or
// Paused -> Aborted). The event's Reason is required. Activities still
// running are aborted by their own activity.aborted events, which the
// executor appends before this one.
type ReleaseAbortedPayload struct{}

// ReleaseRolledBackPayload is the payload of release.rolled-back (Running ->
// RolledBack), appended once the rollbacks have run.
type ReleaseRolledBackPayload struct {
	Error string `json:"error,omitempty"` // the failure that caused the rollback
}

// ReleaseRollbackStartedPayload is the payload of release.rollback-started:
// the release (Running or Paused) starts rolling back, because Activity
// failed under on-failure: rollback (Error says how) or an operator asked
// (no Activity). The status stays Running until release.rolled-back;
// Release.RollingBack says a rollback is under way.
type ReleaseRollbackStartedPayload struct {
	Activity ActivityKey `json:"activity,omitempty"`
	Error    string      `json:"error,omitempty"`
}

// PhaseChange is the payload shape of the phase.* events; each kind has its
// own named type.
type PhaseChange struct {
	Phase process.PhaseID `json:"phase"`
	Error string          `json:"error,omitempty"`
}

type (
	// PhaseStartedPayload is the payload of phase.started (Pending -> Running, or
	// Failed -> Running when one of its activities is retried).
	PhaseStartedPayload PhaseChange
	// PhaseSucceededPayload is the payload of phase.succeeded (Running -> Succeeded).
	PhaseSucceededPayload PhaseChange
	// PhaseFailedPayload is the payload of phase.failed (Running -> Failed).
	PhaseFailedPayload PhaseChange
	// PhaseSkippedPayload is the payload of phase.skipped (Pending -> Skipped).
	PhaseSkippedPayload PhaseChange
	// PhaseAbortedPayload is the payload of phase.aborted (Pending or Running -> Aborted).
	PhaseAbortedPayload PhaseChange
)

// ActivityStartedPayload is the payload of activity.started: a new attempt begins
// (Pending, Failed or OnHold -> Running). The event's Actor is who started
// or retried it; Inputs are the attempt's resolved parameters (new inputs
// when an operator retries with new inputs).
type ActivityStartedPayload struct {
	Activity       ActivityKey    `json:"activity"`
	Inputs         map[string]any `json:"inputs,omitempty"`
	IdempotencyKey string         `json:"idempotency-key,omitempty"`
}

// ActivityWaitingPayload is the payload of activity.waiting (Running -> Waiting: a
// human must act).
type ActivityWaitingPayload struct {
	Activity ActivityKey `json:"activity"`
}

// ActivityResumedPayload is the payload of activity.resumed (Waiting -> Running,
// within the same attempt).
type ActivityResumedPayload struct {
	Activity ActivityKey `json:"activity"`
}

// ActivitySucceededPayload is the payload of activity.succeeded (Running or
// Waiting -> Succeeded). Outputs are merged into the activity's outputs.
type ActivitySucceededPayload struct {
	Activity ActivityKey    `json:"activity"`
	Outputs  map[string]any `json:"outputs,omitempty"`
}

// ActivityFailedPayload is the payload of activity.failed (Running, Waiting or
// OnHold -> Failed). It ends the current attempt with Error.
type ActivityFailedPayload struct {
	Activity  ActivityKey `json:"activity"`
	Error     string      `json:"error"`
	TimedOut  bool        `json:"timed-out,omitempty"`
	Permanent bool        `json:"permanent,omitempty"` // the adapter said retrying will not help
}

// ActivityHeldPayload is the payload of activity.held (Running, Waiting or Failed
// -> OnHold: an operator decides). From Running or Waiting it ends the
// current attempt with Error.
type ActivityHeldPayload struct {
	Activity  ActivityKey `json:"activity"`
	Error     string      `json:"error,omitempty"`
	TimedOut  bool        `json:"timed-out,omitempty"` // the attempt ran past its timeout
	Permanent bool        `json:"permanent,omitempty"` // the adapter said retrying will not help
}

// ActivityIgnoredPayload is the payload of activity.ignored (Failed, OnHold or
// Waiting -> Ignored). Outputs substitute for the ones it did not produce.
type ActivityIgnoredPayload struct {
	Activity ActivityKey    `json:"activity"`
	Outputs  map[string]any `json:"outputs,omitempty"`
}

// ActivitySkippedPayload is the payload of activity.skipped (Pending, Waiting or
// OnHold -> Skipped: a false `if`, or an operator).
type ActivitySkippedPayload struct {
	Activity ActivityKey `json:"activity"`
}

// ActivityAbortedPayload is the payload of activity.aborted (Pending, Running,
// Waiting, OnHold or Failed -> Aborted; Failed when it waited for a retry
// and its release ended).
type ActivityAbortedPayload struct {
	Activity ActivityKey `json:"activity"`
}

// ActivityRolledBackPayload is the payload of activity.rolled-back (Succeeded,
// Failed or OnHold -> RolledBack): its rollback step ran.
type ActivityRolledBackPayload struct {
	Activity ActivityKey `json:"activity"`
	Error    string      `json:"error,omitempty"` // set when the rollback itself reported a problem
}

// OutputsSubmittedPayload is the payload of outputs.submitted: a person submitted
// outputs of a manual activity (Running or Waiting). They are merged into the
// activity's outputs.
type OutputsSubmittedPayload struct {
	Activity ActivityKey    `json:"activity"`
	Outputs  map[string]any `json:"outputs"`
}

// TaskUpdatedPayload is the payload of task.updated: a task of a manual activity
// changed status (following TaskStatus.CanTransition) or assignees. An empty
// Status keeps the status; nil Assignees keep the assignees.
type TaskUpdatedPayload struct {
	Activity  ActivityKey `json:"activity"`
	Task      string      `json:"task"`
	Status    TaskStatus  `json:"status,omitempty"`
	Assignees []string    `json:"assignees,omitempty"`
}

// ApprovalGrantedPayload is the payload of approval.granted: the event's Actor
// approved an approval activity (Running or Waiting). One person counts
// once: a second grant by the same actor is an error.
type ApprovalGrantedPayload struct {
	Activity ActivityKey `json:"activity"`
	Comment  string      `json:"comment,omitempty"`
}

// ApprovalRejectedPayload is the payload of approval.rejected: the event's Actor
// rejected an approval activity (Running or Waiting). The activity's
// failure is a separate activity.failed event.
type ApprovalRejectedPayload struct {
	Activity ActivityKey `json:"activity"`
	Comment  string      `json:"comment,omitempty"`
}

// ApprovalBypassedPayload is the payload of approval.bypassed: the event's
// Actor decided a Running or Waiting approval activity in place of its
// approvers, for the event's Reason (an explicit, authorized override).
// It is recorded as a Decision with Bypassed set; the activity's success
// is a separate activity.succeeded event.
type ApprovalBypassedPayload struct {
	Activity ActivityKey `json:"activity"`
}

// CommentAddedPayload is the payload of comment.added: a comment on the release
// (no Activity), an activity, or a task of one (Activity and Task).
type CommentAddedPayload struct {
	Activity ActivityKey `json:"activity,omitempty"`
	Task     string      `json:"task,omitempty"`
	Text     string      `json:"text"`
}

// LinkAddedPayload is the payload of link.added: a traceability link on the release
// (no Activity), on an activity, or on a task of one (Activity and Task).
type LinkAddedPayload struct {
	Activity ActivityKey `json:"activity,omitempty"`
	Task     string      `json:"task,omitempty"`
	Link     Link        `json:"link"`
}

// EventKind implementations.
func (ReleaseCreatedPayload) EventKind() EventKind            { return KindReleaseCreated }
func (ReleaseStartedPayload) EventKind() EventKind            { return KindReleaseStarted }
func (ReleasePausedPayload) EventKind() EventKind             { return KindReleasePaused }
func (ReleaseResumedPayload) EventKind() EventKind            { return KindReleaseResumed }
func (ReleaseRescheduledPayload) EventKind() EventKind        { return KindReleaseRescheduled }
func (ReleaseSucceededPayload) EventKind() EventKind          { return KindReleaseSucceeded }
func (ReleasePartiallySucceededPayload) EventKind() EventKind { return KindReleasePartiallySucceeded }
func (ReleaseFailedPayload) EventKind() EventKind             { return KindReleaseFailed }
func (ReleaseAbortedPayload) EventKind() EventKind            { return KindReleaseAborted }
func (ReleaseRolledBackPayload) EventKind() EventKind         { return KindReleaseRolledBack }
func (ReleaseRollbackStartedPayload) EventKind() EventKind    { return KindReleaseRollbackStarted }
func (PhaseStartedPayload) EventKind() EventKind              { return KindPhaseStarted }
func (PhaseSucceededPayload) EventKind() EventKind            { return KindPhaseSucceeded }
func (PhaseFailedPayload) EventKind() EventKind               { return KindPhaseFailed }
func (PhaseSkippedPayload) EventKind() EventKind              { return KindPhaseSkipped }
func (PhaseAbortedPayload) EventKind() EventKind              { return KindPhaseAborted }
func (ActivityStartedPayload) EventKind() EventKind           { return KindActivityStarted }
func (ActivityWaitingPayload) EventKind() EventKind           { return KindActivityWaiting }
func (ActivityResumedPayload) EventKind() EventKind           { return KindActivityResumed }
func (ActivitySucceededPayload) EventKind() EventKind         { return KindActivitySucceeded }
func (ActivityFailedPayload) EventKind() EventKind            { return KindActivityFailed }
func (ActivityHeldPayload) EventKind() EventKind              { return KindActivityHeld }
func (ActivityIgnoredPayload) EventKind() EventKind           { return KindActivityIgnored }
func (ActivitySkippedPayload) EventKind() EventKind           { return KindActivitySkipped }
func (ActivityAbortedPayload) EventKind() EventKind           { return KindActivityAborted }
func (ActivityRolledBackPayload) EventKind() EventKind        { return KindActivityRolledBack }
func (OutputsSubmittedPayload) EventKind() EventKind          { return KindOutputsSubmitted }
func (TaskUpdatedPayload) EventKind() EventKind               { return KindTaskUpdated }
func (ApprovalGrantedPayload) EventKind() EventKind           { return KindApprovalGranted }
func (ApprovalRejectedPayload) EventKind() EventKind          { return KindApprovalRejected }
func (ApprovalBypassedPayload) EventKind() EventKind          { return KindApprovalBypassed }
func (CommentAddedPayload) EventKind() EventKind              { return KindCommentAdded }
func (LinkAddedPayload) EventKind() EventKind                 { return KindLinkAdded }

// EventKind returns KindFreezeOverridden.
func (FreezeOverriddenPayload) EventKind() EventKind { return KindFreezeOverridden }

var payloadTypes = map[EventKind]func() Payload{
	KindReleaseCreated:            func() Payload { return new(ReleaseCreatedPayload) },
	KindReleaseStarted:            func() Payload { return new(ReleaseStartedPayload) },
	KindReleasePaused:             func() Payload { return new(ReleasePausedPayload) },
	KindReleaseResumed:            func() Payload { return new(ReleaseResumedPayload) },
	KindReleaseRescheduled:        func() Payload { return new(ReleaseRescheduledPayload) },
	KindReleaseSucceeded:          func() Payload { return new(ReleaseSucceededPayload) },
	KindReleasePartiallySucceeded: func() Payload { return new(ReleasePartiallySucceededPayload) },
	KindReleaseFailed:             func() Payload { return new(ReleaseFailedPayload) },
	KindReleaseAborted:            func() Payload { return new(ReleaseAbortedPayload) },
	KindReleaseRolledBack:         func() Payload { return new(ReleaseRolledBackPayload) },
	KindReleaseRollbackStarted:    func() Payload { return new(ReleaseRollbackStartedPayload) },
	KindPhaseStarted:              func() Payload { return new(PhaseStartedPayload) },
	KindPhaseSucceeded:            func() Payload { return new(PhaseSucceededPayload) },
	KindPhaseFailed:               func() Payload { return new(PhaseFailedPayload) },
	KindPhaseSkipped:              func() Payload { return new(PhaseSkippedPayload) },
	KindPhaseAborted:              func() Payload { return new(PhaseAbortedPayload) },
	KindActivityStarted:           func() Payload { return new(ActivityStartedPayload) },
	KindActivityWaiting:           func() Payload { return new(ActivityWaitingPayload) },
	KindActivityResumed:           func() Payload { return new(ActivityResumedPayload) },
	KindActivitySucceeded:         func() Payload { return new(ActivitySucceededPayload) },
	KindActivityFailed:            func() Payload { return new(ActivityFailedPayload) },
	KindActivityHeld:              func() Payload { return new(ActivityHeldPayload) },
	KindActivityIgnored:           func() Payload { return new(ActivityIgnoredPayload) },
	KindActivitySkipped:           func() Payload { return new(ActivitySkippedPayload) },
	KindActivityAborted:           func() Payload { return new(ActivityAbortedPayload) },
	KindActivityRolledBack:        func() Payload { return new(ActivityRolledBackPayload) },
	KindOutputsSubmitted:          func() Payload { return new(OutputsSubmittedPayload) },
	KindTaskUpdated:               func() Payload { return new(TaskUpdatedPayload) },
	KindApprovalGranted:           func() Payload { return new(ApprovalGrantedPayload) },
	KindApprovalRejected:          func() Payload { return new(ApprovalRejectedPayload) },
	KindApprovalBypassed:          func() Payload { return new(ApprovalBypassedPayload) },
	KindCommentAdded:              func() Payload { return new(CommentAddedPayload) },
	KindLinkAdded:                 func() Payload { return new(LinkAddedPayload) },
	KindFreezeOverridden:          func() Payload { return new(FreezeOverriddenPayload) },
	KindPolicyFailed:              func() Payload { return new(PolicyFailedPayload) },
	KindPolicyOverridden:          func() Payload { return new(PolicyOverriddenPayload) },
}

// Known reports whether k is one of the kinds this package knows.
func (k EventKind) Known() bool {
	_, ok := payloadTypes[k]
	return ok
}

// DecodePayload decodes e's payload into the payload type of its kind and
// checks its required fields; an empty payload reads as {}. It returns a pointer to the payload type
// (*ActivityStartedPayload for activity.started). For an unknown kind it returns an
// error wrapping ErrUnknownKind; for a payload that does not fit its kind,
// an *EventError naming the field. Fields the type does not have are
// ignored, so that payloads may grow.
func DecodePayload(e Event) (Payload, error) { return (*ProcessCache)(nil).decodeKnown(e) }

// decodeKnown is DecodePayload, reusing c's decoding state.
func (c *ProcessCache) decodeKnown(e Event) (Payload, error) {
	mk, ok := payloadTypes[e.Kind]
	if !ok {
		return nil, fmt.Errorf("%w %q (event %d)", ErrUnknownKind, e.Kind, e.Seq)
	}
	p := mk()
	raw := e.Payload
	if len(raw) == 0 {
		raw = json.RawMessage("{}") // as Seal and the hash read it
	}
	if err := c.unmarshal(raw, p); err != nil {
		return nil, &EventError{Seq: e.Seq, Kind: e.Kind, Err: fmt.Errorf("payload: %w", describeJSONError(err))}
	}
	if err := validatePayload(p); err != nil {
		return nil, &EventError{Seq: e.Seq, Kind: e.Kind, Err: err}
	}
	return p, nil
}

func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("field %q: want %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	return err
}

func validatePayload(p Payload) error {
	need := func(field string, ok bool) error {
		if !ok {
			return fmt.Errorf("payload: %s: missing", field)
		}
		return nil
	}
	switch p := p.(type) {
	case *ReleaseCreatedPayload:
		if p.Process == nil {
			return errors.New("payload: process: missing")
		}
		if p.Process.ID == "" {
			return errors.New("payload: process.id: missing")
		}
		if p.Name == "" {
			return errors.New("payload: name: missing")
		}
	case *PhaseStartedPayload:
		return need("phase", p.Phase != "")
	case *PhaseSucceededPayload:
		return need("phase", p.Phase != "")
	case *PhaseFailedPayload:
		return need("phase", p.Phase != "")
	case *PhaseSkippedPayload:
		return need("phase", p.Phase != "")
	case *PhaseAbortedPayload:
		return need("phase", p.Phase != "")
	case *ActivityStartedPayload:
		return need("activity", p.Activity != "")
	case *ActivityWaitingPayload:
		return need("activity", p.Activity != "")
	case *ActivityResumedPayload:
		return need("activity", p.Activity != "")
	case *ActivitySucceededPayload:
		return need("activity", p.Activity != "")
	case *ActivityFailedPayload:
		return need("activity", p.Activity != "")
	case *ActivityHeldPayload:
		return need("activity", p.Activity != "")
	case *ActivityIgnoredPayload:
		return need("activity", p.Activity != "")
	case *ActivitySkippedPayload:
		return need("activity", p.Activity != "")
	case *ActivityAbortedPayload:
		return need("activity", p.Activity != "")
	case *ActivityRolledBackPayload:
		return need("activity", p.Activity != "")
	case *OutputsSubmittedPayload:
		return need("activity", p.Activity != "")
	case *TaskUpdatedPayload:
		if err := need("activity", p.Activity != ""); err != nil {
			return err
		}
		if err := need("task", p.Task != ""); err != nil {
			return err
		}
		if p.Status != "" && !p.Status.Valid() {
			return fmt.Errorf("payload: status %q: want TODO, IN_PROGRESS, SUCCEEDED, FAILED or BLOCKED", p.Status)
		}
	case *ApprovalGrantedPayload:
		return need("activity", p.Activity != "")
	case *ApprovalRejectedPayload:
		return need("activity", p.Activity != "")
	case *ApprovalBypassedPayload:
		return need("activity", p.Activity != "")
	case *CommentAddedPayload:
		if p.Task != "" && p.Activity == "" {
			return errors.New("payload: task: needs an activity")
		}
		return need("text", p.Text != "")
	case *LinkAddedPayload:
		if p.Task != "" && p.Activity == "" {
			return errors.New("payload: task: needs an activity")
		}
		return p.Link.Validate()
	case *FreezeOverriddenPayload:
		return need("freeze", p.Freeze != "")
	case *PolicyFailedPayload:
		return need("policy", p.Policy != "")
	case *PolicyOverriddenPayload:
		return need("policy", p.Policy != "")
	}
	return nil
}

// UnmarshalJSON decodes a release.created payload, decoding the pinned
// process through the shared cache (see decodeProcess).
func (p *ReleaseCreatedPayload) UnmarshalJSON(data []byte) error {
	type plain ReleaseCreatedPayload
	var x struct {
		plain
		Process json.RawMessage `json:"process"`
	}
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	*p = ReleaseCreatedPayload(x.plain)
	proc, err := decodeProcess(x.Process)
	if err != nil {
		return err
	}
	p.Process = proc
	return nil
}

// FreezeOverriddenPayload is the payload of freeze.overridden: the event's
// Actor let the release (no Activity) or one of its activities through
// the freeze Freeze, for the event's Reason. It is kept in
// Release.FreezeOverrides; an override of the release covers its
// activities.
type FreezeOverriddenPayload struct {
	Freeze   FreezeID    `json:"freeze"`
	Activity ActivityKey `json:"activity,omitempty"`
}
