package releasetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/release"
)

// ReleaseWant is what RequireRelease checks. Zero fields are not checked.
type ReleaseWant struct {
	Status release.Status
	// ErrorContains must be part of the release's error message.
	ErrorContains string
	// MaxDuration and MinDuration bound the time from the release's start
	// to its end (virtual time).
	MaxDuration time.Duration
	MinDuration time.Duration
}

// RequireRelease fails t unless the release matches want.
//
//	releasetest.RequireRelease(t, res, releasetest.ReleaseWant{Status: release.Succeeded, MaxDuration: 48 * time.Hour})
func RequireRelease(t testing.TB, r *Result, want ReleaseWant) {
	t.Helper()
	rel := r.Release
	if want.Status != "" && rel.Status != want.Status {
		t.Fatalf("releasetest: release %s is %s, want %s\n%s", rel.ID, rel.Status, want.Status, Describe(r))
	}
	if want.ErrorContains != "" && !strings.Contains(rel.Error, want.ErrorContains) {
		t.Fatalf("releasetest: release error %q does not contain %q", rel.Error, want.ErrorContains)
	}
	if want.MaxDuration > 0 || want.MinDuration > 0 {
		if rel.EndedAt.IsZero() {
			t.Fatalf("releasetest: release %s has not ended (%s); its duration cannot be checked", rel.ID, rel.Status)
		}
		d := rel.EndedAt.Sub(rel.StartedAt)
		if want.MaxDuration > 0 && d > want.MaxDuration {
			t.Fatalf("releasetest: release took %v, want at most %v", d, want.MaxDuration)
		}
		if d < want.MinDuration {
			t.Fatalf("releasetest: release took %v, want at least %v", d, want.MinDuration)
		}
	}
}

// RequireStatus fails t unless the release ended (or stopped) in status
// want.
func RequireStatus(t testing.TB, r *Result, want release.Status) {
	t.Helper()
	RequireRelease(t, r, ReleaseWant{Status: want})
}

// ActivityWant is what RequireActivity checks. Zero fields are not checked.
type ActivityWant struct {
	Status release.ActivityStatus
	// Attempts is the number of attempts made.
	Attempts int
	// Outputs must be among the activity's outputs with equal values;
	// outputs not listed are not checked.
	Outputs map[string]any
	// ErrorContains must be part of the activity's last error.
	ErrorContains string
	// ApprovedBy lists who approved, in order (approval activities).
	ApprovedBy []string
	// Actor is who started the last attempt ("executor" on its own, the
	// operator after a Retry).
	Actor string
}

// RequireActivity fails t unless the activity with key k matches want. k
// may be a path to an activity of a subprocess child
// ("deploy.smoke/checks.api", see PathSeparator).
//
//	releasetest.RequireActivity(t, res, "build.compile", releasetest.ActivityWant{
//		Status: release.ActivitySucceeded, Attempts: 3, Outputs: map[string]any{"artifact": "app.apk"},
//	})
func RequireActivity(t testing.TB, r *Result, k release.ActivityKey, want ActivityWant) {
	t.Helper()
	r, key := r.at(k)
	if r == nil {
		t.Fatalf("releasetest: %s: no child release on that path", k)
		return
	}
	a := r.Release.Activities[key]
	if a == nil {
		keys := make([]string, 0, len(r.Release.Activities))
		for key := range r.Release.Activities {
			keys = append(keys, string(key))
		}
		slices.Sort(keys)
		t.Fatalf("releasetest: release has no activity %q (it has %s)", k, strings.Join(keys, ", "))
		return
	}
	if want.Status != "" && a.Status != want.Status {
		t.Fatalf("releasetest: activity %s is %s, want %s (error: %q)\n%s", k, a.Status, want.Status, a.Error, Describe(r))
	}
	if want.Attempts != 0 && len(a.Attempts) != want.Attempts {
		t.Fatalf("releasetest: activity %s made %d attempt(s), want %d%s", k, len(a.Attempts), want.Attempts, attemptErrors(a))
	}
	for name, v := range want.Outputs {
		got, ok := a.Outputs[name]
		if !ok {
			t.Fatalf("releasetest: activity %s has no output %q (outputs: %v)", k, name, a.Outputs)
		}
		if !sameValue(got, v) {
			t.Fatalf("releasetest: activity %s output %q is %#v, want %#v", k, name, got, v)
		}
	}
	if want.ErrorContains != "" && !strings.Contains(a.Error, want.ErrorContains) {
		t.Fatalf("releasetest: activity %s error %q does not contain %q", k, a.Error, want.ErrorContains)
	}
	if want.ApprovedBy != nil {
		var by []string
		for _, d := range a.Approvals {
			if d.Approved {
				by = append(by, d.Actor)
			}
		}
		if !slices.Equal(by, want.ApprovedBy) {
			t.Fatalf("releasetest: activity %s approved by %v, want %v", k, by, want.ApprovedBy)
		}
	}
	if want.Actor != "" {
		if len(a.Attempts) == 0 {
			t.Fatalf("releasetest: activity %s has no attempt; want one started by %s", k, want.Actor)
		}
		if got := a.Attempts[len(a.Attempts)-1].Actor; got != want.Actor {
			t.Fatalf("releasetest: activity %s: last attempt started by %s, want %s", k, got, want.Actor)
		}
	}
}

