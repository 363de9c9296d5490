package release

// Status is the status of a release: Scheduled, Running or Paused, then
// one of the terminal ones. "Waiting for input" is not a status: it is
// derived (see Release.WaitingForInput).
type Status string

// The release statuses.
const (
	Scheduled      Status = "Scheduled"      // created, not started
	Running        Status = "Running"        // started; activities may run
	Paused         Status = "Paused"         // an operator paused it; nothing new starts
	Succeeded      Status = "Succeeded"      // every activity done, no failure ignored
	PartialSuccess Status = "PartialSuccess" // done, with at least one ignored failure
	Failed         Status = "Failed"         // a failure ended it
	Aborted        Status = "Aborted"        // an operator aborted it
	RolledBack     Status = "RolledBack"     // a failure rolled back completed work
)

// Statuses lists every release status in a stable order.
var Statuses = []Status{Scheduled, Running, Paused, Succeeded, PartialSuccess, Failed, Aborted, RolledBack}

var releaseTransitions = map[Status][]Status{
	Scheduled: {Running, Aborted},
	Running:   {Paused, Succeeded, PartialSuccess, Failed, Aborted, RolledBack},
	Paused:    {Running, Failed, Aborted},
}

// Valid reports whether s is one of the release statuses.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if s == x {
			return true
		}
	}
	return false
}

// Terminal reports whether s is final: no transition leaves it.
func (s Status) Terminal() bool {
	switch s {
	case Succeeded, PartialSuccess, Failed, Aborted, RolledBack:
		return true
	}
	return false
}

// CanTransition reports whether a release may move from s to to.
//
//	Scheduled -> Running | Aborted
//	Running   -> Paused | Succeeded | PartialSuccess | Failed | Aborted | RolledBack
//	Paused    -> Running | Failed | Aborted
//
// A paused release starts nothing new, but what was running finishes: a
// failure whose on-failure is fail still fails the release (Paused ->
// Failed). The other statuses are terminal.
func (s Status) CanTransition(to Status) bool {
	for _, x := range releaseTransitions[s] {
		if x == to {
			return true
		}
	}
	return false
}

// ActivityStatus is the status of one activity of a release.
type ActivityStatus string

// The activity statuses.
const (
	ActivityPending    ActivityStatus = "Pending"    // not started
	ActivityRunning    ActivityStatus = "Running"    // an attempt is running
	ActivityWaiting    ActivityStatus = "Waiting"    // a human must act: tasks, outputs, approval
	ActivityOnHold     ActivityStatus = "OnHold"     // failed; an operator decides
	ActivitySucceeded  ActivityStatus = "Succeeded"  // done
	ActivityFailed     ActivityStatus = "Failed"     // failed (may be retried, ignored or rolled back)
	ActivityIgnored    ActivityStatus = "Ignored"    // failed, and the failure was ignored; done
	ActivitySkipped    ActivityStatus = "Skipped"    // a false `if` or an operator skipped it; done
	ActivityAborted    ActivityStatus = "Aborted"    // stopped by an abort
	ActivityRolledBack ActivityStatus = "RolledBack" // its rollback ran
)

// ActivityStatuses lists every activity status in a stable order.
var ActivityStatuses = []ActivityStatus{
	ActivityPending, ActivityRunning, ActivityWaiting, ActivityOnHold, ActivitySucceeded,
	ActivityFailed, ActivityIgnored, ActivitySkipped, ActivityAborted, ActivityRolledBack,
}

var activityTransitions = map[ActivityStatus][]ActivityStatus{
	ActivityPending:   {ActivityRunning, ActivitySkipped, ActivityAborted},
	ActivityRunning:   {ActivityWaiting, ActivitySucceeded, ActivityFailed, ActivityOnHold, ActivityAborted},
	ActivityWaiting:   {ActivityRunning, ActivitySucceeded, ActivityFailed, ActivityOnHold, ActivityIgnored, ActivitySkipped, ActivityAborted},
	ActivityOnHold:    {ActivityRunning, ActivityFailed, ActivityIgnored, ActivitySkipped, ActivityAborted, ActivityRolledBack},
	ActivityFailed:    {ActivityRunning, ActivityOnHold, ActivityIgnored, ActivityAborted, ActivityRolledBack},
	ActivitySucceeded: {ActivityRolledBack},
}

// Valid reports whether s is one of the activity statuses.
func (s ActivityStatus) Valid() bool { return s.index() >= 0 }

func (s ActivityStatus) index() int {
	switch s { // the order of ActivityStatuses
	case ActivityPending:
		return 0
	case ActivityRunning:
		return 1
	case ActivityWaiting:
		return 2
	case ActivityOnHold:
		return 3
	case ActivitySucceeded:
		return 4
	case ActivityFailed:
		return 5
	case ActivityIgnored:
		return 6
	case ActivitySkipped:
		return 7
	case ActivityAborted:
		return 8
	case ActivityRolledBack:
		return 9
	}
	return -1
}

