// Package otelbaton reports what a Baton executor does to OpenTelemetry:
// traces of releases, phases and activity attempts, and metrics for the
// people who run the service that embeds Baton. It is the only Baton
// package that imports OpenTelemetry; the executor itself only knows its
// small executor.Telemetry hook.
//
//	tel, err := otelbaton.New(&otelbaton.Options{TracerProvider: tp, MeterProvider: mp})
//	ex, err := executor.New(st, reg, &executor.Config{Telemetry: tel})
//	reg, err := tel.Watch(ex) // the gauges; reg.Unregister() when done
//
// Spans. One span per release ("release PROCESS"), from the first event
// this instance sees (its creation, or its first event here after a
// restart or a takeover) to the event that ends it; one per phase
// ("phase ID") inside it; one per activity attempt ("activity
// PHASE.ACTIVITY") inside its phase, from activity.started to the event
// that settles the attempt; one per rollback call. Span times are the
// events' times (the executor's clock). A subprocess's child release is
// a child span of its parent's attempt when both run here. Attributes:
// baton.release, baton.process, baton.process.version, baton.group,
// baton.phase, baton.activity, baton.activity.kind (the adapter kind of
// an automated activity, else manual, approval or subprocess),
// baton.attempt and baton.outcome (succeeded, failed, held, ignored,
// skipped, aborted; for a release its final status). Failed and held
// attempts and releases that did not succeed have an error status.
//
// Adapter calls run with the attempt span in their context, so an adapter
// can pass the trace on: the http adapter does when its Config.Propagate
// is HeaderPropagator(p), sending traceparent with each request.
//
// Metrics: baton.activity.duration (seconds, by baton.activity.kind and
// baton.outcome), baton.activity.retries (attempts after the first, by
// kind), baton.activity.waiting (seconds an activity waited on people, by
// kind), baton.store.duration (seconds per store call, by baton.store.op),
// baton.store.conflicts and baton.store.errors (by op), baton.lease.losses,
// and through Watch the gauges baton.timers.pending, baton.releases.held,
// baton.releases.saturated (releases at their parallelism bound),
// baton.activities.in_flight, baton.activities.queued (ready work waiting
// for a slot) and baton.parallelism.
//
// Cost: a Telemetry keeps an entry and the open spans of each release that
// has not ended since this instance saw it, including releases waiting on
// people for days (the SDK holds an open span in memory until it ends);
// a lost lease ends them here. About 40 allocations per activity attempt
// on the SDK (BENCHMARKS.md). An executor without Telemetry makes no calls
// at all.
package otelbaton
