package exec_test

import (
	"context"
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/adapters/exec"
	"github.com/batonhq/baton/release"
)

// logRecorder is a Reporter that keeps log lines and signals the first one.
type logRecorder struct {
	adapters.NopReporter
	mu      sync.Mutex
	lines   []string
	first   chan struct{}
	onFirst sync.Once
}

func newLogRecorder() *logRecorder { return &logRecorder{first: make(chan struct{})} }

func (r *logRecorder) Log(msg string) {
	r.mu.Lock()
	r.lines = append(r.lines, msg)
	r.mu.Unlock()
	r.onFirst.Do(func() { close(r.first) })
}

func (r *logRecorder) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

func newAdapter(t *testing.T, cfg *exec.Config) *exec.Adapter {
	t.Helper()
	if cfg == nil {
		cfg = &exec.Config{}
	}
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	a, err := exec.New(cfg)
	require.NoError(t, err)
	return a
}

func request(rep adapters.Reporter, with map[string]any) *adapters.Request {
	return &adapters.Request{
		Release: "rel-1", Activity: "build.compile", Attempt: 2, IdempotencyKey: "rel-1/build.compile/2",
		With: with, Reporter: rep,
	}
}

func cmd(args ...any) map[string]any { return map[string]any{"command": args} }

func TestRunPassesHostileInputsAsOneLiteralArgumentEach(t *testing.T) {
	hostile := []any{"; rm -rf /", "$(id)", "`id`", "a b && echo pwned", "*", "'\"", "\n"}
	tests := []struct {
		name string
		argv []any
	}{
		{"straight to the program", append([]any{"printf", "[%s]\n"}, hostile...)},
		{"through a shell's \"$@\"", append([]any{"sh", "-c", `for a in "$@"; do printf '[%s]\n' "$a"; done`, "sh"}, hostile...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := newLogRecorder()
			_, err := newAdapter(t, nil).Run(context.Background(), request(rep, cmd(tt.argv...)))
			require.NoError(t, err)
			want := []string{"[; rm -rf /]", "[$(id)]", "[`id`]", "[a b && echo pwned]", "[*]", "['\"]", "[", "]"}
			require.Equal(t, want, rep.Lines(), "each input arrives as one argument, unexpanded")
		})
	}
}

func TestRunReadsOutputsFromOutputLines(t *testing.T) {
	rep := newLogRecorder()
	res, err := newAdapter(t, nil).Run(context.Background(), request(rep, cmd("sh", "-c",
		`echo building; echo "::output version=1.2.3"; echo "::output url=https://ci/x?a=b=c"; echo "::output version=1.2.4"; echo ":: output ignored=1"`)))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"version": "1.2.4", "url": "https://ci/x?a=b=c"}, res.Outputs,
		"the value is the rest of the line after the first =, the last line for a name wins")
	require.Contains(t, rep.Lines(), "building")
}

func TestRunReadsOutputsFromTheDeclaredJSONFile(t *testing.T) {
	root := t.TempDir()
	a := newAdapter(t, &exec.Config{Dir: root})
	with := cmd("sh", "-c", `echo "::output from=line"; echo "::output both=line"; printf '{"artifact":"app.apk","size":42,"ratio":0.5,"both":"file","tags":["a",{"n":7}]}' > out.json`)
	with["outputs-file"] = "out.json"
	res, err := a.Run(context.Background(), request(newLogRecorder(), with))
	require.NoError(t, err)
	require.Equal(t, map[string]any{
		"artifact": "app.apk", "size": int64(42), "ratio": 0.5, "tags": []any{"a", map[string]any{"n": int64(7)}},
		"from": "line", "both": "file",
	}, res.Outputs, "the file's values win over ::output lines")
}

