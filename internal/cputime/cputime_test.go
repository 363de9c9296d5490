package cputime

import (
	"runtime"
	"testing"
	"time"
)

func TestProcessCPUTimeGrowsWithWork(t *testing.T) {
	before, ok := Process()
	if !ok {
		t.Skip("cputime: CPU time is not readable on " + runtime.GOOS)
	}
	deadline := time.Now().Add(20 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, _ := Process()
	if after <= before {
		t.Fatalf("CPU time did not grow after busy work (%d loops): %v then %v", x, before, after)
	}
}
