package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// mainEnv makes the test binary run the quickstart's main with the
// arguments in it (space-separated) instead of the tests: a real process
// to kill mid-release.
const mainEnv = "QUICKSTART_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(mainEnv); ok {
		os.Args = append([]string{"quickstart"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startKilled runs the quickstart's main in a child process on db and
// kills it (SIGKILL: nothing is shut down) once the staging deployment
// runs, mid-release. It returns what the child printed.
func startKilled(t *testing.T, db string, extra ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainEnv+"="+strings.Join(append([]string{"-db=" + db, "-pace=0.2"}, extra...), " "))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	var seen bytes.Buffer
	sc := bufio.NewScanner(io.TeeReader(out, &seen))
	killed := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "qa.deploy-staging") && strings.Contains(sc.Text(), "Running") {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
			break
		}
	}
	_, _ = io.Copy(io.Discard, out)
	err = cmd.Wait()
	require.True(t, killed, "the staging deployment never ran:\n%s", seen.String())
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
	return seen.String()
}

func TestAnInterruptedQuickstartIsResumedByTheNextRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "baton.db")
	first := startKilled(t, db)
	require.Contains(t, first, "releasing Mobile app release 2.4.0")

	var out bytes.Buffer
	require.NoError(t, runRelease(context.Background(), &out, options{db: db, pace: 0.2}))
	s := out.String()
	require.Regexp(t, `resuming Mobile app release 2\.4\.0 on .*: release \S{36} was left Running by an interrupted run`, s)
	require.Contains(t, s, "Run with -fresh")
	require.Regexp(t, `status\s+Succeeded in`, s)
	require.Contains(t, s, "holds 1 release(s) of mobile-app", "the same release, not a new one")
	require.Contains(t, s, "erin approves the QA sign-off")

	// Killed again; -fresh aborts what it left and starts a new release.
	startKilled(t, db)
	out.Reset()
	require.NoError(t, runRelease(context.Background(), &out, options{db: db, pace: 0.2, fresh: true}))
	s = out.String()
	require.Regexp(t, `Aborted release \S{36} \(Mobile app release 2\.4\.1\), left Running by an interrupted run \(-fresh\)`, s)
	require.Contains(t, s, "releasing Mobile app release 2.4.2")
	require.Contains(t, s, "holds 3 release(s) of mobile-app")
	require.Len(t, regexp.MustCompile(`(?m)^\s+\S{36}  2\.4\.1\s+Aborted`).FindAllString(s, -1), 1)
	require.Len(t, regexp.MustCompile(`(?m)^\s+\S{36}  2\.4\.[02]\s+Succeeded`).FindAllString(s, -1), 2)
}
