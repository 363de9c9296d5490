// Package notify tells people what happens to releases: a Dispatcher
// follows the store's durable feed of events (store.FeedStore) and sends
// the messages its rules ask for through Notifiers, at least once.
//
// # Rules and messages
//
// A Rule names the notification types it sends (release created, started,
// succeeded, failed, aborted, rolled back; phase started or ended; activity
// on hold; waiting for a person; running late; reminders and escalations),
// filters releases by process, group and labels, adds recipients, and
// names its Notifier. A message for a wait goes to the people the
// activity waits on (the assignees of its tasks, or the approvers who have
// not decided), "group:NAME" entries resolved through
// Config.ResolveGroup, the same hook an executor uses for approvals.
//
// Every Message carries an idempotency key, "<release>/<seq>/<rule>" for a
// feed event, so a receiver de-duplicates what a crash re-sends.
//
// # Delivery
//
// The Dispatcher keeps its place in the feed in the store
// (store.CursorStore, one cursor per Config.Consumer, written with
// compare-and-set) and moves it only past events whose messages were all
// delivered: after a crash the next Dispatcher re-sends from there, so a
// message is never lost, and sent twice only across a crash (or a retry
// after a receiver failed to answer). A delivery that fails is retried
// with a backoff (Config.Backoff doubling to MaxBackoff) until it
// succeeds; a Notifier that returns an error matching ErrPermanent drops
// the message (logged).
//
// The Dispatcher never talks to an executor and never slows one: it reads
// the store in its own goroutine, which the host starts and owns,
//
//	d, err := notify.New(st, &notify.Config{
//		Rules: []notify.Rule{{
//			Name: "ops", Notifier: hook,
//			Types: []notify.Type{notify.ReleaseFailed, notify.WaitingForPerson},
//			Remind: &notify.Remind{After: 4 * time.Hour, EscalateAfter: 24 * time.Hour, EscalateTo: []string{"group:leads"}},
//		}},
//		ResolveGroup: resolveGroup,
//	})
//	...
//	go d.Run(ctx) // until ctx is done
//
// on any instance (the feed and the cursor are in the shared store). On
// a store that implements store.Leaser, instances that share a Consumer
// take turns: the one holding the consumer's lease delivers, the others
// stand by and take over when it lapses (Config.LeaseTTL).
//
// Run reads the feed as soon as the store signals new events
// (store.FeedNotifier: memstore, SQLite, and PostgreSQL for its own writes
// and those that notify), and otherwise every Config.PollInterval.
//
// The Dispatcher reads the store directly, not through an executor's
// authorizer: whoever a rule tells sees what its messages carry (the
// release's summary, the event and its payload, but not the pinned
// process of release.created), so choose a rule's recipients and receiver
// as you would grant a view of those releases, or give the rule a Viewer
// (executor.Executor.Viewer, the executor's own check of a read): it then
// sends nothing about the releases the viewer may not see.
//
// # The clock
//
// RunningLate, Reminder and Escalation come from the Dispatcher's clock,
// every Config.CheckInterval: it follows the releases unfinished when it
// starts and those it sees in the feed, judges each with release.Health
// (a message when it turns at-risk, another when late) again only after
// an event of it or once its health may have changed
// (release.HealthReport.Recheck), and reminds of the
// waits of rules with Remind. After a restart it finds them again from the
// store, and a reminder keeps its key (the wait's activity and start time).
//
// # Notifiers
//
// Webhook posts each Message as JSON, signed as the HTTP adapter signs its
// requests (a receiver verifies with adapters/http VerifyRequest), with the
// key in the Idempotency-Key header. Slack posts to a Slack-compatible
// incoming webhook a line of text with mentions and a link to the host's
// own UI (SlackConfig.LinkTemplate). Any other channel is a Notifier, or a
// NotifierFunc.
package notify
