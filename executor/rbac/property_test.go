package rbac_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/rbac"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"
)

// shopDoc runs, at once: a deploy that fails and is held, a manual check
// (staging), an approval and a subprocess (prod) and an unlabelled manual
// activity. Its subprocess, smokeDoc, has an unlabelled held probe and a
// staging manual activity: a child release carries labels its activities
// do not.
const shopDoc = `
id: shop
phases:
  - id: stage
    labels: {env: staging}
    activities:
      - {id: deploy, uses: flaky, on-failure: hold}
      - {id: check, type: manual, labels: {team: qa}, tasks: [{id: t1, name: Check}]}
  - id: prod
    activities:
      - {id: gate, type: approval, labels: {env: prod}, approval: {approvers: [group:cab], min: 1}}
      - {id: smoke, type: subprocess, process: smoke, labels: {env: prod}}
      - {id: notes, type: manual, outputs: [url], tasks: [{id: t1, name: Notes}]}
`

const smokeDoc = `
id: smoke
phases:
  - id: run
    activities:
      - {id: probe, uses: flaky, on-failure: hold}
      - {id: sign, type: manual, labels: {env: staging}, tasks: [{id: t1, name: Sign}]}
`

// activityLabels are the effective labels of every activity, written out
// by hand from the documents above (the model the test judges by).
var activityLabels = map[process.ID]map[release.ActivityKey]map[string]string{
	"shop": {
		"stage.deploy": {"env": "staging"},
		"stage.check":  {"env": "staging", "team": "qa"},
		"prod.gate":    {"env": "prod"},
		"prod.smoke":   {"env": "prod"},
		"prod.notes":   {},
	},
	"smoke": {
		"run.probe": {},
		"run.sign":  {"env": "staging"},
	},
}

// directory is the host's group directory, for both the executor
// (approvers) and the authorizer.
var directory = map[string][]string{"ops": {"alice", "bob"}, "cab": {"bob", "dave"}, "qa": {"carol"}}

func resolve(_ context.Context, g string) ([]string, error) { return directory[g], nil }

// verbOf is the verb each action needs, written out by hand.
var verbOf = map[executor.ActionKind]executor.Verb{
	executor.ActionView: executor.VerbView, executor.ActionCreate: executor.VerbCreate,
	executor.ActionStart: executor.VerbExecute, executor.ActionPause: executor.VerbExecute, executor.ActionResume: executor.VerbExecute,
	executor.ActionRetry: executor.VerbExecute, executor.ActionIgnore: executor.VerbExecute, executor.ActionSkip: executor.VerbExecute,
	executor.ActionUpdateTask: executor.VerbExecute, executor.ActionComment: executor.VerbExecute, executor.ActionSubmitOutputs: executor.VerbExecute,
	executor.ActionPauseGroup: executor.VerbExecute, executor.ActionResumeGroup: executor.VerbExecute,
	executor.ActionAbort: executor.VerbAbort, executor.ActionRollBack: executor.VerbAbort,
	executor.ActionReschedule: executor.VerbEdit, executor.ActionPutProcess: executor.VerbEdit, executor.ActionPutGroup: executor.VerbEdit,
	executor.ActionPutFreeze: executor.VerbEdit, executor.ActionDeleteFreeze: executor.VerbDelete,
	executor.ActionApprove: executor.VerbApprove, executor.ActionReject: executor.VerbApprove,
	executor.ActionBypassApproval: executor.VerbBypassApproval, executor.ActionOverrideFreeze: executor.VerbOverrideFreeze,
	executor.ActionAddLink: executor.VerbEdit,
}

// modelRoles are the roles' verbs as the test expects them.
var modelRoles = map[string][]executor.Verb{
	rbac.Viewer:         {executor.VerbView},
	rbac.Operator:       {executor.VerbView, executor.VerbCreate, executor.VerbExecute, executor.VerbAbort},
	rbac.Approver:       {executor.VerbView, executor.VerbApprove},
	rbac.ReleaseManager: {executor.VerbView, executor.VerbCreate, executor.VerbEdit, executor.VerbDelete, executor.VerbExecute, executor.VerbAbort, executor.VerbApprove},
	rbac.Admin:          rbac.KnownVerbs(),
	"breaker":           {executor.VerbOverrideFreeze, executor.VerbBypassApproval},
}

