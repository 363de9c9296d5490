package release_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

var fday = time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)

func validFreeze() *release.Freeze {
	return &release.Freeze{
		ID: "year-end", Name: "Year end", Reason: "holidays",
		Windows:   []release.FreezeWindow{{Start: fday, End: fday.Add(14 * 24 * time.Hour)}},
		Recurring: []release.RecurringFreeze{{Schedule: "weekly on fri at 16:00", Timezone: "Europe/Berlin", Days: 2, Duration: process.Duration(16 * time.Hour)}},
		Scope:     release.FreezeScope{Labels: map[string]string{"env": "prod"}},
		Enabled:   true,
	}
}

const icsFreeze = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261124T000000Z\r\nDTEND:20261201T000000Z\r\nSUMMARY:Black Friday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestFreezeValidateAcceptsAValidFreeze(t *testing.T) {
	require.NoError(t, validFreeze().Validate())
	f := validFreeze()
	f.Windows, f.Recurring, f.ICal = nil, nil, icsFreeze
	require.NoError(t, f.Validate(), "iCal text alone is enough")
}

func TestFreezeValidateReportsEveryProblemAtOnce(t *testing.T) {
	f := &release.Freeze{
		Name:      "bad\nname",
		Windows:   []release.FreezeWindow{{Start: fday, End: fday}, {End: fday}},
		Recurring: []release.RecurringFreeze{{Schedule: "every blue moon"}, {Schedule: "0 9 * * *", Timezone: "Mars/Base"}, {Schedule: "0 9 * * *", Days: -1}},
		ICal:      "BEGIN:VCALENDAR\r\nnot a line\r\n",
		Scope:     release.FreezeScope{All: true, Labels: map[string]string{"Env!": "x"}},
	}
	err := f.Validate()
	require.ErrorIs(t, err, release.ErrInvalidFreeze)
	var fe *release.FreezeError
	require.True(t, errors.As(err, &fe))
	var paths []string
	for _, p := range fe.Problems {
		paths = append(paths, p.Path)
	}
	require.Equal(t, []string{
		"id", "name", "windows[0].end", "windows[1].start",
		"recurring[0].schedule", "recurring[0].duration", "recurring[1].timezone", "recurring[1].duration", "recurring[2].days",
		"ical", "scope", "scope.labels.Env!",
	}, paths, "%v", err)

	require.ErrorIs(t, (&release.Freeze{ID: "x", Windows: validFreeze().Windows}).Validate(), release.ErrInvalidFreeze, "a freeze without a scope holds nothing: refused")
	require.ErrorIs(t, (&release.Freeze{ID: "x", Scope: release.FreezeScope{All: true}}).Validate(), release.ErrInvalidFreeze, "a freeze without windows: refused")
	bad := validFreeze()
	bad.ID = "a,b"
	require.ErrorContains(t, bad.Validate(), `"a,b" is not a valid freeze id`)
}

func TestFreezeCompileHoldsInEveryKindOfWindow(t *testing.T) {
	f := validFreeze()
	f.ICal = icsFreeze
	fz, err := f.Compile()
	require.NoError(t, err)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, tc := range []struct {
		at     time.Time
		frozen bool
		end    time.Time
	}{
		{fday.Add(time.Hour), true, fday.Add(14 * 24 * time.Hour)},
		{time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), true, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 6, 17, 0, 0, 0, berlin), true, time.Date(2026, 3, 9, 8, 0, 0, 0, berlin)},
		{time.Date(2026, 3, 9, 8, 0, 0, 0, berlin), false, time.Time{}},
		{time.Date(2026, 3, 4, 12, 0, 0, 0, berlin), false, time.Time{}},
	} {
		frozen, w := fz.Frozen(tc.at)
		require.Equal(t, tc.frozen, frozen, "%s", tc.at)
		if frozen {
			require.Equal(t, "Year end", w.Name)
			require.True(t, w.End.Equal(tc.end), "%s: ends %s, want %s", tc.at, w.End, tc.end)
		}
	}
}

