// Command customadapter shows how to write an adapter of your own: a
// "change.request" adapter that opens a change ticket in a change-management
// service and waits until it is approved. It implements adapters.Validator
// (parameters are checked when a process is registered) and
// adapters.Poller (long waits cost no goroutine and survive a restart), and
// main_test.go checks it with adaptertest.TestAdapter, the conformance
// suite every adapter should pass, and in a whole release with
// releasetest.
//
//	go run ./examples/customadapter
//	go test ./examples/customadapter
package main
