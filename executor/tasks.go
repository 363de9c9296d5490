package executor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// assigned resolves a task's assignees to people (groups through
// Config.ResolveGroup), with the groups it could not resolve.
func (e *Executor) assigned(t *release.TaskState) ([]string, []*groupError) {
	if t == nil || len(t.Assignees) == 0 {
		return nil, nil
	}
	return e.eligible(&process.ApprovalPolicy{Approvers: t.Assignees}, "")
}

// checkAssignee refuses (ErrForbidden) an update of task t by actor when
// the task has assignees and actor is not one of them, directly or
// through a group. A task without assignees is open to anyone the
// authorizer allows. The check is against the assignees as stored, so an
// update that reassigns a task must come from one of its current
// assignees.
func (r *run) checkAssignee(action ActionKind, k release.ActivityKey, t *release.TaskState, actor string) error {
	if len(t.Assignees) == 0 {
		return nil
	}
	people, unresolved := r.e.assigned(t)
	if slices.Contains(people, actor) {
		return nil
	}
	msg := fmt.Sprintf("%s is not an assignee of task %s/%s (assignees: %s)", actor, k, t.ID, strings.Join(t.Assignees, ", "))
	if len(unresolved) > 0 {
		msg += "; " + joinGroupErrors(unresolved)
	}
	return forbiddenf(action, "%s", msg)
}