var (
	subjects = []string{"alice", "bob", "carol", "dave", "group:ops", "group:cab", rbac.Authenticated, rbac.Anonymous}
	actors   = []string{"alice", "bob", "carol", "dave", "eve", ""} // eve is bound to nothing
	scopes   = []rbac.Scope{rbac.Everything, {Process: "shop"}, {Process: "smoke"}, {Group: "nightly"},
		{Labels: map[string]string{"env": "prod"}}, {Labels: map[string]string{"env": "staging"}},
		{Labels: map[string]string{"team": "qa"}}, {Process: "shop", Labels: map[string]string{"env": "prod"}}}
	labelChoices = []map[string]string{nil, {"env": "prod"}, {"env": "staging"}, {"team": "qa"}}
)

// subject is what an action is about, as the test knows it.
type subject struct {
	process  process.ID
	group    release.GroupID
	labels   map[string]string
	activity map[string]string // nil: not an activity
}

// allowed is the model: does a binding of actor grant verb over s?
func allowed(bindings []rbac.Binding, actor string, verb executor.Verb, s subject) bool {
	for _, b := range bindings {
		var mine bool
		switch {
		case actor == "":
			mine = b.Subject == rbac.Anonymous
		case b.Subject == actor, b.Subject == rbac.Authenticated:
			mine = true
		case len(b.Subject) > 6 && b.Subject[:6] == "group:":
			mine = slices.Contains(directory[b.Subject[6:]], actor)
		}
		if !mine || !slices.Contains(modelRoles[b.Role], verb) {
			continue
		}
		if covers(b.Scope, s) {
			return true
		}
	}
	return false
}

func covers(sc rbac.Scope, s subject) bool {
	if sc.All {
		return true
	}
	if sc.Process != "" && sc.Process != s.process || sc.Group != "" && sc.Group != s.group {
		return false
	}
	for k, v := range sc.Labels {
		got, ok := s.activity[k]
		if !ok {
			got, ok = s.labels[k]
		}
		if !ok || got != v {
			return false
		}
	}
	return true
}

// decision is one call of the authorizer.
type decision struct {
	act executor.Action
	err error
}

// world is one run of the property: an executor on memstore with
// random bindings, driven by random calls.
type world struct {
	t        *testing.T
	rng      *rand.Rand
	seed     uint64
	ex       *executor.Executor
	st       *memstore.Store
	clk      *clock.Mock
	bindings []rbac.Binding

	mu        sync.Mutex
	decisions []decision

	releases map[release.ID]subject // every release the test knows, children included
	ids      []release.ID
	children int // decisions on child releases, to show the path is taken

	stats map[string]int
}

func (w *world) authorize(authz *rbac.Authorizer) func(context.Context, *executor.Action) error {
	return func(ctx context.Context, a *executor.Action) error {
		err := authz.Authorize(ctx, a)
		c := *a
		w.mu.Lock()
		w.decisions = append(w.decisions, decision{act: c, err: err})
		w.mu.Unlock()
		return err
	}
}

// learnChildren adds the child releases the executor made to the model:
// the subprocess's process, the group of the release tree, the parent's
// labels with the subprocess activity's over them.
func (w *world) learnChildren(ctx context.Context) {
	page, err := w.st.ListReleases(ctx, &store.ListReleasesParams{Limit: store.MaxLimit})
	require.NoError(w.t, err)
	for changed := true; changed; {
		changed = false
		for _, sum := range page.Releases {
			if _, ok := w.releases[sum.ID]; ok {
				continue
			}
			parent, ok := w.releases[release.ID(sum.Labels[executor.LabelParent])]
			require.True(w.t, ok || sum.Labels[executor.LabelParent] != "", "seed %d: release %s appeared from nowhere", w.seed, sum.ID)
			if !ok {
				continue // its parent is a child not learnt yet
			}
			key := release.ActivityKey(sum.Labels[executor.LabelParentActivity])
			require.Equal(w.t, process.ID("smoke"), sum.ProcessID)
			labels := maps.Clone(parent.labels)
			if labels == nil {
				labels = map[string]string{}
			}
			maps.Copy(labels, activityLabels[parent.process][key])
			w.releases[sum.ID] = subject{process: sum.ProcessID, group: parent.group, labels: labels}
			w.ids = append(w.ids, sum.ID)
			changed = true
		}
	}
}

