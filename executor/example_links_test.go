package executor_test

import (
	"context"
	"fmt"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// A person records what the release deployed (on the activity that did
// it) and which commit and ticket it carried; the link queries answer from
// the store's index: what runs in production now, and which releases
// carried a commit.
func ExampleExecutor_AddLink() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindReleaseSucceeded}}, Buffer: 1})
	defer sub.Close()

	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}, Inputs: map[string]any{"env": "production"}})
	if err != nil {
		panic(err)
	}
	if err := ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "bob"}}); err != nil {
		panic(err)
	}
	<-sub.C() // release.succeeded

	by := executor.By{Actor: "carol", Reason: "the CD tool does not report it"}
	for _, p := range []*executor.AddLinkParams{
		{By: by, Activity: "ship.deploy", Link: release.Link{Kind: release.LinkDeployment, Ref: "deploy-1842",
			Service: "web", Environment: "production", Version: "2.4.0"}},
		{By: by, Link: release.Link{Kind: release.LinkCommit, Ref: "9f2c1ab", URL: "https://git.example.com/web/commit/9f2c1ab"}},
		{By: by, Link: release.Link{Kind: release.LinkTicket, Ref: "CHG-7"}},
	} {
		if err := ex.AddLink(ctx, sum.ID, p); err != nil {
			panic(err)
		}
	}
	err = ex.AddLink(ctx, sum.ID, &executor.AddLinkParams{By: by, Link: release.Link{Kind: release.LinkDeployment, Ref: "d", Service: "web"}})
	fmt.Println(err)

	now, err := ex.Deployments(ctx, &executor.DeploymentsParams{ListDeploymentsParams: store.ListDeploymentsParams{Environment: "production"}})
	if err != nil {
		panic(err)
	}
	for _, d := range now.Links {
		fmt.Println(d.Link.Environment, d.Link.Service, d.Link.Version, d.Release == sum.ID)
	}
	found, err := ex.FindLinks(ctx, &executor.FindLinksParams{FindLinksParams: store.FindLinksParams{Kind: release.LinkCommit, Ref: "9f2c1ab"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(found.Links), found.Links[0].Release == sum.ID, found.Links[0].Link.Actor)
	// Output:
	// executor: add-link: invalid argument: release: link (deployment): environment: required
	// production web 2.4.0 true
	// 1 true carol
}