func TestFreezeScopeMatches(t *testing.T) {
	prod := map[string]string{"env": "prod"}
	for _, tc := range []struct {
		name  string
		scope release.FreezeScope
		subj  release.FreezeSubject
		match bool
	}{
		{"all", release.FreezeScope{All: true}, release.FreezeSubject{}, true},
		{"empty scope holds nothing", release.FreezeScope{}, release.FreezeSubject{Labels: prod}, false},
		{"group", release.FreezeScope{Groups: []release.GroupID{"train"}}, release.FreezeSubject{Group: "train"}, true},
		{"other group", release.FreezeScope{Groups: []release.GroupID{"train"}}, release.FreezeSubject{Group: "bus"}, false},
		{"process", release.FreezeScope{Processes: []process.ID{"app"}}, release.FreezeSubject{Process: "app"}, true},
		{"release labels", release.FreezeScope{Labels: prod}, release.FreezeSubject{Labels: map[string]string{"env": "prod", "x": "y"}}, true},
		{"release labels differ", release.FreezeScope{Labels: prod}, release.FreezeSubject{Labels: map[string]string{"env": "staging"}}, false},
		{"activity labels", release.FreezeScope{Labels: prod}, release.FreezeSubject{Activity: true, ActivityLabels: prod}, true},
		{"activity labels are not a release's", release.FreezeScope{Labels: prod}, release.FreezeSubject{ActivityLabels: prod}, false},
		{"activity of a release in scope", release.FreezeScope{Labels: prod}, release.FreezeSubject{Activity: true, Labels: prod, ActivityLabels: map[string]string{"env": "dev"}}, true},
		{"every criterion must match", release.FreezeScope{Processes: []process.ID{"app"}, Labels: prod}, release.FreezeSubject{Process: "other", Labels: prod}, false},
		{"both criteria match", release.FreezeScope{Processes: []process.ID{"app"}, Labels: prod}, release.FreezeSubject{Process: "app", Activity: true, ActivityLabels: prod}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.match, tc.scope.Matches(tc.subj))
		})
	}
}

func TestGroupValidateRefusesAnUnknownFreezePolicy(t *testing.T) {
	g := validGroup()
	g.FreezePolicy = release.FreezeShift
	require.NoError(t, g.Validate())
	g.FreezePolicy = "pray"
	err := g.Validate()
	require.ErrorIs(t, err, release.ErrInvalidGroup)
	require.Contains(t, err.Error(), "freeze-policy")
}

func TestFreezeOverriddenIsFoldedIntoTheRelease(t *testing.T) {
	r, _ := newMobile(t)
	k := release.Key("deploy", "rollout")
	_, err := r.RecordPayload(fday, "alice", "hotfix", &release.FreezeOverriddenPayload{Freeze: "year-end", Activity: k})
	require.NoError(t, err)
	require.True(t, r.FreezeOverridden("year-end", k))
	require.False(t, r.FreezeOverridden("year-end", ""), "an activity's override does not let the release through")
	require.False(t, r.FreezeOverridden("other", k))
	require.Equal(t, []release.FreezeOverride{{Freeze: "year-end", Activity: k, Actor: "alice", Reason: "hotfix", At: fday}}, r.FreezeOverrides)

	_, err = r.RecordPayload(fday, "bob", "all of it", &release.FreezeOverriddenPayload{Freeze: "year-end"})
	require.NoError(t, err)
	for key := range r.Activities {
		require.True(t, r.FreezeOverridden("year-end", key), "a release's override covers its activities")
	}
	_, err = r.RecordPayload(fday, "bob", "", &release.FreezeOverriddenPayload{Freeze: "year-end", Activity: "nope.nope"})
	require.Error(t, err, "an override of an activity the release does not have is refused")
	_, err = r.RecordPayload(fday, "bob", "", &release.FreezeOverriddenPayload{})
	require.Error(t, err, "the freeze is required")
}
