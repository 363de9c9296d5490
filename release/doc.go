// Package release models one execution of a pinned process version: its
// statuses and their legal transitions, the typed events that change it, the
// fold that rebuilds it from its events, and the views derived from it
// (progress, health, what waits on whom, timeline).
//
// This package is pure: it starts no goroutines and never reads the clock.
package release
