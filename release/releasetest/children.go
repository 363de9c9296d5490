package releasetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// PathSeparator separates the activities of a path that reaches into
// subprocess children: "deploy.smoke/checks.api" is the activity
// checks.api of the child release that the subprocess activity
// deploy.smoke runs (its latest attempt's child), and
// "deploy.smoke/checks.suite/run.api" goes one level deeper. Steps, the
// Require functions and Result.Child take paths wherever they take an
// activity key.
const PathSeparator = "/"

// splitPath splits a path into its activity keys.
func splitPath(path release.ActivityKey) []release.ActivityKey {
	parts := strings.Split(string(path), PathSeparator)
	keys := make([]release.ActivityKey, len(parts))
	for i, p := range parts {
		keys[i] = release.ActivityKey(p)
	}
	return keys
}

// latestChild returns the id of the child release that the latest attempt
// of r's subprocess activity k runs.
func latestChild(r *release.Release, k release.ActivityKey) (release.ID, bool) {
	a := r.Activities[k]
	if a == nil || a.Type != process.Subprocess || len(a.Attempts) == 0 {
		return "", false
	}
	return executor.ChildID(r.ID, k, a.Attempts[len(a.Attempts)-1].Number), true
}

// releaseGetter reads releases: the store during a run, the Result after.
type releaseGetter func(release.ID) (*release.Release, error)

// locate follows the subprocess activities of path from root: with whole
// set, every key of path is a subprocess activity and it returns the
// release the last one runs; else it returns the release that holds the
// path's last activity, and that activity's key. ok is false when a
// child on the way does not exist (yet).
func locate(get releaseGetter, root *release.Release, path release.ActivityKey, whole bool) (rel *release.Release, key release.ActivityKey, ok bool, err error) {
	keys := splitPath(path)
	walk := keys
	if !whole {
		walk, key = keys[:len(keys)-1], keys[len(keys)-1]
	}
	rel = root
	for _, k := range walk {
		id, ok := latestChild(rel, k)
		if !ok {
			return nil, "", false, nil
		}
		if rel, err = get(id); errors.Is(err, store.ErrNotFound) {
			return nil, "", false, nil
		} else if err != nil {
			return nil, "", false, err
		}
	}
	return rel, key, true, nil
}

// descendants returns the ids of the releases in list that descend from
// root through executor.LabelParent, in list order.
func descendants(root release.ID, list []release.Summary) []release.ID {
	in := map[release.ID]bool{root: true}
	var out []release.ID
	for grew := true; grew; {
		grew = false
		for _, s := range list {
			if !in[s.ID] && in[release.ID(s.Labels[executor.LabelParent])] {
				in[s.ID], grew = true, true
				out = append(out, s.ID)
			}
		}
	}
	return out
}

// Child returns the result of the child release that the subprocess
// activity at path runs (its latest attempt's child; a path such as
// "deploy.smoke/checks.suite" reaches a grandchild, see PathSeparator), or
// nil when there is none. Its Events, Children and ChildEvents are the
// child's, so the Require functions check it as they check the release:
//
//	smoke := res.Child("deploy.smoke")
//	releasetest.RequireStatus(t, smoke, release.Succeeded)
//	releasetest.RequireActivity(t, smoke, "checks.api", releasetest.ActivityWant{Attempts: 2})
func (r *Result) Child(path release.ActivityKey) *Result {
	rel, _, ok, err := locate(r.get, r.Release, path, true)
	if err != nil || !ok {
		return nil
	}
	c := &Result{
		Release: rel, Events: r.ChildEvents[rel.ID], ChildEvents: map[release.ID][]release.Event{},
		Start: r.Start, End: r.End, Stopped: r.Stopped, Unused: r.Unused, StepErrors: r.StepErrors, Store: r.Store,
	}
	var list []release.Summary
	for _, x := range r.Children {
		list = append(list, release.Summary{ID: x.ID, Labels: x.Labels})
	}
	for _, id := range descendants(rel.ID, list) {
		i := slices.IndexFunc(r.Children, func(x *release.Release) bool { return x.ID == id })
		c.Children = append(c.Children, r.Children[i])
		c.ChildEvents[id] = r.ChildEvents[id]
	}
	return c
}

// get finds a release of the run in the result.
func (r *Result) get(id release.ID) (*release.Release, error) {
	if r.Release != nil && r.Release.ID == id {
		return r.Release, nil
	}
	for _, c := range r.Children {
		if c.ID == id {
			return c, nil
		}
	}
	return nil, fmt.Errorf("releasetest: release %s: %w", id, store.ErrNotFound)
}

// at returns the release and activity a path names in the result, for
// the Require functions: the activity itself when the path has no
// PathSeparator.
func (r *Result) at(path release.ActivityKey) (*Result, release.ActivityKey) {
	i := strings.LastIndex(string(path), PathSeparator)
	if i < 0 {
		return r, path
	}
	return r.Child(path[:i]), path[i+1:]
}

// InChild makes a release-wide step (Abort, RollBack, Do, Restart's
// timing) act on the child release that the subprocess activity at path
// runs (see PathSeparator) instead of the release Run created. The step
// happens once that child exists and runs; After then counts from the
// child's start.
//
//	h.Abort("sre", "smoke tests hang").InChild("deploy.smoke").After(10 * time.Minute)
func (s *Step) InChild(path release.ActivityKey) *Step { s.child = path; return s }

// Do scripts an arbitrary call on the executor at a scripted time, for
// what the other steps do not cover (a Pause, a Comment, PutFreeze while
// the release runs, a Reschedule...). f receives the run's executor and the
// release's id (the child's with InChild); its error is the step's, so
// ExpectError and MayFail apply. Like Abort, it happens once the release
// has started and before it ends (Running or Paused), After counting from
// its start; WhenRunning ties it to an attempt.
// what describes the step in messages.
//
//	h.Do("sre pauses the release", func(ctx context.Context, ex *executor.Executor, id release.ID) error {
//		return ex.Pause(ctx, id, &executor.By{Actor: "sre"})
//	}).After(30 * time.Minute)
func (h *Harness) Do(what string, f func(ctx context.Context, ex *executor.Executor, id release.ID) error) *Step {
	return h.add(&Step{kind: stepDo, actor: what, do: f})
}
