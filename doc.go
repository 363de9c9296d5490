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
//
// A process is parsed and validated before anything runs:
//
//	p, err := process.Parse(yamlBytes)
//	if err != nil {
//		var verr *process.ValidationError
//		if errors.As(err, &verr) {
//			for _, problem := range verr.Problems {
//				fmt.Println(problem) // path, line and what was expected
//			}
//		}
//		return err
//	}
//	fmt.Println(process.Mermaid(p))
package baton
