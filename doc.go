// Package baton is an embeddable library for release orchestration.
//
// A host application imports Baton to model release blueprints (processes made
// of phases and activities that form a dependency graph), run releases of them
// across teams and tools, schedule them on business cadences, and keep a
// complete, verifiable record of what happened.
//
// This package holds no code; it is the map of the module:
//
//	process    release blueprints: the document, validation, the graph, expressions
//	release    one execution of a pinned process: statuses, events, folding, views
//	schedule   cron, RRULE and cadence maths, freeze windows, iCalendar
//	store      the storage contract; memstore, sqlite and postgres implement it
//	adapters   the contract for code that performs automated activities
//	executor   the runtime that drives releases over a store and adapters
//	executor/otelbaton  OpenTelemetry traces and metrics for an executor
//
// Wiring, in short (the package Example runs it whole):
//
//	st, err := sqlite.Open("baton.db", nil)          // the embedded default store
//	p, err := process.Parse(doc)                     // every problem at once, with path and line
//	_, err = st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "platform", Now: time.Now()})
//	reg := adapters.NewRegistry(myCIAdapter, myDeployAdapter)
//	ex, err := executor.New(st, reg, nil)
//	err = ex.Launch(ctx)                             // drives and resumes releases
//	defer ex.Shutdown(stopCtx)                       // lets adapter calls in flight finish
//	sum, err := ex.Create(ctx, &executor.CreateParams{Process: p.ID, By: executor.By{Actor: "alice"}})
//
// Hosts test their release logic with release/releasetest (virtual time,
// fake adapters, scripted people) and their adapters with
// adapters/adaptertest; their own stores pass store/storetest.
package baton
