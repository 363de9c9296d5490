// Package hosttest is how a platform team tests its release logic with
// Baton: its process document (train.yaml) ships with the service, and
// train_test.go runs it with release/releasetest, fakes for the CI and
// deployment adapters and scripted people, on a virtual clock: the two-day
// soak and the change board take milliseconds, and the event log of the
// happy path is a golden file. capabilities_test.go shows the rest of the
// kit: an abort while production deploys (Step.WhenRunning), a crash of the
// executor mid-build (Harness.Restart), a refusal the test expects
// (Step.MayFail), "done before started" by event order (RequireBefore), and
// a host's own mock clock driven with executor.Executor.Idle.
// platform_test.go runs the train as a subprocess of a quarterly release,
// with people acting inside the child by path ("trains.payments/approve.cab")
// and an abort of the child alone (Step.InChild), and meets a code freeze
// and a group policy put before the run (Config.Setup, Config.Labels,
// Config.Group) and a pause and resume at scripted times (Harness.Do).
//
//	go test ./examples/hosttest
//	go test ./examples/hosttest -update   # rewrite the golden file
package hosttest
