// Command quickstart runs Baton's sample release for real: the weekly
// mobile release train of release.yaml (build, QA with a manual regression
// run and a sign-off, a production rollout behind feature flags verified by
// a smoke-test subprocess) on the embedded SQLite store, with local
// adapters that simulate the CI server, the deployer and the flag service
// in a few seconds, and scripted people who complete the manual task and
// give the approval. It shows the release live, then a summary (status,
// durations per phase, the critical path, the audit chain verified), the
// release report (executor/report: planned against actual, waits on people,
// approvals) and the process as a Mermaid graph. The store file is kept,
// so a second run shows the first release too, and a release that an
// interrupted run left unfinished is resumed by the next run (-fresh
// aborts it and starts a new one).
//
//	go run ./examples/quickstart                      # run the sample release
//	go run ./examples/quickstart -db /tmp/b.db        # in another store file
//	go run ./examples/quickstart -fresh               # abort a release left unfinished, start a new one
//	go run ./examples/quickstart -plan [my.yaml]      # only validate and plan a process document
package main
