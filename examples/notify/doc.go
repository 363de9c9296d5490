// Command notify shows Baton telling people about a release: it starts a
// local webhook receiver, runs a release that waits on an approval, and
// prints the notifications the receiver gets, in about a second.
//
// A notify.Dispatcher runs beside the executor, in its own goroutine: it
// follows the store's durable feed of events from a cursor it keeps in the
// store and posts signed JSON messages to the receiver. The receiver
// checks each signature (adapters/http VerifyRequest) and de-duplicates on
// the Idempotency-Key header. Its first answer is a 503, to show that a
// failed delivery is retried, not lost. The approval's message goes to the
// approvers, the "group:release-managers" entry resolved by the same hook
// the executor uses.
//
//	go run ./examples/notify
package main
