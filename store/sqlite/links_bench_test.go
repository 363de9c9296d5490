package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// Shape of the link benchmark's store: every release carries linksPer
// links, one of them the deployment of one of services services to one of
// the environments, made by its one activity, which succeeded. A commit is
// carried by 10 releases in a row (a release train).
const (
	benchReleases = 100_000
	linksPer      = 10
	services      = 200
)

var environments = [...]string{"dev", "staging", "prod"}

func benchCommit(i int) string { return fmt.Sprintf("%040x", 0x9e3779b97f4a7c15*uint64(i/10+1)) }

// linkBenchRelease returns release i of the benchmark's store: its events,
// from release.created to its end, and the release after them.
func linkBenchRelease(tb testing.TB, p *process.Process, i int) (*release.Release, []release.Event) {
	at := t0.Add(time.Duration(i) * time.Minute)
	r, created, err := release.Create(newID(tb, i+1), at, "ci", "", release.ReleaseCreatedPayload{Name: "r", Process: p})
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
		events[j] = mustEvent(tb, at, pl)
	}
	sealed, err := r.Record(events...)
	if err != nil {
		tb.Fatal(err)
	}
	return r, append([]release.Event{created}, sealed...)
}

// openLinkBench opens the benchmark's store: the file BATON_LINKBENCH_DB
// names (made on first use and kept, as making it takes minutes), else a
// new one in a temporary directory. It is filled (or, when a run was
// stopped while making it, completed) through CreateRelease,
// the store's normal path, by 4 writers (group commit), one release with
// all its events a call.
func openLinkBench(b *testing.B) *sqlite.Store {
	b.Helper()
	path := os.Getenv("BATON_LINKBENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "links.db")
	}
	_, statErr := os.Stat(path)
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	var made int
	if statErr == nil {
		if err := sqlite.ReadDB(s).QueryRow(`SELECT count(*) FROM releases`).Scan(&made); err != nil {
			b.Fatal(err)
		}
	}
	if made == benchReleases {
		return s
	}
	p := &process.Process{ID: "ship", Version: 1, Name: "ship", Phases: []process.Phase{{ID: "ship",
		Activities: []process.Activity{{ID: "deploy", Uses: "cd"}}}}}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < benchReleases; i += 4 {
				r, events := linkBenchRelease(b, p, i)
				if err := s.CreateRelease(context.Background(), &store.CreateReleaseParams{Events: events, Release: r}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
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
	var links int
	if err := sqlite.ReadDB(s).QueryRow(`SELECT count(*) FROM links`).Scan(&links); err != nil {
		b.Fatal(err)
	}
	b.Logf("made %d releases with %d links in %s", benchReleases, links, time.Since(start).Round(time.Second))
	return s
}

// BenchmarkLinkQueries answers "which releases carried commit X" and
// "what runs in prod" on 100,000 releases and 1,000,000 links, each
// through its index (store.LinkStore) and, as the baseline, by scanning
// the events for the link.added events that answer it (what a store
// without the index must do; the baseline stops at the scan, before any
// decoding, so it is a lower bound).
//
//	BATON_LINKBENCH_DB=/tmp/links.db go test -run='^$' -bench=LinkQueries -benchtime=200x -benchmem ./store/sqlite/
func BenchmarkLinkQueries(b *testing.B) {
	s := openLinkBench(b)
	ctx := context.Background()
	commit := benchCommit(54_321)
	db := sqlite.ReadDB(s)
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
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE kind = 'link.added' AND instr(payload, ?) > 0`,
				`"ref":"`+commit+`"`).Scan(&n); err != nil || n != 20 {
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
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE kind = 'link.added' AND instr(payload, '"environment":"prod"') > 0`).
				Scan(&n); err != nil || n != benchReleases/3 {
				b.Fatal(err, n)
			}
		}
	})
}
