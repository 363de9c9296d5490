package process_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/batonhq/baton/process"
)

// FuzzParse feeds arbitrary bytes to the YAML/JSON decoder and validator:
// it must never panic or hang, every failure must be a *ValidationError or
// ErrTooLarge, and every success must survive an encode/decode round trip.
func FuzzParse(f *testing.F) {
	design, err := os.ReadFile("testdata/design.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(design)
	f.Add([]byte(base))
	f.Add([]byte(`{"id":"app","phases":[{"id":"b","activities":[{"id":"c","uses":"k","with":{"x":"${{ inputs.v }}"}}]}],"inputs":{"v":{"default":"1"}}}`))
	f.Add([]byte("id: app\nx: &a [1]\ny: *a\nphases: []\n"))
	f.Add([]byte("id: app\nphases:\n  - id: a\n    activities: [{id: x, type: approval, approval: {approvers: [a], min: 2}}]\n"))
	f.Add([]byte("inputs:\n  n: {type: integer, min: 1, max: 0, default: 2.5}\n"))
	f.Add([]byte("id: app\nphases:\n  - id: a\n    labels: {env: prod, team/x: \"1\"}\n    activities: [{id: x, uses: k, labels: {env: staging, baton.x: y, Bad: [1]}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := process.Parser{MaxBytes: 1 << 16}.Parse(data)
		if err != nil {
			var verr *process.ValidationError
			if !errors.As(err, &verr) && !errors.Is(err, process.ErrTooLarge) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		js, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		back, err := process.Parse(js)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", js, err)
		}
		js2, _ := json.Marshal(back)
		if string(js) != string(js2) {
			t.Fatalf("round trip changed the document:\n%s\n%s", js, js2)
		}
		ym, err := process.EncodeYAML(p)
		if err != nil {
			t.Fatalf("encode yaml: %v", err)
		}
		if _, err := process.Parse(ym); err != nil {
			t.Fatalf("re-parse of YAML %s: %v", ym, err)
		}
		_ = process.Mermaid(p)
	})
}
