package executor

import (
	"context"
	"errors"
	"fmt"

	"github.com/batonhq/baton/store"
)

// checkCreateGroup checks that the group a Create names is stored and
// makes releases of the process asked: a release placed in a group is
// judged by the authorizer as one of the group's (a role bound over the
// group covers it), so a release of any other process must not get in.
func (e *Executor) checkCreateGroup(ctx context.Context, p *CreateParams) error {
	if p.Group == "" {
		return nil
	}
	g, err := e.store.GetGroup(ctx, p.Group)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return invalidf(ActionCreate, "group: %s is not a stored group", p.Group)
	case err != nil:
		return fmt.Errorf("executor: %s: group %s: %w", ActionCreate, p.Group, err)
	case g.Process != p.Process:
		return invalidf(ActionCreate, "group: %s makes releases of process %s, not %s", p.Group, g.Process, p.Process)
	}
	return nil
}
