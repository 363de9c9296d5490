package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// The shape of store/sqlite's BenchmarkLinkQueries: 100,000 releases of
// 10 links each, one a deployment of one of 200 services to dev, staging
// or prod by the release's one activity, which succeeded; a commit is
// carried by 10 releases in a row, and 10 more as a second commit link.
const (
	benchReleases = 100_000
	services      = 200
)

var environments = [...]string{"dev", "staging", "prod"}

func benchCommit(i int) string { return fmt.Sprintf("%040x", 0x9e3779b97f4a7c15*uint64(i/10+1)) }

func linkBenchRelease(tb testing.TB, p *process.Process, i int) (*release.Release, []release.Event) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	id, err := release.ParseID(fmt.Sprintf("0190d000-0000-7000-8000-%012d", i+1))
	if err != nil {
		tb.Fatal(err)
	}
	r, created, err := release.Create(id, at, "ci", "", release.ReleaseCreatedPayload{Name: "r", Process: p})
	if err != nil {
		tb.Fatal(err)
	}
	n := fmt.Sprint(i)
	svc := fmt.Sprintf("svc-%03d", i%services)
	payloads := []release.Payload{
		release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "ship"},
		release.ActivityStartedPayload{Activity: "ship.deploy"},
		release.LinkAddedPayload{Activity: "ship.deploy", Link: release.Link{Kind: release.LinkCommit, Ref: benchCommit(i),
			URL: "https://git.example.com/c/" + benchCommit(i)}},
		release.LinkAddedPayload{Link: release.Link{Kind: release.LinkCommit, Ref: benchCommit(i + 5)}},
		release.LinkAddedPayload{Link: release.Link{Kind: release.LinkPullRequest, Ref: "PR-" + n, URL: "https://git.example.com/pr/" + n}},
		release.LinkAddedPayload{Activity: "ship.deploy", Link: release.Link{Kind: release.LinkBuild, Ref: "build-" + n, URL: "https://ci.example.com/b/" + n}},
		release.LinkAddedPayload{Activity: "ship.deploy", Link: release.Link{Kind: release.LinkArtifact, Ref: "sha256:" + benchCommit(i)[:32] + n}},
		release.LinkAddedPayload{Link: release.Link{Kind: release.LinkTicket, Ref: fmt.Sprintf("CHG-%d", i/3)}},
		release.LinkAddedPayload{Link: release.Link{Kind: release.LinkTicket, Ref: fmt.Sprintf("JIRA-%d", i/7)}},
		release.LinkAddedPayload{Link: release.Link{Kind: release.LinkBuild, Ref: "nightly-" + n}},
		release.ActivitySucceededPayload{Activity: "ship.deploy"},
		release.LinkAddedPayload{Activity: "ship.deploy", Link: release.Link{Kind: release.LinkDeployment, Ref: "deploy-" + n,
			Service: svc, Environment: environments[i%len(environments)], Version: "1." + n}},
		release.LinkAddedPayload{Link: release.Link{Kind: release.LinkTicket, Ref: "REL-" + n}},
		release.PhaseSucceededPayload{Phase: "ship"}, release.ReleaseSucceededPayload{},
	}
	events := make([]release.Event, len(payloads))
	for j, pl := range payloads {
		e, err := release.NewEvent(at, "ci", "", pl)
		if err != nil {
			tb.Fatal(err)
		}
		events[j] = e
	}
	sealed, err := r.Record(events...)
	if err != nil {
		tb.Fatal(err)
	}
	return r, append([]release.Event{created}, sealed...)
}

// BenchmarkLinkQueries is store/sqlite's BenchmarkLinkQueries on
// PostgreSQL: "which releases carried commit X" and "what runs in prod"
// through the link index, and by scanning the events as the baseline. The
// store is made in schema BATON_LINKBENCH_SCHEMA when it is set (and kept,
// as making it takes minutes), else in a fresh schema.
//
//	BATON_POSTGRES_URL=postgres://... BATON_LINKBENCH_SCHEMA=linkbench go test -run='^$' -bench=LinkQueries -benchtime=200x -benchmem ./store/postgres/
func BenchmarkLinkQueries(b *testing.B) {
	ctx := context.Background()
	pool := testPool(b, 8)
	schema := os.Getenv("BATON_LINKBENCH_SCHEMA")
	if schema == "" {
		schema = freshSchema(b, pool)
	}
	var have int // releases already made (a run stopped while making them is completed)
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.releases`).Scan(&have)
	s, err := postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if have < benchReleases {
		p := &process.Process{ID: "ship", Version: 1, Name: "ship", Phases: []process.Phase{{ID: "ship",
			Activities: []process.Activity{{ID: "deploy", Uses: "cd"}}}}}
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < benchReleases; i += 6 {
					r, events := linkBenchRelease(b, p, i)
					if err := s.CreateRelease(ctx, &store.CreateReleaseParams{Events: events, Release: r}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `ANALYZE `+schema+`.links; ANALYZE `+schema+`.events`); err != nil {
			b.Fatal(err)
		}
		b.Logf("made %d releases in %s", benchReleases, time.Since(start).Round(time.Second))
	}
	commit := benchCommit(54_321)
	b.Run("carried-commit/index", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			page, err := s.FindLinks(ctx, &store.FindLinksParams{Kind: release.LinkCommit, Ref: commit})
			if err != nil || len(page.Links) != 20 {
				b.Fatal(err, len(page.Links))
			}
		}
	})
	b.Run("carried-commit/scan-events", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.events WHERE kind = 'link.added' AND position($1::bytea in payload) > 0`,
				[]byte(`"ref":"`+commit+`"`)).Scan(&n); err != nil || n != 20 {
				b.Fatal(err, n)
			}
		}
	})
	b.Run("runs-in-prod/index", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			page, err := s.ListDeployments(ctx, &store.ListDeploymentsParams{Environment: "prod", Limit: services})
			if err != nil || len(page.Links) != services {
				b.Fatal(err, len(page.Links))
			}
		}
	})
	b.Run("runs-in-prod/scan-events", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.events WHERE kind = 'link.added' AND position($1::bytea in payload) > 0`,
				[]byte(`"environment":"prod"`)).Scan(&n); err != nil || n != benchReleases/3 {
				b.Fatal(err, n)
			}
		}
	})
}
