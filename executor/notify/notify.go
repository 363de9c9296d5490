package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// Type is what a notification is about. The set is open: a Notifier should
// treat a type it does not know as a plain message.
type Type string

// The notification types. Each but the last four follows one or more event
// kinds of the feed; RunningLate, Reminder and Escalation come from the
// clock.
const (
	ReleaseCreated    Type = "release-created"     // release.created
	ReleaseStarted    Type = "release-started"     // release.started
	ReleaseSucceeded  Type = "release-succeeded"   // release.succeeded, release.partially-succeeded
	ReleaseFailed     Type = "release-failed"      // release.failed
	ReleaseAborted    Type = "release-aborted"     // release.aborted
	ReleaseRolledBack Type = "release-rolled-back" // release.rolled-back
	PhaseStarted      Type = "phase-started"       // phase.started
	PhaseEnded        Type = "phase-ended"         // phase.succeeded, phase.failed, phase.skipped, phase.aborted
	ActivityOnHold    Type = "activity-on-hold"    // activity.held: an operator must decide
	// WaitingForPerson follows activity.waiting: a manual task, outputs, a
	// sign-off or an approval waits on people; the recipients are the
	// assignees or the approvers who have not decided (groups resolved).
	WaitingForPerson Type = "waiting-for-person"
	// RunningLate: a release's health (release.Health) turned at-risk or
	// late, as the dispatcher saw it on its clock.
	RunningLate Type = "running-late"
	// Reminder: a wait (WaitingForPerson or ActivityOnHold) lasted past the
	// rule's Remind.After, and every Remind.Every after that.
	Reminder Type = "reminder"
	// Escalation: a wait lasted past the rule's Remind.EscalateAfter; the
	// recipients are Remind.EscalateTo.
	Escalation Type = "escalation"
)

// Types lists the notification types, for validation and documentation.
func Types() []Type {
	return []Type{ReleaseCreated, ReleaseStarted, ReleaseSucceeded, ReleaseFailed, ReleaseAborted, ReleaseRolledBack,
		PhaseStarted, PhaseEnded, ActivityOnHold, WaitingForPerson, RunningLate, Reminder, Escalation}
}

// typeOf maps an event kind to its notification type; "" for kinds that
// notify nothing.
func typeOf(k release.EventKind) Type {
	switch k {
	case release.KindReleaseCreated:
		return ReleaseCreated
	case release.KindReleaseStarted:
		return ReleaseStarted
	case release.KindReleaseSucceeded, release.KindReleasePartiallySucceeded:
		return ReleaseSucceeded
	case release.KindReleaseFailed:
		return ReleaseFailed
	case release.KindReleaseAborted:
		return ReleaseAborted
	case release.KindReleaseRolledBack:
		return ReleaseRolledBack
	case release.KindPhaseStarted:
		return PhaseStarted
	case release.KindPhaseSucceeded, release.KindPhaseFailed, release.KindPhaseSkipped, release.KindPhaseAborted:
		return PhaseEnded
	case release.KindActivityHeld:
		return ActivityOnHold
	case release.KindActivityWaiting:
		return WaitingForPerson
	}
	return ""
}

// Message is one notification.
type Message struct {
	// Key is the idempotency key: the same notification always has the
	// same key, however often it is delivered (a crash re-sends), so a
	// receiver de-duplicates on it. For a feed event it is
	// "<release>/<seq>/<rule>"; for a clock notification it names the
	// release, what it is about and the rule.
	Key  string `json:"key"`
	Rule string `json:"rule"`
	Type Type   `json:"type"`
	// Text is a one-line description for people.
	Text string `json:"text"`
	// Recipients are the people (and unresolved "group:NAME" entries) to
	// tell: the rule's Recipients, plus for a wait the people it waits on.
	Recipients []string `json:"recipients,omitempty"`
	// Release is the release's summary when the message was made (it may
	// be ahead of Event).
	Release release.Summary `json:"release"`
	// Event is the event notified, or for a clock notification the event
	// the wait began with, or the last event of the release the
	// dispatcher saw (zero when it saw none). The payload of
	// release.created is left out (it holds the whole pinned process, which
	// can be large; Release summarises the release).
	Event release.Event `json:"event"`
	// Activity is the activity concerned, for activity, wait, reminder and
	// escalation messages.
	Activity release.ActivityKey `json:"activity,omitempty"`
	// Phase is the phase concerned, for phase messages.
	Phase process.PhaseID `json:"phase,omitempty"`
	// Wait is what a WaitingForPerson, Reminder or Escalation message waits
	// for.
	Wait *release.Wait `json:"wait,omitempty"`
	// Health is the release's health, for RunningLate.
	Health *release.HealthReport `json:"health,omitempty"`
}

