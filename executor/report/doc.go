// Package report computes release reports and delivery metrics from
// release event logs.
//
// Three reads, each as Go values, CSV (encoding/csv) and JSON (the values'
// own encoding; durations in nanoseconds as encoding/json writes
// time.Duration, times in RFC 3339):
//
//   - Get (or Build, from events already read) reports one release: the
//     planned and actual start, end and duration of the release, each phase
//     and each activity, the time activities spent waiting on people
//     (tasks, approvals, outputs) and on hold (on an operator), the time
//     the release was paused, retries, and who approved or rejected when.
//   - List lists the releases of a process or group scheduled in a date
//     range, with their outcome and timings, from the stored summaries.
//   - ComputeMetrics computes delivery metrics over a window and a filter
//     (process, group, labels): release frequency, success and change
//     failure rates, lead time (earliest commit link to the production
//     deployment link), time to restore (a failed release to the next
//     succeeded one of its group), approval cycle time and time on hold.
//
// Everything is computed from the events: the folded release says where
// a release is, its events say how long it spent there. Metrics over many
// releases would read every event of every release; a store that
// implements store.DigestStore keeps, next to each ended release, its
// Digest (the few figures metrics need, computed from its events and
// valid only for the head it was computed at), so that ComputeMetrics
// reads one small record per release and computes only the digests that
// are missing or stale. KeepDigest computes one ahead of time, when a
// release ends.
//
// The package reads a store directly: it does not go through an
// executor, so it asks no authorizer of its own accord. A report for a
// reader who may see only some releases takes a Viewer (Filter.Viewer for
// List and ComputeMetrics, GetVisible for one release):
// executor.Executor.Viewer makes one from the executor's authorizer, the
// check the executor's own reads make (ActionView on the release).
//
//	rep, err := report.Get(ctx, st, id, time.Now())
//	if err != nil { ... }
//	rep.WriteCSV(os.Stdout)
//
//	m, err := report.ComputeMetrics(ctx, st, &report.MetricsParams{
//		From: monthStart, To: monthEnd,
//		Filter: report.Filter{Group: "weekly-train"},
//		Production: "prod",
//	})
package report
