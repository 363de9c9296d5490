package release_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

// chain returns a release's log of n+3 events.
func chain(t *testing.T, n int) []release.Event {
	t.Helper()
	r, log := running(t)
	for i := range n {
		rec(t, r, &log, t0.Add(time.Duration(i)*time.Minute), release.CommentAddedPayload{Text: string(rune('a' + i%26))})
	}
	return log
}

func TestSealChainsEvents(t *testing.T) {
	r, _ := newMobile(t)
	local := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 2, 10, 0, 0, 123456789, local)
	events := []release.Event{
		{Kind: release.KindCommentAdded, Time: at, Actor: "bob", Payload: json.RawMessage(`{ "text" : "<b>hi</b>" , "activity": "" }`)},
		{Kind: release.KindReleaseStarted, Time: at, Actor: "bob"},
	}
	sealed, err := release.Seal(r.Head(), events)
	require.NoError(t, err)
	require.Equal(t, release.KindCommentAdded, events[0].Kind)
	require.Zero(t, events[0].Seq, "Seal does not modify its input")
	require.Equal(t, []int64{2, 3}, []int64{sealed[0].Seq, sealed[1].Seq})
	require.Equal(t, r.Hash, sealed[0].PrevHash)
	require.Equal(t, sealed[0].Hash, sealed[1].PrevHash)
	require.Equal(t, r.ID, sealed[1].Release)
	require.Equal(t, time.UTC, sealed[0].Time.Location())
	require.True(t, at.Equal(sealed[0].Time))
	require.Equal(t, `{"activity":"","text":"<b>hi</b>"}`, string(sealed[0].Payload), "payloads are stored canonical")
	require.Equal(t, `{}`, string(sealed[1].Payload), "an empty payload is {}")
	for _, e := range sealed {
		h, err := release.ComputeHash(e)
		require.NoError(t, err)
		require.Equal(t, e.Hash, h)
	}
}

func TestTheHashIgnoresJSONFormatting(t *testing.T) {
	r, _ := newMobile(t)
	a, err := release.Seal(r.Head(), []release.Event{{Kind: "x.y", Time: t0, Actor: "bob", Payload: json.RawMessage(`{"b":1,"a":[1.50,"x"]}`)}})
	require.NoError(t, err)
	b := a[0]
	b.Payload = json.RawMessage("{\n  \"a\": [1.50, \"x\"],\n  \"b\": 1\n}")
	h, err := release.ComputeHash(b)
	require.NoError(t, err)
	require.Equal(t, a[0].Hash, h, "a store that reorders keys or re-indents keeps the hash")
	b.Payload = json.RawMessage(`{"a":[1.5,"x"],"b":1}`)
	h, err = release.ComputeHash(b)
	require.NoError(t, err)
	require.NotEqual(t, a[0].Hash, h, "numbers are hashed as written")
}

func TestSealRejectsBadEvents(t *testing.T) {
	r, _ := newMobile(t)
	for name, e := range map[string]release.Event{
		"no kind":            {Time: t0, Actor: "bob"},
		"another release":    {Kind: "x", Release: "0190a5e0-0000-7000-8000-000000000000"},
		"payload not JSON":   {Kind: "x", Payload: json.RawMessage(`{"a":`)},
		"payload not object": {Kind: "x", Payload: json.RawMessage(`[1]`)},
		"payload two values": {Kind: "x", Payload: json.RawMessage(`{} {}`)},
	} {
		_, err := release.Seal(r.Head(), []release.Event{e})
		require.ErrorContains(t, err, "release: seal: ", name)
	}
	_, err := release.Seal(release.Head{}, nil)
	require.Error(t, err)
}