func attemptErrors(a *release.ActivityState) string {
	var b strings.Builder
	for _, at := range a.Attempts {
		fmt.Fprintf(&b, "\n  attempt %d by %s: %s", at.Number, at.Actor, orNone(at.Error))
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "ok"
	}
	return s
}

// sameValue compares an output as stored (decoded from JSON) with the
// value a test wrote: numbers compare by value whatever their Go type.
func sameValue(got, want any) bool {
	if reflect.DeepEqual(got, want) {
		return true
	}
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(want)
	return err1 == nil && err2 == nil && string(g) == string(w)
}

// RequireOrder fails t unless the activities first started in this order
// (other activities may start in between).
//
//	releasetest.RequireOrder(t, res, "build.compile", "qa.signoff", "deploy.rollout")
func RequireOrder(t testing.TB, r *Result, keys ...release.ActivityKey) {
	t.Helper()
	started := StartOrder(r)
	i := 0
	for _, k := range started {
		if i < len(keys) && k == keys[i] {
			i++
		}
	}
	if i < len(keys) {
		t.Fatalf("releasetest: activities started in the order %v; want %v in that order (%s is missing or out of place)", started, keys, keys[i])
	}
}

// StartOrder returns the activities in the order their first attempt
// started.
func StartOrder(r *Result) []release.ActivityKey {
	var out []release.ActivityKey
	seen := map[release.ActivityKey]bool{}
	for _, e := range r.Events {
		if e.Kind != release.KindActivityStarted {
			continue
		}
		k := eventActivity(e)
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// EventWant matches events. Zero fields match anything.
type EventWant struct {
	Kind     release.EventKind
	Activity release.ActivityKey // the activity the event is about
	Actor    string
	// ReasonContains must be part of the event's reason.
	ReasonContains string
}

func (w EventWant) match(e release.Event) bool {
	return (w.Kind == "" || e.Kind == w.Kind) &&
		(w.Activity == "" || eventActivity(e) == w.Activity) &&
		(w.Actor == "" || e.Actor == w.Actor) &&
		(w.ReasonContains == "" || strings.Contains(e.Reason, w.ReasonContains))
}

func (w EventWant) String() string {
	var parts []string
	if w.Kind != "" {
		parts = append(parts, string(w.Kind))
	}
	if w.Activity != "" {
		parts = append(parts, "activity="+string(w.Activity))
	}
	if w.Actor != "" {
		parts = append(parts, "actor="+w.Actor)
	}
	if w.ReasonContains != "" {
		parts = append(parts, fmt.Sprintf("reason~%q", w.ReasonContains))
	}
	if len(parts) == 0 {
		return "{any event}"
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// RequireEvents fails t unless the release's event log holds events
// matching want, in that order (other events may come in between).
//
//	releasetest.RequireEvents(t, res,
//		releasetest.EventWant{Kind: release.KindApprovalGranted, Actor: "bob"},
//		releasetest.EventWant{Kind: release.KindActivityStarted, Activity: "deploy.rollout"},
//	)
func RequireEvents(t testing.TB, r *Result, want ...EventWant) {
	t.Helper()
	i := 0
	for _, e := range r.Events {
		if i < len(want) && want[i].match(e) {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("releasetest: no event %s after the ones before it in the list; the log is:\n%s", want[i], eventList(r.Events))
	}
}

// RequireNoEvent fails t if any event of the release matches m.
func RequireNoEvent(t testing.TB, r *Result, m EventWant) {
	t.Helper()
	for _, e := range r.Events {
		if m.match(e) {
			t.Fatalf("releasetest: unexpected event %d %s by %s (matches %s)", e.Seq, e.Kind, e.Actor, m)
		}
	}
}

func eventList(evs []release.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  %3d %s %-26s %-18s %s %s\n", e.Seq, e.Time.Format(time.RFC3339), e.Kind, e.Actor, eventActivity(e), e.Reason)
	}
	return b.String()
}

func eventActivity(e release.Event) release.ActivityKey {
	var p struct {
		Activity release.ActivityKey `json:"activity"`
	}
	_ = json.Unmarshal(e.Payload, &p)
	return p.Activity
}

// Describe returns a short text of the release for failure messages: its
// status and each activity's status, attempts and error, then what waits on
// whom.
func Describe(r *Result) string {
	rel := r.Release
	var b strings.Builder
	fmt.Fprintf(&b, "release %s: %s", rel.ID, rel.Status)
	if rel.Error != "" {
		fmt.Fprintf(&b, " (%s)", rel.Error)
	}
	b.WriteString("\n")
	for _, ph := range rel.Process.Phases {
		for _, a := range ph.Activities {
			st := rel.Activities[release.Key(ph.ID, a.ID)]
			fmt.Fprintf(&b, "  %-28s %-11s attempts=%d", st.Key, st.Status, len(st.Attempts))
			if st.Error != "" {
				fmt.Fprintf(&b, " error=%q", st.Error)
			}
			b.WriteString("\n")
		}
	}
	for _, w := range release.Waiting(rel) {
		fmt.Fprintf(&b, "  waits: %s\n", describeWait(w))
	}
	if r.Stopped != "" {
		fmt.Fprintf(&b, "  run stopped: %s\n", r.Stopped)
	}
	return b.String()
}
