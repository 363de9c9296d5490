package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/schedule"
)

func TestReleasetrainSimulatesSixWeeksAndWritesTheCalendar(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, dir))
	s := out.String()
	for _, want := range []string{
		"Week 1: Mon 30 Nov 2026 to Sun 06 Dec 2026",
		"Week 6: Mon 04 Jan 2027 to Sun 10 Jan 2027",
		// The weekend freeze shifts every Monday train to 11:00; it runs then.
		"release  Mon 30 Nov 11:00  Mobile train 2026-11-30    2.1.0    Succeeded, on-track (planned 11:00-13:00; ran 11:00-11:00)",
		"release  Mon 04 Jan 11:00  Mobile train 2027-01-04    2.6.0    Succeeded",
		"decided  Mon 07 Dec 10:00  mobile-weekly shifted to 11:00 by weekend",
		// The monthly release runs in December; the audit freeze skips January's.
		"release  Wed 02 Dec 14:00  Web release 2026-12        2026.12  Succeeded, on-track",
		`decided  Wed 06 Jan 14:00  web-monthly skipped: frozen by "Audit freeze" (audit): the year-end audit`,
		"freeze   Tue 05 Jan 00:00 to Thu 07 Jan 00:00  Audit freeze",
		"freeze   Fri 04 Dec 16:00 to Mon 07 Dec 11:00  Weekend freeze",
		// The plan ahead: the next train is made, the ones after are planned and will shift.
		"release  Mon 11 Jan 11:00  Mobile train 2027-01-11 2.7.0, made ahead (Scheduled)",
		"planned  Mon 18 Jan 10:00  Mobile train, made Sat 16 Jan 10:00, frozen by weekend: shifts to 11:00",
		"planned  Wed 03 Feb 14:00  Web release, made Sun 31 Jan 14:00",
	} {
		require.Contains(t, s, want)
	}
	require.Equal(t, 6, strings.Count(s, "Mobile train 20")-1, "six weekly trains ran, one more is made ahead\n%s", s)
	require.NotContains(t, s, "Web release 2027-1 ", "January's web release was skipped")

	f, err := os.Open(filepath.Join(dir, "calendar.ics"))
	require.NoError(t, err)
	defer f.Close()
	back, err := schedule.ReadFreezes(f, nil)
	require.NoError(t, err)
	names := map[string]int{}
	for _, w := range back.Windows {
		names[w.Name]++
	}
	require.Equal(t, 1, names["Audit freeze"])
	require.Equal(t, 11, names["Weekend freeze"], "%v", names) // Fri 27 Nov to Fri 5 Feb
	require.Equal(t, 1, names["Mobile train 2026-12-07 2.2.0"])
	require.Equal(t, 1, names["Web release 2026-12 2026.12"])
	require.Equal(t, 3, names["Mobile train (planned)"], "%v", names)
	require.Equal(t, 1, names["Web release (planned)"])
}
