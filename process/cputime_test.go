package process_test

import (
	"time"

	"github.com/batonhq/baton/internal/cputime"
)

// processCPU is the process's CPU time, or 0 where it cannot be read.
func processCPU() time.Duration {
	d, _ := cputime.Process()
	return d
}
