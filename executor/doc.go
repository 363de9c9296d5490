// Package executor is Baton's runtime: it drives releases over a store and
// adapters so that the execution rules hold (dependencies, conditions,
// retries, on-failure strategies, approvals), survives crashes, and costs
// little per activity.
//
// An Executor creates releases from stored processes (pinning the version,
// resolving inputs), starts each activity as soon as its dependencies are
// done (up to a parallelism limit), evaluates `if` conditions and `${{ }}`
// parameters against the outputs of completed activities, calls adapters
// with an idempotency key stable per (release, activity, attempt), waits on
// people for manual tasks and approvals, runs subprocesses as child
// releases, retries failures with exponential backoff and jitter, and
// applies each activity's on-failure strategy (hold, fail, ignore,
// rollback). Operators act through methods (Pause, Resume, Abort, Retry,
// Ignore, Skip, UpdateTask, Comment, SubmitOutputs, Approve, Reject,
// BypassApproval, RollBack), each checked by Config.Authorize and recorded
// as an event.
//
// Who acts, and why, is the last argument of every method that acts or
// reads on someone's behalf: a *By, or a params struct that embeds By
// (&DecisionParams{By: By{Actor: "bob", Reason: "tested"}}). Config.Authorize
// sees every one of them as an Action: its Kind, the Verb a role must grant
// (view, create, edit, delete, execute, approve, abort, override-freeze,
// override-policy, bypass-approval), the Resource and, filled from the
// store rather than from the caller, the process, group, labels and the
// activity's labels. Reads go through it too (ActionView; a nil By is an
// anonymous reader), and lists, the calendar and subscriptions leave out
// what the reader may not view. Replacing or deleting a group or an input
// set is judged on the stored object as well as the new one. The only way
// around the authorizer is the host's own access to the store.
//
// Approvals are decided by their approvers only. The initiator of a release
// (the person who created the top-level release, for every descendant of
// it) never decides an approval whose policy forbids the initiator. An
// approver group that cannot be resolved keeps the approval waiting. Skip
// and Ignore refuse approvals, and subprocesses whose process holds one;
// deciding an approval in place of its approvers is BypassApproval, an
// action of its own kind, recorded with its actor and reason.
//
// Visibility: Get and List read the store (authorized); Subscribe gives a live feed
// with a bounded buffer (a slow subscriber never blocks the executor and
// is told how many events it missed); Config.Observers see every stored
// event; Why explains in data what an activity waits for; Plan gives the
// critical path and a projected end from expected durations.
//
// An Executor records events whenever it is called, but runs adapters and
// fires timers only while Run runs. Adapter calls run on worker goroutines
// that Run reuses (a chain of activities runs on one worker, without a
// hand-off per step) and that exit when idle. An adapter's Reporter passes
// its Log lines to Config.Logger and its last Progress to Why.
//
// A subprocess attempt runs as a child release whose id derives from the
// parent, the activity and the attempt (so a crash never makes two), with
// labels naming them (LabelParent, LabelParentActivity,
// LabelParentAttempt, LabelDepth). The child is stored, then started only
// if the parent's attempt is still running; a parent that is aborted,
// fails or rolls back while its child runs aborts the child, and so does a
// subprocess's timeout (a child that finds, when it is resumed, that its
// parent no longer waits for it aborts itself: the executor may have
// stopped in between); the child's end (its outputs, or its failure as a
// permanent error) ends the attempt. Config.MaxDepth limits nesting.
//
// Release groups (release.Group) make releases on a cadence. PutGroup
// validates a group (every field at once, then its process, input set and
// inputs against the store) and stores it; PauseGroup and ResumeGroup
// switch it off and on; GroupHistory reads what its scheduler decided. The
// scheduler runs inside Run with no goroutine per group: one timer per
// enabled group on the executor's timer structure, at its next occurrence
// minus its lead time. Then it creates the occurrence's release, Scheduled
// for the occurrence, named by the group's templates and numbered in the
// group (LabelGroupSequence); the store's uniqueness on (group,
// occurrence) makes it exactly once across executors. A group that
// auto-executes starts the release at the occurrence; otherwise it waits
// for a person's Start (LabelStart "manual"). After downtime, occurrences
// inside the group's catch-up window are created late (LabelLate), older
// ones are recorded missed and never run. When the group's previous
// release is still running at an occurrence, the group's overlap policy
// allows it, skips the occurrence (no release is made; the reason names
// the release still running) or queues it until the previous one ends.
// Each decision is a release.GroupRecord in the group's history when the
// store implements store.GroupHistoryStore. Groups stored, paused or
// deleted by another executor are seen at its next rescan.
//
// Calendar answers what is planned and what ran in a window: the
// occurrences of enabled groups whose releases are not made yet (marked
// when a freeze will skip or shift them), the releases with planned
// against actual start and end, status and health, the freeze windows, and
// the overlaps (releases of one group, or sharing a label value such as
// env=prod, at the same time). Calendar.ICal turns it into an iCalendar
// feed (schedule.Calendar). Reschedule moves a release that has not
// started; what starts it follows.
//
// Freezes (release.Freeze, kept when the store implements
// store.FreezeStore) hold back what is in their scope, at three points:
//
//   - placement: a group occurrence a freeze holds is recorded skipped,
//     naming the freeze, or, when the group's FreezePolicy is shift,
//     recorded shifted and made for the freeze's end; occurrences shifted
//     to the same instant make one release;
//   - release start: Create (starting at once) and Start are refused with
//     a *FrozenError (matching ErrFrozen) naming the freeze and until
//     when, and nothing is stored; a start that comes by itself (a
//     ScheduledFor, a subprocess's child) waits instead: the release is
//     rescheduled to the freeze's end, with the freeze as the reason; a
//     group's own start waits and is recorded waited in its history;
//   - activity start: an activity whose release is in scope, or whose
//     effective labels are, stays Pending until the freeze ends (a timer
//     entry, no goroutine); Why gives ReasonFreeze naming the freeze and
//     until when. An automatic retry waits the same way; Retry by an
//     operator is refused with ErrFrozen.
//
// A child release carries its parent's labels and group, so a freeze holds
// it as it holds the parent. OverrideFreeze, an action of its own
// (ActionOverrideFreeze) with actor and reason, lets one release (with its
// activities and the children it makes afterwards) or one activity
// through a freeze, recorded as freeze.overridden. PutFreeze, GetFreeze,
// ListFreezes and DeleteFreeze go through the authorizer, which sees the
// freeze's scope (Action.Scope, and in Action.Process, Group and Labels
// what the scope requires), the stored one and, when replacing, the new
// one too; a change made here takes effect at once, one made by another executor within its
// RescanInterval. FreezeWindows lists the windows in a time range, for a
// calendar.
//
// Retention (Config.Retention, with a store that implements
// store.RetentionStore: memstore, sqlite and postgres do) keeps finished
// releases for a time per group, per process or by default, then archives
// each one's audit bundle to the host's ArchiveSink (release.WriteBundle:
// its whole log and anchors, checkable alone with release.CheckBundle) and
// deletes it only once the sink took it; or deletes it without archive.
// Run sweeps at once and every Interval, at most Batch releases a sweep;
// with leases, one executor sweeps at a time. A release that has not
// ended, or whose parent release has not, is never deleted; a deleted
// release's id and group occurrence are never used again. DeleteRelease
// does the same for a person (ActionDeleteRelease). Every deletion is a
// record in the store's deletion log (Deletions), which outlives the
// release: its final head and anchor, its labels, the rule or person,
// when, and where its bundle went; a reader sees the records of the
// releases it may view, judged on them. The deployments of its activities that succeeded stay
// in the store's link index, so that Deployments still answers what runs
// where after the release that deployed it is gone; they are shown to who
// may view the release its deletion record describes.
//
// Policies (release.Policy, kept with every version when the store
// implements store.PolicyStore) are rules written as expressions in the
// language of process documents, over the release (labels, inputs,
// variables, process, group), the activity (type, labels, adapter kind),
// the completed approvals of the release, the clock (between("08:00",
// "18:00", "Europe/Berlin"), weekday(tz)) and the freezes (frozen()); group
// membership comes from Config.ResolveGroup (member, approvedBy). They are
// checked at the same points as freezes, through the same waits:
//
//   - release start: Create (starting at once) and Start are refused with
//     a *PolicyError (matching ErrPolicy) naming the policy, the version
//     that judged and its message, and nothing is stored; a start that
//     comes by itself (a ScheduledFor, a subprocess's child, a group's
//     occurrence) is held instead: the release stays Scheduled and
//     policy.failed is recorded once;
//   - activity start: an activity a policy fails for stays Pending,
//     policy.failed (policy id and version, the message) is recorded once,
//     and Why gives ReasonPolicy; an automatic retry waits the same way;
//     Retry by an operator is refused with ErrPolicy. Skip and Ignore run
//     nothing and are not held.
//
// What a policy holds is looked at again when its verdict may change: when
// a time helper's answer changes (at most an hour later in any case), when
// the policies or freezes change, when another activity of the release is
// done (an approval completing) and after an override; a restart judges
// again and records nothing new. A policy that cannot be evaluated (a bad
// time zone, a group the resolver cannot resolve) fails: policies fail
// closed. A changed policy is a new version and judges what it holds at
// once. OverridePolicy, an action of its own (ActionOverridePolicy) with
// actor and reason, lets one release (with its activities) or one activity
// through one version of a policy, recorded as policy.overridden; it does
// not cover another release, the release's child releases or a later
// version. PutPolicy, GetPolicy, ListPolicies, ListPolicyVersions and
// DeletePolicy (which stores a disabled version) go through the
// authorizer, each judged on the policy's scope (Action.Scope).
//
// While a release is in memory it keeps each policy's verdict for as long
// as nothing the rule reads can have changed (release.PolicyEvaluator): a
// rule that reads nothing of the activity is evaluated once for the
// release, one that reads only the activity's type, labels, adapter kind
// or subprocess once per kind of activity, and the group memberships a
// rule asked about are asked again (Config.ResolveGroup) at every start.
//
// Traceability links (commits, pull requests, builds, artifacts, tickets,
// deployments) come from adapters (adapters.Result.Links and the
// Reporter) and from people and hosts (AddLink, authorized as
// ActionAddLink), on a release, an activity or a task, recorded as
// link.added. An invalid link is refused with ErrInvalid naming the field;
// one reported by an adapter fails its attempt (permanently), keeping its
// valid links. With a store that implements store.LinkStore (memstore,
// sqlite and postgres do), FindLinks answers which releases carried a
// commit, an artifact or a ticket, Deployments what version of each
// service runs in each environment now (the deployment links of
// activities that succeeded, the last success winning, a rollback
// restoring the one before), DeploymentHistory since when, and
// DeploymentConflicts which deployment two releases claim; each shows a
// reader only the releases it may view (ActionView). A host reading the
// store's index directly (store.LinkStore) bypasses that check.
//
// A host that must not create a release twice for one request (a retried
// webhook, a CI run) gives CreateParams.ID: a second Create with that id
// fails matching store.ErrAlreadyExists.
//
// Every change is stored before it is acted on. Run resumes unfinished
// releases after a restart; with a store that implements store.Leaser,
// several executors share the work, one per release at a time. A release
// waiting on a person or a timer holds no goroutine and no memory beyond a
// timer entry: timers (backoff, timeouts, deadlines, scheduled starts) live
// in one structure waiting on the injected Clock.
//
// A restart costs in proportion to the work in flight, not to the releases
// waiting. With a store that implements store.UnfinishedLister (memstore,
// sqlite and postgres do), Run reads each unfinished release's resume hint
// (release.Resume) from one index, loads only the releases with work to
// drive now (an attempt to re-run, a retry, a rollback), and gives each
// release that waits on people or a timer one timer entry at its next
// wake-up, loading it when that fires or when someone acts on it. Scans
// (Run's first and each RescanInterval) never overlap: a rescan due while
// one runs is skipped.
//
// Many executors, in one process or many, may share a store with leases.
// Each needs its own Config.InstanceID (the default is unique per New; a
// replica that keeps a stable id takes its leases back at once after a
// restart). An action taken through an executor that does not drive the
// release (another replica holds it, or Run is not running there, as in
// an API server) is recorded at once; with a store that implements
// store.ReleaseNotifier (memstore, postgres) the write notifies, and the
// running executor that holds the release, or any running one when none
// does, loads it and acts on it without waiting for a rescan. A release
// whose driver died is taken over once its lease expires
// (LeaseDuration), at the next rescan. A negative Config.RescanInterval
// turns the periodic rescans off, for one executor alone on its store (a
// test on a virtual clock): nothing then takes over expired leases, and
// freezes, policies and groups changed by others go unseen.
//
// Usage:
//
//	reg := adapters.NewRegistry(adapters.Func("cd.deploy", deploy))
//	ex, err := executor.New(memstore.New(nil), reg, &executor.Config{Parallelism: 8})
//	if err != nil {
//		return err
//	}
//	if err := ex.Launch(ctx); err != nil { // or ex.Run(ctx), which blocks
//		return err
//	}
//	defer ex.Shutdown(stopCtx) // graceful: adapter calls in flight finish, up to stopCtx's deadline
//	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "mobile-app", By: executor.By{Actor: "alice"},
//		Inputs: map[string]any{"version": "2.4.0"}})
//	// ...
//	err = ex.Approve(ctx, sum.ID, "qa.signoff", &executor.DecisionParams{By: executor.By{Actor: "bob", Reason: "tested on staging"}})
//
// The Examples run these whole: Example (an approval, Why), ExampleExecutor_Retry
// and ExampleExecutor_Ignore (an activity on hold), ExampleExecutor_Abort,
// ExampleExecutor_Why, ExampleExecutor_PutGroup and ExampleExecutor_AddLink.
package executor
