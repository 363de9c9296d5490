package executor

import "context"

// consequenceKey marks the context of an action the executor takes on its
// own, as the consequence of one already authorized or of its own
// housekeeping: aborting the child release of a subprocess attempt that
// was aborted, skipped or rolled back, or of a parent that no longer waits
// for it. Config.Authorize is not asked again: a refusal there (the actor
// may hold no role over the child's process) would leave the child running
// under a parent that ended. The key is unexported, so no host call can
// carry it.
type consequenceKey struct{}

func consequence(ctx context.Context) context.Context {
	return context.WithValue(ctx, consequenceKey{}, true)
}

func isConsequence(ctx context.Context) bool { return ctx.Value(consequenceKey{}) != nil }
