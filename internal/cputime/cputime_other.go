//go:build !unix

package cputime

import "time"

// Process returns 0, false: CPU time is not read on this platform.
func Process() (time.Duration, bool) { return 0, false }
