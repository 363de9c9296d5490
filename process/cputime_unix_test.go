//go:build unix

package process_test

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of the whole process. On a
// shared, oversubscribed machine it is a steadier measure than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
