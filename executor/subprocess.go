package executor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/google/uuid"
)

// childNamespace derives child release ids: a child's id is a function of
// its parent, activity and attempt, so that creating it again after a crash
// finds the one already made.
var childNamespace = uuid.MustParse("6f0c1d9e-2b5a-4c43-9a1e-5d0b7c3e8f21")

// ChildID returns the id of the child release that attempt number attempt
// (1 for the first) of the subprocess activity k of release parent runs.
// Child ids are derived, never drawn, so a host finds a child from its
// parent's state: ChildID(r.ID, k, len(r.Activities[k].Attempts)) is the
// child of the latest attempt, which Get reads once the executor made it.
func ChildID(parent release.ID, k release.ActivityKey, attempt int) release.ID {
	return childID(parent, k, attempt)
}

func childID(parent release.ID, k release.ActivityKey, attempt int) release.ID {
	return release.ID(uuid.NewSHA1(childNamespace, []byte(idemKey(parent, k, attempt))).String())
}

// startChild creates and starts the child release of a subprocess attempt
// once the attempt is stored. The child is stored first and started only
// if the parent's attempt is still running then: an abort of the parent
// that came meanwhile found no child to abort, and the child is aborted
// instead of started.
func (r *run) startChild(i int32, attempt int, with map[string]any) {
	ai := &r.p.acts[i]
	parent, depth := r.id, r.depth
	// The child's initiator is the parent's (the top-level release's
	// creator), not the executor that creates it: forbid-initiator in the
	// child must stop the person who started it all.
	initiator := cmp.Or(r.rel.Initiator, r.rel.CreatedBy, r.e.cfg.InstanceID)
	name := r.rel.Name + " / " + string(ai.key)
	inherited := map[string]string{} // what freezes need (see childLabels)
	childLabels(inherited, r.rel, ai.key, r.p.compiled.EffectiveLabels(ai.ref))
	r.effects = append(r.effects, func() {
		e := r.e
		ctx := e.background()
		id := childID(parent, ai.key, attempt)
		var err error
		if depth+1 > e.cfg.MaxDepth {
			err = adapters.Permanent(fmt.Errorf("subprocess nesting too deep: a release at depth %d cannot start a child (limit %d)", depth, e.cfg.MaxDepth))
		} else {
			_, err = e.create(ctx, id, &CreateParams{
				Process: ai.act.Process, ProcessVersion: ai.act.ProcessVersion, Inputs: with,
				Name: name, By: By{Actor: e.cfg.InstanceID, Reason: "subprocess of " + string(parent)},
				Labels: withLabels(inherited, map[string]string{
					LabelParent: string(parent), LabelParentActivity: string(ai.key),
					LabelParentAttempt: strconv.Itoa(attempt), LabelDepth: strconv.Itoa(depth + 1),
				}),
			}, initiator)
			if errors.Is(err, store.ErrAlreadyExists) {
				err = e.checkIsChild(ctx, id, parent, ai.key, attempt)
			}
			if err == nil {
				e.startChildIfWanted(ctx, parent, ai.key, attempt, id)
			}
		}
		if err != nil {
			e.childEnded(parent, ai.key, attempt, nil, adapters.Permanent(err))
		}
	})
}

// isChildOf reports whether labels are those the executor gave the child
// of attempt of parent's activity key.
func isChildOf(labels map[string]string, parent release.ID, key release.ActivityKey, attempt int) bool {
	return labels[LabelParent] == string(parent) && labels[LabelParentActivity] == string(key) &&
		labels[LabelParentAttempt] == strconv.Itoa(attempt)
}

// checkIsChild checks that the release stored under a child's id is that
// child: child ids are derived from the parent, so anyone can compute one
// and create a release under it first. Such a release is never adopted:
// the attempt fails, saying why.
func (e *Executor) checkIsChild(ctx context.Context, id, parent release.ID, key release.ActivityKey, attempt int) error {
	sum, err := e.store.GetReleaseSummary(ctx, id)
	if err != nil {
		return err
	}
	if !isChildOf(sum.Labels, parent, key, attempt) {
		return notChild(sum)
	}
	return nil
}