func TestVerifyChainFindsTheFirstBadEvent(t *testing.T) {
	type tc struct {
		name    string
		tamper  func(log []release.Event) []release.Event
		seq     int64
		problem release.ChainProblem
	}
	tests := []tc{
		{"an altered actor", func(l []release.Event) []release.Event { l[4].Actor = "mallory"; return l }, 5, release.Altered},
		{"an altered payload", func(l []release.Event) []release.Event { l[5].Payload = json.RawMessage(`{"text":"z"}`); return l }, 6, release.Altered},
		{"an altered time", func(l []release.Event) []release.Event { l[2].Time = l[2].Time.Add(time.Second); return l }, 3, release.Altered},
		{"an altered hash", func(l []release.Event) []release.Event { l[6].Hash[3] ^= 0xff; return l }, 7, release.Altered},
		{"a removed event", func(l []release.Event) []release.Event { return append(l[:3:3], l[4:]...) }, 4, release.Removed},
		{"a removed last event is not detectable", func(l []release.Event) []release.Event { return l[:len(l)-1] }, 0, ""},
		{"swapped events", func(l []release.Event) []release.Event { l[3], l[4] = l[4], l[3]; return l }, 4, release.Reordered},
		{"a repeated event", func(l []release.Event) []release.Event { return append(l[:5:5], l[4:]...) }, 6, release.Reordered},
		{"a removed event with the rest renumbered and rehashed", func(l []release.Event) []release.Event {
			l = append(l[:3:3], l[4:]...)
			for i := 3; i < len(l); i++ {
				l[i].Seq--
				l[i].Hash, _ = release.ComputeHash(l[i])
			}
			return l
		}, 4, release.WrongPrevHash},
		{"an event of another release", func(l []release.Event) []release.Event {
			l[2].Release = "0190a5e0-0000-7000-8000-000000000000"
			return l
		}, 3, release.WrongRelease},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := chain(t, 6)
			require.NoError(t, release.VerifyChain(log))
			err := release.VerifyChain(tc.tamper(log))
			if tc.problem == "" {
				require.NoError(t, err)
				return
			}
			var ce *release.ChainError
			require.ErrorAs(t, err, &ce)
			require.ErrorIs(t, err, release.ErrChainBroken)
			require.Equal(t, tc.seq, ce.Seq)
			require.Equal(t, tc.problem, ce.Problem)
			require.Regexp(t, `^release: event \d+ \(index \d+\): `, err.Error())
		})
	}
	require.NoError(t, release.VerifyChain(nil))
}

func TestVerifyChainFromContinuesAHead(t *testing.T) {
	log := chain(t, 5)
	head := release.Head{Release: log[2].Release, Seq: log[2].Seq, Hash: log[2].Hash}
	require.NoError(t, release.VerifyChainFrom(head, log[3:]))
	head.Hash[0] ^= 1
	err := release.VerifyChainFrom(head, log[3:])
	var ce *release.ChainError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, release.WrongPrevHash, ce.Problem)
}

func TestEventsRoundTripThroughJSON(t *testing.T) {
	log := chain(t, 2)
	for _, e := range log {
		data, err := json.Marshal(e)
		require.NoError(t, err)
		back, err := release.ParseEvent(data)
		require.NoError(t, err)
		require.Equal(t, e, back)
	}
}