func TestRunFailsPermanentlyOnABadOutputsFile(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(root), "outside.json"), []byte(`{"a":1}`), 0o600))
	tests := []struct {
		name, script, file, want string
	}{
		{"missing", `true`, "out.json", "no such file"},
		{"not JSON", `echo 'not json' > out.json`, "out.json", "want a JSON object"},
		{"a JSON array", `echo '[1]' > out.json`, "out.json", "want a JSON object"},
		{"outside the root", `true`, "../outside.json", "outside the allowed root"},
		{"a symlink leaving the root", `ln -s ../outside.json link.json`, "link.json", "outside the allowed root"},
		{"over the output limit", `head -c 5000 /dev/zero | tr '\0' ' ' > out.json`, "out.json", "larger than the output limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdapter(t, &exec.Config{Dir: root, OutputLimit: 1024})
			with := cmd("sh", "-c", "rm -f out.json link.json; "+tt.script)
			with["outputs-file"] = tt.file
			_, err := a.Run(context.Background(), request(newLogRecorder(), with))
			require.Error(t, err)
			require.True(t, adapters.IsPermanent(err), "%v", err)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestRunCutsOutputOverTheLimitWithANote(t *testing.T) {
	rep := newLogRecorder()
	with := cmd("sh", "-c", `seq 1 1000; echo "::output done=yes"`) // 3893 bytes, then an output line
	with["output-limit"] = "100B"
	res, err := newAdapter(t, nil).Run(context.Background(), request(rep, with))
	require.NoError(t, err, "a command is not blocked or failed by its output limit")
	require.Equal(t, "yes", res.Outputs["done"], "::output lines past the limit still count")

	lines := rep.Lines()
	logged := 0
	var notes []string
	for _, l := range lines {
		if strings.HasPrefix(l, "exec: [output cut") {
			notes = append(notes, l)
			continue
		}
		logged += len(l) + 1
	}
	require.LessOrEqual(t, logged, 100, "no more than the limit is logged")
	require.Greater(t, logged, 80, "output up to the limit is logged")
	require.Len(t, notes, 2)
	require.Equal(t, "exec: [output cut: the limit of 100 bytes was reached; the rest of the output is discarded]", notes[0])
	total := 3893 + len("::output done=yes\n")
	require.Equal(t, "exec: [output cut: "+strconv.Itoa(total-logged)+" bytes over the limit of 100 bytes were discarded]", notes[1])
}

func TestRunNeverRaisesTheHostOutputLimit(t *testing.T) {
	rep := newLogRecorder()
	with := cmd("seq", "1", "1000")
	with["output-limit"] = "1MiB"
	_, err := newAdapter(t, &exec.Config{OutputLimit: 50}).Run(context.Background(), request(rep, with))
	require.NoError(t, err)
	require.Contains(t, rep.Lines(), "exec: [output cut: the limit of 50 bytes was reached; the rest of the output is discarded]")
}

// childPID starts a command that reports the pid of a background child and
// returns the pid once it is logged.
func childPID(t *testing.T, rep *logRecorder) int {
	t.Helper()
	select {
	case <-rep.first:
	case <-time.After(10 * time.Second):
		t.Fatal("the command logged nothing")
	}
	line := rep.Lines()[0]
	pid, err := strconv.Atoi(strings.TrimPrefix(line, "child="))
	require.NoError(t, err, "first line %q", line)
	return pid
}

// requireGone waits until pid is no longer a live process (a zombie left for
// a non-reaping init counts as gone).
func requireGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X") {
			return
		}
		select {
		case <-deadline:
			t.Fatalf("process %d still runs: %s", pid, stat)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestRunKillsAHungCommandAndItsChildrenAtItsTimeout(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to check that the child is gone")
	}
	tests := []struct {
		name   string
		script string
	}{
		{"a command that exits on SIGTERM", `sleep 300 & echo "child=$!"; sleep 300`},
		{"a command that ignores SIGTERM", `trap '' TERM; sleep 300 & echo "child=$!"; sleep 300`},
		{"an orphaned grandchild (double fork)", `(sleep 300 >/dev/null 2>&1 & echo "child=$!"); sleep 300`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := newLogRecorder()
			a := newAdapter(t, &exec.Config{KillGrace: 100 * time.Millisecond})
			with := cmd("sh", "-c", tt.script)
			with["timeout"] = "1s"
			done := make(chan error, 1)
			go func() {
				_, err := a.Run(context.Background(), request(rep, with))
				done <- err
			}()
			pid := childPID(t, rep)
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return")
			}
			require.ErrorIs(t, err, exec.ErrTimeout)
			require.False(t, adapters.IsPermanent(err), "a timeout is retryable")
			require.ErrorContains(t, err, "after 1s")
			requireGone(t, pid)
		})
	}
}