func notChild(sum *release.Summary) error {
	return fmt.Errorf("release %s (process %s, created by %s) is not this subprocess's child: its id was taken before the child was made", sum.ID, sum.ProcessID, sum.CreatedBy)
}

// startChildIfWanted starts a stored child release if its parent's attempt
// is still running, and aborts it otherwise. It reads the parent from the
// store: the child is stored before, and an abort stores the parent before
// it looks for the child, so one of the two sees the other.
func (e *Executor) startChildIfWanted(ctx context.Context, parent release.ID, key release.ActivityKey, attempt int, id release.ID) {
	want := false
	p, err := e.store.GetRelease(ctx, parent)
	if err == nil {
		want = waitsFor(p, key, attempt)
	}
	switch {
	case err != nil:
		// The parent could not be read: leave the child as it is (a look
		// from the parent, see checkChild, starts it later).
		e.log.Warn("executor: starting a child release", "release", id, "err", err)
	case want:
		e.resumeChild(ctx, id)
	default:
		e.abortOrphan(ctx, id)
	}
}

// abortOrphan aborts a child release its parent no longer waits for.
func (e *Executor) abortOrphan(ctx context.Context, id release.ID) {
	err := e.Abort(consequence(ctx), id, &By{Actor: e.cfg.InstanceID, Reason: "parent release: the subprocess is no longer running"})
	if err != nil && !errors.Is(err, ErrIllegal) {
		e.log.Warn("executor: aborting a child release", "release", id, "err", err)
	}
}

// waitsFor reports whether parent still waits for the child of attempt of
// its activity key.
func waitsFor(parent *release.Release, key release.ActivityKey, attempt int) bool {
	a := parent.Activities[key]
	return !parent.Status.Terminal() && a != nil && a.Status == release.ActivityRunning && len(a.Attempts) == attempt
}

// checkParent aborts a child release, after a load, whose parent no longer
// waits for it: what ended the parent's attempt (an abort, a timeout, the
// parent's end) was stored, and then the executor stopped before it
// aborted the child.
func (r *run) checkParent() {
	rel := r.rel
	parent := release.ID(rel.Labels[LabelParent])
	key := release.ActivityKey(rel.Labels[LabelParentActivity])
	attempt, err := strconv.Atoi(rel.Labels[LabelParentAttempt])
	if err != nil {
		return
	}
	id, e := r.id, r.e
	r.effects = append(r.effects, func() {
		ctx := e.background()
		p, err := e.store.GetRelease(ctx, parent)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				e.log.Warn("executor: reading the parent of a child release", "release", id, "parent", parent, "err", err)
			}
			return
		}
		if !waitsFor(p, key, attempt) {
			e.abortOrphan(ctx, id)
		}
	})
}

// resumeChild makes sure a child release that exists is started.
func (e *Executor) resumeChild(ctx context.Context, id release.ID) {
	err := e.with(ctx, id, func(r *run) error {
		if r.rel.Status == release.Scheduled {
			if r.holdStart() {
				return nil
			}
			r.emit(r.actor(), "subprocess", &release.ReleaseStartedPayload{})
			r.reconcile()
		}
		if r.rel.Status.Terminal() {
			r.notifyParent()
		}
		return nil
	})
	if err != nil {
		e.log.Warn("executor: resuming child release", "release", id, "err", err)
	}
}

