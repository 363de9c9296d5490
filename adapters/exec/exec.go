package exec

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/batonhq/baton/adapters"
)

// Config holds the host-side settings of an exec adapter. A nil *Config is
// valid and means all defaults.
type Config struct {
	// Kind is the adapter kind processes name in uses:. Defaults to "exec".
	Kind string
	// Dir is the root every working directory must stay inside: with.dir is
	// resolved against it (symbolic links followed) and refused when it
	// leaves it, and commands without with.dir run in it. The outputs file
	// must be inside it too. Defaults to the current working directory when
	// New is called.
	Dir string
	// InheritEnv lists the host environment variables commands inherit;
	// every other host variable is withheld. with.env adds variables of its
	// own, and the adapter sets BATON_RELEASE, BATON_ACTIVITY, BATON_ATTEMPT
	// and BATON_IDEMPOTENCY_KEY. A non-nil empty slice inherits nothing.
	// Defaults to PATH, HOME, LANG, LC_ALL, TZ and TMPDIR.
	InheritEnv []string
	// Timeout is the time a command may run when with.timeout does not say.
	// Defaults to 10 minutes.
	Timeout time.Duration
	// MaxTimeout caps with.timeout. Defaults to 0 (no cap).
	MaxTimeout time.Duration
	// KillGrace is how long a command has to exit after SIGTERM (on cancel
	// or timeout) before its process group gets SIGKILL. Defaults to 5
	// seconds.
	KillGrace time.Duration
	// OutputLimit is how many bytes of output (stdout and stderr together)
	// are logged to the Reporter; the rest is cut with a note. It also
	// bounds the outputs file and the total size of ::output values.
	// with.output-limit may lower it, never raise it. Defaults to 1 MiB.
	OutputLimit int64
	// RetryableExitCodes are the exit codes that mean "try again" (the
	// activity's retry policy applies); every other non-zero exit code is a
	// permanent failure. with.retryable-exit-codes replaces the list for
	// one activity. Defaults to [75] (EX_TEMPFAIL from sysexits.h).
	RetryableExitCodes []int
	// Logger receives the adapter's own diagnostics (start, exit, kills).
	// Defaults to discarding them.
	Logger *slog.Logger
}

// defaultInheritEnv is the default of Config.InheritEnv.
var defaultInheritEnv = []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}

// ErrTimeout is wrapped by the error of a command killed at its timeout.
// Such an error is not permanent: the activity's retry policy applies.
var ErrTimeout = errors.New("exec: command timed out")

// ExitError reports a command that exited with a non-zero code. It is
// wrapped in adapters.Permanent unless its code is retryable; find it with
// errors.As.
type ExitError struct {
	Program string
	Code    int
	// StderrTail is the end of the command's standard error (up to 4 KiB).
	StderrTail string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("exec: %s exited with code %d", e.Program, e.Code)
	if e.StderrTail != "" {
		msg += ": " + e.StderrTail
	}
	return msg
}

// Adapter runs local commands. It is safe for concurrent use.
type Adapter struct {
	kind        string
	root        string
	inherit     []string
	timeout     time.Duration
	maxTimeout  time.Duration
	grace       time.Duration
	outputLimit int64
	retryCodes  []int
	log         *slog.Logger
}

var (
	_ adapters.Adapter   = (*Adapter)(nil)
	_ adapters.Validator = (*Adapter)(nil)
)

// New returns an exec adapter. It fails when the configuration is invalid
// (a Dir that does not exist, a negative duration or limit).
func New(cfg *Config) (*Adapter, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	a := &Adapter{
		kind: c.Kind, inherit: slices.Clone(c.InheritEnv), timeout: c.Timeout, maxTimeout: c.MaxTimeout,
		grace: c.KillGrace, outputLimit: c.OutputLimit, retryCodes: slices.Clone(c.RetryableExitCodes), log: c.Logger,
	}
	if a.kind == "" {
		a.kind = "exec"
	}
	if a.inherit == nil {
		a.inherit = append([]string(nil), defaultInheritEnv...)
	}
	switch {
	case a.timeout < 0:
		return nil, errors.New("exec: Config.Timeout is negative")
	case a.maxTimeout < 0:
		return nil, errors.New("exec: Config.MaxTimeout is negative")
	case a.grace < 0:
		return nil, errors.New("exec: Config.KillGrace is negative")
	case a.outputLimit < 0:
		return nil, errors.New("exec: Config.OutputLimit is negative")
	}
	if a.timeout == 0 {
		a.timeout = 10 * time.Minute
	}
	if a.grace == 0 {
		a.grace = 5 * time.Second
	}
	if a.outputLimit == 0 {
		a.outputLimit = 1 << 20
	}
	if a.retryCodes == nil {
		a.retryCodes = []int{75}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	root := c.Dir
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("exec: Config.Dir: %w", err)
		}
		root = wd
	}
	root, err := filepath.Abs(root)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fmt.Errorf("exec: Config.Dir: %w", err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("exec: Config.Dir %q: not a directory", root)
	}
	a.root = root
	return a, nil
}

