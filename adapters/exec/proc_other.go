//go:build !unix

package exec

import osexec "os/exec"

// setProcessGroup does nothing where process groups do not exist.
func setProcessGroup(*osexec.Cmd) {}

// signalGroup kills the command itself; its children are not reached on
// this platform.
func signalGroup(cmd *osexec.Cmd, kill bool) {
	if cmd.Process != nil && kill {
		_ = cmd.Process.Kill()
	}
}