// call runs one action by actor on s through fn, then checks every
// decision the authorizer made meanwhile against the model.
func (w *world) call(kind executor.ActionKind, actor string, s subject, child bool, fn func() error) {
	w.callOn(kind, actor, []subject{s}, child, fn)
}

// callOn runs one action by actor through fn that must be allowed on every
// subject of ss (a freeze replaced: on its new scope, then its stored
// one), asked in that order until one is refused, then checks each
// decision against the model.
func (w *world) callOn(kind executor.ActionKind, actor string, ss []subject, child bool, fn func() error) {
	w.mu.Lock()
	w.decisions = nil
	w.mu.Unlock()
	err := fn()
	w.mu.Lock()
	ds := w.decisions
	w.mu.Unlock()
	want, asked := true, len(ss)
	for i, s := range ss {
		if !allowed(w.bindings, actor, verbOf[kind], s) {
			want, asked = false, i+1
			break
		}
	}
	s := ss[0]
	where := fmt.Sprintf("seed %d: %s by %q on %+v (bindings %+v)", w.seed, kind, actor, ss, w.bindings)
	if len(ds) == 0 {
		// Refused before the authorizer was asked (bad arguments, an
		// unknown activity): it must not have done anything.
		require.Error(w.t, err, "%s: done without asking the authorizer", where)
		require.NotErrorIs(w.t, err, executor.ErrUnauthorized, where)
		w.stats["not asked"]++
		return
	}
	if len(ss) > 1 {
		require.Len(w.t, ds, asked, "%s: asked the authorizer on each subject until one was refused", where)
	}
	for i, d := range ds {
		require.Equal(w.t, kind, d.act.Kind, where)
		require.Equal(w.t, actor, d.act.Actor, where)
		require.Equal(w.t, verbOf[kind], d.act.Verb, where)
		if allowed(w.bindings, actor, verbOf[kind], ss[min(i, len(ss)-1)]) {
			require.NoError(w.t, d.err, where)
		} else {
			require.ErrorIs(w.t, d.err, rbac.ErrDenied, where)
		}
	}
	if len(ss) > 1 && !want && allowed(w.bindings, actor, verbOf[kind], ss[0]) {
		w.stats["re-scoping refused on the stored scope"]++
	}
	if want {
		require.NotErrorIs(w.t, err, executor.ErrUnauthorized, where)
		w.stats["allowed"]++
	} else {
		require.ErrorIs(w.t, err, executor.ErrUnauthorized, where)
		require.ErrorIs(w.t, err, rbac.ErrDenied, where)
		w.stats["denied"]++
	}
	if child {
		w.stats["on a child release, "+map[bool]string{true: "allowed", false: "denied"}[want]]++
	}
	if s.activity != nil {
		for k, v := range s.activity {
			if rv, ok := s.labels[k]; ok && rv != v || !ok {
				w.stats["on an activity labelled unlike its release, "+map[bool]string{true: "allowed", false: "denied"}[want]]++
				break
			}
		}
	}
	if s.group != "" {
		w.stats["on a group's release or the group, "+map[bool]string{true: "allowed", false: "denied"}[want]]++
	}
}

func (w *world) pick(n int) int { return w.rng.IntN(n) }