// Kind returns the configured kind.
func (a *Adapter) Kind() string { return a.kind }

// ValidateWith checks with: parameters (see the package documentation). The
// first problem is returned as a *adapters.ParamError.
func (a *Adapter) ValidateWith(with map[string]any) error {
	_, err := parseParams(with, true)
	return err
}

// Run runs the command once and returns its outputs.
func (a *Adapter) Run(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
	if req == nil {
		return nil, adapters.Permanent(errors.New("exec: nil request"))
	}
	p, err := parseParams(req.With, false)
	if err != nil {
		return nil, adapters.Permanent(fmt.Errorf("exec: %w", err))
	}
	dir, err := a.inside(a.root, p.dir, "dir")
	if err != nil {
		return nil, adapters.Permanent(err)
	}
	rep := req.Reporter
	if rep == nil {
		rep = adapters.NopReporter{}
	}
	limit := a.outputLimit
	if p.outputLimit > 0 && p.outputLimit < limit {
		limit = p.outputLimit
	}
	timeout := a.timeout
	if p.timeout > 0 {
		timeout = p.timeout
	}
	if a.maxTimeout > 0 && timeout > a.maxTimeout {
		timeout = a.maxTimeout
	}
	retryCodes := a.retryCodes
	if p.retryCodeSet {
		retryCodes = p.retryCodes
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("exec: %s: not started: %w", p.argv[0], err)
	}

	cmd := osexec.Command(p.argv[0], p.argv[1:]...)
	cmd.Dir = dir
	cmd.Env = a.environ(req, p.env)
	setProcessGroup(cmd)
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("exec: %w", err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	startErr := cmd.Start()
	outW.Close()
	errW.Close()
	if startErr != nil {
		outR.Close()
		errR.Close()
		return nil, adapters.Permanent(fmt.Errorf("exec: start %q: %w", p.argv[0], startErr))
	}
	a.log.Debug("exec: started", "program", p.argv[0], "pid", cmd.Process.Pid, "dir", dir, "activity", req.Activity)

	col := &collector{limit: limit, rep: rep}
	var readers sync.WaitGroup
	readers.Go(func() { col.read(outR, false) })
	readers.Go(func() { col.read(errR, true) })

	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var waitErr error
	stopped := false // by us, on timeout or cancellation
	select {
	case waitErr = <-waited:
	case <-runCtx.Done():
		stopped = true
		a.log.Debug("exec: stopping the process group", "pid", cmd.Process.Pid, "cause", context.Cause(runCtx))
		signalGroup(cmd, false)
		grace := time.NewTimer(a.grace)
		select {
		case waitErr = <-waited:
		case <-grace.C:
			signalGroup(cmd, true)
			waitErr = <-waited
		}
		grace.Stop()
	}
	// Nothing left in the command's group outlives it (a process that
	// left the group is out of reach): kill what is left, then give the
	// readers a moment to drain what was written.
	signalGroup(cmd, true)
	drained := make(chan struct{})
	go func() { readers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(2 * time.Second):
		// A process that left the group still holds a pipe: stop reading.
		outR.Close()
		errR.Close()
		<-drained
	}
	outR.Close()
	errR.Close()
	col.finish()

	prog := p.argv[0]
	if stopped {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("exec: %s: cancelled, process group killed: %w", prog, ctx.Err())
		}
		return nil, fmt.Errorf("%w after %v: %s (process group killed)%s", ErrTimeout, timeout, prog, tailNote(col.stderrTail()))
	}
	if waitErr != nil {
		var ee *osexec.ExitError
		if !errors.As(waitErr, &ee) {
			return nil, fmt.Errorf("exec: %s: %w", prog, waitErr)
		}
		code := ee.ExitCode()
		if code < 0 {
			// Killed by a signal it was not sent by us (the OOM killer, an
			// operator): worth another attempt.
			return nil, fmt.Errorf("exec: %s: %v%s", prog, ee.ProcessState, tailNote(col.stderrTail()))
		}
		xe := &ExitError{Program: prog, Code: code, StderrTail: col.stderrTail()}
		for _, c := range retryCodes {
			if c == code {
				if d := col.retryAfterDelay(); d > 0 {
					return nil, adapters.RetryAfter(d, xe)
				}
				return nil, xe
			}
		}
		return nil, adapters.Permanent(xe)
	}
	a.log.Debug("exec: exited", "program", prog, "pid", cmd.Process.Pid)

	outputs := col.outputs
	if p.outputsFile != "" {
		fromFile, err := a.readOutputsFile(dir, p.outputsFile, limit)
		if err != nil {
			return nil, adapters.Permanent(err)
		}
		if outputs == nil {
			outputs = map[string]any{}
		}
		for k, v := range fromFile {
			outputs[k] = v
		}
	}
	return &adapters.Result{Outputs: outputs}, nil
}

