// Package release models one execution of a pinned process version: its
// statuses and their legal transitions, the typed events that change it, the
// fold that rebuilds it from its events, the tamper-evident hash chain of
// those events, traceability links, release groups, and the views derived
// from it (progress, health, what waits on whom, timeline).
//
// Every change to a release is an Event (kind, actor, time, reason, typed
// payload), and Apply is the only way a Release changes, so folding a
// release's events from the first (Fold) reproduces it exactly. Events are
// sealed into a hash chain (Seal): each carries its sequence number and the
// SHA-256 of its canonical encoding, which covers the previous event's hash;
// VerifyChain finds the first altered, removed or reordered event. Since
// anyone able to write the events can compute a new chain, a host may also
// seal each head with a key (Sealer: HMACKey, Ed25519Signer) into an
// Anchor; VerifyBundle checks a release's events and anchors (a Bundle)
// with nothing but the key, and detects a chain rewritten with every hash
// recomputed.
//
//	id, _ := release.NewID(now, nil)
//	r, created, err := release.Create(id, now, "alice", "weekly train", release.ReleaseCreatedPayload{
//		Name: "Mobile 2.4", Process: p, Inputs: map[string]any{"version": "2.4.0"},
//	})
//	// store created with store.ReleaseStore.CreateRelease, then:
//	start, err := r.RecordPayload(now, "alice", "", release.ReleaseStartedPayload{}) // seal + Apply, all or nothing
//	// append start with store.ReleaseStore.AppendEvents
//	fmt.Println(r.Status, release.Progress(r).Overall)
//
// RecordPayload is Record(NewEvent(...)) for one typed payload. NewEvent
// and Record also take events made elsewhere (an event log being replayed,
// a kind of the host's).
// A ProcessCache, held by whoever creates releases (an executor, for its
// life), pins processes: the releases of one process version share one
// read-only copy, and ProcessCache.Create does not encode it again. The
// package itself keeps no state between calls.
//
// A Group describes releases made on a cadence (a cron spec or RRULE read
// by schedule.Parse, in an IANA zone, between Start and End), with a lead
// time, auto-execute, name and version templates (Names), a catch-up
// window and an overlap policy; Validate lists every problem at once
// (*GroupError, ErrInvalidGroup). GroupRecord is one decision in a group's
// history. The executor's scheduler runs groups.
//
// A Freeze is a stored set of windows during which releases and activities
// in its scope may not start: one-off windows [start, end), recurring ones
// (a schedule spec, a zone, a length in days plus a duration), and the
// events of iCalendar text (an exported .ics). Its FreezeScope holds
// everything, or what matches every criterion set among groups, processes
// and labels (a release on its labels; an activity on its effective labels,
// or always when its release matches). Validate lists every problem at
// once (*FreezeError, ErrInvalidFreeze); Compile gives the windows as a
// schedule.Freezes. A group's FreezePolicy says whether a frozen occurrence
// is skipped or shifted to the freeze's end. The freeze.overridden event
// (FreezeOverriddenPayload) records an operator letting one release, or one
// activity of it, through a freeze; Release.FreezeOverridden answers from
// the folded release.
//
// A Policy is a versioned rule, an expression in the language of process
// documents over the release, the activity about to start, the completed
// approvals and the calendar (see Policy for what it reads), with a scope
// read as a freeze's. Validate lists every problem at once
// (*PolicyValidationError, ErrInvalidPolicy), the rule's with its offset;
// Compile gives a CompiledPolicy whose Eval judges a PolicyInput, bounded
// as process expressions are, and says when the verdict may change with
// time. policy.failed (PolicyFailedPayload) records a version of a policy
// holding a release's start or an activity back, policy.overridden
// (PolicyOverriddenPayload) an operator letting it through;
// Release.PolicyOverridden answers from the folded release.
//
// Event kinds are an open set: Apply counts kinds it does not know and
// otherwise ignores them. Illegal transitions are errors matching ErrIllegal
// (a *TransitionError names the subject and the two statuses); events that
// do not fit (bad payload, unknown activity) are *EventError.
//
// This package is pure: it starts no goroutines and never reads the clock;
// times come from events, and views take `now` as an argument.
package release
