package http

import (
	"encoding/json"
	"errors"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
)

// FuzzParsePath checks that any path parses or fails cleanly, and that
// looking a parsed path up in any JSON document never panics.
func FuzzParsePath(f *testing.F) {
	f.Add("data.items[0].url", `{"data":{"items":[{"url":"u"}]}}`)
	f.Add("$.a.0", `{"a":["x"]}`)
	f.Add("a[", `[]`)
	f.Add("$", `1`)
	f.Add("a..b", `{"a":{"":{"b":1}}}`)
	f.Fuzz(func(t *testing.T, path, doc string) {
		p, err := parsePath(path)
		if err != nil {
			return
		}
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		_, _ = p.lookup(v)
	})
}

// FuzzRetryAfter checks that any Retry-After value gives no delay or one
// from zero to maxRetryAfter.
func FuzzRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Wed, 25 Nov 2026 12:01:30 GMT")
	f.Add("-5")
	f.Add("99999999999999999999")
	f.Add("Fri, 31 Dec 9999 23:59:59 GMT")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	a := &Adapter{now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, v string) {
		h := nethttp.Header{}
		h.Set("Retry-After", v)
		if d, ok := a.retryAfter(h); ok && (d < 0 || d > maxRetryAfter) {
			t.Fatalf("Retry-After %q: delay %v outside [0, %v]", v, d, maxRetryAfter)
		}
	})
}

// FuzzValidateWith checks that any parameters give nil or a *ParamError,
// never a panic.
func FuzzValidateWith(f *testing.F) {
	f.Add("POST", "https://ci/x", "X-A", "state", "ok", "10s", "data.id", 200)
	f.Add("get", "/rel", "X A", "", "", "x", "a[", 999)
	f.Add("${{ m }}", "${{ u }}", "", "$.", "${{ d }}", "${{ i }}", "$", 0)
	f.Fuzz(func(t *testing.T, method, url, header, field, done, interval, output string, code int) {
		with := map[string]any{"method": method, "url": url, "headers": map[string]any{header: "v"},
			"success-codes": []any{code}, "outputs": map[string]any{"o": output},
			"poll": map[string]any{"field": field, "done-values": []any{done}, "interval": interval}}
		_, err := parseParams(with, true)
		var pe *adapters.ParamError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("not a ParamError: %T %v", err, err)
		}
	})
}
