package executor

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

const linksDoc = `
id: shop
phases:
  - id: build
    labels: {tier: ci}
    activities:
      - {id: compile, uses: ci, labels: {env: prod}}
  - id: qa
    depends-on: [build]
    activities:
      - id: check
        type: manual
        tasks:
          - {id: run-suite, name: Run the suite}
`

// linkAuth records the AddLink actions it is shown and refuses those of
// "mallory".
type linkAuth struct {
	mu   sync.Mutex
	seen []Action
}

func (a *linkAuth) authorize(_ context.Context, act *Action) error {
	if act.Kind != ActionAddLink {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, *act)
	if act.Actor == "mallory" {
		return errors.New("mallory may not add links")
	}
	return nil
}

func (a *linkAuth) last() Action {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen[len(a.seen)-1]
}

func newLinkHarness(t *testing.T) (*harness, *linkAuth, release.ID) {
	t.Helper()
	auth := &linkAuth{}
	h := newHarness(t, &Config{Authorize: auth.authorize}, adapters.Func("ci", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{}, nil
	}))
	h.put(linksDoc)
	sum, err := h.ex.Create(context.Background(), &CreateParams{By: By{Actor: "alice"}, Process: "shop", Labels: map[string]string{"team": "shop"}})
	require.NoError(t, err)
	h.waitActivity(sum.ID, "qa.check", release.ActivityWaiting)
	return h, auth, sum.ID
}

func TestAddLinkRecordsLinksOnAReleaseAnActivityAndATask(t *testing.T) {
	h, auth, id := newLinkHarness(t)
	ctx := context.Background()
	by := By{Actor: "bob", Reason: "traceability"}
	require.NoError(t, h.ex.AddLink(ctx, id, &AddLinkParams{By: by,
		Link: release.Link{Kind: release.LinkTicket, Ref: "CHG-42", URL: "https://jira.example.com/CHG-42", Actor: "someone-else"}}))
	require.Equal(t, Action{Kind: ActionAddLink, Verb: VerbEdit, Resource: ResourceRelease, Release: id, Actor: "bob", Reason: "traceability",
		Process: "shop", ProcessVersion: 1, Labels: map[string]string{"team": "shop"}}, auth.last())

	require.NoError(t, h.ex.AddLink(ctx, id, &AddLinkParams{By: by, Activity: "build.compile",
		Link: release.Link{Kind: release.LinkDeployment, Ref: "deploy-7", Service: "shop", Environment: "prod", Version: "1.4.2"}}))
	got := auth.last()
	require.Equal(t, ResourceActivity, got.Resource)
	require.Equal(t, release.ActivityKey("build.compile"), got.Activity)
	require.Equal(t, map[string]string{"tier": "ci", "env": "prod"}, got.ActivityLabels, "the phase's labels merged under the activity's")
	require.Equal(t, "ci", got.Uses)

	require.NoError(t, h.ex.AddLink(ctx, id, &AddLinkParams{By: by, Activity: "qa.check", Task: "run-suite",
		Link: release.Link{Kind: release.LinkBuild, URL: "https://ci.example.com/b/9"}}))
	require.Equal(t, "run-suite", auth.last().Task)

	r := h.get(id)
	require.Len(t, r.Links, 1)
	require.Equal(t, "bob", r.Links[0].Actor, "the actor is the caller, whatever the link claims")
	require.Equal(t, "CHG-42", r.Links[0].Ref)
	require.Len(t, r.Activity("build.compile").Links, 1)
	require.Equal(t, "1.4.2", r.Activity("build.compile").Links[0].Version)
	task := r.Activity("qa.check").Links
	require.Len(t, task, 1)
	require.Equal(t, "run-suite", task[0].Task)
	events := h.events(id)
	last := events[len(events)-1]
	require.Equal(t, release.KindLinkAdded, last.Kind)
	require.Equal(t, "traceability", last.Reason)
}

