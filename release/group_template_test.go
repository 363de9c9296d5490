package release_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

func TestGroupNamesReadTheRootsAndTheOldVarsSpelling(t *testing.T) {
	occ := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) // 09:00 in Paris, ISO week 10
	for _, tc := range []struct{ name, version, wantName, wantVersion string }{
		{"${{ group.name }} ${{ occurrence.date }}", "1.${{ sequence }}.0", "Mobile train 2026-03-02", "1.7.0"},
		{"${{ vars.group.name }} ${{ vars.occurrence.date }}", "1.${{ vars.sequence }}.0", "Mobile train 2026-03-02", "1.7.0"},
		{"${{ group.id }} w${{ occurrence.week }} ${{ occurrence.weekday }}", "${{ occurrence.year }}.${{ occurrence.month }}.${{ sequence }}", "mobile-train w10 Monday", "2026.3.7"},
		{"${{ occurrence.time }}", "${{ sequence * 10 }}", "2026-03-02T09:00:00+01:00", "70"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := validGroup()
			g.NameTemplate, g.VersionTemplate = tc.name, tc.version
			require.NoError(t, g.Validate())
			name, version, err := g.Names(occ, 7)
			require.NoError(t, err)
			require.Equal(t, tc.wantName, name)
			require.Equal(t, tc.wantVersion, version)
		})
	}
}

func TestGroupValidateNamesTheTemplateAndTheProblem(t *testing.T) {
	for _, tc := range []struct{ path, name, version, want string }{
		{"name-template", "${{ group.nmae }}", "", `name-template: expr: unknown group field "nmae" (want id, name, labels)`},
		{"name-template", "${{ ocurrence.date }}", "", `unknown name "ocurrence"`},
		{"version-template", "", "1.${{ sequence", `version-template`},
		{"version-template", "", "${{ inputs.x }}", `undeclared input "x"`},
		{"version-template", "", "${{ occurrence.hour }}", `unknown occurrence field "hour" (want date, time, weekday, year, month, day, week)`},
	} {
		t.Run(tc.name+tc.version, func(t *testing.T) {
			g := validGroup()
			g.NameTemplate, g.VersionTemplate = tc.name, tc.version
			err := g.Validate()
			var ge *release.GroupError
			require.True(t, errors.As(err, &ge), "%v", err)
			require.Len(t, ge.Problems, 1)
			require.Equal(t, tc.path, ge.Problems[0].Path)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
