// Package executor is Baton's runtime: it drives releases over a store and a
// registry of adapters, durably, with timers on an injected clock, operator
// actions and many instances sharing one store.
package executor