func TestRunCapsTheTimeoutAtMaxTimeout(t *testing.T) {
	with := cmd("sleep", "300")
	with["timeout"] = "1h"
	_, err := newAdapter(t, &exec.Config{MaxTimeout: 100 * time.Millisecond, KillGrace: 100 * time.Millisecond}).
		Run(context.Background(), request(newLogRecorder(), with))
	require.ErrorIs(t, err, exec.ErrTimeout)
}

func TestRunKillsTheProcessGroupWhenCancelled(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to check that the child is gone")
	}
	rep := newLogRecorder()
	a := newAdapter(t, &exec.Config{KillGrace: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := a.Run(ctx, request(rep, cmd("sh", "-c", `sleep 300 & echo "child=$!"; wait`)))
		done <- err
	}()
	pid := childPID(t, rep)
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, adapters.IsPermanent(err))
	requireGone(t, pid)
}

func TestRunKillsChildrenLeftBehindByACommandThatExited(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to check that the child is gone")
	}
	tests := []struct {
		name   string
		script string
		fails  bool
	}{
		{"a background child of a command that succeeded", `sleep 300 >/dev/null 2>&1 & echo "child=$!"`, false},
		{"a background child of a command that failed", `sleep 300 >/dev/null 2>&1 & echo "child=$!"; exit 3`, true},
		{"a child that ignores SIGTERM", `(trap '' TERM; exec sleep 300) >/dev/null 2>&1 & echo "child=$!"`, false},
		{"an orphaned grandchild (double fork)", `(sleep 300 >/dev/null 2>&1 & echo "child=$!")`, false},
		{"a nohup child", `nohup sleep 300 >/dev/null 2>&1 & echo "child=$!"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := newLogRecorder()
			_, err := newAdapter(t, nil).Run(context.Background(), request(rep, cmd("sh", "-c", tt.script)))
			require.Equal(t, tt.fails, err != nil, "%v", err)
			requireGone(t, childPID(t, rep))
		})
	}
}

// requireRunning checks that pid is a live process, not a zombie.
func requireRunning(t *testing.T, pid int) {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	require.NoError(t, err, "process %d is gone", pid)
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	require.NotEmpty(t, fields)
	require.NotContains(t, []string{"Z", "X"}, fields[0], "process %d has exited: %s", pid, stat)
}

// TestRunDoesNotReachAProcessThatLeftTheGroup pins the documented limit: a
// descendant that calls setsid leaves the process group the adapter kills,
// and outlives the activity. If this test fails, the adapter now reaches
// such processes: update the package documentation.
func TestRunDoesNotReachAProcessThatLeftTheGroup(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to check that the process runs")
	}
	if _, err := osexec.LookPath("setsid"); err != nil {
		t.Skip("needs setsid to start a process outside the group")
	}
	rep := newLogRecorder()
	_, err := newAdapter(t, nil).Run(context.Background(), request(rep, cmd("sh", "-c",
		`setsid sh -c 'echo $$ > escaped.pid; exec sleep 300' >/dev/null 2>&1 & while [ ! -s escaped.pid ]; do sleep 0.01; done; echo "child=$(cat escaped.pid)"`)))
	require.NoError(t, err)
	pid := childPID(t, rep)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	requireRunning(t, pid)
}

func TestRunClassifiesExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		with       map[string]any
		cfg        *exec.Config
		code       int
		permanent  bool
		retryAfter time.Duration
	}{
		{name: "exit 2 is permanent", with: cmd("sh", "-c", "echo 'tests failed: 3' >&2; exit 2"), code: 2, permanent: true},
		{name: "exit 75 (EX_TEMPFAIL) is retryable", with: cmd("sh", "-c", "echo 'registry busy' >&2; exit 75"), code: 75},
		{name: "exit 75 with ::retry-after asks for the delay", with: cmd("sh", "-c", "echo '::retry-after 90s'; exit 75"), code: 75, retryAfter: 90 * time.Second},
		{name: "::retry-after with a permanent exit is ignored", with: cmd("sh", "-c", "echo '::retry-after 90s'; exit 1"), code: 1, permanent: true},
		{name: "host-configured codes are retryable", with: cmd("sh", "-c", "exit 3"), cfg: &exec.Config{RetryableExitCodes: []int{3}}, code: 3},
		{name: "with.retryable-exit-codes replaces the host's", with: func() map[string]any {
			w := cmd("sh", "-c", "exit 75")
			w["retryable-exit-codes"] = []any{1}
			return w
		}(), code: 75, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newAdapter(t, tt.cfg).Run(context.Background(), request(newLogRecorder(), tt.with))
			var xe *exec.ExitError
			require.ErrorAs(t, err, &xe)
			require.Equal(t, tt.code, xe.Code)
			require.Equal(t, tt.permanent, adapters.IsPermanent(err), "%v", err)
			d, ok := adapters.RetryDelay(err)
			require.Equal(t, tt.retryAfter > 0, ok)
			require.Equal(t, tt.retryAfter, d)
		})
	}
}

func TestRunQuotesTheTailOfStderrOnFailure(t *testing.T) {
	_, err := newAdapter(t, nil).Run(context.Background(), request(newLogRecorder(),
		cmd("sh", "-c", `head -c 10000 /dev/zero | tr '\0' 'x' >&2; echo >&2; echo 'error: disk full' >&2; exit 1`)))
	var xe *exec.ExitError
	require.ErrorAs(t, err, &xe)
	require.True(t, strings.HasSuffix(xe.StderrTail, "error: disk full"))
	require.LessOrEqual(t, len(xe.StderrTail), 4096)
	require.ErrorContains(t, err, "exec: sh exited with code 1: ")
}

func TestRunFailsPermanentlyWhenTheProgramCannotStart(t *testing.T) {
	_, err := newAdapter(t, nil).Run(context.Background(), request(newLogRecorder(), cmd("no-such-program-baton")))
	require.True(t, adapters.IsPermanent(err))
	require.ErrorContains(t, err, `exec: start "no-such-program-baton"`)
}

func TestRunPassesOnlyAllowedEnvironment(t *testing.T) {
	t.Setenv("EXECTEST_SECRET", "s3cret")
	t.Setenv("EXECTEST_ALLOWED", "ok")
	rep := newLogRecorder()
	with := cmd("env")
	with["env"] = map[string]any{"DEPLOY_ENV": "staging", "REPLICAS": 3}
	_, err := newAdapter(t, &exec.Config{InheritEnv: []string{"EXECTEST_ALLOWED", "EXECTEST_UNSET"}}).
		Run(context.Background(), request(rep, with))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{
		"EXECTEST_ALLOWED=ok",
		"BATON_RELEASE=rel-1", "BATON_ACTIVITY=build.compile", "BATON_ATTEMPT=2",
		"BATON_IDEMPOTENCY_KEY=rel-1/build.compile/2",
		"DEPLOY_ENV=staging", "REPLICAS=3",
	}, rep.Lines(), "nothing else of the host environment leaks")
}

func TestRunKeepsTheWorkingDirectoryInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "app"), 0o755))
	require.NoError(t, os.Symlink(os.TempDir(), filepath.Join(root, "escape")))
	realRoot, err := filepath.EvalSymlinks(root)
	require.NoError(t, err)
	a := newAdapter(t, &exec.Config{Dir: root})

	rep := newLogRecorder()
	with := cmd("pwd")
	with["dir"] = "app"
	_, err = a.Run(context.Background(), request(rep, with))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(realRoot, "app")}, rep.Lines())

	rep = newLogRecorder()
	_, err = a.Run(context.Background(), request(rep, cmd("pwd")))
	require.NoError(t, err)
	require.Equal(t, []string{realRoot}, rep.Lines(), "without dir the command runs in the root")

	for _, dir := range []string{"..", "/", "escape", "app/../../x", "missing"} {
		with := cmd("pwd")
		with["dir"] = dir
		_, err := a.Run(context.Background(), request(newLogRecorder(), with))
		require.Error(t, err, dir)
		require.True(t, adapters.IsPermanent(err), dir)
	}
}

func TestRunLogsStderrLinesMarked(t *testing.T) {
	rep := newLogRecorder()
	_, err := newAdapter(t, nil).Run(context.Background(), request(rep, cmd("sh", "-c", "echo warn >&2")))
	require.NoError(t, err)
	require.Equal(t, []string{"stderr: warn"}, rep.Lines())
}

func TestRunAcceptsANilReporter(t *testing.T) {
	res, err := newAdapter(t, nil).Run(context.Background(), request(nil, cmd("echo", "::output a=1")))
	require.NoError(t, err)
	require.Equal(t, "1", res.Outputs["a"])
}

func TestValidateWith(t *testing.T) {
	a := newAdapter(t, nil)
	tests := []struct {
		name  string
		with  map[string]any
		param string // "" when valid
	}{
		{"a full valid set", map[string]any{"command": []any{"make", "build", 3}, "dir": "app", "env": map[string]any{"A": "b"},
			"timeout": "5m", "outputs-file": "out.json", "output-limit": "64KiB", "retryable-exit-codes": []any{75, 1}}, ""},
		{"templated values", map[string]any{"command": []any{"deploy", "${{ inputs.version }}"}, "timeout": "${{ inputs.timeout }}",
			"env": "${{ vars.env }}"}, ""},
		{"a missing command", map[string]any{"dir": "x"}, "command"},
		{"an empty command", map[string]any{"command": []any{}}, "command"},
		{"a command string", map[string]any{"command": "make build"}, "command"},
		{"an empty program", map[string]any{"command": []any{""}}, "command[0]"},
		{"a list argument", map[string]any{"command": []any{"make", []any{"x"}}}, "command[1]"},
		{"an unknown key", map[string]any{"command": []any{"make"}, "comand": 1}, "comand"},
		{"a bad env name", map[string]any{"command": []any{"make"}, "env": map[string]any{"A-B": "x"}}, "env.A-B"},
		{"a BATON_ variable", map[string]any{"command": []any{"make"}, "env": map[string]any{"BATON_ATTEMPT": "9"}}, "env.BATON_ATTEMPT"},
		{"env as a list", map[string]any{"command": []any{"make"}, "env": []any{"A=b"}}, "env"},
		{"a bad timeout", map[string]any{"command": []any{"make"}, "timeout": "5 minutes"}, "timeout"},
		{"a negative timeout", map[string]any{"command": []any{"make"}, "timeout": "-1s"}, "timeout"},
		{"a bad output limit", map[string]any{"command": []any{"make"}, "output-limit": "lots"}, "output-limit"},
		{"a zero output limit", map[string]any{"command": []any{"make"}, "output-limit": 0}, "output-limit"},
		{"a bad exit code", map[string]any{"command": []any{"make"}, "retryable-exit-codes": []any{0}}, "retryable-exit-codes[0]"},
		{"an empty dir", map[string]any{"command": []any{"make"}, "dir": ""}, "dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.ValidateWith(tt.with)
			if tt.param == "" {
				require.NoError(t, err)
				return
			}
			var pe *adapters.ParamError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tt.param, pe.Param)
		})
	}
}

func TestRunRejectsBadParametersPermanently(t *testing.T) {
	_, err := newAdapter(t, nil).Run(context.Background(), request(nil, map[string]any{"command": "echo hi"}))
	require.True(t, adapters.IsPermanent(err))
	var pe *adapters.ParamError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "command", pe.Param)
}

func TestNewRejectsABadConfig(t *testing.T) {
	for name, cfg := range map[string]*exec.Config{
		"a missing dir":      {Dir: filepath.Join(t.TempDir(), "missing")},
		"a negative timeout": {Timeout: -time.Second},
		"a negative limit":   {OutputLimit: -1},
		"a negative grace":   {KillGrace: -1},
	} {
		_, err := exec.New(cfg)
		require.Error(t, err, name)
		require.True(t, strings.HasPrefix(err.Error(), "exec: Config."), "%s: %v", name, err)
	}
	a, err := exec.New(nil)
	require.NoError(t, err, "a nil config is valid")
	require.Equal(t, "exec", a.Kind())
	a, err = exec.New(&exec.Config{Kind: "local.script"})
	require.NoError(t, err)
	require.Equal(t, "local.script", a.Kind())
}

func TestExecPassesTestAdapter(t *testing.T) {
	var n int
	var mu sync.Mutex
	key := func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return "k" + strconv.Itoa(n)
	}
	r := func(with map[string]any) *adapters.Request {
		return &adapters.Request{Release: release.ID("r"), Activity: "p.a", Attempt: 1, IdempotencyKey: key(), With: with}
	}
	adaptertest.TestAdapter(t, func(t *testing.T) adapters.Adapter {
		return newAdapter(t, &exec.Config{KillGrace: 100 * time.Millisecond})
	}, &adaptertest.Options{
		Kind: "exec",
		Success: func(*testing.T) *adapters.Request {
			return r(cmd("sh", "-c", `echo "::output key=$BATON_IDEMPOTENCY_KEY"`))
		},
		Blocking: func(*testing.T) (*adapters.Request, <-chan struct{}) {
			rep := newLogRecorder()
			req := r(cmd("sh", "-c", "echo started; sleep 300"))
			req.Reporter = rep
			return req, rep.first
		},
		Permanent:       func(*testing.T) *adapters.Request { return r(cmd("sh", "-c", "exit 2")) },
		RetryAfter:      func(*testing.T) *adapters.Request { return r(cmd("sh", "-c", "echo '::retry-after 45s'; exit 75")) },
		RetryAfterDelay: 45 * time.Second,
		ValidWith:       []map[string]any{cmd("true"), {"command": []any{"make"}, "timeout": "1m"}},
		InvalidWith:     []map[string]any{{"command": "make"}, {}, {"command": []any{"make"}, "shell": true}},
	})
}

func TestRunDoesNotStartWhenTheContextIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newAdapter(t, nil).Run(ctx, request(nil, cmd("sh", "-c", "echo ran")))
	require.True(t, errors.Is(err, context.Canceled))
}

func TestRunReturnsWhenAProcessThatLeftTheGroupHoldsTheOutput(t *testing.T) {
	if _, err := osexec.LookPath("setsid"); err != nil {
		t.Skip("needs setsid to start a process outside the group")
	}
	rep := newLogRecorder()
	done := make(chan error, 1)
	go func() {
		// The escaped sleep keeps stdout open, so reading it never ends by
		// itself: Run must stop reading rather than hang.
		_, err := newAdapter(t, nil).Run(context.Background(), request(rep, cmd("sh", "-c",
			`setsid sh -c 'echo $$ > escaped.pid; exec sleep 300' & while [ ! -s escaped.pid ]; do sleep 0.01; done; echo "child=$(cat escaped.pid)"`)))
		done <- err
	}()
	pid := childPID(t, rep)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run hung on the escaped process's pipe")
	}
}

func TestRunInheritsNothingWithAnEmptyAllowList(t *testing.T) {
	rep := newLogRecorder()
	_, err := newAdapter(t, &exec.Config{InheritEnv: []string{}}).Run(context.Background(), request(rep, cmd("env")))
	require.NoError(t, err)
	for _, l := range rep.Lines() {
		require.True(t, strings.HasPrefix(l, "BATON_"), "only the adapter's own variables: %q", l)
	}
	require.Len(t, rep.Lines(), 4)
}
