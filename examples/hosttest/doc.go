// Package hosttest is how a platform team tests its release logic with
// Baton: its process document (train.yaml) ships with the service, and
// train_test.go runs it with release/releasetest, fakes for the CI and
// deployment adapters and scripted people, on a virtual clock: the two-day
// soak and the change board take milliseconds, and the event log of the
// happy path is a golden file.
//
//	go test ./examples/hosttest
//	go test ./examples/hosttest -update   # rewrite the golden file
package hosttest