// step makes one random call.
func (w *world) step(ctx context.Context) {
	actor := actors[w.pick(len(actors))]
	by := executor.By{Actor: actor, Reason: "because"}
	rid := w.ids[w.pick(len(w.ids))]
	rs := w.releases[rid]
	_, isChild := rs.labels[executor.LabelParent]
	isChild = isChild || w.isChild(rid)
	keys := slices.Sorted(maps.Keys(activityLabels[rs.process]))
	key := keys[w.pick(len(keys))]
	as := rs
	as.activity = activityLabels[rs.process][key]
	switch w.pick(30) {
	case 0, 1:
		proc := []process.ID{"shop", "smoke"}[w.pick(2)]
		group := []release.GroupID{"", "nightly"}[w.pick(2)]
		labels := labelChoices[w.pick(len(labelChoices))]
		p := &executor.CreateParams{By: by, Process: proc, Group: group, Labels: maps.Clone(labels)}
		if w.pick(2) == 0 {
			p.ScheduledFor = w.clk.Now().Add(time.Hour)
		}
		var sum release.Summary
		w.call(executor.ActionCreate, actor, subject{process: proc, group: group, labels: labels}, false, func() (err error) {
			sum, err = w.ex.Create(ctx, p)
			return err
		})
		if sum.ID != "" {
			w.releases[sum.ID] = subject{process: proc, group: group, labels: labels}
			w.ids = append(w.ids, sum.ID)
		}
	case 2:
		w.call(executor.ActionStart, actor, rs, isChild, func() error { return w.ex.Start(ctx, rid, &by) })
	case 3:
		w.call(executor.ActionPause, actor, rs, isChild, func() error { return w.ex.Pause(ctx, rid, &by) })
	case 4:
		w.call(executor.ActionResume, actor, rs, isChild, func() error { return w.ex.Resume(ctx, rid, &by) })
	case 5:
		w.call(executor.ActionAbort, actor, rs, isChild, func() error { return w.ex.Abort(ctx, rid, &by) })
	case 6:
		w.call(executor.ActionRollBack, actor, rs, isChild, func() error { return w.ex.RollBack(ctx, rid, &by) })
	case 7:
		w.call(executor.ActionReschedule, actor, rs, isChild, func() error {
			return w.ex.Reschedule(ctx, rid, &executor.RescheduleParams{By: by, At: w.clk.Now().Add(2 * time.Hour)})
		})
	case 8:
		if w.pick(2) == 0 {
			w.call(executor.ActionComment, actor, rs, isChild, func() error {
				return w.ex.Comment(ctx, rid, &executor.CommentParams{By: by, Text: "hi"})
			})
		} else {
			w.call(executor.ActionComment, actor, as, isChild, func() error {
				return w.ex.Comment(ctx, rid, &executor.CommentParams{By: by, Activity: key, Text: "hi"})
			})
		}
	case 9:
		w.call(executor.ActionRetry, actor, as, isChild, func() error { return w.ex.Retry(ctx, rid, key, &executor.RetryParams{By: by}) })
	case 10:
		w.call(executor.ActionIgnore, actor, as, isChild, func() error { return w.ex.Ignore(ctx, rid, key, &executor.IgnoreParams{By: by}) })
	case 11:
		w.call(executor.ActionSkip, actor, as, isChild, func() error { return w.ex.Skip(ctx, rid, key, &by) })
	case 12:
		w.call(executor.ActionUpdateTask, actor, as, isChild, func() error { return w.ex.CompleteTask(ctx, rid, key, "t1", &by) })
	case 13:
		w.call(executor.ActionSubmitOutputs, actor, as, isChild, func() error {
			return w.ex.SubmitOutputs(ctx, rid, key, &executor.OutputsParams{By: by, Outputs: map[string]any{"url": "https://x"}})
		})
	case 14:
		w.call(executor.ActionApprove, actor, as, isChild, func() error { return w.ex.Approve(ctx, rid, key, &executor.DecisionParams{By: by}) })
	case 15:
		w.call(executor.ActionReject, actor, as, isChild, func() error { return w.ex.Reject(ctx, rid, key, &executor.DecisionParams{By: by}) })
	case 16:
		w.call(executor.ActionBypassApproval, actor, as, isChild, func() error {
			return w.ex.BypassApproval(ctx, rid, key, &executor.BypassParams{By: by})
		})
	case 17:
		w.call(executor.ActionOverrideFreeze, actor, as, isChild, func() error {
			return w.ex.OverrideFreeze(ctx, rid, key, &executor.OverrideFreezeParams{By: by, Freeze: "xmas"})
		})
	case 18:
		doc := map[int]string{0: shopDoc, 1: smokeDoc}[w.pick(2)]
		p, err := process.Parse([]byte(doc))
		require.NoError(w.t, err)
		w.call(executor.ActionPutProcess, actor, subject{process: p.ID}, false, func() error {
			_, err := w.ex.PutProcess(ctx, &executor.PutProcessParams{By: by, Process: p})
			return err
		})
	case 19:
		g, err := w.st.GetGroup(ctx, "nightly")
		require.NoError(w.t, err)
		g.Name = fmt.Sprintf("Nightly %d", w.pick(100))
		w.call(executor.ActionPutGroup, actor, subject{group: "nightly", process: "shop"}, false, func() error {
			_, err := w.ex.PutGroup(ctx, &executor.PutGroupParams{By: by, Group: g})
			return err
		})
	case 20:
		kind, fn := executor.ActionPauseGroup, w.ex.PauseGroup
		if w.pick(2) == 0 {
			kind, fn = executor.ActionResumeGroup, w.ex.ResumeGroup
		}
		w.call(kind, actor, subject{group: "nightly", process: "shop"}, false, func() error { return fn(ctx, "nightly", &by) })
	case 21, 28, 29:
		// Put the freeze with a random scope: a new one is judged on its
		// scope, a replacement on the new scope and the stored one.
		sc := freezeScopes[w.pick(len(freezeScopes))].Clone()
		f := &release.Freeze{ID: "xmas", Name: "Christmas", Enabled: true, Scope: sc,
			Windows: []release.FreezeWindow{{Start: w.clk.Now().Add(24 * time.Hour), End: w.clk.Now().Add(48 * time.Hour)}}}
		ss := []subject{scopeSubject(&sc)}
		if old, err := w.st.GetFreeze(ctx, "xmas"); err == nil {
			f.Revision = old.Revision
			ss = append(ss, scopeSubject(&old.Scope))
		}
		w.callOn(executor.ActionPutFreeze, actor, ss, false, func() error {
			_, err := w.ex.PutFreeze(ctx, &executor.PutFreezeParams{By: by, Freeze: f})
			return err
		})
	case 22:
		w.call(executor.ActionDeleteFreeze, actor, w.freezeSubject(ctx), false, func() error { return w.ex.DeleteFreeze(ctx, "xmas", &by) })
	case 23:
		// A freeze is read by its scope.
		w.call(executor.ActionView, actor, w.freezeSubject(ctx), false, func() error {
			_, err := w.ex.GetFreeze(ctx, "xmas", &by)
			return err
		})
	case 24:
		w.call(executor.ActionView, actor, rs, isChild, func() error {
			_, err := w.ex.Get(ctx, rid, &by)
			return err
		})
	case 25:
		w.list(ctx, actor)
	case 27:
		l := release.Link{Kind: release.LinkTicket, Ref: "OPS-1"}
		if w.pick(2) == 0 {
			w.call(executor.ActionAddLink, actor, rs, isChild, func() error {
				return w.ex.AddLink(ctx, rid, &executor.AddLinkParams{By: by, Link: l})
			})
		} else {
			w.call(executor.ActionAddLink, actor, as, isChild, func() error {
				return w.ex.AddLink(ctx, rid, &executor.AddLinkParams{By: by, Activity: key, Link: l})
			})
		}
	case 26:
		// Why reads one activity: judged on its labels over the release's.
		w.call(executor.ActionView, actor, as, isChild, func() error {
			_, err := w.ex.Why(ctx, rid, key, &by)
			return err
		})
	}
}

