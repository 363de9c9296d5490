package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// ReleaseCSVHeader is the header row of ReleaseReport.WriteCSV.
var ReleaseCSVHeader = []string{
	"level", "id", "status",
	"planned_start", "planned_end", "planned_duration_s",
	"start", "end", "duration_s",
	"waiting_s", "on_hold_s", "attempts", "retries", "decisions", "error",
}

// WriteCSV writes the report as CSV (encoding/csv): the header
// ReleaseCSVHeader, then a row for the release (level "release"), one per
// phase ("phase") and one per activity ("activity", id phase.activity), in
// process order. Times are UTC RFC 3339 with nanoseconds, empty when
// unknown; durations are in seconds; decisions read "alice approved at
// TIME", separated by "; ". The release row's attempts is empty.
func (r *ReleaseReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{ReleaseCSVHeader,
		timesRow("release", string(r.Release), string(r.Status), r.Times, r.Waiting, r.OnHold, "", r.Retries, "", r.Error)}
	for _, p := range r.Phases {
		rows = append(rows, timesRow("phase", string(p.Phase), string(p.Status), p.Times, p.Waiting, p.OnHold, "", p.Retries, "", ""))
	}
	for _, a := range r.Activities {
		ds := make([]string, len(a.Decisions))
		for i, d := range a.Decisions {
			ds[i] = d.String()
		}
		rows = append(rows, timesRow("activity", string(a.Activity), string(a.Status), a.Times, a.Waiting, a.OnHold,
			strconv.Itoa(a.Attempts), a.Retries, strings.Join(ds, "; "), a.Error))
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

func timesRow(level, id, status string, t Times, waiting, onHold time.Duration, attempts string, retries int, decisions, errText string) []string {
	return []string{level, id, status,
		csvTime(t.PlannedStart), csvTime(t.PlannedEnd), csvDuration(t.PlannedDuration),
		csvTime(t.Start), csvTime(t.End), csvDuration(t.Duration),
		csvDuration(waiting), csvDuration(onHold), attempts, strconv.Itoa(retries), decisions, errText}
}

// csvTime writes t in UTC RFC 3339 with nanoseconds; empty when zero.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// csvDuration writes d in seconds, as few digits as exact.
func csvDuration(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

func csvFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
