package release

import (
	"encoding/json"
	"time"

	"github.com/batonhq/baton/process"
)

// GroupID identifies a release group.
type GroupID string

// Group is a release group: a cadence that generates releases of one process
// with a default input set. The cadence itself is interpreted by the
// schedule package; this record keeps it as text (Cadence) plus the
// schedule's own settings (Schedule) so that stores need not know them.
type Group struct {
	ID             GroupID    `json:"id"`
	Name           string     `json:"name"`
	Description    string     `json:"description,omitempty"`
	Process        process.ID `json:"process"`
	ProcessVersion int        `json:"process-version,omitempty"` // 0: the latest version when a release is made
	InputSet       string     `json:"input-set,omitempty"`       // the default input set's ID
	// Cadence is the schedule spec: a preset ("weekly on mon"), a cron spec
	// or an RRULE, as the schedule package reads it.
	Cadence  string `json:"cadence"`
	Timezone string `json:"timezone,omitempty"` // IANA name; empty means UTC
	// Start and End bound the occurrences (zero: unbounded).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// ReleaseDuration is how long a generated release is expected to take
	// (its expected end is the occurrence plus this).
	ReleaseDuration process.Duration  `json:"release-duration,omitempty"`
	Enabled         bool              `json:"enabled"`
	Labels          map[string]string `json:"labels,omitempty"`
	// Schedule holds the schedule package's settings (freeze windows,
	// catch-up, overlap) as JSON; stores keep it as given.
	Schedule json.RawMessage `json:"schedule,omitempty"`
	// Revision counts the stored versions of the group; stores set it (1 on
	// create, +1 on each update) and use it for optimistic concurrency.
	Revision int64 `json:"revision"`
}

// Clone returns a deep copy of g.
func (g *Group) Clone() *Group {
	if g == nil {
		return nil
	}
	c := *g
	c.Labels = cloneStrings(g.Labels)
	if g.Schedule != nil {
		c.Schedule = append(json.RawMessage(nil), g.Schedule...)
	}
	return &c
}

func cloneStrings(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
