package sqlite

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/batonhq/baton/store"
)

// listReleasesQuery builds ListReleases' query: its SQL, its arguments and
// the page size.
//
// Each filter has an index in list order, (filter, created_s, created_ns,
// id), so a page is a range scan that stops after Limit+1 rows:
// releases_status for one status, releases_group, releases_process, and
// releases_created without a filter. Several statuses are one such scan
// each (UNION ALL), each stopping after Limit+1 rows, merged: a page never
// sorts more than Limit+1 rows per status, whatever the number of
// releases. A scheduled window alone uses releases_scheduled and sorts the
// releases of the window.
func listReleasesQuery(p *store.ListReleasesParams) (string, []any, int, error) {
	var where strings.Builder // the filters but the status, and the cursor
	var wargs []any
	if p.Group != "" {
		where.WriteString(` AND r.group_id = ?`)
		wargs = append(wargs, string(p.Group))
	}
	if p.Process != "" {
		where.WriteString(` AND r.process_id = ?`)
		wargs = append(wargs, string(p.Process))
	}
	if !p.ScheduledFrom.IsZero() {
		where.WriteString(` AND (r.sched_s, r.sched_ns) >= (?, ?)`)
		wargs = append(wargs, p.ScheduledFrom.Unix(), p.ScheduledFrom.Nanosecond())
	}
	if !p.ScheduledTo.IsZero() {
		where.WriteString(` AND (r.sched_s, r.sched_ns) < (?, ?)`)
		wargs = append(wargs, p.ScheduledTo.Unix(), p.ScheduledTo.Nanosecond())
	}
	if p.Cursor != "" {
		var c releaseCursor
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return "", nil, 0, errf(store.ErrInvalid, "list releases: cursor %q: not one this store made", p.Cursor)
		}
		where.WriteString(` AND (r.created_s, r.created_ns, r.id) > (?, ?, ?)`)
		wargs = append(wargs, c.S, c.NS, string(c.ID))
	}
	limit := store.ClampLimit(p.Limit)
	const order = ` ORDER BY r.created_s, r.created_ns, r.id`
	// Duplicate statuses would list a release twice.
	var statuses []string
	for _, st := range p.Statuses {
		if !containsString(statuses, string(st)) {
			statuses = append(statuses, string(st))
		}
	}
	if len(statuses) <= 1 {
		q := `SELECT r.id, r.created_s, r.created_ns, ` + qSummaryCols + qSummaryFrom + ` WHERE 1`
		var args []any
		if len(statuses) == 1 {
			q += ` AND r.status = ?`
			args = append(args, statuses[0])
		}
		args = append(append(args, wargs...), limit+1)
		return q + where.String() + order + ` LIMIT ?`, args, limit, nil
	}
	arms := make([]string, len(statuses))
	var args []any
	for i, st := range statuses {
		arms[i] = `SELECT * FROM (SELECT r.rid, r.created_s, r.created_ns, r.id FROM releases r WHERE r.status = ?` +
			where.String() + order + ` LIMIT ?)`
		args = append(append(append(args, st), wargs...), limit+1)
	}
	q := `SELECT r.id, r.created_s, r.created_ns, ` + qSummaryCols + ` FROM (` + strings.Join(arms, ` UNION ALL `) +
		` ORDER BY 2, 3, 4 LIMIT ?) x JOIN releases r ON r.rid = x.rid` + headJoin +
		` LEFT JOIN events b ON b.key = (r.rid << 32) + r.sum_seq ORDER BY x.created_s, x.created_ns, x.id`
	return q, append(args, limit+1), limit, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