func TestAddLinkRefusesWhatItCannotRecord(t *testing.T) {
	h, _, id := newLinkHarness(t)
	ctx := context.Background()
	by := By{Actor: "bob"}
	commit := release.Link{Kind: release.LinkCommit, Ref: "abc123"}
	tests := []struct {
		name string
		p    *AddLinkParams
		is   error
		msg  string
	}{
		{name: "no params", p: nil, is: ErrInvalid, msg: "params: required"},
		{name: "no actor", p: &AddLinkParams{Link: commit}, is: ErrInvalid, msg: "actor: required"},
		{name: "a bad kind", p: &AddLinkParams{By: by, Link: release.Link{Kind: "website", URL: "https://x"}}, is: ErrInvalid, msg: `kind "website"`},
		{name: "no url or ref", p: &AddLinkParams{By: by, Link: release.Link{Kind: release.LinkCommit}}, is: ErrInvalid, msg: "url or ref: one is required"},
		{name: "a deployment without service", p: &AddLinkParams{By: by, Link: release.Link{Kind: release.LinkDeployment, Ref: "d",
			Environment: "prod", Version: "1"}}, is: ErrInvalid, msg: "service: required"},
		{name: "a deployment without environment", p: &AddLinkParams{By: by, Link: release.Link{Kind: release.LinkDeployment, Ref: "d",
			Service: "api", Version: "1"}}, is: ErrInvalid, msg: "environment: required"},
		{name: "a deployment without version", p: &AddLinkParams{By: by, Link: release.Link{Kind: release.LinkDeployment, Ref: "d",
			Service: "api", Environment: "prod"}}, is: ErrInvalid, msg: "version: required"},
		{name: "a url too long", p: &AddLinkParams{By: by, Link: release.Link{Kind: release.LinkBuild,
			URL: "https://ci/" + strings.Repeat("x", 3000)}}, is: ErrInvalid, msg: "url: 3011 bytes, more than 2048"},
		{name: "a control character", p: &AddLinkParams{By: by, Link: release.Link{Kind: release.LinkCommit, Ref: "a\nb"}},
			is: ErrInvalid, msg: "ref"},
		{name: "a task without activity", p: &AddLinkParams{By: by, Task: "run-suite", Link: commit}, is: ErrInvalid, msg: "needs an activity"},
		{name: "an unknown activity", p: &AddLinkParams{By: by, Activity: "qa.nope", Link: commit}, is: ErrNotFound, msg: "qa.nope"},
		{name: "an unknown task", p: &AddLinkParams{By: by, Activity: "qa.check", Task: "nope", Link: commit}, is: ErrNotFound, msg: `task "nope"`},
		{name: "an unknown release", p: &AddLinkParams{By: by, Link: commit}, is: ErrNotFound},
		{name: "an unauthorized actor", p: &AddLinkParams{By: By{Actor: "mallory"}, Link: commit}, is: ErrUnauthorized, msg: "mallory may not"},
	}
	before := len(h.events(id))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := id
			if tc.name == "an unknown release" {
				target = "01890000-0000-7000-8000-000000000000"
			}
			err := h.ex.AddLink(ctx, target, tc.p)
			require.ErrorIs(t, err, tc.is)
			require.ErrorContains(t, err, tc.msg)
		})
	}
	require.Len(t, h.events(id), before, "nothing was recorded")
}

func TestAddLinkWorksOnAFinishedRelease(t *testing.T) {
	h, _, id := newLinkHarness(t)
	ctx := context.Background()
	require.NoError(t, h.ex.CompleteTask(ctx, id, "qa.check", "run-suite", &By{Actor: "alice"}))
	h.waitStatus(id, release.Succeeded)
	require.NoError(t, h.ex.AddLink(ctx, id, &AddLinkParams{By: By{Actor: "auditor"}, Activity: "build.compile",
		Link: release.Link{Kind: release.LinkTicket, Ref: "AUDIT-1"}}))
	r := h.get(id)
	require.Equal(t, release.Succeeded, r.Status)
	require.Equal(t, "AUDIT-1", r.Activity("build.compile").Links[0].Ref)
}

const deployDoc = `
id: ship
inputs:
  version: {type: string, required: true}
  service: {type: string, required: true}
phases:
  - id: prod
    activities:
      - {id: rollout, uses: cd, with: {version: '${{ inputs.version }}', service: '${{ inputs.service }}'}}
`

// cdAdapter reports the deployment it made, as a CD adapter does.
var cdAdapter = adapters.Func("cd", func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
	v, s := req.With["version"].(string), req.With["service"].(string)
	return &adapters.Result{Links: []release.Link{
		{Kind: release.LinkDeployment, Service: s, Environment: "prod", Version: v, URL: "https://cd.example.com/" + s + "/" + v},
		{Kind: release.LinkCommit, Ref: "c-" + v},
	}}, nil
})

