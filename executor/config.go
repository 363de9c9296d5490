package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// Clock is the executor's source of time. benbjohnson/clock's real and mock
// clocks satisfy it (clock.New(), clock.NewMock()), so tests can drive every
// timer (retry backoff, timeouts, approval deadlines, scheduled starts,
// leases) on a fake clock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After waits for d to pass and then sends the time on the channel.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// SystemClock is the wall clock.
var SystemClock Clock = realClock{}

// ActionKind names an operator action.
type ActionKind string

// The operator actions. Each is checked by Config.Authorize and recorded as
// an event.
const (
	ActionStart         ActionKind = "start"
	ActionPause         ActionKind = "pause"
	ActionResume        ActionKind = "resume"
	ActionAbort         ActionKind = "abort"
	ActionRetry         ActionKind = "retry"
	ActionIgnore        ActionKind = "ignore"
	ActionSkip          ActionKind = "skip"
	ActionUpdateTask    ActionKind = "update-task"
	ActionComment       ActionKind = "comment"
	ActionSubmitOutputs ActionKind = "submit-outputs"
	ActionApprove       ActionKind = "approve"
	ActionReject        ActionKind = "reject"
	ActionRollBack      ActionKind = "roll-back"
	ActionCreate        ActionKind = "create"
	// ActionBypassApproval decides an approval in place of its approvers
	// (BypassApproval). It is its own kind so that an authorizer that
	// allows skip or ignore does not allow it by accident.
	ActionBypassApproval ActionKind = "bypass-approval"
	// ActionPutGroup creates or replaces a release group (PutGroup).
	ActionPutGroup ActionKind = "put-group"
	// ActionPauseGroup pauses a release group (PauseGroup).
	ActionPauseGroup ActionKind = "pause-group"
	// ActionResumeGroup resumes a paused release group (ResumeGroup).
	ActionResumeGroup ActionKind = "resume-group"
	// ActionReschedule moves a release that has not started to another
	// time (Reschedule); Action.At is the new time.
	ActionReschedule ActionKind = "reschedule"
	// ActionPutProcess stores a new version of a process (PutProcess).
	ActionPutProcess ActionKind = "put-process"
)

// Action describes an operator action for Config.Authorize: who does what
// to which release, activity or task, and what the action would change,
// so that an authorizer can refuse on content (a retry that rewrites an
// exec activity's command, say).
//
// For every action on a release, the fields about its target are filled
// by the executor from the stored release, never from what the caller
// claims: Authorize runs after the release is loaded (with it locked).
// Maps and slices are copies; changing them changes nothing.
type Action struct {
	Kind ActionKind
	// Verb is Kind.Verb(), set by the executor: what a role must grant.
	Verb Verb
	// Resource is what the action is about: the release (or, with
	// Activity set, one activity of it) for actions on a release, else the
	// process, input set, group, freeze or policy it reads or changes.
	Resource Resource
	Release  release.ID          // empty for ActionCreate
	Activity release.ActivityKey // empty for release-wide actions
	Task     string              // ActionUpdateTask, and ActionComment on a task
	Actor    string
	Reason   string // also the comment of ActionApprove and ActionReject

	// What the action would change, as the caller asks it.

	// Inputs are the new inputs of ActionRetry (the with: parameters they
	// replace, or the child release's inputs for a subprocess), and the
	// inputs given to ActionCreate.
	Inputs map[string]any
	// Outputs are the substitute outputs of ActionIgnore and the outputs
	// of ActionSubmitOutputs.
	Outputs map[string]any
	// Status and Assignees are the new status and assignees of a task
	// (ActionUpdateTask); empty and nil keep them.
	Status    release.TaskStatus
	Assignees []string
	// Text is the text of ActionComment.
	Text string
	// At is the new start time of ActionReschedule.
	At time.Time

	// What the action is about, from the stored release.

	// Process and ProcessVersion are the release's pinned process (for
	// ActionCreate: as asked, version 0 meaning the latest).
	Process        process.ID
	ProcessVersion int
	// Group is the release group the release belongs to, if any.
	Group release.GroupID
	// Labels are the release's labels (the group's for actions on a
	// group, the process's for actions on a process).
	//
	// For an action on a freeze or a policy (viewing, putting or deleting
	// it) Process, Group and Labels are what its scope requires of what it
	// judges: Labels its label selector, Process and Group the process and
	// group it names when it names exactly one; a scope over everything,
	// or over several processes or groups, leaves them empty. So a role
	// bound over env=prod covers the freezes scoped to env=prod (or
	// narrower), and none that reaches further. Scope has the whole scope.
	Labels map[string]string
	// ActivityLabels are the target activity's labels, its phase's merged
	// under its own, as the process document gives them: empty, not nil,
	// for an activity without labels; nil for actions that name no
	// activity.
	ActivityLabels map[string]string
	// InputSet is the input set an action on input sets names.
	InputSet string
	// ActivityType is the type of the target activity (automated, manual,
	// approval, subprocess); empty for release-wide actions.
	ActivityType process.ActivityType
	// Uses is the adapter kind of an automated target activity.
	Uses string
	// Subprocess is the process a subprocess target activity runs.
	Subprocess process.ID
	// TaskState is the target task as stored (its status, assignees and
	// comments), for actions on a task; nil when there is none.
	TaskState *release.TaskState

	// Freeze is the freeze an action on freezes names: the one put,
	// deleted or read, or the one ActionOverrideFreeze lets the release
	// or activity through.
	Freeze release.FreezeID
	// NewFreeze is the freeze ActionPutFreeze would store (a copy).
	NewFreeze *release.Freeze

	// Scope is the scope of the freeze or policy the action names (a
	// copy): the stored one, or for ActionPutFreeze and ActionPutPolicy
	// the one it would store (replacing a stored freeze or policy is
	// asked twice, on the new scope and on the stored one: a right over
	// team=a does not take team=b's freeze by re-scoping it); for
	// ActionOverrideFreeze and ActionOverridePolicy, whose target is the
	// release or activity let through, the scope of the freeze or policy
	// it is let through. Nil for other actions, and when the freeze or
	// policy named is not stored.
	Scope *release.FreezeScope

	// Policy is the policy an action on policies names: the one put,
	// deleted or read, or the one ActionOverridePolicy lets the release or
	// activity through.
	Policy release.PolicyID
	// NewPolicy is the policy ActionPutPolicy would store (a copy).
	NewPolicy *release.Policy

	// Assigned are the people the target task is assigned to, its
	// "group:" assignees resolved through Config.ResolveGroup (groups that
	// cannot be resolved add nobody); nil when the task has no assignees.
	// Only they may update the task.
	Assigned []string
}

