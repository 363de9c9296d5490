package release_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

// endedBundle returns the bundle of a release that ran and was aborted,
// with a comment after, its heads sealed with key.
func endedBundle(t *testing.T, key release.Sealer) *release.Bundle {
	t.Helper()
	r, log := newMobile(t)
	b := &release.Bundle{Release: r.ID}
	seal := func() {
		a, err := key.Seal(context.Background(), release.Head{Release: r.ID, Seq: r.Seq, Hash: r.Hash})
		require.NoError(t, err)
		b.Anchors = append(b.Anchors, a)
	}
	seal()
	rec(t, r, &log, t0.Add(time.Minute), release.ReleaseStartedPayload{})
	rec(t, r, &log, t0.Add(2*time.Minute), release.ReleaseAbortedPayload{})
	seal()
	rec(t, r, &log, t0.Add(3*time.Minute), release.CommentAddedPayload{Text: "post-mortem filed"})
	seal()
	b.Events = log
	return b
}

func bundleKey(t *testing.T) *release.HMACKey {
	t.Helper()
	k, err := release.NewHMACKey("k1", bytes.Repeat([]byte{7}, release.MinHMACKeySize))
	require.NoError(t, err)
	return k
}

func TestABundleRoundTripsThroughItsFileFormAndChecksAlone(t *testing.T) {
	key := bundleKey(t)
	b := endedBundle(t, key)
	var buf bytes.Buffer
	require.NoError(t, release.WriteBundle(&buf, b))
	got, err := release.ReadBundle(&buf)
	require.NoError(t, err)
	require.NoError(t, release.CheckBundle(got))
	require.NoError(t, release.VerifyBundle(got, key))
	ended, ok := got.EndedBy()
	require.True(t, ok)
	require.Equal(t, release.KindReleaseAborted, ended.Kind)
	require.Equal(t, int64(3), ended.Seq, "the comment after the end is not the end")
}

func TestCheckBundleFindsEveryTampering(t *testing.T) {
	key := bundleKey(t)
	tests := []struct {
		name   string
		tamper func(b *release.Bundle)
		want   error
	}{
		{"an actor changed", func(b *release.Bundle) { b.Events[1].Actor = "mallory" }, release.ErrChainBroken},
		{"an event removed", func(b *release.Bundle) { b.Events = append(b.Events[:1], b.Events[2:]...) }, release.ErrChainBroken},
		{"the first event removed", func(b *release.Bundle) { b.Events = b.Events[1:] }, release.ErrChainBroken},
		{"no events", func(b *release.Bundle) { b.Events = nil }, release.ErrChainBroken},
		{"events of another release", func(b *release.Bundle) { b.Release = "other" }, release.ErrChainBroken},
		{"an anchor of another head", func(b *release.Bundle) { b.Anchors[1].Hash = b.Events[0].Hash }, release.ErrAnchor},
		{"an anchor past the end", func(b *release.Bundle) { b.Events = b.Events[:2] }, release.ErrAnchor},
		{"anchors out of order", func(b *release.Bundle) { b.Anchors[0], b.Anchors[1] = b.Anchors[1], b.Anchors[0] }, release.ErrAnchor},
		{"an anchor of another release", func(b *release.Bundle) { b.Anchors[0].Release = "other" }, release.ErrAnchor},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := endedBundle(t, key)
			tc.tamper(b)
			require.ErrorIs(t, release.CheckBundle(b), tc.want)
		})
	}
	require.Error(t, release.CheckBundle(nil))
}

func TestABundleWithoutItsEndHasNoEnd(t *testing.T) {
	b := endedBundle(t, bundleKey(t))
	b.Events, b.Anchors = b.Events[:2], b.Anchors[:1]
	require.NoError(t, release.CheckBundle(b), "a bundle cut short is still a chain")
	_, ok := b.EndedBy()
	require.False(t, ok, "but it does not end the release")
}

func TestReadBundleRefusesWhatIsNotABundle(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, release.WriteBundle(&buf, endedBundle(t, bundleKey(t))))
	good := buf.String()
	for name, input := range map[string]string{
		"empty":          "",
		"not JSON":       "release",
		"unknown field":  `{"release":"r","events":[],"anchors":[],"extra":1}`,
		"no release":     `{"events":[],"anchors":[]}`,
		"two bundles":    good + good,
		"trailing bytes": strings.TrimSpace(good) + "x",
		"an array":       `[]`,
	} {
		_, err := release.ReadBundle(strings.NewReader(input))
		require.Error(t, err, name)
	}
	_, err := release.ReadBundle(errReader{})
	require.Error(t, err)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// FuzzReadBundle checks that ReadBundle never panics and that whatever it
// accepts CheckBundle judges without panicking, and survives a round trip.
func FuzzReadBundle(f *testing.F) {
	var buf bytes.Buffer
	r, log := newMobileF(f)
	if err := release.WriteBundle(&buf, &release.Bundle{Release: r.ID, Events: log}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"release":"r","events":null,"anchors":null}`))
	f.Add([]byte(`{"release":"r","events":[{"seq":-1}],"anchors":[{"seq":9}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := release.ReadBundle(bytes.NewReader(data))
		if err != nil {
			return
		}
		_ = release.CheckBundle(b)
		_, _ = b.EndedBy()
		var out bytes.Buffer
		if err := release.WriteBundle(&out, b); err != nil {
			return // a payload that is not JSON cannot be written again
		}
		again, err := release.ReadBundle(&out)
		if err != nil {
			t.Fatalf("a bundle written again does not read: %v\n%s", err, out.String())
		}
		if (release.CheckBundle(b) == nil) != (release.CheckBundle(again) == nil) {
			t.Fatalf("the round trip changed the check")
		}
	})
}

// newMobileF is newMobile for a fuzz target's setup.
func newMobileF(f *testing.F) (*release.Release, []release.Event) {
	id, err := release.NewID(t0, bytes.NewReader(make([]byte, 16)))
	if err != nil {
		f.Fatal(err)
	}
	r, created, err := release.Create(id, t0, "alice", "", release.ReleaseCreatedPayload{Name: "fuzz", Process: mobileProcess()})
	if err != nil {
		f.Fatal(err)
	}
	return r, []release.Event{created}
}
