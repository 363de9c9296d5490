package release

import (
	"time"

	"github.com/batonhq/baton/process"
)

// Resume is what an executor needs to resume a release without loading
// it: whether it has work to drive now, and when its next timer falls due.
// It is a hint derived from the release (see Release.Resume), which a
// store keeps beside the summary so that a restart costs a timer entry
// per waiting release, not a load.
type Resume struct {
	// Load says the release must be loaded now: an attempt is running (to
	// re-run or re-attach), a failed attempt waits for its retry, a
	// rollback is under way, a decision on an approval is recorded, or
	// nothing waits on a person. When Load is set, At is zero.
	Load bool
	// At is the earliest instant one of the release's timers falls due: a
	// scheduled start, an attempt's timeout, an approval's deadline. Zero
	// when no timer is pending (a release waiting only on people, or a
	// finished one). Until then, and until someone acts on it, the release
	// needs no work.
	At time.Time
}

// Resume returns what an executor needs to resume r without loading it.
//
// A finished release needs nothing (the zero Resume). A scheduled one
// waits for its start (At is ScheduledFor). A running or paused release
// waits without work only when at least one activity waits on a person
// (Waiting or OnHold), none is Running or Failed, no rollback is under
// way, and no waiting approval has a decision on its current attempt (a
// decision may wait on an approver group lookup that the executor retries
// on its own timer); At is then the earliest timeout or approval deadline
// of the waiting activities. Anything else is Load.
//
// The cost is constant while the release has work in flight (it reads the
// counters Apply keeps); only a release with nothing in flight looks at
// its activities, to find its timers.
func (r *Release) Resume() Resume {
	switch r.Status {
	case Scheduled:
		return Resume{At: r.ScheduledFor}
	case Running, Paused:
	default:
		return Resume{}
	}
	c := &r.counts
	if r.RollingBack || c[ActivityRunning.index()] > 0 || c[ActivityFailed.index()] > 0 ||
		c[ActivityWaiting.index()]+c[ActivityOnHold.index()] == 0 || r.Process == nil {
		return Resume{Load: true}
	}
	var at time.Time
	earliest := func(t time.Time) {
		if at.IsZero() || t.Before(at) {
			at = t
		}
	}
	for _, ph := range r.Process.Phases {
		for j := range ph.Activities {
			act := &ph.Activities[j]
			a := r.Activities[Key(ph.ID, act.ID)]
			if a == nil || a.Status != ActivityWaiting || len(a.Attempts) == 0 {
				continue
			}
			started := a.Attempts[len(a.Attempts)-1].StartedAt
			if d := act.Timeout.D(); d > 0 {
				earliest(started.Add(d))
			}
			if act.EffectiveType() == process.Approval {
				if len(a.Decisions()) > 0 {
					return Resume{Load: true}
				}
				if act.Approval != nil && act.Approval.Deadline.D() > 0 {
					d := act.Approval.Deadline.D()
					earliest(started.Add(d))
				}
			}
		}
	}
	return Resume{At: at}
}