// list reads every release and every freeze as actor: each page must
// show exactly what the model lets actor view, and each decision of the
// authorizer must be the model's.
func (w *world) list(ctx context.Context, actor string) {
	by := executor.By{Actor: actor}
	w.mu.Lock()
	w.decisions = nil
	w.mu.Unlock()
	page, err := w.ex.List(ctx, &executor.ListParams{By: by, ListReleasesParams: store.ListReleasesParams{Limit: store.MaxLimit}})
	require.NoError(w.t, err)
	var got, want []release.ID
	for _, s := range page.Releases {
		got = append(got, s.ID)
	}
	all, err := w.st.ListReleases(ctx, &store.ListReleasesParams{Limit: store.MaxLimit})
	require.NoError(w.t, err)
	for _, s := range all.Releases {
		m, ok := w.releases[s.ID]
		if !ok {
			continue // a child made since the last step: judged next time
		}
		if allowed(w.bindings, actor, executor.VerbView, m) {
			want = append(want, s.ID)
		}
		w.stats["listed, "+map[bool]string{true: "shown", false: "left out"}[allowed(w.bindings, actor, executor.VerbView, m)]]++
	}
	for _, id := range got {
		if _, ok := w.releases[id]; !ok {
			want = append(want, id) // not in the model yet; not judged
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	require.Equal(w.t, want, got, "seed %d: releases listed to %q (bindings %+v)", w.seed, actor, w.bindings)

	fp, err := w.ex.ListFreezes(ctx, &executor.ListFreezesParams{By: by})
	require.NoError(w.t, err)
	_, ferr := w.st.GetFreeze(ctx, "xmas")
	shown := ferr == nil && allowed(w.bindings, actor, executor.VerbView, w.freezeSubject(ctx))
	require.Equal(w.t, shown, len(fp.Freezes) == 1, "seed %d: freezes listed to %q (bindings %+v)", w.seed, actor, w.bindings)
	w.mu.Lock()
	ds := w.decisions
	w.mu.Unlock()
	for _, d := range ds {
		require.Equal(w.t, executor.ActionView, d.act.Kind)
		require.Equal(w.t, actor, d.act.Actor)
	}
}

// freezeScopes are the scopes the freeze is put with.
var freezeScopes = []release.FreezeScope{
	{All: true},
	{Labels: map[string]string{"env": "prod"}},
	{Labels: map[string]string{"env": "staging"}},
	{Labels: map[string]string{"env": "prod", "team": "qa"}},
	{Processes: []process.ID{"shop"}},
	{Processes: []process.ID{"shop", "smoke"}, Labels: map[string]string{"env": "prod"}},
	{Groups: []release.GroupID{"nightly"}},
}

// scopeSubject is what a freeze scoped to sc is about, as the model sees
// it: what every release or activity it holds has, so that a binding
// covers the freeze when its scope lies within the binding's.
func scopeSubject(sc *release.FreezeScope) subject {
	var s subject
	if sc.All {
		return s
	}
	if len(sc.Processes) == 1 {
		s.process = sc.Processes[0]
	}
	if len(sc.Groups) == 1 {
		s.group = sc.Groups[0]
	}
	s.labels = sc.Labels
	return s
}

// freezeSubject is the subject of the stored freeze; the zero subject
// (covered only over everything) when none is stored.
func (w *world) freezeSubject(ctx context.Context) subject {
	f, err := w.st.GetFreeze(ctx, "xmas")
	if err != nil {
		return subject{}
	}
	return scopeSubject(&f.Scope)
}

func (w *world) isChild(id release.ID) bool {
	rel, err := w.st.GetRelease(context.Background(), id)
	return err == nil && rel.Labels[executor.LabelParent] != ""
}

// randomBindings draws up to 6 bindings; root is always an admin (it sets
// the world up) and takes no part in the random calls.
func randomBindings(rng *rand.Rand) []rbac.Binding {
	bs := []rbac.Binding{{Subject: "root", Role: rbac.Admin, Scope: rbac.Everything}}
	roles := slices.Sorted(maps.Keys(modelRoles))
	for range rng.IntN(7) {
		b := rbac.Binding{Subject: subjects[rng.IntN(len(subjects))], Role: roles[rng.IntN(len(roles))], Scope: scopes[rng.IntN(len(scopes))]}
		if b.Subject == rbac.Anonymous {
			b.Role = rbac.Viewer
		}
		bs = append(bs, b)
	}
	return bs
}

// TestNoSequenceOfCallsGrantsAVerbNotBound drives a real executor on
// memstore with random bindings and random calls by random people (and
// anonymous readers): creating releases (in a group or not, with labels),
// acting on them, on their activities (whose labels differ from the
// release's), on the child releases their subprocesses start, on the
// group, on processes and freezes. Every decision the authorizer makes
// must be the model's (a binding of the actor grants the verb over what
// the action is about, as the test knows it, not as the executor
// describes it), every refusal must reach the caller as ErrUnauthorized
// and ErrDenied, nothing may be done without the authorizer being asked,
// and eve, bound to nothing (unless by a binding of every authenticated
// actor), must appear in no stored event.
func TestNoSequenceOfCallsGrantsAVerbNotBound(t *testing.T) {
	const seeds, steps = 16, 70
	stats := map[string]int{}
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 16))
		w := &world{t: t, rng: rng, seed: seed, releases: map[release.ID]subject{}, stats: stats, bindings: randomBindings(rng)}
		authz, err := rbac.New(&rbac.Rules{Roles: []rbac.Role{{Name: "breaker", Verbs: modelRoles["breaker"]}}, Bindings: w.bindings},
			&rbac.Config{ResolveGroup: resolve})
		require.NoError(t, err)
		b := newBed(t, w.authorize(authz))
		b.putNightly()
		w.ex, w.st, w.clk = b.ex, b.st, b.clk
		ctx, root := context.Background(), b.root
		_, err = w.ex.PutFreeze(ctx, &executor.PutFreezeParams{By: root, Freeze: &release.Freeze{ID: "xmas", Enabled: true,
			Scope: freezeScopes[w.pick(len(freezeScopes))].Clone(), Windows: []release.FreezeWindow{{Start: w.clk.Now().Add(24 * time.Hour), End: w.clk.Now().Add(48 * time.Hour)}}}})
		require.NoError(t, err)
		for _, p := range []*executor.CreateParams{
			{By: root, Process: "shop", Group: "nightly", Labels: map[string]string{"team": "qa"}},
			{By: root, Process: "shop"},
			{By: root, Process: "shop", Labels: map[string]string{"env": "staging"}},
			{By: root, Process: "smoke", Labels: map[string]string{"env": "prod"}},
		} {
			sum, err := w.ex.Create(ctx, p)
			require.NoError(t, err)
			w.releases[sum.ID] = subject{process: p.Process, group: p.Group, labels: p.Labels}
			w.ids = append(w.ids, sum.ID)
		}
		for range steps {
			w.learnChildren(ctx)
			w.step(ctx)
		}
		b.stop()
		eveBound := slices.ContainsFunc(w.bindings, func(b rbac.Binding) bool { return b.Subject == rbac.Authenticated })
		for _, id := range w.ids {
			evs, err := w.st.ListEvents(ctx, &store.ListEventsParams{Release: id, Limit: store.MaxLimit})
			require.NoError(t, err)
			require.NotEmpty(t, evs)
			for _, ev := range evs {
				require.False(t, ev.Actor == "eve" && !eveBound, "seed %d: eve, bound to nothing, did %s on %s (bindings %+v)", seed, ev.Kind, id, w.bindings)
			}
		}
	}
	t.Logf("decisions: %v", stats)
	for _, path := range []string{"allowed", "denied", "on a child release, allowed", "on a child release, denied",
		"on an activity labelled unlike its release, allowed", "on an activity labelled unlike its release, denied",
		"on a group's release or the group, allowed", "on a group's release or the group, denied",
		"re-scoping refused on the stored scope"} {
		require.Positive(t, stats[path], "the path %q was never taken: the property says nothing about it", path)
	}
}
