package executor

import (
	"context"
	"log/slog"

	"github.com/batonhq/baton/release"
)

// DefaultLogLevel is the least level the default Config.Logger passes on
// to slog.Default(): warnings and errors (store failures, lost leases,
// refused actions), not the executor's routine messages.
const DefaultLogLevel = slog.LevelWarn

// defaultLogger returns slog.Default() restricted to DefaultLogLevel and
// above. It reads slog.Default() when each record is handled, so a host
// that calls slog.SetDefault after New is followed.
func defaultLogger() *slog.Logger {
	return slog.New(&minLevel{min: DefaultLogLevel})
}

// minLevel passes records at min or above to slog.Default()'s handler (or
// to h, once attributes or a group were added).
type minLevel struct {
	min   slog.Level
	h     slog.Handler // nil: slog.Default().Handler() at the time of the call
	attrs []slog.Attr
	group string
}

func (m *minLevel) handler() slog.Handler {
	if m.h != nil {
		return m.h
	}
	return slog.Default().Handler()
}

func (m *minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.handler().Enabled(ctx, l)
}

func (m *minLevel) Handle(ctx context.Context, r slog.Record) error {
	return m.handler().Handle(ctx, r)
}

func (m *minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &minLevel{min: m.min, h: m.handler().WithAttrs(attrs)}
}

func (m *minLevel) WithGroup(name string) slog.Handler {
	return &minLevel{min: m.min, h: m.handler().WithGroup(name)}
}

// refused logs an action the authorizer or a rule refused.
func (e *Executor) refused(ctx context.Context, a *Action, err error) {
	attrs := []any{"action", string(a.Kind), "actor", a.Actor, "err", err}
	if a.Release != "" {
		attrs = append(attrs, "release", string(a.Release))
	}
	if a.Activity != "" {
		attrs = append(attrs, "activity", string(a.Activity))
	}
	if a.Process != "" {
		attrs = append(attrs, "process", string(a.Process))
	}
	e.log.WarnContext(ctx, "executor: action refused", attrs...)
}

// storeFailed logs a store call that failed (not a conflict the caller
// resolves by reloading, and not a cancelled context).
func (e *Executor) storeFailed(ctx context.Context, op string, id release.ID, err error, attrs ...any) {
	if ctx.Err() != nil {
		return
	}
	attrs = append([]any{"op", op, "err", err}, attrs...)
	if id != "" {
		attrs = append(attrs, "release", string(id))
	}
	e.log.WarnContext(ctx, "executor: store call failed", attrs...)
}
