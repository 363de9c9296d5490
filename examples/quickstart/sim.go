package main

import (
	"context"
	"fmt"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
)

// simulated returns the local adapters the quickstart runs with: each
// pretends to be a real system (a CI server, a deployer, a flag service, a
// chat webhook) and takes a short real time, scaled by pace.
func simulated(pace float64) *adapters.Registry {
	wait := func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(time.Duration(float64(d) * pace))
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	str := func(req *adapters.Request, key string) string { s, _ := req.With[key].(string); return s }

	ci := adapters.Func("ci.pipeline", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		pipeline := str(req, "pipeline")
		d := map[string]time.Duration{"mobile-build": 2 * time.Second, "mobile-unit-tests": 1500 * time.Millisecond,
			"publish": 700 * time.Millisecond}[pipeline]
		if d == 0 {
			d = time.Second // the smoke checks
		}
		if err := wait(ctx, d); err != nil {
			return nil, err
		}
		switch pipeline {
		case "mobile-build":
			return &adapters.Result{
				Outputs: map[string]any{"artifact": "mobile-" + str(req, "ref") + ".zip", "commit": "3f9c2e1"},
				Links:   []release.Link{{Kind: release.LinkBuild, Ref: "mobile-build#1842", URL: "https://ci.example.com/mobile-build/1842"}},
			}, nil
		case "publish":
			url := "https://artifacts.example.com/mobile/" + str(req, "artifact")
			return &adapters.Result{
				Outputs: map[string]any{"artifact-url": url},
				Links:   []release.Link{{Kind: release.LinkArtifact, Ref: str(req, "artifact"), URL: url}},
			}, nil
		}
		return &adapters.Result{}, nil
	})
	deploy := adapters.Func("cd.deploy", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		d := time.Second
		if str(req, "environment") == "production" {
			d = 2 * time.Second
		}
		if err := wait(ctx, d); err != nil {
			return nil, err
		}
		return &adapters.Result{Links: []release.Link{{Kind: release.LinkDeployment, URL: "https://deploy.example.com/mobile",
			Service: "mobile-app", Environment: str(req, "environment"), Version: str(req, "artifact")}}}, nil
	})
	quick := func(kind string, d time.Duration) adapters.Adapter {
		return adapters.Func(kind, func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
			if err := wait(ctx, d); err != nil {
				return nil, err
			}
			return &adapters.Result{}, nil
		})
	}
	return adapters.NewRegistry(ci, deploy,
		quick("cd.rollback", time.Second),
		quick("flags.enable", 500*time.Millisecond),
		quick("flags.disable", 500*time.Millisecond),
		// "http" would be adapters/http posting to a chat webhook; here it
		// only pretends, so the quickstart needs no network.
		quick("http", 300*time.Millisecond),
	)
}

// actor is a scripted person: when activity waits, after a delay, act.
type actor struct {
	activity release.ActivityKey
	after    time.Duration
	who      string
	what     string
	act      func(ctx context.Context, a *release.ActivityState) error
	done     bool
}

func (a *actor) String() string { return fmt.Sprintf("%s %s", a.who, a.what) }