// Observer is told about every event after it is stored, in order per
// release. Observe is called synchronously by the goroutine that stored the
// event, with the release's lock held: it must return quickly and must not
// call back into the Executor. Use Subscribe for a buffered feed.
type Observer interface {
	Observe(e release.Event)
}

// ObserverFunc adapts a function to an Observer.
type ObserverFunc func(e release.Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e release.Event) { f(e) }

// Config tunes an Executor. A nil *Config is valid: every zero field takes
// the default its comment names.
type Config struct {
	// Parallelism bounds the activities of one release that run at once
	// (automated attempts and subprocesses in flight; activities waiting on
	// people do not count). The executor starts nothing past it: ready
	// activities and automatic retries that are due wait for a free slot,
	// retries first. An operator's Retry starts its attempt at once, even
	// at the bound: the person decided, and the attempt is recorded as they
	// asked (it takes a slot like any other). Defaults to 16.
	Parallelism int
	// Clock is the source of time for every timer. Defaults to SystemClock.
	Clock Clock
	// Logger receives operational messages: store failures, lost leases,
	// refused actions (at Warn, with release and activity attributes), and
	// at Info and Debug the executor's routine. Defaults to slog.Default()
	// at DefaultLogLevel (Warn) and above; set slog.New(slog.DiscardHandler)
	// to silence it.
	Logger *slog.Logger
	// Observers are told about every stored event. Defaults to none.
	Observers []Observer
	// Authorize checks an operator action before it is taken; a non-nil
	// error refuses it (the action returns an error wrapping ErrUnauthorized
	// and that error), and nothing is recorded. For an action on a release
	// it is called with the release loaded and locked (the Action's target
	// fields come from it): it must not act on that release itself, and it
	// may be called again if a concurrent change makes the executor reload
	// the release. Defaults to allowing everything.
	Authorize func(ctx context.Context, a *Action) error
	// ResolveGroup returns the members of an approver group named
	// "group:NAME" in a process (it receives NAME). It is called while the
	// release is locked, when someone decides on an approval and when the
	// executor counts the decisions. A group it cannot resolve (an error,
	// or no members) makes the approver set unknown: the approval keeps
	// waiting whatever its rule and the decisions given, Why names the group
	// and the error, and the lookup is tried again (with a backoff from 10s
	// to 10m while decisions wait on it, and whenever someone decides).
	// Defaults to nil: every group is unresolvable, so an approval that
	// names a group cannot pass.
	ResolveGroup func(ctx context.Context, group string) ([]string, error)
	// LeaseDuration is how long this instance holds a release it drives when
	// the store implements store.Leaser; the lease is renewed every third of
	// it, and another instance takes the release over once it expires.
	// Defaults to 30s.
	LeaseDuration time.Duration
	// RescanInterval is how often Run re-reads what other executors may
	// have changed: unfinished releases that no instance drives (their
	// lease expired, when the store implements store.Leaser), release
	// groups, freezes and policies. Defaults to LeaseDuration. A negative
	// value disables the periodic re-reads: Run reads them once when it
	// starts and then sees only its own changes (and, on a store that
	// implements store.ReleaseNotifier, the releases it is told about). Use
	// it for one executor alone on its store, as on a virtual clock in
	// tests, where a periodic timer would only add steps.
	RescanInterval time.Duration
	// InstanceID names this executor as a lease owner and as the actor of
	// the events it records on its own. Two executors that share a store
	// must have different ids: a lease is held by an id, so two executors
	// with one id would both believe they hold it and drive one release
	// twice. A replica that keeps its id across restarts (set it from the
	// replica's stable name: a StatefulSet pod name, a host name) takes its
	// leases back at once when it starts again; with a new id it waits
	// until the leases its former self held expire (LeaseDuration).
	// Defaults to a unique id made of the host name, the process id and
	// random bits ("executor-HOST-PID-RANDOM"), different for every New.
	InstanceID string
	// MaxDepth bounds the nesting of subprocesses: a release at depth
	// MaxDepth cannot start a child. Defaults to 3.
	MaxDepth int
	// Jitter is the fraction of each retry backoff that is randomised: a
	// delay d becomes a value in [d, d*(1+Jitter)], so a process's backoff
	// is always the least wait (and max-backoff may be exceeded by up to
	// the jitter). Defaults to 0.2; a negative value disables jitter.
	Jitter float64
	// StoreRetry is how long the executor waits before reloading a release
	// after the store failed a write. Defaults to 1s.
	StoreRetry time.Duration
	// PollInterval is the wait between two polls of a Poller adapter that
	// does not say, and between two checks of a child release driven by
	// another instance. Defaults to 10s.
	PollInterval time.Duration
	// Telemetry, when set, is told what the executor does, for traces and
	// metrics (see Telemetry; otelbaton implements it with OpenTelemetry).
	// Defaults to nil: no calls, no cost.
	Telemetry Telemetry
	// Sealer, when set, seals the head of every release the executor
	// creates or appends to (release.Anchor), and the store keeps the
	// anchor with the head: New requires a store that implements
	// store.AnchorStore. A rewrite of a release's whole chain is then
	// detected by whoever holds the key (ExportBundle,
	// release.VerifyBundle). A write whose head cannot be sealed fails.
	// Defaults to nil: heads are not anchored.
	Sealer release.Sealer
	// Retention, when set, deletes finished releases by its rules,
	// archiving their audit bundles first (see RetentionConfig); New then
	// requires a store that implements store.RetentionStore. Defaults to
	// nil: every release is kept.
	Retention *RetentionConfig
}

