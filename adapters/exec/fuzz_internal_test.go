package exec

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/batonhq/baton/adapters"
)

type countingReporter struct {
	adapters.NopReporter
	mu    sync.Mutex
	lines []string
}

func (r *countingReporter) Log(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, msg)
}

// FuzzCollector feeds arbitrary output through the line collector: it never
// logs more than the limit (besides its notes), and every ::output line that
// fits is kept.
func FuzzCollector(f *testing.F) {
	f.Add([]byte("hello\n::output a=1\nworld"), int64(8))
	f.Add([]byte("::output x=y=z\r\n::output 9bad=1\n"), int64(1024))
	f.Add(bytes.Repeat([]byte("x"), 70000), int64(100))
	f.Add([]byte("::retry-after 5s\n"), int64(1))
	f.Fuzz(func(t *testing.T, data []byte, limit int64) {
		if limit <= 0 || limit > 1<<20 {
			t.Skip()
		}
		rep := &countingReporter{}
		c := &collector{limit: limit, rep: rep}
		c.read(bytes.NewReader(data), false)
		c.finish()
		logged := 0
		for _, l := range rep.lines {
			if strings.HasPrefix(l, "exec: [output cut") || strings.HasPrefix(l, "exec: ::output") {
				continue
			}
			logged += len(l)
		}
		if int64(logged) > limit {
			t.Fatalf("logged %d bytes over the limit of %d", logged, limit)
		}
		if c.outputBytes > limit {
			t.Fatalf("kept %d bytes of outputs over the limit of %d", c.outputBytes, limit)
		}
	})
}

// FuzzValidateWith checks that any parameters give nil or a *ParamError,
// never a panic.
func FuzzValidateWith(f *testing.F) {
	f.Add("make build", "5m", "64KiB", "GOFLAGS", "app", 75)
	f.Add("", "-1s", "0", "A-B", "", 0)
	f.Add("${{ inputs.x }}", "${{ x }}", "1GiB", "BATON_X", "../x", 256)
	f.Fuzz(func(t *testing.T, command, timeout, limit, envName, dir string, code int) {
		var argv []any
		for _, a := range strings.Fields(command) {
			argv = append(argv, a)
		}
		with := map[string]any{"command": argv, "timeout": timeout, "output-limit": limit,
			"env": map[string]any{envName: "v"}, "dir": dir, "retryable-exit-codes": []any{code}}
		_, err := parseParams(with, true)
		var pe *adapters.ParamError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("not a ParamError: %T %v", err, err)
		}
	})
}
