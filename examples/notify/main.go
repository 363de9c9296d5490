package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/batonhq/baton/adapters"
	batonhttp "github.com/batonhq/baton/adapters/http"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/notify"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

const web = `
id: web
name: Web release
phases:
  - id: build
    activities:
      - {id: compile, uses: ci.build}
  - id: ship
    depends-on: [build]
    activities:
      - id: approve
        type: approval
        approval: {approvers: ['group:release-managers']}
      - {id: deploy, uses: cd.deploy, depends-on: [approve]}
`

var groups = map[string][]string{"release-managers": {"bob", "carol"}}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// received is what the receiver kept of a message.
type received struct {
	Type       string   `json:"type"`
	Text       string   `json:"text"`
	Recipients []string `json:"recipients"`
}

// receiver is the host's webhook endpoint: it verifies signatures, keeps
// each key once, and answers its first request with a 503.
type receiver struct {
	key    []byte
	mu     sync.Mutex
	seen   map[string]bool
	got    []received
	failed bool
	dups   int
	w      io.Writer
	signal chan string // each new message's type
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := batonhttp.VerifyRequest(r, rc.key, 1<<20, time.Now(), 5*time.Minute); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !rc.failed {
		rc.failed = true
		fmt.Fprintln(rc.w, "receiver: 503 to the first request (a simulated outage)")
		http.Error(w, "down for a moment", http.StatusServiceUnavailable)
		return
	}
	key := r.Header.Get(notify.IdempotencyKeyHeader)
	if rc.seen[key] {
		rc.dups++ // delivered again after a failure: already handled
		return
	}
	var m received
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.seen[key] = true
	rc.got = append(rc.got, m)
	to := ""
	if len(m.Recipients) > 0 {
		to = " -> " + strings.Join(m.Recipients, ", ")
	}
	fmt.Fprintf(rc.w, "receiver: %s%s: %s\n", m.Type, to, m.Text)
	rc.signal <- m.Type
}

func run(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	// The host's receiver, on a local port.
	key := []byte("shared-webhook-secret")
	rc := &receiver{key: key, seen: map[string]bool{}, w: w, signal: make(chan string, 100)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rc, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	defer srv.Close()

	// The store, the process and an executor.
	st := memstore.New(nil)
	p, err := process.Parse([]byte(web))
	if err != nil {
		return err
	}
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: time.Now()}); err != nil {
		return err
	}
	ok := func(kind string) adapters.Adapter {
		return adapters.Func(kind, func(context.Context, *adapters.Request) (*adapters.Result, error) { return &adapters.Result{}, nil })
	}
	resolve := func(_ context.Context, g string) ([]string, error) { return groups[g], nil }
	ex, err := executor.New(st, adapters.NewRegistry(ok("ci.build"), ok("cd.deploy")), &executor.Config{ResolveGroup: resolve})
	if err != nil {
		return err
	}
	if err := ex.Launch(ctx); err != nil {
		return err
	}
	defer func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := ex.Shutdown(stopCtx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()

	// The dispatcher, in its own goroutine beside the executor.
	hook, err := notify.NewWebhook("http://"+ln.Addr().String()+"/hooks/baton", &notify.WebhookConfig{SigningKey: key})
	if err != nil {
		return err
	}
	d, err := notify.New(st, &notify.Config{
		Consumer: "example-webhook",
		Rules: []notify.Rule{{
			Name: "team", Notifier: hook, Recipients: []string{"#web-releases"},
			Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseSucceeded, notify.ReleaseFailed,
				notify.PhaseEnded, notify.WaitingForPerson},
		}},
		ResolveGroup: resolve,
		FromStart:    true,
		PollInterval: 10 * time.Millisecond,
		Backoff:      50 * time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	dctx, stopDispatcher := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(dctx) }()
	defer func() { stopDispatcher(); <-done }()

	wait := func(typ string) error {
		for {
			select {
			case got := <-rc.signal:
				if got == typ {
					return nil
				}
			case <-ctx.Done():
				return fmt.Errorf("no %s notification: %w", typ, ctx.Err())
			}
		}
	}

	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice", Reason: "weekly release"}})
	if err != nil {
		return err
	}
	if err := wait("waiting-for-person"); err != nil {
		return err
	}
	fmt.Fprintln(w, "bob approves")
	if err := ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "bob", Reason: "looks good"}}); err != nil {
		return err
	}
	if err := wait("release-succeeded"); err != nil {
		return err
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fmt.Fprintf(w, "%d notifications, each key handled once\n", len(rc.got))
	return nil
}
