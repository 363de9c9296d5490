package release_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store/storetest"
)

// FuzzParseEvent feeds arbitrary bytes to the event decoder, the payload
// decoder and Apply: never a panic, and a decoded event encodes back to
// something the decoder accepts.
func FuzzParseEvent(f *testing.F) {
	log := fuzzChain(f)
	for _, e := range log {
		data, err := json.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"release":"r","seq":1,"kind":"task.updated","time":"2026-03-02T09:00:00Z","actor":"a","payload":{"activity":"a.b","task":"t","status":"DONE"},"prev-hash":"` + release.Hash{}.String() + `","hash":"` + release.Hash{}.String() + `"}`))
	f.Add([]byte(`{"release":"r","seq":2,"kind":"freeze.overridden","time":"2026-03-02T09:00:00Z","actor":"a","reason":"hotfix","payload":{"freeze":"year-end","activity":"a.b"},"prev-hash":"` + release.Hash{}.String() + `","hash":"` + release.Hash{}.String() + `"}`))
	f.Add([]byte(`{"seq":"x"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := release.ParseEvent(data)
		if err != nil {
			return
		}
		_, _ = release.DecodePayload(e)
		_, _ = release.ComputeHash(e)
		_ = release.Apply(new(release.Release), e)
		r, err := release.Fold(log[:3])
		if err != nil {
			t.Fatal(err)
		}
		before, _ := json.Marshal(r)
		if release.Apply(r, e) != nil {
			after, _ := json.Marshal(r)
			if !bytes.Equal(before, after) {
				t.Fatalf("a failed Apply changed the release")
			}
		}
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("encoding a decoded event: %v", err)
		}
		if _, err := release.ParseEvent(out); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
	})
}

// FuzzVerifyChain tampers with a valid chain (change a field, drop, swap or
// repeat an event) and checks that VerifyChain never panics and that any
// tampering it does not report changes nothing that matters: the chain
// still folds to the same release.
func FuzzVerifyChain(f *testing.F) {
	log := fuzzChain(f)
	want, err := release.Fold(log)
	if err != nil {
		f.Fatal(err)
	}
	wantDoc, _ := json.Marshal(want)
	for op := range uint8(12) {
		f.Add(op, uint8(op*3), []byte("mallory"))
	}
	f.Add(uint8(3), uint8(5), []byte(`{"text":"x"}`))
	f.Add(uint8(3), uint8(5), []byte(` { "text" : "note 1" } `))
	f.Fuzz(func(t *testing.T, op, idx uint8, data []byte) {
		events := make([]release.Event, len(log))
		for i, e := range log {
			events[i] = e.Clone()
		}
		i := int(idx) % len(events)
		e := &events[i]
		switch op % 12 {
		case 0:
			e.Actor = string(data)
		case 1:
			e.Reason = string(data)
		case 2:
			e.Kind = release.EventKind(data)
		case 3:
			e.Payload = append(json.RawMessage(nil), data...)
		case 4:
			var b [8]byte
			copy(b[:], data)
			e.Time = time.Unix(0, int64(binary.LittleEndian.Uint64(b[:]))).UTC()
		case 5:
			if len(data) > 0 {
				e.Seq += int64(data[0]) - 128
			}
		case 6:
			if len(data) > 0 {
				e.Hash[int(data[0])%32] ^= 1 << (data[0] % 8)
			}
		case 7:
			if len(data) > 0 {
				e.PrevHash[int(data[0])%32] ^= 1 << (data[0] % 8)
			}
		case 8:
			if i == len(events)-1 {
				return // dropping the last event is undetectable by design
			}
			events = append(events[:i], events[i+1:]...)
		case 9:
			if i+1 < len(events) {
				events[i], events[i+1] = events[i+1], events[i]
			}
		case 10:
			events = append(events[:i+1], events[i:]...)
		case 11:
			e.Release = release.ID(data)
		}
		if err := release.VerifyChain(events); err != nil {
			return
		}
		got, err := release.Fold(events)
		if err != nil {
			t.Fatalf("op %d on event %d passed VerifyChain but does not fold: %v", op%12, i, err)
		}
		gotDoc, _ := json.Marshal(got)
		if !bytes.Equal(wantDoc, gotDoc) {
			t.Fatalf("op %d on event %d with %q passed VerifyChain but changed the release", op%12, i, data)
		}
	})
}

// fuzzChain is a fixed, valid chain of about 40 events.
func fuzzChain(f *testing.F) []release.Event {
	id, err := release.NewID(t0, bytes.NewReader(make([]byte, 16)))
	if err != nil {
		f.Fatal(err)
	}
	r, created, err := release.Create(id, t0, "alice", "", release.ReleaseCreatedPayload{Name: "fuzz", Process: mobileProcess()})
	if err != nil {
		f.Fatal(err)
	}
	events, err := storetest.RandomEvents(rand.New(rand.NewPCG(1, 2)), r, t0, 40)
	if err != nil {
		f.Fatal(err)
	}
	return append([]release.Event{created}, events...)
}

// FuzzCanonicalPayload checks the canonical form against encoding/json: it
// accepts exactly the valid JSON objects (in UTF-8, without duplicate
// keys), means the same thing, ignores formatting and is idempotent.
func FuzzCanonicalPayload(f *testing.F) {
	for _, s := range []string{`{}`, `{"b":1,"a":[1.50,"x",{"d":null,"c":true}]}`, ` { "\u0061" : "\n" } `,
		`{"a":1,"a":2}`, `[1]`, `{"a":-0.0e+5}`, `{"k":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":01}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := release.Event{Release: "r", Kind: "x.y", Time: t0, Actor: "a", Payload: data}
		sealed, err := release.Seal(release.Head{Release: "r"}, []release.Event{e})
		var v any
		validObject := len(data) > 0 && json.Valid(data) && json.Unmarshal(data, &v) == nil
		if _, isObject := v.(map[string]any); !isObject {
			validObject = false
		}
		if err != nil {
			if validObject && utf8.Valid(data) && !hasDuplicateKeys(data) {
				t.Fatalf("rejected a valid object %q: %v", data, err)
			}
			return
		}
		if len(data) == 0 {
			return
		}
		if !validObject {
			t.Fatalf("accepted %q, which encoding/json does not", data)
		}
		canon := sealed[0].Payload
		var a, b any
		decode := func(data []byte, v *any) {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(v); err != nil {
				t.Fatal(err)
			}
		}
		decode(data, &a)
		decode(canon, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%q canonicalised to %q means something else", data, canon)
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, canon, " ", "\t"); err != nil {
			t.Fatal(err)
		}
		for _, variant := range [][]byte{canon, indented.Bytes()} {
			again, err := release.Seal(release.Head{Release: "r"}, []release.Event{{Release: "r", Kind: "x.y", Time: t0, Actor: "a", Payload: variant}})
			if err != nil {
				t.Fatal(err)
			}
			if again[0].Hash != sealed[0].Hash {
				t.Fatalf("%q and %q hash differently", variant, canon)
			}
		}
	})
}

// hasDuplicateKeys reports whether some object in data repeats a key.
func hasDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func() bool
	walk = func() bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				key, _ := k.(string)
				if seen[key] {
					return true
				}
				seen[key] = true
				if walk() {
					return true
				}
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for dec.More() {
				if walk() {
					return true
				}
			}
			_, _ = dec.Token()
		}
		return false
	}
	return walk()
}
