package notify

import (
	"fmt"
	"strings"

	"github.com/batonhq/baton/release"
)

// text is the one-line description of a feed message.
func text(m *Message) string {
	name := fmt.Sprintf("release %q", m.Release.Name)
	if m.Release.Version != "" {
		name += " " + m.Release.Version
	}
	detail := func() string {
		if msg := payloadOf(&m.Event).Error; msg != "" {
			return ": " + msg
		}
		return ""
	}
	switch m.Type {
	case ReleaseCreated:
		return fmt.Sprintf("%s created by %s", name, m.Event.Actor)
	case ReleaseStarted:
		return name + " started"
	case ReleaseSucceeded:
		if m.Event.Kind == release.KindReleasePartiallySucceeded {
			return name + " partially succeeded"
		}
		return name + " succeeded"
	case ReleaseFailed:
		return name + " failed" + detail()
	case ReleaseAborted:
		s := fmt.Sprintf("%s aborted by %s", name, m.Event.Actor)
		if m.Event.Reason != "" {
			s += ": " + m.Event.Reason
		}
		return s
	case ReleaseRolledBack:
		return name + " rolled back" + detail()
	case PhaseStarted:
		return fmt.Sprintf("%s: phase %s started", name, m.Phase)
	case PhaseEnded:
		return fmt.Sprintf("%s: phase %s %s", name, m.Phase, strings.TrimPrefix(string(m.Event.Kind), "phase."))
	case ActivityOnHold:
		return fmt.Sprintf("%s: activity %s is on hold%s", name, m.Activity, detail())
	case WaitingForPerson:
		return waitText(&m.Release, m.Activity, m.Wait)
	}
	return fmt.Sprintf("%s: %s", name, m.Event.Kind)
}

// waitText says what an activity waits for, and on whom.
func waitText(sum *release.Summary, activity release.ActivityKey, w *release.Wait) string {
	s := fmt.Sprintf("release %q: activity %s waits", sum.Name, activity)
	if w == nil {
		return s
	}
	switch w.Kind {
	case release.WaitApproval:
		s += fmt.Sprintf(" for %d approval(s)", w.Needed)
	case release.WaitTask:
		s += " for task " + w.Task
	case release.WaitOutputs:
		s += " for outputs " + strings.Join(w.Missing, ", ")
	case release.WaitSignOff:
		s += " for its sign-off"
	case release.WaitOperator:
		s += " for an operator"
	}
	if len(w.On) > 0 {
		s += " from " + strings.Join(w.On, ", ")
	}
	return s
}
