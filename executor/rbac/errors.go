package rbac

import (
	"errors"
	"fmt"
	"strings"

	"github.com/batonhq/baton/executor"
)

var (
	// ErrDenied matches (errors.Is) every refusal of Authorize: no binding
	// grants the actor the action's verb over what it is about.
	ErrDenied = errors.New("rbac: denied")
	// ErrInvalid matches every error of New and Replace about bad rules.
	ErrInvalid = errors.New("rbac: invalid rules")
)

// DeniedError is the error Authorize returns when it refuses an action:
// who lacked which verb on what. It matches ErrDenied; Unwrap returns the
// errors of the group lookups that could have granted the verb and failed
// (nil when there were none).
type DeniedError struct {
	// Actor is who acted; empty for an anonymous read.
	Actor string
	// Verb is the verb the action needs; Kind is the action.
	Verb executor.Verb
	Kind executor.ActionKind
	// Target describes what the action is about ("release R activity
	// build.compile (process deploy, labels env=prod)").
	Target string
	// Unresolved are the groups bound to a role that grants Verb over the
	// target which could not be resolved: their members were not known,
	// so they granted nothing.
	Unresolved []string
	// Err joins the errors of those lookups.
	Err error
}

// Error says who lacked which verb on what.
func (e *DeniedError) Error() string {
	who := e.Actor
	if who == "" {
		who = "anonymous"
	} else {
		who = fmt.Sprintf("%q", who)
	}
	msg := fmt.Sprintf("rbac: denied: %s lacks %q (%s) on %s", who, e.Verb, e.Kind, e.Target)
	if e.Verb == "" {
		msg = fmt.Sprintf("rbac: denied: action %q needs a verb the executor does not know; nobody is granted it", e.Kind)
	}
	if len(e.Unresolved) > 0 {
		msg += fmt.Sprintf("; group(s) %s could not be resolved: %v", strings.Join(e.Unresolved, ", "), e.Err)
	}
	return msg
}

// Is reports whether target is ErrDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// Unwrap returns the errors of the failed group lookups, or nil.
func (e *DeniedError) Unwrap() error { return e.Err }

// RulesError is one problem in rules given to New or Replace; they return
// every problem at once, joined. It matches ErrInvalid.
type RulesError struct {
	// Path names the field: "roles[1].verbs[0]", "bindings[3].scope".
	Path string
	// Msg says what is wrong and what was expected.
	Msg string
}

// Error returns "rbac: invalid rules: PATH: MSG".
func (e *RulesError) Error() string { return fmt.Sprintf("rbac: invalid rules: %s: %s", e.Path, e.Msg) }

// Is reports whether target is ErrInvalid.
func (e *RulesError) Is(target error) bool { return target == ErrInvalid }
