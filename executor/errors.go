package executor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/batonhq/baton/release"
)

// The sentinel errors of the executor (test with errors.Is).
var (
	// ErrNotFound: the release, activity, task or process does not exist.
	// Errors from the store that mean the same also match store.ErrNotFound.
	ErrNotFound = errors.New("executor: not found")
	// ErrIllegal: the action does not fit the current state (every
	// *StateError matches it).
	ErrIllegal = errors.New("executor: action does not fit the state")
	// ErrUnauthorized: Config.Authorize refused the action.
	ErrUnauthorized = errors.New("executor: not authorized")
	// ErrForbidden: the actor may not take this decision (not an approver,
	// the release's initiator where the policy forbids it, or a second
	// decision by the same person).
	ErrForbidden = errors.New("executor: forbidden")
	// ErrInvalid: the arguments are wrong (a missing actor or reason, an
	// unknown output name, inputs that do not fit the process). For inputs
	// Create refuses, the *process.ValidationError naming each input and
	// what it expected is in the chain too (errors.As).
	ErrInvalid = errors.New("executor: invalid argument")
	// ErrRunning: Run was called while it is already running.
	ErrRunning = errors.New("executor: already running")
)

// StateError reports an action that does not fit the state of the release
// or activity it names:
//
//	executor: retry: activity deploy.rollout is Running, not OnHold or Failed
//
// It matches ErrIllegal.
type StateError struct {
	Action  ActionKind
	Subject string // "release 0190...", "activity deploy.rollout"
	Status  string // the current status
	Want    []string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("executor: %s: %s is %s, not %s", e.Action, e.Subject, e.Status, orList(e.Want))
}

// Is reports whether target is ErrIllegal.
func (e *StateError) Is(target error) bool { return target == ErrIllegal }

func orList(s []string) string {
	switch len(s) {
	case 0:
		return "in a state that allows it"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func activityState(action ActionKind, k release.ActivityKey, status release.ActivityStatus, want ...release.ActivityStatus) error {
	w := make([]string, len(want))
	for i, s := range want {
		w[i] = string(s)
	}
	return &StateError{Action: action, Subject: "activity " + string(k), Status: string(status), Want: w}
}

func releaseState(action ActionKind, id release.ID, status release.Status, want ...release.Status) error {
	w := make([]string, len(want))
	for i, s := range want {
		w[i] = string(s)
	}
	return &StateError{Action: action, Subject: "release " + string(id), Status: string(status), Want: w}
}

func invalidf(action ActionKind, format string, args ...any) error {
	return &actionError{action: action, kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

func forbiddenf(action ActionKind, format string, args ...any) error {
	return &actionError{action: action, kind: ErrForbidden, msg: fmt.Sprintf(format, args...)}
}

// invalid wraps err, the reason arguments were refused (a
// *process.ValidationError, say), as an ErrInvalid of the action: both
// stay reachable with errors.Is and errors.As.
func invalid(action ActionKind, err error) error {
	return &actionError{action: action, kind: ErrInvalid, msg: err.Error(), cause: err}
}

// actionError is a refused action: "executor: approve: forbidden: bob
// started the release". It matches its sentinel (and its cause, if any)
// with errors.Is, and names the package once.
type actionError struct {
	action ActionKind
	kind   error
	msg    string
	cause  error
}

func (e *actionError) Error() string {
	return "executor: " + string(e.action) + ": " + strings.TrimPrefix(e.kind.Error(), "executor: ") + ": " + e.msg
}

func (e *actionError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}
