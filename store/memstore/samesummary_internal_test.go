package memstore

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

// TestSameSummaryComparesEveryField changes each field of a summary in
// turn (by reflection, so a field added to release.Summary is changed
// too) and requires sameSummary to see the difference, as
// reflect.DeepEqual, which it replaces, does.
func TestSameSummaryComparesEveryField(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a := release.Summary{
		ID: "r", Name: "n", Version: "1", ProcessID: "p", ProcessVersion: 1, Group: "g", Occurrence: at,
		CreatedBy: "alice", Labels: map[string]string{"env": "prod"}, ScheduledFor: at, ExpectedStart: at, ExpectedEnd: at,
		Status: release.Running, CreatedAt: at, StartedAt: at, EndedAt: at, ActivitiesDone: 1, ActivitiesTotal: 2,
		WaitingForInput: true, Seq: 3, Hash: release.Hash{1},
	}
	b := a.Clone()
	require.True(t, sameSummary(&a, &b))
	v := reflect.ValueOf(&b).Elem()
	for i := range v.NumField() {
		b := a.Clone()
		f := reflect.ValueOf(&b).Elem().Field(i)
		name := v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Int, reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Map:
			b.Labels = map[string]string{"env": "dev"}
		case reflect.Array:
			f.Index(0).SetUint(f.Index(0).Uint() + 1)
		case reflect.Struct: // time.Time
			f.Set(reflect.ValueOf(at.Add(time.Second)))
		default:
			t.Fatalf("field %s: kind %s: teach this test to change it", name, f.Kind())
		}
		require.False(t, sameSummary(&a, &b), "a change of %s", name)
	}
	empty, none := a.Clone(), a.Clone()
	empty.Labels, none.Labels = map[string]string{}, nil
	require.False(t, sameSummary(&empty, &none), "empty and nil labels differ, as for reflect.DeepEqual")
}
