package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/batonhq/baton/release"
)

// view shows a release as it runs. In a terminal (live) it redraws a board
// in place: one line per phase with a progress bar, the running activities
// and what waits on whom under it. Elsewhere (a pipe, a test) it prints a
// line per change instead.
type view struct {
	w     io.Writer
	live  bool
	lines int // lines of the board drawn last (live)
	notes []string

	seen  map[string]bool // log mode: changes already printed
	start time.Duration
}

func newView(w io.Writer, live bool) *view {
	return &view{w: w, live: live, seen: map[string]bool{}}
}

// note records what a scripted person did.
func (v *view) note(s string) {
	if v.live {
		v.notes = append(v.notes, s)
		return
	}
	fmt.Fprintf(v.w, "  %s\n", s)
}

func (v *view) draw(rel *release.Release, elapsed time.Duration) {
	if !v.live {
		v.log(rel, elapsed)
		return
	}
	lines := v.board(rel, elapsed)
	var b strings.Builder
	if v.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", v.lines) // back to the top of the board
	}
	for _, l := range lines {
		b.WriteString("\x1b[2K" + l + "\n")
	}
	for i := len(lines); i < v.lines; i++ { // clear what the last board had more
		b.WriteString("\x1b[2K\n")
	}
	if n := v.lines - len(lines); n > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", n)
	}
	v.lines = len(lines)
	io.WriteString(v.w, b.String())
}

func (v *view) finish(rel *release.Release, elapsed time.Duration) {
	if v.live {
		v.draw(rel, elapsed)
		return
	}
	for _, l := range v.board(rel, elapsed) {
		fmt.Fprintln(v.w, l)
	}
}

// board renders the release: a header, then per phase a progress line and
// its running and waiting activities.
func (v *view) board(rel *release.Release, elapsed time.Duration) []string {
	out := []string{fmt.Sprintf("%s %s · %s · %s", rel.Name, rel.Version, rel.Status, round(elapsed))}
	prog := release.Progress(rel)
	waits := release.Waiting(rel)
	for i, ph := range rel.Process.Phases {
		if i >= len(prog.Phases) {
			break
		}
		pp := prog.Phases[i]
		name := ph.Name
		if name == "" {
			name = string(ph.ID)
		}
		out = append(out, fmt.Sprintf("  %-20s %s %s  %s", name, bar(pp.Done, pp.Total, 20), pp.Count, pp.Status))
		for _, a := range ph.Activities {
			st := rel.Activities[release.Key(ph.ID, a.ID)]
			if st.Status == release.ActivityRunning {
				what := a.Uses
				if what == "" {
					what = string(a.EffectiveType())
					if a.Process != "" {
						what += " " + string(a.Process)
					}
				}
				out = append(out, fmt.Sprintf("      ▸ %-26s running (%s) %s", st.Key, what, round(time.Since(st.Since))))
			}
		}
		for _, w := range waits {
			if w.Activity.Phase() == ph.ID {
				out = append(out, "      ⏳ "+describeWait(w))
			}
		}
	}
	for _, n := range v.notes {
		out = append(out, "  ✎ "+n)
	}
	return out
}

// log prints the changes since the last call: activities that changed
// status, and new waits.
func (v *view) log(rel *release.Release, elapsed time.Duration) {
	for _, ph := range rel.Process.Phases {
		for _, a := range ph.Activities {
			st := rel.Activities[release.Key(ph.ID, a.ID)]
			k := fmt.Sprintf("%s %s %d", st.Key, st.Status, len(st.Attempts))
			if st.Status == release.ActivityPending || v.seen[k] {
				continue
			}
			v.seen[k] = true
			fmt.Fprintf(v.w, "  [%5.1fs] %-26s %s\n", elapsed.Seconds(), st.Key, st.Status)
		}
	}
	for _, w := range release.Waiting(rel) {
		k := "wait " + describeWait(w)
		if !v.seen[k] {
			v.seen[k] = true
			fmt.Fprintf(v.w, "  [%5.1fs] %s\n", elapsed.Seconds(), describeWait(w))
		}
	}
}

func bar(done, total, width int) string {
	n := 0
	if total > 0 {
		n = done * width / total
	}
	return "[" + strings.Repeat("█", n) + strings.Repeat("░", width-n) + "]"
}

// describeWait reads "qa.signoff waits for approval on group:qa-leads (1 needed)".
func describeWait(w release.Wait) string {
	s := fmt.Sprintf("%s waits for %s", w.Activity, w.Kind)
	if w.Task != "" {
		s += " " + w.Task
	}
	if len(w.On) > 0 {
		s += " on " + strings.Join(w.On, ", ")
	}
	if w.Needed > 0 {
		s += fmt.Sprintf(" (%d needed)", w.Needed)
	}
	if len(w.Missing) > 0 {
		s += " (missing " + strings.Join(w.Missing, ", ") + ")"
	}
	return s
}
