package report

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

func sampleDigest() *Digest {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	return &Digest{
		Release: "r1", Seq: 42, Process: "web", Group: "weekly", Labels: map[string]string{"env": "prod", "team": "a"},
		Status: release.RolledBack, ScheduledFor: at, StartedAt: at.Add(time.Minute), EndedAt: at.Add(time.Hour),
		FirstCommit: at.Add(-time.Hour), Deployments: map[string]time.Time{"production": at.Add(30 * time.Minute), "staging": at},
		ApprovalCycles: []time.Duration{time.Minute, 2 * time.Hour}, OnHold: 5 * time.Minute, Waiting: 7 * time.Minute,
	}
}

func TestDigestEncodingRoundTrips(t *testing.T) {
	for _, d := range []*Digest{sampleDigest(), {Release: "r2", Seq: 1, Process: "p", Status: release.Running}} {
		b, err := d.marshal()
		require.NoError(t, err)
		got, err := unmarshalDigest(b, d.Release, d.Seq)
		require.NoError(t, err)
		require.Equal(t, d, got)
		// Another release, seq or version is stale, not decoded.
		_, err = unmarshalDigest(b, "other", d.Seq)
		require.ErrorIs(t, err, errStaleDigest)
		_, err = unmarshalDigest(b, d.Release, d.Seq+1)
		require.ErrorIs(t, err, errStaleDigest)
		b[0]++
		_, err = unmarshalDigest(b, d.Release, d.Seq)
		require.ErrorIs(t, err, errStaleDigest)
	}
}

func TestADigestCutShortOrWithTrailingBytesDoesNotDecode(t *testing.T) {
	b, err := sampleDigest().marshal()
	require.NoError(t, err)
	for n := 4; n < len(b); n++ {
		_, err := unmarshalDigest(b[:n], "r1", 42)
		require.Error(t, err, "cut at %d of %d bytes", n, len(b))
	}
	_, err = unmarshalDigest(append(b, 0), "r1", 42)
	require.ErrorIs(t, err, errBadDigest)
}

// FuzzUnmarshalDigest: any bytes either fail to decode or decode to a
// digest that encodes back to the same bytes; never a panic.
func FuzzUnmarshalDigest(f *testing.F) {
	b, err := sampleDigest().marshal()
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte{digestVersion, 2, 'r', '1', 84})
	f.Add([]byte{digestVersion, 2, 'r', '1', 84, 0, 0, 255, 255, 255, 255, 15})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := unmarshalDigest(data, "r1", 42)
		if err != nil {
			return
		}
		again, err := d.marshal()
		require.NoError(t, err)
		d2, err := unmarshalDigest(again, "r1", 42)
		require.NoError(t, err)
		require.Equal(t, d, d2)
	})
}

// One decoder decodes digests one after another into the same memory:
// each decode gives exactly its digest, whatever the one before held (more
// labels, deployments or cycles), and a failed decode spoils nothing.
func TestADecoderReusedGivesEachDigestExactly(t *testing.T) {
	big := sampleDigest()
	small := &Digest{Release: "r2", Seq: 3, Process: "web", Group: "weekly", Labels: map[string]string{"team": "b"},
		Status: release.Succeeded, Deployments: map[string]time.Time{"staging": big.ScheduledFor}, ApprovalCycles: []time.Duration{time.Second}}
	none := &Digest{Release: "r3", Seq: 1, Process: "p", Status: release.Running}
	var dec digestDecoder
	for _, want := range []*Digest{big, small, none, big, none, small} {
		b, err := want.marshal()
		require.NoError(t, err)
		_, err = dec.decode(b[:len(b)-1], want.Release, want.Seq)
		require.Error(t, err, "cut short")
		got, err := dec.decode(b, want.Release, want.Seq)
		require.NoError(t, err)
		require.Equal(t, want, got, "release %s", want.Release)
	}
}
