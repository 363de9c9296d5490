// Command approvals shows Baton's approval gates at work, on the executor
// and the in-memory store, in about two seconds of real time:
//
//   - a quorum: two of the release managers must approve; the initiator may
//     not, and one person counts once;
//   - a deadline: nobody decides in time, the gate is rejected, the
//     activity is held, and an operator retries it;
//   - a rejection under on-failure: fail, which ends the release.
//
// Every refusal is an error you can test with errors.Is (executor.ErrForbidden),
// and every decision is an event in the release's audit trail.
//
//	go run ./examples/approvals
package main
