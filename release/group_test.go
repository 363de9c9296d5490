package release_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

func validGroup() *release.Group {
	return &release.Group{
		ID: "mobile-train", Name: "Mobile train", Process: "mobile",
		Cadence: "0 9 * * MON", Timezone: "Europe/Paris",
		Start:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		LeadTime: process.Duration(24 * time.Hour), Enabled: true,
		NameTemplate:    "${{ group.name }} ${{ occurrence.date }}",
		VersionTemplate: "1.${{ sequence }}.0",
	}
}

func TestGroupValidateAcceptsAValidGroup(t *testing.T) {
	require.NoError(t, validGroup().Validate())
	g := validGroup()
	g.Timezone, g.NameTemplate, g.VersionTemplate = "", "", ""
	require.NoError(t, g.Validate(), "the zero zone, name and version take their defaults")
}

func TestGroupValidateReportsEveryProblemAtOnce(t *testing.T) {
	g := validGroup()
	g.ID = ""
	g.Process = ""
	g.ProcessVersion = -1
	g.Timezone = "Mars/Olympus"
	g.End = g.Start.Add(-time.Hour)
	g.LeadTime = process.Duration(-time.Minute)
	g.CatchUp = process.Duration(-time.Minute)
	g.NameTemplate = "${{ nope.x }}"
	g.VersionTemplate = "${{ vars.undeclared }}"
	g.Overlap = "sometimes"
	err := g.Validate()
	require.ErrorIs(t, err, release.ErrInvalidGroup)
	var ge *release.GroupError
	require.True(t, errors.As(err, &ge))
	var paths []string
	for _, p := range ge.Problems {
		paths = append(paths, p.Path)
	}
	require.Equal(t, []string{"id", "process", "process-version", "timezone", "end", "lead-time", "catch-up",
		"name-template", "version-template", "overlap"}, paths)
}

func TestGroupValidateChecksTheCadence(t *testing.T) {
	for name, tc := range map[string]struct {
		cadence, tz string
		ok          bool
	}{
		"cron in the group's zone":    {"0 9 * * MON", "America/New_York", true},
		"cron with its own zone":      {"CRON_TZ=Asia/Tokyo 0 9 * * MON", "America/New_York", true},
		"rrule":                       {"DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=WEEKLY", "Europe/Berlin", true},
		"preset in the group's zone":  {"weekly on mon at 09:00", "Europe/Berlin", true},
		"local zone refused":          {"0 9 * * *", "Local", false},
		"empty":                       {"", "", false},
		"bad minute":                  {"61 9 * * *", "", false},
		"never fires":                 {"0 0 30 2 *", "", false},
		"unknown zone hides cadence":  {"0 9 * * *", "Nowhere/Land", false},
		"control characters rejected": {"0 9 * * *\x00", "", false},
	} {
		t.Run(name, func(t *testing.T) {
			g := validGroup()
			g.Cadence, g.Timezone = tc.cadence, tc.tz
			err := g.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, release.ErrInvalidGroup)
		})
	}
}

func TestGroupScheduleRunsACronSpecInTheGroupsZone(t *testing.T) {
	g := validGroup()
	g.Timezone = "America/New_York"
	s, err := g.Schedule()
	require.NoError(t, err)
	ny, _ := time.LoadLocation("America/New_York")
	next := s.Next(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC))
	require.Equal(t, time.Date(2026, 3, 9, 9, 0, 0, 0, ny), next.In(ny))
}

func TestGroupNextOccurrenceKeepsInsideStartAndEnd(t *testing.T) {
	g := validGroup()
	g.Timezone = "UTC"
	g.Start = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	g.End = time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	s, err := g.Schedule()
	require.NoError(t, err)
	first := g.NextOccurrence(s, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.Equal(t, time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC), first, "none before Start")
	require.True(t, g.NextOccurrence(s, first).IsZero(), "none at or after End")
}

func TestGroupNamesEvaluatesTheTemplates(t *testing.T) {
	g := validGroup()
	name, version, err := g.Names(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), 7)
	require.NoError(t, err)
	require.Equal(t, "Mobile train 2026-03-02", name)
	require.Equal(t, "1.7.0", version)

	g.NameTemplate, g.VersionTemplate = "", ""
	name, version, err = g.Names(time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC), 1)
	require.NoError(t, err)
	require.Equal(t, "Mobile train 2026-03-02", name, "the default name, with the date in the group's zone")
	require.Empty(t, version)
}
