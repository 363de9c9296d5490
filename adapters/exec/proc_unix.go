//go:build unix

package exec

import (
	osexec "os/exec"
	"syscall"
)

// setProcessGroup makes the command the leader of a new process group, so
// that it and every child it starts can be signalled at once.
func setProcessGroup(cmd *osexec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to the command's whole process group. Errors (the
// group is already gone) are ignored.
func signalGroup(cmd *osexec.Cmd, kill bool) {
	if cmd.Process == nil {
		return
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
