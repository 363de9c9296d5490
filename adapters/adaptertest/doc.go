// Package adaptertest helps adapter authors and hosts test with adapters.
//
// TestAdapter is a conformance suite for an adapters.Adapter: it checks that
// the kind is non-empty and stable, that Run honours cancellation, that
// permanent and retry-after errors survive wrapping, that concurrent runs
// succeed (run it with -race), and the Validator and Poller contracts when
// the adapter implements them. An adapter's test is a few lines:
//
//	func TestDeployAdapter(t *testing.T) {
//		adaptertest.TestAdapter(t, func(t *testing.T) adapters.Adapter {
//			return deploy.New(newFakeAPI(t))
//		}, &adaptertest.Options{
//			Kind:      "cd.deploy",
//			Success:   func(*testing.T) *adapters.Request { return &adapters.Request{With: map[string]any{"service": "api"}} },
//			Permanent: func(*testing.T) *adapters.Request { return &adapters.Request{With: map[string]any{"service": "unknown"}} },
//		})
//	}
//
// Checks whose Options are missing are skipped with a message naming the
// field, never counted as passing silently.
//
// Fake is a scriptable adapter for tests of release logic: it succeeds,
// fails N times then succeeds, fails permanently, asks for a retry delay,
// waits in virtual time on a mock clock, returns fixed or computed outputs,
// and records every call.
//
//	build := adaptertest.NewFake("ci.pipeline", mockClock).
//		WithOutputs(map[string]any{"artifact": "app.apk"}).
//		WithDelay(20 * time.Minute).
//		FailTimes(2, nil)
//	reg := adapters.NewRegistry(build)
//
// This package is a stable extension point.
package adaptertest