// ship runs a release of deployDoc for team to its end.
func ship(t *testing.T, h *harness, team, service, version string) release.ID {
	t.Helper()
	sum, err := h.ex.Create(context.Background(), &CreateParams{By: By{Actor: "alice"}, Process: "ship",
		Inputs: map[string]any{"version": version, "service": service}, Labels: map[string]string{"team": team}})
	require.NoError(t, err)
	h.waitStatus(sum.ID, release.Succeeded)
	h.advance(time.Minute)
	return sum.ID
}

// teamAuth lets everyone do everything but view the releases of team
// "secret" (only "auditor" may).
func teamAuth(_ context.Context, a *Action) error {
	if a.Kind == ActionView && a.Labels["team"] == "secret" && a.Actor != "auditor" {
		return errors.New("secret")
	}
	return nil
}

func TestLinkQueriesShowOnlyTheReleasesTheReaderMayView(t *testing.T) {
	h := newHarness(t, &Config{Authorize: teamAuth}, cdAdapter)
	h.put(deployDoc)
	ctx := context.Background()
	a1 := ship(t, h, "shop", "api", "1.0")
	s2 := ship(t, h, "secret", "api", "1.0") // the same deployment, claimed again
	s3 := ship(t, h, "secret", "api", "2.0")
	w := ship(t, h, "shop", "web", "7")

	// Anonymous and "bob" do not see the secret team's releases.
	for _, by := range []By{{}, {Actor: "bob"}} {
		found, err := h.ex.FindLinks(ctx, &FindLinksParams{By: by, FindLinksParams: store.FindLinksParams{Kind: release.LinkCommit, Ref: "c-1.0"}})
		require.NoError(t, err)
		require.Len(t, found.Links, 1)
		require.Equal(t, a1, found.Links[0].Release)

		now, err := h.ex.Deployments(ctx, &DeploymentsParams{By: by})
		require.NoError(t, err)
		require.Len(t, now.Links, 1, "api's current deployment is secret: left out, not replaced by an older one")
		require.Equal(t, w, now.Links[0].Release)

		hist, err := h.ex.DeploymentHistory(ctx, &DeploymentHistoryParams{By: by,
			ListDeploymentHistoryParams: store.ListDeploymentHistoryParams{Environment: "prod", Service: "api"}})
		require.NoError(t, err)
		require.Len(t, hist.Links, 1)
		require.Equal(t, a1, hist.Links[0].Release)

		conf, err := h.ex.DeploymentConflicts(ctx, &DeploymentConflictsParams{By: by})
		require.NoError(t, err)
		require.Len(t, conf.Conflicts, 1)
		require.Equal(t, 2, conf.Conflicts[0].Releases, "the count says another release claims it")
		require.Len(t, conf.Conflicts[0].Claims, 1)
		require.Equal(t, a1, conf.Conflicts[0].Claims[0].Release)
	}

	// The auditor sees everything.
	auditor := By{Actor: "auditor"}
	now, err := h.ex.Deployments(ctx, &DeploymentsParams{By: auditor})
	require.NoError(t, err)
	require.Len(t, now.Links, 2)
	require.Equal(t, s3, now.Links[0].Release)
	require.Equal(t, "2.0", now.Links[0].Link.Version)
	hist, err := h.ex.DeploymentHistory(ctx, &DeploymentHistoryParams{By: auditor,
		ListDeploymentHistoryParams: store.ListDeploymentHistoryParams{Environment: "prod", Service: "api"}})
	require.NoError(t, err)
	require.Equal(t, []release.ID{s3, s2, a1}, []release.ID{hist.Links[0].Release, hist.Links[1].Release, hist.Links[2].Release})
	conf, err := h.ex.DeploymentConflicts(ctx, &DeploymentConflictsParams{By: auditor})
	require.NoError(t, err)
	require.Len(t, conf.Conflicts[0].Claims, 2)

	_, err = h.ex.FindLinks(ctx, &FindLinksParams{By: auditor})
	require.ErrorIs(t, err, store.ErrInvalid, "neither ref nor url")
	_, err = h.ex.FindLinks(ctx, nil)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestWhatRunsInProdOutlivesTheReleasesThatDeployedIt(t *testing.T) {
	h := newHarness(t, &Config{Authorize: teamAuth}, cdAdapter)
	h.put(deployDoc)
	ctx := context.Background()
	api := ship(t, h, "shop", "api", "1.0")
	web := ship(t, h, "secret", "web", "7")
	for _, id := range []release.ID{api, web} {
		_, err := h.ex.DeleteRelease(ctx, id, &By{Actor: "admin", Reason: "expired"})
		require.NoError(t, err)
	}

	services := func(by By) []string {
		t.Helper()
		now, err := h.ex.Deployments(ctx, &DeploymentsParams{By: by})
		require.NoError(t, err)
		var out []string
		for _, l := range now.Links {
			out = append(out, l.Link.Service+"@"+l.Link.Version+" by "+string(l.Release))
		}
		return out
	}
	require.Equal(t, []string{"api@1.0 by " + string(api)}, services(By{Actor: "bob"}),
		"bob still sees what shop deployed; the secret team's deployment stays hidden, judged on its deletion record's labels")
	require.Equal(t, []string{"api@1.0 by " + string(api), "web@7 by " + string(web)}, services(By{Actor: "auditor"}))

	hist, err := h.ex.DeploymentHistory(ctx, &DeploymentHistoryParams{By: By{Actor: "bob"},
		ListDeploymentHistoryParams: store.ListDeploymentHistoryParams{Environment: "prod", Service: "api"}})
	require.NoError(t, err)
	require.Len(t, hist.Links, 1)

	found, err := h.ex.FindLinks(ctx, &FindLinksParams{By: By{Actor: "auditor"}, FindLinksParams: store.FindLinksParams{Kind: release.LinkCommit, Ref: "c-1.0"}})
	require.NoError(t, err)
	require.Empty(t, found.Links, "the commit links went with the release")
}

func TestDeletionsLeaveOutTheRecordsOfReleasesTheReaderMayNotView(t *testing.T) {
	h := newHarness(t, &Config{Authorize: teamAuth}, cdAdapter)
	h.put(deployDoc)
	ctx := context.Background()
	shop := ship(t, h, "shop", "api", "1.0")
	secret := ship(t, h, "secret", "web", "7")
	for _, id := range []release.ID{shop, secret} {
		_, err := h.ex.DeleteRelease(ctx, id, &By{Actor: "admin", Reason: "expired"})
		require.NoError(t, err)
	}
	deleted := func(by By, only release.ID) []release.ID {
		t.Helper()
		page, err := h.ex.Deletions(ctx, &DeletionsParams{By: by, ListDeletionsParams: store.ListDeletionsParams{Release: only}})
		require.NoError(t, err)
		var out []release.ID
		for _, d := range page.Deletions {
			out = append(out, d.Release)
		}
		return out
	}
	for _, by := range []By{{}, {Actor: "bob"}} {
		require.Equal(t, []release.ID{shop}, deleted(by, ""), "%q sees the deletion of shop's release, not the secret team's", by.Actor)
		require.Empty(t, deleted(by, secret), "%q asking for the secret release's deletion by id gets nothing", by.Actor)
		require.Equal(t, []release.ID{shop}, deleted(by, shop))
	}
	require.Equal(t, []release.ID{shop, secret}, deleted(By{Actor: "auditor"}, ""))
	require.Equal(t, []release.ID{secret}, deleted(By{Actor: "auditor"}, secret))
}

func TestLinkQueriesNeedALinkStore(t *testing.T) {
	h := newHarnessOn(t, hidingStore{loggingStore{Store: memstore.New(nil)}}, nil)
	ctx := context.Background()
	_, err := h.ex.FindLinks(ctx, &FindLinksParams{FindLinksParams: store.FindLinksParams{Ref: "x"}})
	require.ErrorIs(t, err, ErrNoLinkStore)
	_, err = h.ex.Deployments(ctx, &DeploymentsParams{})
	require.ErrorIs(t, err, ErrNoLinkStore)
	_, err = h.ex.DeploymentHistory(ctx, &DeploymentHistoryParams{})
	require.ErrorIs(t, err, ErrNoLinkStore)
	_, err = h.ex.DeploymentConflicts(ctx, &DeploymentConflictsParams{})
	require.ErrorIs(t, err, ErrNoLinkStore)
}