// Notifier delivers messages (a webhook, a chat, e-mail). Notify returns
// once the message is delivered, or an error: the dispatcher retries it
// with a backoff until it succeeds, unless the error matches ErrPermanent.
// It may be called again with a message it already delivered (after a
// crash): receivers de-duplicate on Message.Key. Notify must honour ctx.
type Notifier interface {
	Notify(ctx context.Context, m *Message) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, m *Message) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, m *Message) error { return f(ctx, m) }

// ErrPermanent marks a delivery error that retrying will not cure (a
// receiver that refuses the message as malformed or unauthorized): the
// dispatcher logs it and goes on without the message. Wrap it:
// fmt.Errorf("%w: 400 Bad Request", notify.ErrPermanent).
var ErrPermanent = errors.New("notify: permanent delivery error")

// ErrInvalid reports a bad Config or Rule; the error names the field.
var ErrInvalid = errors.New("notify: invalid configuration")

// Rule chooses the events to notify and who is told. Zero filter fields
// match everything; set ones must all match.
type Rule struct {
	// Name identifies the rule in idempotency keys: required, unique among
	// the rules, without "/". Renaming a rule makes its messages new ones.
	Name string
	// Types are the notification types the rule sends. Defaults to none:
	// a rule must name what it sends.
	Types []Type
	// Processes, when set, limits the rule to releases of these processes.
	Processes []process.ID
	// Groups, when set, limits the rule to releases made by these groups.
	Groups []release.GroupID
	// Labels, when set, limits the rule to releases with all these labels.
	Labels map[string]string
	// Recipients are told of every message of the rule (users, channels,
	// or "group:NAME", resolved through Config.ResolveGroup).
	Recipients []string
	// Notifier delivers the rule's messages; required.
	Notifier Notifier
	// Remind, when set, sends reminders and an escalation for the waits
	// the rule notifies (WaitingForPerson, ActivityOnHold) that last.
	Remind *Remind
	// Viewer, when set, is the audience of the rule as a reader: the rule
	// sends nothing about a release it refuses (a non-nil error), so that
	// its recipients learn only of what they may see. It is given the
	// message's release summary, which it must not keep or modify.
	// executor.Executor.Viewer makes one from the executor's authorizer.
	// Defaults to nil: every release that matches (the Dispatcher reads
	// the store directly, not through an authorizer).
	Viewer func(ctx context.Context, s *release.Summary) error
}

// Remind says when to remind the people a wait is on, and when to escalate.
type Remind struct {
	// After is how long a wait lasts before the first reminder; 0 sends
	// none.
	After time.Duration
	// Every is the time between reminders after the first. Defaults to 0:
	// one reminder.
	Every time.Duration
	// EscalateAfter is how long a wait lasts before it is escalated to
	// EscalateTo, once. 0 never escalates.
	EscalateAfter time.Duration
	// EscalateTo are the recipients of the escalation ("group:NAME"
	// resolved).
	EscalateTo []string
}

