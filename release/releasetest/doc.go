// Package releasetest lets a host test its release logic: give it a
// process, fakes for its adapters and a script of what people do, and Run
// drives a release to its end on a virtual clock that jumps to the next
// timer whenever everything waits, so a release of several weeks takes
// milliseconds. The same inputs give the same event log, byte for byte.
//
//	func TestMobileTrainShipsAfterQA(t *testing.T) {
//		build := adaptertest.NewFake("ci.pipeline", nil).
//			WithOutputs(map[string]any{"artifact": "app-2.4.0.apk"}).
//			WithDelay(20 * time.Minute).
//			FailTimes(1, nil) // a flaky first build; the retry policy copes
//		deploy := adaptertest.NewFake("cd.deploy", nil).WithDelay(15 * time.Minute)
//
//		h := releasetest.NewYAML(t, mobileTrainYAML, &releasetest.Config{
//			Inputs:   map[string]any{"version": "2.4.0"},
//			Adapters: []adapters.Adapter{build, deploy},
//			Groups:   map[string][]string{"qa-leads": {"erin", "frank"}},
//		})
//		h.CompleteTask("qa.regression", "run-suite", "dave").After(4 * time.Hour)
//		h.Approve("qa.signoff", "erin").After(2 * time.Hour)
//
//		res := h.Run(t)
//
//		releasetest.RequireStatus(t, res, release.Succeeded)
//		releasetest.RequireActivity(t, res, "build.compile", releasetest.ActivityWant{Attempts: 2})
//		releasetest.RequireOrder(t, res, "build.compile", "qa.signoff", "deploy.rollout")
//		releasetest.RequireEvents(t, res, releasetest.EventWant{Kind: release.KindApprovalGranted, Actor: "erin"})
//	}
//
// # How a run works
//
// Run stores the process (and Config.Processes, for subprocesses) in an
// in-memory store that offers every optional store capability (freezes,
// policies, links, the feed, ...) but leasing, runs Config.Setup (where a
// test puts the freezes, policies and release groups the release should
// meet, through the executor), creates the release at Config.Start through
// executor.Create, as a host does (the same input resolution and
// validation), with an id derived from the process and the start
// (CreateParams.ID; Create would draw a random one), and runs a real
// executor.Executor over it (periodic rescans off: it is alone on its
// store), inside a testing/synctest bubble. Inside the
// bubble package time is virtual: time only moves when every goroutine is
// blocked, and then straight to the next timer (a retry backoff, an
// adapter's delay, an approval deadline, a scripted step).
//
// To make runs repeatable, adapter calls pass a gate: each call, and each
// answer, waits until everything else is blocked and then goes through
// alone, in the order of (release, activity, attempt). Executor jitter is
// off. Scripted people act between those steps, when their step is due
// (see Step).
//
// Fakes: adaptertest.Fake with a nil clock waits on package time, which is
// virtual inside Run; Harness.Clock is the same virtual time for adapters
// that want a clock. Any adapters.Adapter works; its Validator and Poller
// capabilities are kept. Adapters that do real I/O (exec, http against a
// real server) run, but their I/O takes real time. An adapter must not wait
// on a channel made before Run (outside the bubble): the harness could not
// tell it is waiting, and Run would hang; make such channels inside the
// adapter, or use a Fake.
//
// A scripted step that never happened fails the test when Run ends, unless
// it is marked Optional: it usually means the script is wrong. A step
// marked MayFail accepts a refusal (Result.StepErrors keeps the error) or
// no effect. WhenRunning makes a step act while an activity's attempt runs
// (before the harness lets its adapter call through), and Restart scripts
// a crash: the executor stops at once and a new one resumes the release
// from the same store:
//
//	h.Abort("oncall", "incident").WhenRunning("release.production", 1)
//	h.Restart().WhenRunning("build.image", 1)
//
// Steps reach subprocess children by a path of activity keys joined by
// PathSeparator, and Result.Child returns a child's own result for the
// Require functions; InChild points a release-wide step (Abort, RollBack,
// Do) at a child. Do runs any executor call at a scripted time:
//
//	h.Approve("deploy.smoke/checks.signoff", "lena").After(time.Hour)
//	h.Abort("sre", "smoke suite hangs").InChild("deploy.smoke").After(2 * time.Hour)
//	res := h.Run(t)
//	releasetest.RequireStatus(t, res.Child("deploy.smoke"), release.Aborted)
//
// A parent checks a running child every executor PollInterval, so a run
// whose child waits on a person no step scripts goes on to Config.Limit
// (in many short steps) instead of stopping as soon as nothing can happen.
//
// Hosts that drive an executor on their own mock clock instead of this
// harness wait for executor.Executor.Idle before moving the clock.
//
// Run stops when the release has ended, when nothing more can happen (it
// waits on a person that no step scripts; Result.Stopped says so and the
// test log lists what waits on whom), or at Config.Limit of virtual time.
//
// # Assertions
//
// The Require functions take testing.TB, call Helper, fail with a message
// that shows the release, and treat zero fields of their Want structs as
// "don't check". RequireBefore checks that one activity was done before
// another started by the order of the events, since virtual times often
// tie. Result.EventLog is the run's event log as JSON lines, fit
// for a golden file.
//
// Two adapter failures never land at the same virtual instant: the second
// is delivered a nanosecond after the first, so the retries they arm do not
// fall due together (the executor handles timers due at one instant on
// separate goroutines, in an order that varies). Known limit: other timers
// that fall due at the very same instant for one release (two equal
// timeouts started together, a deadline and a retry) can still have their
// events recorded in either order.
//
// This package is a stable extension point for hosts' tests.
package releasetest