// checkChild looks at the child of a running subprocess attempt after a
// reload: it may have ended, or not exist yet. One look per attempt is under
// way at a time: starting a missing child reloads the parent, whose
// reconcile asks for another look, which would otherwise run (and find no
// child) before the child is made, and so on without end.
func (r *run) checkChild(i int32, attempt int) {
	ai := &r.p.acts[i]
	id := childID(r.id, ai.key, attempt)
	parent := r.id
	e := r.e
	k := timerKey{rel: parent, kind: timerChild, act: i, attempt: int32(attempt)}
	r.effects = append(r.effects, func() {
		e.mu.Lock()
		busy := e.checks[k]
		e.checks[k] = true
		e.mu.Unlock()
		if busy {
			return
		}
		defer func() {
			e.mu.Lock()
			delete(e.checks, k)
			e.mu.Unlock()
		}()
		ctx := e.background()
		sum, err := e.store.GetReleaseSummary(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			err := e.with(ctx, parent, func(r *run) error {
				a := r.state(i)
				if a.Status == release.ActivityRunning && len(a.Attempts) == attempt {
					r.startChild(i, attempt, a.Attempts[attempt-1].Inputs)
				}
				return nil
			})
			if err != nil && ctx.Err() == nil && !errors.Is(err, errNotDriver) {
				e.log.Warn("executor: starting a missing child release", "release", id, "err", err)
			}
			return
		case err != nil:
			e.log.Warn("executor: checking child release", "release", id, "err", err)
		case !isChildOf(sum.Labels, parent, ai.key, attempt):
			e.childEnded(parent, ai.key, attempt, nil, adapters.Permanent(notChild(sum)))
			return
		case sum.Status.Terminal():
			e.resumeChild(ctx, id) // notifies the parent
			return
		case sum.Status == release.Scheduled: // stored, and then a crash
			e.startChildIfWanted(ctx, parent, ai.key, attempt, id)
		}
		// Still running (perhaps on another instance): look again later.
		e.timers.set(k, e.clock.Now().Add(e.cfg.PollInterval))
	})
}

// notifyParent tells the parent of a child release that just ended.
func (r *run) notifyParent() {
	rel := r.rel
	parent := release.ID(rel.Labels[LabelParent])
	key := release.ActivityKey(rel.Labels[LabelParentActivity])
	attempt, _ := strconv.Atoi(rel.Labels[LabelParentAttempt])
	if rel.ID != childID(parent, key, attempt) {
		// Not a child the executor made (its id would be derived from
		// these labels): never let it end the parent's subprocess.
		r.e.log.Warn("executor: a release labelled as a child is not one; its parent is not told", "release", rel.ID, "parent", parent)
		return
	}
	var outputs map[string]any
	var err error
	switch rel.Status {
	case release.Succeeded, release.PartialSuccess:
		outputs = childOutputs(rel)
	default:
		msg := fmt.Sprintf("subprocess release %s ended %s", rel.ID, rel.Status)
		if rel.Error != "" {
			msg += ": " + rel.Error
		}
		err = adapters.Permanent(errors.New(msg))
	}
	e := r.e
	r.effects = append(r.effects, func() { e.childEnded(parent, key, attempt, outputs, err) })
}

// childOutputs merges the outputs of a child's activities in document
// order (a later activity's output wins).
func childOutputs(rel *release.Release) map[string]any {
	out := map[string]any{}
	for _, ph := range rel.Process.Phases {
		for _, act := range ph.Activities {
			if a := rel.Activities[release.Key(ph.ID, act.ID)]; a != nil {
				for k, v := range a.Outputs {
					out[k] = v
				}
			}
		}
	}
	return out
}

// childEnded records the end of a subprocess attempt on the parent.
func (e *Executor) childEnded(parent release.ID, key release.ActivityKey, attempt int, outputs map[string]any, cerr error) {
	err := e.with(e.background(), parent, func(r *run) error {
		idx, ok := r.p.index[key]
		if !ok {
			return nil
		}
		i := int32(idx)
		a := r.state(i)
		if a.Status != release.ActivityRunning || len(a.Attempts) != attempt {
			return nil
		}
		r.busy--
		ai := &r.p.acts[i]
		if cerr != nil {
			r.failure(i, cerr, false)
			return nil
		}
		if len(ai.act.Outputs) > 0 {
			kept := make(map[string]any, len(ai.act.Outputs))
			for _, o := range ai.act.Outputs {
				if v, ok := outputs[o]; ok {
					kept[o] = v
				}
			}
			outputs = kept
		}
		r.emit(r.actor(), "", &release.ActivitySucceededPayload{Activity: ai.key, Outputs: outputs})
		r.markDone(i, true)
		return nil
	})
	if err != nil {
		e.log.Warn("executor: recording the end of a subprocess", "release", parent, "err", err)
	}
}