// The defaults of Config.
const (
	DefaultParallelism   = 16
	DefaultLeaseDuration = 30 * time.Second
	DefaultMaxDepth      = 3
	DefaultJitter        = 0.2
	DefaultStoreRetry    = time.Second
	DefaultPollInterval  = 10 * time.Second
)

// withDefaults returns a copy of c with every zero field set to its default,
// or an error naming a field with an impossible value.
func (c *Config) withDefaults() (Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Parallelism < 0 {
		return out, fmt.Errorf("executor: config: Parallelism %d: must not be negative", out.Parallelism)
	}
	if out.Parallelism == 0 {
		out.Parallelism = DefaultParallelism
	}
	if out.Clock == nil {
		out.Clock = SystemClock
	}
	if out.Logger == nil {
		out.Logger = defaultLogger()
	}
	if out.LeaseDuration < 0 {
		return out, fmt.Errorf("executor: config: LeaseDuration %v: must not be negative", out.LeaseDuration)
	}
	if out.LeaseDuration == 0 {
		out.LeaseDuration = DefaultLeaseDuration
	}
	if out.RescanInterval == 0 {
		out.RescanInterval = out.LeaseDuration
	}
	if out.InstanceID == "" {
		out.InstanceID = defaultInstanceID()
	}
	if out.MaxDepth < 0 {
		return out, fmt.Errorf("executor: config: MaxDepth %d: must not be negative", out.MaxDepth)
	}
	if out.MaxDepth == 0 {
		out.MaxDepth = DefaultMaxDepth
	}
	if out.Jitter == 0 {
		out.Jitter = DefaultJitter
	}
	if out.Jitter < 0 {
		out.Jitter = 0
	}
	if out.Jitter > 1 {
		return out, fmt.Errorf("executor: config: Jitter %v: must be at most 1", out.Jitter)
	}
	if out.StoreRetry <= 0 {
		out.StoreRetry = DefaultStoreRetry
	}
	if out.PollInterval <= 0 {
		out.PollInterval = DefaultPollInterval
	}
	var err error
	if out.Retention, err = out.Retention.withDefaults(); err != nil {
		return out, err
	}
	return out, nil
}

var errNilStore = errors.New("executor: new: store is nil")

// rescans reports whether Run re-reads the store periodically (see
// Config.RescanInterval).
func (c *Config) rescans() bool { return c.RescanInterval > 0 }
