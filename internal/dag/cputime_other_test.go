//go:build !unix

package dag

import "time"

func processCPU() time.Duration { return 0 }