// Done reports whether s lets dependents go on: Succeeded, Ignored or Skipped.
func (s ActivityStatus) Done() bool {
	return s == ActivitySucceeded || s == ActivityIgnored || s == ActivitySkipped
}

// Terminal reports whether no transition leaves s other than a rollback.
func (s ActivityStatus) Terminal() bool {
	switch s {
	case ActivitySucceeded, ActivityIgnored, ActivitySkipped, ActivityAborted, ActivityRolledBack:
		return true
	}
	return false
}

// NeedsInput reports whether s means someone must act: Waiting or OnHold.
func (s ActivityStatus) NeedsInput() bool { return s == ActivityWaiting || s == ActivityOnHold }

// CanTransition reports whether an activity may move from s to to.
//
//	Pending   -> Running | Skipped | Aborted
//	Running   -> Waiting | Succeeded | Failed | OnHold | Aborted
//	Waiting   -> Running | Succeeded | Failed | OnHold | Ignored | Skipped | Aborted
//	OnHold    -> Running (retry) | Failed | Ignored | Skipped | Aborted | RolledBack
//	Failed    -> Running (retry) | OnHold | Ignored | RolledBack
//	Succeeded -> RolledBack
//
// Ignored, Skipped, Aborted and RolledBack are final.
func (s ActivityStatus) CanTransition(to ActivityStatus) bool {
	for _, x := range activityTransitions[s] {
		if x == to {
			return true
		}
	}
	return false
}

// PhaseStatus is the status of one phase of a release.
type PhaseStatus string

// The phase statuses.
const (
	PhasePending   PhaseStatus = "Pending"
	PhaseRunning   PhaseStatus = "Running"
	PhaseSucceeded PhaseStatus = "Succeeded" // every activity done
	PhaseFailed    PhaseStatus = "Failed"
	PhaseSkipped   PhaseStatus = "Skipped" // a false `if`
	PhaseAborted   PhaseStatus = "Aborted"
)

var phaseTransitions = map[PhaseStatus][]PhaseStatus{
	PhasePending: {PhaseRunning, PhaseSkipped, PhaseAborted},
	PhaseRunning: {PhaseSucceeded, PhaseFailed, PhaseAborted},
	PhaseFailed:  {PhaseRunning},
}

// Valid reports whether s is one of the phase statuses.
func (s PhaseStatus) Valid() bool {
	switch s {
	case PhasePending, PhaseRunning, PhaseSucceeded, PhaseFailed, PhaseSkipped, PhaseAborted:
		return true
	}
	return false
}

// Done reports whether dependent phases may go on: Succeeded or Skipped.
func (s PhaseStatus) Done() bool { return s == PhaseSucceeded || s == PhaseSkipped }

// CanTransition reports whether a phase may move from s to to.
//
//	Pending -> Running | Skipped | Aborted
//	Running -> Succeeded | Failed | Aborted
//	Failed  -> Running (an activity of it is retried)
func (s PhaseStatus) CanTransition(to PhaseStatus) bool {
	for _, x := range phaseTransitions[s] {
		if x == to {
			return true
		}
	}
	return false
}

// TaskStatus is the status of one human task of a manual activity.
type TaskStatus string

// The task statuses.
const (
	TaskTodo       TaskStatus = "TODO"
	TaskInProgress TaskStatus = "IN_PROGRESS"
	TaskSucceeded  TaskStatus = "SUCCEEDED"
	TaskFailed     TaskStatus = "FAILED"
	TaskBlocked    TaskStatus = "BLOCKED"
)

var taskTransitions = map[TaskStatus][]TaskStatus{
	TaskTodo:       {TaskInProgress, TaskSucceeded, TaskFailed, TaskBlocked},
	TaskInProgress: {TaskTodo, TaskSucceeded, TaskFailed, TaskBlocked},
	TaskBlocked:    {TaskTodo, TaskInProgress, TaskFailed},
	TaskFailed:     {TaskTodo, TaskInProgress},
	TaskSucceeded:  {TaskTodo, TaskInProgress},
}

// Valid reports whether s is one of the task statuses.
func (s TaskStatus) Valid() bool {
	_, ok := taskTransitions[s]
	return ok
}

// CanTransition reports whether a task may move from s to to.
//
//	TODO        -> IN_PROGRESS | SUCCEEDED | FAILED | BLOCKED
//	IN_PROGRESS -> TODO | SUCCEEDED | FAILED | BLOCKED
//	BLOCKED     -> TODO | IN_PROGRESS | FAILED
//	FAILED      -> TODO | IN_PROGRESS (reopened)
//	SUCCEEDED   -> TODO | IN_PROGRESS (reopened)
func (s TaskStatus) CanTransition(to TaskStatus) bool {
	for _, x := range taskTransitions[s] {
		if x == to {
			return true
		}
	}
	return false
}