// matches reports whether the rule sends typ for a release with summary s.
func (r *Rule) matches(typ Type, s *release.Summary) bool {
	if !slices.Contains(r.Types, typ) {
		return false
	}
	if len(r.Processes) > 0 && !slices.Contains(r.Processes, s.ProcessID) {
		return false
	}
	if len(r.Groups) > 0 && !slices.Contains(r.Groups, s.Group) {
		return false
	}
	for k, v := range r.Labels {
		if got, ok := s.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// wants reports whether the rule may send typ at all.
func (r *Rule) wants(typ Type) bool { return slices.Contains(r.Types, typ) }

// Clock is the dispatcher's source of time. benbjohnson/clock's real and
// mock clocks satisfy it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config tunes a Dispatcher. Rules are required; every other field has a
// default.
type Config struct {
	// Consumer names the dispatcher's cursor in the store: instances with
	// the same Consumer share one place in the feed. Defaults to "notify".
	Consumer string
	// Rules choose what is sent, to whom, through which Notifier.
	Rules []Rule
	// ResolveGroup returns the members of a group named "group:NAME" in
	// recipients (it receives NAME), as the executor's Config.ResolveGroup
	// does. A group it cannot resolve stays in the recipients as written.
	// Defaults to nil: groups stay as written.
	ResolveGroup func(ctx context.Context, group string) ([]string, error)
	// FromStart makes a dispatcher with no stored cursor start at the
	// beginning of the feed. Defaults to false: it starts at the feed's
	// end (store.FeedStore.FeedEnd), so that a new notifier does not
	// re-tell history.
	FromStart bool
	// PageSize is how many events are read from the feed at a time.
	// Defaults to 100.
	PageSize int
	// CursorEvery is how many events a dispatcher catching up reads
	// between two writes of its cursor; it also stores it once it reaches
	// the end of the feed (when Run was woken by the store's signal, only
	// if it last stored it PollInterval ago or more), before it returns a
	// failed delivery, and when Run returns. A crash re-sends the messages
	// of up to CursorEvery events (or PollInterval's worth): a larger value
	// costs fewer writes and more duplicates after a crash. Defaults to
	// 1000.
	CursorEvery int
	// PollInterval is how long Run waits before reading the feed again once
	// it is caught up, when the store does not signal first: on a store
	// that implements store.FeedNotifier, Run reads as soon as events are
	// added, and the poll only catches what the store does not signal.
	// Defaults to 1s.
	PollInterval time.Duration
	// Backoff is the first wait before a failed delivery is retried; it
	// doubles with each failure up to MaxBackoff. Defaults to 1s.
	Backoff time.Duration
	// MaxBackoff caps the wait between retries. Defaults to 5m.
	MaxBackoff time.Duration
	// CheckInterval is how often the clock-based notifications
	// (RunningLate, Reminder, Escalation) are looked for. Each look loads
	// the releases with a reminder due, and, when a rule sends
	// RunningLate, every unfinished release that rule matches (to judge
	// its health): its cost grows with those releases. Defaults to 1m.
	CheckInterval time.Duration
	// Instance names this dispatcher among the instances that share a
	// Consumer. When the store implements store.Leaser, one instance at a
	// time delivers: it holds the lease "notify/" + Consumer, renewed as
	// it polls, and the others stand by until it lapses. A restarted
	// process that keeps its Instance takes its lease back at once.
	// Defaults to a random name.
	Instance string
	// LeaseTTL is how long the lease lasts when not renewed: how long the
	// other instances wait after this one dies. Defaults to 30s.
	LeaseTTL time.Duration
	// Clock is the source of time. Defaults to the wall clock.
	Clock Clock
	// Logger receives the dispatcher's logs. Defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) withDefaults() (Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Consumer == "" {
		out.Consumer = "notify"
	}
	if out.PageSize <= 0 {
		out.PageSize = 100
	}
	if out.CursorEvery <= 0 {
		out.CursorEvery = 1000
	}
	if out.PollInterval <= 0 {
		out.PollInterval = time.Second
	}
	if out.Backoff <= 0 {
		out.Backoff = time.Second
	}
	if out.MaxBackoff <= 0 {
		out.MaxBackoff = 5 * time.Minute
	}
	if out.MaxBackoff < out.Backoff {
		out.MaxBackoff = out.Backoff
	}
	if out.CheckInterval <= 0 {
		out.CheckInterval = time.Minute
	}
	if out.Clock == nil {
		out.Clock = realClock{}
	}
	if out.Instance == "" {
		var b [8]byte
		_, _ = rand.Read(b[:]) // never fails
		out.Instance = hex.EncodeToString(b[:])
	}
	if out.LeaseTTL <= 0 {
		out.LeaseTTL = 30 * time.Second
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if len(out.Rules) == 0 {
		return out, fmt.Errorf("%w: Rules: at least one rule is required", ErrInvalid)
	}
	known := Types()
	names := map[string]bool{}
	for i := range out.Rules {
		r := &out.Rules[i]
		switch {
		case r.Name == "":
			return out, fmt.Errorf("%w: Rules[%d].Name: required", ErrInvalid, i)
		case strings.Contains(r.Name, "/"):
			return out, fmt.Errorf("%w: Rules[%d].Name %q: must not contain /", ErrInvalid, i, r.Name)
		case names[r.Name]:
			return out, fmt.Errorf("%w: Rules[%d].Name %q: used by another rule", ErrInvalid, i, r.Name)
		case r.Notifier == nil:
			return out, fmt.Errorf("%w: Rules[%d] (%s).Notifier: required", ErrInvalid, i, r.Name)
		case len(r.Types) == 0:
			return out, fmt.Errorf("%w: Rules[%d] (%s).Types: name at least one type", ErrInvalid, i, r.Name)
		}
		names[r.Name] = true
		for j, t := range r.Types {
			if !slices.Contains(known, t) {
				return out, fmt.Errorf("%w: Rules[%d] (%s).Types[%d] %q: unknown; want one of %v", ErrInvalid, i, r.Name, j, t, known)
			}
		}
		if m := r.Remind; m != nil && (m.After < 0 || m.Every < 0 || m.EscalateAfter < 0) {
			return out, fmt.Errorf("%w: Rules[%d] (%s).Remind: durations must not be negative", ErrInvalid, i, r.Name)
		}
		if m := r.Remind; m != nil && !r.wants(WaitingForPerson) && !r.wants(ActivityOnHold) {
			return out, fmt.Errorf("%w: Rules[%d] (%s).Remind: the rule must send %s or %s, the waits it reminds of", ErrInvalid, i, r.Name, WaitingForPerson, ActivityOnHold)
		}
		if m := r.Remind; m != nil && m.EscalateAfter > 0 && len(m.EscalateTo) == 0 {
			return out, fmt.Errorf("%w: Rules[%d] (%s).Remind.EscalateTo: required with EscalateAfter", ErrInvalid, i, r.Name)
		}
	}
	return out, nil
}
