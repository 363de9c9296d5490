package release

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fill sets every field of v (recursively, through structs) from rng and
// the strings in words: strings, bools, integers, maps (nil, empty or with
// an entry), slices and times. Pointers other than the top level are left
// nil (the process of release.created).
func fill(rng *rand.Rand, v reflect.Value, words []string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(words[rng.IntN(len(words))])
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(rng.Int64N(2000) - 1000)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			loc := time.FixedZone("X", 3600)
			v.Set(reflect.ValueOf(time.Unix(rng.Int64N(1<<32), rng.Int64N(1e9)).In(loc)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i), words)
			}
		}
	case reflect.Map:
		switch rng.IntN(3) {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			k := reflect.New(v.Type().Key()).Elem()
			fill(rng, k, words)
			var e reflect.Value
			if v.Type().Elem().Kind() == reflect.Interface {
				e = reflect.ValueOf(rng.IntN(100)) // an int, decoded as a float64
			} else {
				e = reflect.New(v.Type().Elem()).Elem()
				fill(rng, e, words)
			}
			m.SetMapIndex(k, e)
			v.Set(m)
		}
	case reflect.Slice:
		if rng.IntN(2) == 0 {
			s := reflect.MakeSlice(v.Type(), 1, 1)
			fill(rng, s.Index(0), words)
			v.Set(s)
		}
	}
}

// asDecodedMatches checks asDecoded(p) against the decoding of the sealed
// event NewEvent makes of p, and that it does not change p.
func asDecodedMatches(t *testing.T, p Payload) bool {
	t.Helper()
	value := func() any {
		if v := reflect.ValueOf(p); v.Kind() == reflect.Pointer {
			return v.Elem().Interface()
		}
		return p
	}
	before := value()
	q, ok := asDecoded(p)
	require.Equal(t, before, value(), "asDecoded changed %#v", p)
	if !ok {
		return false
	}
	e, err := NewEvent(time.Unix(1, 0), "executor", "", p)
	require.NoError(t, err)
	sealed, err := Seal(Head{Release: "r"}, []Event{e})
	require.NoError(t, err)
	want, werr := DecodePayload(sealed[0])
	gerr := validatePayload(q)
	if werr != nil {
		require.Error(t, gerr, "%#v: decoding says %v", p, werr)
		require.ErrorContains(t, werr, gerr.Error())
		return true
	}
	require.NoError(t, gerr, "%#v", p)
	require.Equal(t, want, q, "%T: asDecoded differs from the decoded payload", p)
	return true
}

// asDecoded may only answer for a payload what decoding it would: every
// field of every payload type is filled with random values, among them
// strings that encoding changes (invalid UTF-8) or escapes, and whatever
// asDecoded accepts must equal the decoded payload. A field added to a
// payload type later (a map, a time) is covered without changing the test.
func TestAsDecodedIsTheDecodedPayload(t *testing.T) {
	words := []string{"", "build.compile", "a.b", "<&>\u2028\"\\", "\xff.x", "é.ü", "x\x00y", "r/build.compile/1"}
	rng := rand.New(rand.NewPCG(7, 11))
	taken := map[EventKind]int{}
	for _, kind := range kindsInOrder() {
		mk := payloadTypes[kind]
		for i := 0; i < 300; i++ {
			p := mk()
			fill(rng, reflect.ValueOf(p).Elem(), words)
			if asDecodedMatches(t, p) {
				taken[kind]++
			}
		}
	}
	// The events every activity makes take the short way in the ordinary
	// case; the others always decode.
	for _, k := range []EventKind{KindActivityStarted, KindActivitySucceeded, KindActivityFailed, KindPhaseStarted, KindReleaseStarted} {
		require.Positive(t, taken[k], "%s never skips the decode", k)
	}
	for _, k := range []EventKind{KindReleaseCreated, KindReleaseRescheduled, KindTaskUpdated, KindOutputsSubmitted} {
		require.Zero(t, taken[k], "%s must be decoded", k)
	}
}

func TestAsDecodedTakesOrdinaryActivityEvents(t *testing.T) {
	for _, p := range []Payload{
		&ActivityStartedPayload{Activity: "p.a1", IdempotencyKey: "r/p.a1/1", Inputs: map[string]any{}},
		&ActivitySucceededPayload{Activity: "p.a1"},
		&PhaseSucceededPayload{Phase: "p"},
		&ReleaseSucceededPayload{},
	} {
		require.True(t, asDecodedMatches(t, p), "%T", p)
	}
	for _, p := range []Payload{
		&ActivityStartedPayload{Activity: "p.a1", Inputs: map[string]any{"n": 1}}, // 1 decodes as 1.0
		&ActivitySucceededPayload{Activity: "p.a1", Outputs: map[string]any{"url": "x"}},
		&ActivityFailedPayload{Activity: "p.a1", Error: "bad byte \xff"},
		ActivitySucceededPayload{Activity: "p.a1"}, // a value: decoded
	} {
		require.False(t, asDecodedMatches(t, p), "%#v", p)
	}
}

func FuzzAsDecodedIsTheDecodedPayload(f *testing.F) {
	f.Add("p.a1", "exit 1", uint64(1))
	f.Add("\xff", "<\u2028>", uint64(2))
	f.Fuzz(func(t *testing.T, a, b string, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, seed>>1))
		for _, kind := range kindsInOrder() {
			p := payloadTypes[kind]()
			fill(rng, reflect.ValueOf(p).Elem(), []string{a, b, ""})
			asDecodedMatches(t, p)
		}
	})
}

// kindsInOrder lists the known kinds sorted, so that a seeded test draws
// the same values for each kind on every run.
func kindsInOrder() []EventKind { return slices.Sorted(maps.Keys(payloadTypes)) }