func tailNote(tail string) string {
	if tail == "" {
		return ""
	}
	return ": " + tail
}

// inside resolves path against base and checks it stays inside the root.
func (a *Adapter) inside(base, path, param string) (string, error) {
	if path == "" {
		return base, nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(base, path)
	}
	resolved, err := filepath.EvalSymlinks(filepath.Clean(path))
	if err != nil {
		return "", fmt.Errorf("exec: with.%s %q: %w", param, path, err)
	}
	rel, err := filepath.Rel(a.root, resolved)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("exec: with.%s %q: outside the allowed root %q", param, path, a.root)
	}
	return resolved, nil
}

func (a *Adapter) environ(req *adapters.Request, extra map[string]string) []string {
	env := make([]string, 0, len(a.inherit)+len(extra)+4)
	for _, name := range a.inherit {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	env = append(env,
		"BATON_RELEASE="+string(req.Release),
		"BATON_ACTIVITY="+string(req.Activity),
		"BATON_ATTEMPT="+strconv.Itoa(req.Attempt),
		"BATON_IDEMPOTENCY_KEY="+req.IdempotencyKey,
	)
	for _, name := range sortedStringKeys(extra) {
		env = append(env, name+"="+extra[name])
	}
	return env
}

func (a *Adapter) readOutputsFile(dir, path string, limit int64) (map[string]any, error) {
	resolved, err := a.inside(dir, path, "outputs-file")
	if err != nil {
		return nil, fmt.Errorf("%w (did the command write it?)", err)
	}
	f, err := os.Open(resolved)
	if err != nil {
		return nil, fmt.Errorf("exec: with.outputs-file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("exec: with.outputs-file: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("exec: with.outputs-file %q: larger than the output limit of %d bytes", path, limit)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil || out == nil {
		if err == nil {
			err = errors.New("not an object")
		}
		return nil, fmt.Errorf("exec: with.outputs-file %q: want a JSON object: %v", path, err)
	}
	adapters.NormalizeNumbers(out)
	return out, nil
}

func sortedStringKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// maxLine is the longest line the adapter reads at once; longer lines are
// split.
const maxLine = 64 << 10

// stderrTailSize is how much of stderr an ExitError quotes.
const stderrTailSize = 4 << 10

var (
	outputLine     = regexp.MustCompile(`^::output ([A-Za-z_][A-Za-z0-9_-]*)=(.*)$`)
	retryAfterLine = regexp.MustCompile(`^::retry-after (\S+)$`)
)

// collector streams the command's lines to the Reporter up to the limit,
// collects ::output lines and keeps the end of stderr.
type collector struct {
	limit int64
	rep   adapters.Reporter

	mu          sync.Mutex
	logged      int64 // bytes logged
	dropped     int64 // bytes not logged, past the limit
	cutNoted    bool
	outputBytes int64
	outputs     map[string]any
	retryAfter  time.Duration
	tail        []byte
}

func (c *collector) read(r io.Reader, stderr bool) {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			c.line(line, stderr)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func (c *collector) line(raw []byte, stderr bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if stderr {
		c.tail = append(c.tail, raw...)
		if len(c.tail) > stderrTailSize {
			c.tail = append(c.tail[:0], c.tail[len(c.tail)-stderrTailSize:]...)
		}
	}
	text := strings.TrimRight(string(raw), "\r\n")
	if !stderr {
		if m := outputLine.FindStringSubmatch(text); m != nil {
			if c.outputBytes+int64(len(m[1])+len(m[2])) <= c.limit {
				if c.outputs == nil {
					c.outputs = map[string]any{}
				}
				c.outputs[m[1]] = m[2]
				c.outputBytes += int64(len(m[1]) + len(m[2]))
			} else if !c.cutNoted {
				c.rep.Log(fmt.Sprintf("exec: ::output %s ignored: outputs exceed the limit of %d bytes", m[1], c.limit))
			}
		} else if m := retryAfterLine.FindStringSubmatch(text); m != nil {
			if d, err := time.ParseDuration(m[1]); err == nil && d > 0 {
				c.retryAfter = d
			}
		}
	}
	if stderr {
		text = "stderr: " + text
	}
	n := int64(len(raw))
	room := c.limit - c.logged
	switch {
	case c.cutNoted:
		c.dropped += n
	case n <= room:
		c.logged += n
		c.rep.Log(text)
	default:
		// The line does not fit: the cut falls before it, on a line
		// boundary, so no half line is logged.
		c.dropped += n
		c.cutNoted = true
		c.rep.Log(fmt.Sprintf("exec: [output cut: the limit of %d bytes was reached; the rest of the output is discarded]", c.limit))
	}
}

func (c *collector) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped > 0 {
		c.rep.Log(fmt.Sprintf("exec: [output cut: %d bytes over the limit of %d bytes were discarded]", c.dropped, c.limit))
	}
}

func (c *collector) retryAfterDelay() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retryAfter
}

func (c *collector) stderrTail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSpace(string(c.tail))
}
