package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// holdEnv names the database file a hold child opens. When it is set the
// test binary runs holdChild instead of the tests (see TestMain).
const holdEnv = "BATON_SQLITE_HOLD_CHILD"

// holdChild opens the database, stores a process, says "open" and keeps
// the Store open until it is killed.
func holdChild(path string) {
	s, err := sqlite.Open(path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hold child:", err)
		os.Exit(2)
	}
	p := &process.Process{ID: "held", Name: "held", Phases: []process.Phase{{ID: "p", Activities: []process.Activity{{ID: "a", Uses: "noop"}}}}}
	if _, err := s.PutProcess(context.Background(), &store.PutProcessParams{Process: p, CreatedBy: "child", Now: time.Unix(0, 0)}); err != nil {
		fmt.Fprintln(os.Stderr, "hold child:", err)
		os.Exit(2)
	}
	fmt.Fprintln(os.Stdout, "open")
	select {} // until killed
}

// One process at a time may open a database file: a second process's
// Open is refused with ErrInUse naming the file and the holder, and
// writes nothing; once the holder dies (SIGKILL: it closes nothing) the
// file opens again, with what the holder stored.
func TestASecondProcessCannotOpenTheFileUntilTheFirstIsGone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "the child opened the file")
	require.Equal(t, "open\n", line)

	before, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = sqlite.Open(path, nil)
	require.ErrorIs(t, err, sqlite.ErrInUse)
	var inUse *sqlite.InUseError
	require.ErrorAs(t, err, &inUse)
	require.Equal(t, cmd.Process.Pid, inUse.PID, "the error names the process holding the file")
	require.Contains(t, err.Error(), path)
	require.Contains(t, err.Error(), "process "+strconv.Itoa(cmd.Process.Pid))
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after, "the refused Open wrote nothing")

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	killed = true
	s, err := sqlite.Open(path, nil)
	require.NoError(t, err, "a killed holder leaves the file free")
	defer s.Close()
	p, err := s.GetProcess(context.Background(), "held", 0)
	require.NoError(t, err)
	require.Equal(t, "held", p.Name, "what the holder stored is there")
}

// Within one process too, a second Store on an open file is refused; Close
// frees the file for the next.
func TestASecondStoreOnAnOpenFileIsRefusedUntilTheFirstCloses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.db")
	first, err := sqlite.Open(path, nil)
	require.NoError(t, err)
	_, err = sqlite.Open(path, nil)
	require.ErrorIs(t, err, sqlite.ErrInUse)
	require.True(t, strings.HasPrefix(err.Error(), "sqlite: open "+path), err.Error())
	// Through another path to the same file as well.
	_, err = sqlite.Open(filepath.Join(filepath.Dir(path), ".", "baton.db"), nil)
	require.ErrorIs(t, err, sqlite.ErrInUse)
	require.NoError(t, first.Close())

	second, err := sqlite.Open(path, nil)
	require.NoError(t, err)
	require.NoError(t, second.Close())
}