func TestParseEventRejectsBadEnvelopes(t *testing.T) {
	good, err := json.Marshal(chain(t, 0)[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(good, &m))
	for name, change := range map[string]func(m map[string]any){
		"no release":        func(m map[string]any) { delete(m, "release") },
		"seq zero":          func(m map[string]any) { m["seq"] = 0 },
		"seq a string":      func(m map[string]any) { m["seq"] = "2" },
		"no kind":           func(m map[string]any) { delete(m, "kind") },
		"payload an array":  func(m map[string]any) { m["payload"] = []any{} },
		"no payload":        func(m map[string]any) { delete(m, "payload") },
		"an unknown field":  func(m map[string]any) { m["extra"] = 1 },
		"a short hash":      func(m map[string]any) { m["hash"] = "abcd" },
		"a non-hex hash":    func(m map[string]any) { m["prev-hash"] = "zz" + m["hash"].(string)[2:] },
		"a time not a time": func(m map[string]any) { m["time"] = "yesterday" },
	} {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		change(c)
		data, err := json.Marshal(c)
		require.NoError(t, err)
		_, err = release.ParseEvent(data)
		require.ErrorContains(t, err, "release: ", name)
	}
	_, err = release.ParseEvent(append(good, good...))
	require.ErrorContains(t, err, "data after the event")
}

func TestDecodePayloadChecksTheKindsShape(t *testing.T) {
	mk := func(kind release.EventKind, payload string) release.Event {
		return release.Event{Release: "r", Seq: 7, Kind: kind, Payload: json.RawMessage(payload)}
	}
	p, err := release.DecodePayload(mk(release.KindActivityStarted, `{"activity":"build.compile","inputs":{"n":1},"future-field":true}`))
	require.NoError(t, err, "fields a payload does not have are ignored")
	require.Equal(t, &release.ActivityStartedPayload{Activity: "build.compile", Inputs: map[string]any{"n": 1.0}}, p)

	_, err = release.DecodePayload(mk("custom.metric", `{}`))
	require.ErrorIs(t, err, release.ErrUnknownKind)

	for name, e := range map[string]release.Event{
		"a wrong type":              mk(release.KindActivityFailed, `{"activity":"a.b","error":42}`),
		"a missing activity":        mk(release.KindActivitySucceeded, `{"outputs":{}}`),
		"a missing task":            mk(release.KindTaskUpdated, `{"activity":"a.b","status":"TODO"}`),
		"a bad task status":         mk(release.KindTaskUpdated, `{"activity":"a.b","task":"t","status":"DONE"}`),
		"a created without process": mk(release.KindReleaseCreated, `{"name":"x"}`),
		"not JSON":                  mk(release.KindCommentAdded, `{"text":`),
		"no payload":                mk(release.KindCommentAdded, ``),
		"a task without activity":   mk(release.KindCommentAdded, `{"task":"t","text":"x"}`),
	} {
		_, err := release.DecodePayload(e)
		var ee *release.EventError
		require.True(t, errors.As(err, &ee), "%s: want *EventError, got %v", name, err)
		require.Equal(t, int64(7), ee.Seq, name)
		require.ErrorIs(t, err, release.ErrBadEvent, name)
	}
	_, err = release.DecodePayload(mk(release.KindActivityFailed, `{"activity":"a.b","error":42}`))
	require.ErrorContains(t, err, `release: event 7 (activity.failed): payload: field "error": want string, got JSON number`)
}

func TestEveryKnownKindHasAPayloadType(t *testing.T) {
	payloads := []release.Payload{
		release.ReleaseCreatedPayload{}, release.ReleaseStartedPayload{}, release.ReleasePausedPayload{}, release.ReleaseResumedPayload{},
		release.ReleaseRescheduledPayload{}, release.ReleaseSucceededPayload{}, release.ReleasePartiallySucceededPayload{},
		release.ReleaseFailedPayload{}, release.ReleaseAbortedPayload{}, release.ReleaseRolledBackPayload{},
		release.PhaseStartedPayload{}, release.PhaseSucceededPayload{}, release.PhaseFailedPayload{}, release.PhaseSkippedPayload{},
		release.PhaseAbortedPayload{}, release.ActivityStartedPayload{}, release.ActivityWaitingPayload{}, release.ActivityResumedPayload{},
		release.ActivitySucceededPayload{}, release.ActivityFailedPayload{}, release.ActivityHeldPayload{}, release.ActivityIgnoredPayload{},
		release.ActivitySkippedPayload{}, release.ActivityAbortedPayload{}, release.ActivityRolledBackPayload{},
		release.OutputsSubmittedPayload{}, release.TaskUpdatedPayload{}, release.ApprovalGrantedPayload{}, release.ApprovalRejectedPayload{},
		release.ApprovalBypassedPayload{}, release.CommentAddedPayload{}, release.LinkAddedPayload{},
		release.FreezeOverriddenPayload{},
	}
	seen := map[release.EventKind]bool{}
	for _, p := range payloads {
		k := p.EventKind()
		require.False(t, seen[k], "kind %s named twice", k)
		seen[k] = true
		require.True(t, k.Known(), k)
	}
	require.False(t, release.EventKind("custom.metric").Known())
}

func TestHashText(t *testing.T) {
	log := chain(t, 0)
	h := log[0].Hash
	s := h.String()
	require.Len(t, s, 64)
	back, err := release.ParseHash(s)
	require.NoError(t, err)
	require.Equal(t, h, back)
	_, err = release.ParseHash("xyz")
	require.Error(t, err)
	require.True(t, release.Hash{}.IsZero())
	require.False(t, h.IsZero())
}
