package release_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

func TestNewIDIsAUUIDv7OfTheGivenTime(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	id, err := release.NewID(at, bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	require.NoError(t, err)
	u, err := uuid.Parse(string(id))
	require.NoError(t, err)
	require.Equal(t, uuid.Version(7), u.Version())
	require.Equal(t, uuid.RFC4122, u.Variant())
	sec, nsec := u.Time().UnixTime()
	require.Equal(t, at, time.Unix(sec, nsec).UTC())

	later, err := release.NewID(at.Add(time.Millisecond), bytes.NewReader(make([]byte, 16)))
	require.NoError(t, err)
	require.Less(t, string(id), string(later), "ids sort by creation time")

	_, err = release.NewID(at, bytes.NewReader(nil))
	require.ErrorContains(t, err, "entropy")
	_, err = release.NewID(time.Unix(-1, 0), nil)
	require.ErrorContains(t, err, "before 1970")
	a, _ := release.NewID(at, nil)
	b, _ := release.NewID(at, nil)
	require.NotEqual(t, a, b)
}

func TestParseID(t *testing.T) {
	id, err := release.ParseID("0190A5E0-0000-7000-8000-00000000000A")
	require.NoError(t, err)
	require.Equal(t, release.ID("0190a5e0-0000-7000-8000-00000000000a"), id)
	for _, bad := range []string{"", "nope", "{0190a5e0-0000-7000-8000-00000000000a}", "0190a5e000007000800000000000000a"} {
		_, err := release.ParseID(bad)
		require.ErrorContains(t, err, "release: id", bad)
	}
}

func TestActivityKeyParts(t *testing.T) {
	k := release.Key("qa", "signoff")
	require.Equal(t, release.ActivityKey("qa.signoff"), k)
	require.Equal(t, "qa", string(k.Phase()))
	require.Equal(t, "signoff", string(k.Activity()))
	require.Equal(t, "", string(release.ActivityKey("lonely").Phase()))
}
