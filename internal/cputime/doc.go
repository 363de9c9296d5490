// Package cputime reads the CPU time the whole process has used, so
// benchmarks can report CPU per operation: on a shared machine other load
// disturbs it far less than wall time.
package cputime
