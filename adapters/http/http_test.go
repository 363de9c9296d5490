package http_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	batonhttp "github.com/batonhq/baton/adapters/http"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type logRecorder struct {
	adapters.NopReporter
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) Log(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, msg)
}

func (r *logRecorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func newAdapter(t *testing.T, cfg *batonhttp.Config) *batonhttp.Adapter {
	t.Helper()
	if cfg == nil {
		cfg = &batonhttp.Config{}
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return now }
	}
	a, err := batonhttp.New(cfg)
	require.NoError(t, err)
	return a
}

func request(with map[string]any) *adapters.Request {
	return &adapters.Request{Release: "rel-1", Activity: "deploy.rollout", Attempt: 1,
		IdempotencyKey: "rel-1/deploy.rollout/1", With: with, Reporter: &logRecorder{}}
}

func serve(t *testing.T, h nethttp.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func writeJSON(w nethttp.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func TestRunPostsTheBodyAndMapsResponseFieldsToOutputs(t *testing.T) {
	var got struct {
		method, contentType, idem, release, activity, attempt, custom string
		body                                                          map[string]any
	}
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		got.method, got.contentType = r.Method, r.Header.Get("Content-Type")
		got.idem, got.custom = r.Header.Get("Idempotency-Key"), r.Header.Get("X-Team")
		got.release, got.activity, got.attempt = r.Header.Get("X-Baton-Release"), r.Header.Get("X-Baton-Activity"), r.Header.Get("X-Baton-Attempt")
		_ = json.NewDecoder(r.Body).Decode(&got.body)
		writeJSON(w, 201, map[string]any{"build": map[string]any{"id": 42, "run": json.RawMessage("9007199254740993"), "ratio": 0.25, "artifacts": []any{map[string]any{"url": "https://cdn/app.apk"}}}})
	})
	res, err := newAdapter(t, nil).Run(context.Background(), request(map[string]any{
		"url":     srv.URL + "/hooks/build",
		"headers": map[string]any{"X-Team": "mobile"},
		"body":    map[string]any{"ref": "v1.2.3", "flags": []any{"a"}},
		"outputs": map[string]any{"build-id": "build.id", "artifact": "$.build.artifacts[0].url", "also": "build.artifacts.0.url", "run": "build.run", "ratio": "build.ratio"},
	}))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"build-id": int64(42), "artifact": "https://cdn/app.apk", "also": "https://cdn/app.apk",
		"run": int64(9007199254740993), "ratio": 0.25}, res.Outputs, "integers stay exact beyond 2^53")
	require.Equal(t, "POST", got.method)
	require.Equal(t, "application/json", got.contentType)
	require.Equal(t, "rel-1/deploy.rollout/1", got.idem, "the idempotency key travels as Idempotency-Key")
	require.Equal(t, []string{"rel-1", "deploy.rollout", "1"}, []string{got.release, got.activity, got.attempt})
	require.Equal(t, "mobile", got.custom)
	require.Equal(t, map[string]any{"ref": "v1.2.3", "flags": []any{"a"}}, got.body)
}

func TestRunHonoursTheContextWithASlowServer(t *testing.T) {
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := newAdapter(t, nil).Run(ctx, request(map[string]any{"url": srv.URL}))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, adapters.IsPermanent(err), "a timeout is retryable")
}

func TestRunRetriesA5xxAndThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if calls.Add(1) == 1 {
			nethttp.Error(w, "upstream unavailable", nethttp.StatusBadGateway)
			return
		}
		writeJSON(w, 200, map[string]any{"ok": true})
	})
	a := newAdapter(t, nil)
	with := map[string]any{"url": srv.URL, "outputs": map[string]any{"ok": "ok"}}

	_, err := a.Run(context.Background(), request(with))
	var se *batonhttp.StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 502, se.Code)
	require.Equal(t, "upstream unavailable", se.Body)
	require.False(t, adapters.IsPermanent(err), "a 5xx is retryable")
	_, hasDelay := adapters.RetryDelay(err)
	require.False(t, hasDelay, "no Retry-After, no delay: the retry policy decides")

	res, err := a.Run(context.Background(), request(with))
	require.NoError(t, err, "the next attempt succeeds")
	require.Equal(t, true, res.Outputs["ok"])
}

func TestRunClassifiesStatusCodes(t *testing.T) {
	tests := []struct {
		code       int
		retryAfter string
		permanent  bool
		delay      time.Duration // -1: no delay
	}{
		{code: 429, retryAfter: "120", delay: 2 * time.Minute},
		{code: 429, retryAfter: now.Add(90 * time.Second).Format(nethttp.TimeFormat), delay: 90 * time.Second},
		{code: 429, retryAfter: now.Add(-time.Hour).Format(nethttp.TimeFormat), delay: 0},
		{code: 429, retryAfter: "soon", delay: -1},
		{code: 503, retryAfter: "30", delay: 30 * time.Second},
		{code: 408, delay: -1},
		{code: 500, delay: -1},
		{code: 400, permanent: true, delay: -1},
		{code: 401, permanent: true, delay: -1},
		{code: 404, permanent: true, delay: -1},
		{code: 422, permanent: true, retryAfter: "30", delay: -1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d with Retry-After %q", tt.code, tt.retryAfter), func(t *testing.T) {
			srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.code)
			})
			_, err := newAdapter(t, nil).Run(context.Background(), request(map[string]any{"url": srv.URL}))
			var se *batonhttp.StatusError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tt.code, se.Code)
			require.Equal(t, tt.permanent, adapters.IsPermanent(err), "%v", err)
			d, ok := adapters.RetryDelay(err)
			require.Equal(t, tt.delay >= 0, ok, "%v", err)
			if tt.delay >= 0 {
				require.Equal(t, tt.delay, d)
			}
		})
	}
}

func TestRunAcceptsConfiguredSuccessCodes(t *testing.T) {
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) { w.WriteHeader(409) })
	_, err := newAdapter(t, nil).Run(context.Background(), request(map[string]any{"url": srv.URL, "success-codes": []any{200, 409}}))
	require.NoError(t, err, "409 Conflict (already deployed) is declared a success")
	_, err = newAdapter(t, nil).Run(context.Background(), request(map[string]any{"url": srv.URL, "success-codes": []any{200}}))
	require.True(t, adapters.IsPermanent(err))
}

func TestRunFailsPermanentlyOnMalformedJSON(t *testing.T) {
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"build": {"id": 4`)
	})
	_, err := newAdapter(t, nil).Run(context.Background(), request(map[string]any{"url": srv.URL, "outputs": map[string]any{"id": "build.id"}}))
	require.ErrorIs(t, err, batonhttp.ErrMalformedResponse)
	require.True(t, adapters.IsPermanent(err))
	require.ErrorContains(t, err, "not JSON")

	_, err = newAdapter(t, nil).Run(context.Background(), request(map[string]any{"url": srv.URL}))
	require.NoError(t, err, "without outputs or poll the body is not needed, so not parsed")
}

func TestRunFailsPermanentlyWhenAnOutputIsMissing(t *testing.T) {
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) { writeJSON(w, 200, map[string]any{"a": 1}) })
	_, err := newAdapter(t, nil).Run(context.Background(), request(map[string]any{"url": srv.URL, "outputs": map[string]any{"sha": "commit.sha"}}))
	require.ErrorIs(t, err, batonhttp.ErrMalformedResponse)
	require.ErrorContains(t, err, `with.outputs.sha: "commit.sha" not found`)
}

func TestRunFollowsRedirectsForGETOnly(t *testing.T) {
	var mux nethttp.ServeMux
	srv := httptest.NewServer(&mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/old", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, "/new", nethttp.StatusFound)
	})
	mux.HandleFunc("/new", func(w nethttp.ResponseWriter, r *nethttp.Request) { writeJSON(w, 200, map[string]any{"where": "new"}) })
	mux.HandleFunc("/post-old", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, "/new", nethttp.StatusTemporaryRedirect)
	})
	var loops atomic.Int32
	mux.HandleFunc("/loop/{n}", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		loops.Add(1)
		nethttp.Redirect(w, r, "/loop/"+strconv.Itoa(n+1), nethttp.StatusFound)
	})
	a := newAdapter(t, &batonhttp.Config{MaxRedirects: 3})

	res, err := a.Run(context.Background(), request(map[string]any{"method": "GET", "url": srv.URL + "/old", "outputs": map[string]any{"where": "where"}}))
	require.NoError(t, err)
	require.Equal(t, "new", res.Outputs["where"])

	_, err = a.Run(context.Background(), request(map[string]any{"method": "POST", "url": srv.URL + "/post-old", "body": map[string]any{}}))
	var se *batonhttp.StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 307, se.Code)
	require.True(t, adapters.IsPermanent(err))
	require.ErrorContains(t, err, "redirects are followed for GET and HEAD only")

	_, err = a.Run(context.Background(), request(map[string]any{"method": "GET", "url": srv.URL + "/loop/0"}))
	require.ErrorIs(t, err, batonhttp.ErrTooManyRedirects)
	require.True(t, adapters.IsPermanent(err))
	require.Equal(t, int32(4), loops.Load(), "the first request and 3 redirects")
}

func TestRunDoesNotForwardSecretsToAnotherHost(t *testing.T) {
	var leaked atomic.Value
	other := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		leaked.Store(r.Header.Get("X-Api-Key") + "|" + r.Header.Get(batonhttp.SignatureHeader))
		writeJSON(w, 200, map[string]any{})
	})
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, other.URL+"/elsewhere", nethttp.StatusFound)
	})
	a := newAdapter(t, &batonhttp.Config{SigningKey: []byte("k"), Secrets: func(context.Context, string) (string, error) { return "s3cret", nil }})
	_, err := a.Run(context.Background(), request(map[string]any{"method": "GET", "url": srv.URL, "secret-headers": map[string]any{"X-Api-Key": "api"}}))
	require.NoError(t, err)
	require.Equal(t, "|", leaked.Load())
}

func TestRunRefusesURLsTheHostDoesNotAllow(t *testing.T) {
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, "http://blocked.invalid/", nethttp.StatusFound)
	})
	allow := func(u *url.URL) error {
		if u.Hostname() != "127.0.0.1" {
			return errors.New("only loopback")
		}
		return nil
	}
	a := newAdapter(t, &batonhttp.Config{AllowURL: allow})
	_, err := a.Run(context.Background(), request(map[string]any{"url": "https://example.com/hook"}))
	require.ErrorIs(t, err, batonhttp.ErrURLNotAllowed)
	require.True(t, adapters.IsPermanent(err))

	_, err = a.Run(context.Background(), request(map[string]any{"method": "GET", "url": srv.URL}))
	require.ErrorIs(t, err, batonhttp.ErrURLNotAllowed, "redirect targets are checked too")

	_, err = newAdapter(t, nil).Run(context.Background(), request(map[string]any{"url": "ftp://example.com/release.tar"}))
	require.ErrorIs(t, err, batonhttp.ErrURLNotAllowed, "only http and https by default")
}

// hugeBody streams size bytes (declaring the length when declare is set)
// and reports how many it could write before the client hung up.
func hugeBody(t *testing.T, size int64, declare bool) (*httptest.Server, <-chan int64) {
	written := make(chan int64, 1)
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if declare {
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		}
		w.WriteHeader(200)
		chunk := []byte(`{"data":"` + strings.Repeat("x", 64<<10-9))
		var n int64
		for n < size {
			m, err := w.Write(chunk[:min(int64(len(chunk)), size-n)])
			n += int64(m)
			if err != nil {
				break
			}
		}
		written <- n
	})
	return srv, written
}

func TestRunDoesNotReadA1GBBodyWhole(t *testing.T) {
	for _, declare := range []bool{false, true} {
		t.Run(fmt.Sprintf("Content-Length declared: %v", declare), func(t *testing.T) {
			const gb = 1 << 30
			srv, written := hugeBody(t, gb, declare)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := newAdapter(t, &batonhttp.Config{MaxResponseBytes: 1 << 20}).Run(context.Background(),
				request(map[string]any{"url": srv.URL, "outputs": map[string]any{"data": "data"}}))
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, batonhttp.ErrResponseTooLarge)
			require.True(t, adapters.IsPermanent(err))
			require.ErrorContains(t, err, "exceeds the limit of 1048576 bytes")
			select {
			case n := <-written:
				require.Less(t, n, int64(64<<20), "the server could write only what buffers hold before the client hung up")
			case <-time.After(30 * time.Second):
				t.Fatal("the server is still writing: the client did not hang up")
			}
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "bytes allocated while reading")
		})
	}
}

func TestRunSignsRequestsTheServerCanVerify(t *testing.T) {
	key := []byte("webhook-signing-key")
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if err := batonhttp.VerifyRequest(r, key, 1<<20, now.Add(time.Minute), 5*time.Minute); err != nil {
			nethttp.Error(w, err.Error(), nethttp.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		writeJSON(w, 200, map[string]any{"echo": string(body)})
	})
	res, err := newAdapter(t, &batonhttp.Config{SigningKey: key}).Run(context.Background(),
		request(map[string]any{"url": srv.URL, "body": map[string]any{"v": 1}, "outputs": map[string]any{"echo": "echo"}}))
	require.NoError(t, err)
	require.Equal(t, `{"v":1}`, res.Outputs["echo"], "the body stays readable after verification")

	_, err = newAdapter(t, &batonhttp.Config{SigningKey: []byte("wrong")}).Run(context.Background(),
		request(map[string]any{"url": srv.URL, "body": map[string]any{"v": 1}}))
	var se *batonhttp.StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 401, se.Code)
	require.Contains(t, se.Body, "signature mismatch")
	require.True(t, adapters.IsPermanent(err))

	_, err = newAdapter(t, nil).Run(context.Background(), request(map[string]any{"url": srv.URL}))
	require.ErrorAs(t, err, &se)
	require.Equal(t, 401, se.Code, "an unsigned request is refused")
}

func TestVerifyRejectsOldAndTamperedSignatures(t *testing.T) {
	key := []byte("k")
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := batonhttp.Sign(key, ts, []byte("body"))
	require.NoError(t, batonhttp.Verify(key, ts, []byte("body"), sig, now, time.Minute))
	require.ErrorIs(t, batonhttp.Verify(key, ts, []byte("bodY"), sig, now, time.Minute), batonhttp.ErrBadSignature)
	require.ErrorIs(t, batonhttp.Verify(key, ts, []byte("body"), sig, now.Add(time.Hour), time.Minute), batonhttp.ErrBadSignature)
	require.ErrorIs(t, batonhttp.Verify(key, "0", []byte("body"), sig, now, 0), batonhttp.ErrBadSignature, "the timestamp is signed")
	require.ErrorIs(t, batonhttp.Verify(key, ts, []byte("body"), strings.TrimPrefix(sig, "sha256="), now, 0), batonhttp.ErrBadSignature)
}

func TestRunResolvesSecretHeaders(t *testing.T) {
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(204)
	})
	var asked []string
	var mu sync.Mutex
	resolver := func(_ context.Context, name string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, name)
		if name == "ci-token" {
			return "Bearer t0ken", nil
		}
		return "", adapters.Permanent(fmt.Errorf("no secret %q", name))
	}
	a := newAdapter(t, &batonhttp.Config{Secrets: resolver})
	req := request(map[string]any{"url": srv.URL, "secret-headers": map[string]any{"Authorization": "ci-token"}})
	_, err := a.Run(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, []string{"ci-token"}, asked)
	require.NotContains(t, req.Reporter.(*logRecorder).all(), "t0ken", "secret values are never logged")

	_, err = a.Run(context.Background(), request(map[string]any{"url": srv.URL, "secret-headers": map[string]any{"Authorization": "missing"}}))
	require.True(t, adapters.IsPermanent(err), "the resolver's classification is kept")
	require.ErrorContains(t, err, `secret "missing" for header Authorization`)

	_, err = newAdapter(t, nil).Run(context.Background(), req)
	require.True(t, adapters.IsPermanent(err))
	require.ErrorContains(t, err, "no secret resolver")
}

// pipeline is a CI-like server: POST /builds starts a build (202 with a
// Location), GET /builds/1 reports running for the first polls, then the
// final state.
func pipeline(t *testing.T, runningPolls int32, final string) (*httptest.Server, *atomic.Int32) {
	var polls atomic.Int32
	var mux nethttp.ServeMux
	srv := httptest.NewServer(&mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("POST /builds", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Location", "/builds/1")
		writeJSON(w, 202, map[string]any{"id": 1, "links": map[string]any{"status": srv.URL + "/builds/1"}})
	})
	mux.HandleFunc("GET /builds/1", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if polls.Add(1) <= runningPolls {
			writeJSON(w, 200, map[string]any{"state": "running"})
			return
		}
		writeJSON(w, 200, map[string]any{"state": final, "artifact": map[string]any{"url": "https://cdn/app.apk"}})
	})
	return srv, &polls
}

func pollWith(srv *httptest.Server) map[string]any {
	return map[string]any{
		"url":  srv.URL + "/builds",
		"body": map[string]any{"ref": "main"},
		"poll": map[string]any{"field": "state", "done-values": []any{"succeeded"}, "failed-values": []any{"failed", "cancelled"},
			"interval": "1ms"},
		"outputs": map[string]any{"artifact": "artifact.url"},
	}
}

func TestRunPollsUntilDone(t *testing.T) {
	srv, polls := pipeline(t, 2, "succeeded")
	res, err := newAdapter(t, nil).Run(context.Background(), request(pollWith(srv)))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"artifact": "https://cdn/app.apk"}, res.Outputs, "outputs come from the final status")
	require.Equal(t, int32(3), polls.Load())
}

func TestRunPollsUntilFailed(t *testing.T) {
	srv, _ := pipeline(t, 1, "cancelled")
	_, err := newAdapter(t, nil).Run(context.Background(), request(pollWith(srv)))
	require.ErrorIs(t, err, batonhttp.ErrPollFailed)
	require.True(t, adapters.IsPermanent(err))
	require.ErrorContains(t, err, `state is "cancelled"`)
}

func TestRunPollsAStatusURLFromTheResponseBody(t *testing.T) {
	srv, _ := pipeline(t, 0, "succeeded")
	with := pollWith(srv)
	with["poll"].(map[string]any)["url-field"] = "links.status"
	res, err := newAdapter(t, nil).Run(context.Background(), request(with))
	require.NoError(t, err)
	require.Equal(t, "https://cdn/app.apk", res.Outputs["artifact"])
}

func TestRunStopsPollingWhenTheContextEnds(t *testing.T) {
	srv, _ := pipeline(t, 1<<30, "succeeded")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := newAdapter(t, nil).Run(ctx, request(pollWith(srv)))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, adapters.IsPermanent(err))
}

func TestRunToleratesAFewTransientPollFailures(t *testing.T) {
	var polls atomic.Int32
	var mux nethttp.ServeMux
	srv := httptest.NewServer(&mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("POST /builds", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Location", "/builds/1")
		w.WriteHeader(202)
	})
	var failUntil atomic.Int32
	failUntil.Store(2)
	mux.HandleFunc("GET /builds/1", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if polls.Add(1) <= failUntil.Load() {
			w.WriteHeader(503)
			return
		}
		writeJSON(w, 200, map[string]any{"state": "succeeded", "artifact": map[string]any{"url": "u"}})
	})
	_, err := newAdapter(t, nil).Run(context.Background(), request(pollWith(srv)))
	require.NoError(t, err, "two 503s in a row are tolerated")

	polls.Store(0)
	failUntil.Store(3)
	_, err = newAdapter(t, nil).Run(context.Background(), request(pollWith(srv)))
	var se *batonhttp.StatusError
	require.ErrorAs(t, err, &se, "three in a row fail the attempt")
	require.Equal(t, 503, se.Code)
	require.False(t, adapters.IsPermanent(err))
}

func TestStartAndPollDriveTheWorkStepByStep(t *testing.T) {
	srv, _ := pipeline(t, 1, "succeeded")
	a := newAdapter(t, &batonhttp.Config{PollInterval: 7 * time.Second})
	with := pollWith(srv)
	delete(with["poll"].(map[string]any), "interval")
	req := request(with)

	handle, err := a.Start(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, srv.URL+"/builds/1", handle, "the handle is the status URL, resolved against the request")

	st, err := a.Poll(context.Background(), req, handle)
	require.NoError(t, err)
	require.False(t, st.Done)
	require.Equal(t, 7*time.Second, st.After, "Config.PollInterval when with.poll.interval is unset")

	st, err = a.Poll(context.Background(), req, handle)
	require.NoError(t, err)
	require.True(t, st.Done)
	require.Equal(t, "https://cdn/app.apk", st.Result.Outputs["artifact"])
}

func TestStartWithoutPollCarriesTheOutputsInTheHandle(t *testing.T) {
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		writeJSON(w, 200, map[string]any{"id": "b-7", "run": json.RawMessage("9007199254740993")})
	})
	a := newAdapter(t, nil)
	req := request(map[string]any{"url": srv.URL, "outputs": map[string]any{"id": "id", "run": "run"}})
	handle, err := a.Start(context.Background(), req)
	require.NoError(t, err)
	st, err := a.Poll(context.Background(), req, handle)
	require.NoError(t, err)
	require.True(t, st.Done)
	require.Equal(t, map[string]any{"id": "b-7", "run": int64(9007199254740993)}, st.Result.Outputs)
}

func TestStartFailsPermanentlyWithoutAStatusURL(t *testing.T) {
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) { w.WriteHeader(202) })
	with := map[string]any{"url": srv.URL, "poll": map[string]any{"field": "state", "done-values": []any{"ok"}}}
	_, err := newAdapter(t, nil).Start(context.Background(), request(with))
	require.ErrorIs(t, err, batonhttp.ErrMalformedResponse)
	require.ErrorContains(t, err, "no Location header")
}

func TestValidateWith(t *testing.T) {
	a := newAdapter(t, nil)
	tests := []struct {
		name  string
		with  map[string]any
		param string
	}{
		{"a full valid set", map[string]any{"method": "put", "url": "https://ci/x", "headers": map[string]any{"X-A": "1"},
			"body": map[string]any{"a": []any{1}}, "secret-headers": map[string]any{"Authorization": "tok"}, "success-codes": []any{200, 409},
			"poll":    map[string]any{"url-field": "links.status", "field": "state", "done-values": []any{"ok", true}, "failed-values": []any{"bad"}, "interval": "5s"},
			"outputs": map[string]any{"id": "data.items[0].id"}}, ""},
		{"templated values", map[string]any{"url": "${{ inputs.hook }}", "headers": "${{ vars.headers }}",
			"poll": map[string]any{"url": "${{ vars.status }}", "field": "s", "done-values": []any{"d"}, "interval": "${{ inputs.i }}"}}, ""},
		{"a missing url", map[string]any{"method": "POST"}, "url"},
		{"a relative url", map[string]any{"url": "/hooks/x"}, "url"},
		{"an unknown key", map[string]any{"url": "https://x", "header": map[string]any{}}, "header"},
		{"an unknown method", map[string]any{"url": "https://x", "method": "FETCH"}, "method"},
		{"a body on GET", map[string]any{"url": "https://x", "method": "GET", "body": map[string]any{}}, "body"},
		{"a bad header name", map[string]any{"url": "https://x", "headers": map[string]any{"X A": "1"}}, "headers.X A"},
		{"a header list value", map[string]any{"url": "https://x", "headers": map[string]any{"X-A": []any{"1"}}}, "headers.X-A"},
		{"a header also secret", map[string]any{"url": "https://x", "headers": map[string]any{"Auth": "1"}, "secret-headers": map[string]any{"Auth": "s"}}, "headers.Auth"},
		{"a bad success code", map[string]any{"url": "https://x", "success-codes": []any{200, 700}}, "success-codes[1]"},
		{"poll without field", map[string]any{"url": "https://x", "poll": map[string]any{"done-values": []any{"d"}}}, "poll.field"},
		{"poll without done-values", map[string]any{"url": "https://x", "poll": map[string]any{"field": "s"}}, "poll.done-values"},
		{"poll with an unknown key", map[string]any{"url": "https://x", "poll": map[string]any{"field": "s", "done-values": []any{"d"}, "every": "1s"}}, "poll.every"},
		{"poll with a bad interval", map[string]any{"url": "https://x", "poll": map[string]any{"field": "s", "done-values": []any{"d"}, "interval": "often"}}, "poll.interval"},
		{"poll with url and url-field", map[string]any{"url": "https://x", "poll": map[string]any{"url": "https://y", "url-field": "a", "field": "s", "done-values": []any{"d"}}}, "poll.url-field"},
		{"a bad output path", map[string]any{"url": "https://x", "outputs": map[string]any{"id": "items[x]"}}, "outputs.id"},
		{"an output path ending in a dot", map[string]any{"url": "https://x", "outputs": map[string]any{"id": "items."}}, "outputs.id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.ValidateWith(tt.with)
			if tt.param == "" {
				require.NoError(t, err)
				return
			}
			var pe *adapters.ParamError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tt.param, pe.Param)
		})
	}
}

func TestNewRejectsABadConfig(t *testing.T) {
	_, err := batonhttp.New(&batonhttp.Config{MaxResponseBytes: -1})
	require.ErrorContains(t, err, "http: Config.MaxResponseBytes")
	_, err = batonhttp.New(&batonhttp.Config{PollInterval: -1})
	require.ErrorContains(t, err, "http: Config.PollInterval")
	a, err := batonhttp.New(nil)
	require.NoError(t, err)
	require.Equal(t, "http", a.Kind())
}

func TestHTTPPassesTestAdapter(t *testing.T) {
	started := make(chan struct{}, 64)
	var mux nethttp.ServeMux
	srv := httptest.NewServer(&mux)
	t.Cleanup(srv.Close)
	var n atomic.Int32
	mux.HandleFunc("POST /builds", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		id := n.Add(1)
		w.Header().Set("Location", "/builds/"+strconv.Itoa(int(id)))
		w.WriteHeader(202)
	})
	mux.HandleFunc("GET /builds/{id}", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		writeJSON(w, 200, map[string]any{"state": "succeeded", "id": r.PathValue("id")})
	})
	mux.HandleFunc("/slow", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		started <- struct{}{}
		<-r.Context().Done()
	})
	mux.HandleFunc("/missing", func(w nethttp.ResponseWriter, r *nethttp.Request) { w.WriteHeader(404) })
	mux.HandleFunc("/busy", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(429)
	})
	r := func(with map[string]any) *adapters.Request { return request(with) }
	adaptertest.TestAdapter(t, func(t *testing.T) adapters.Adapter { return newAdapter(t, nil) }, &adaptertest.Options{
		Kind: "http",
		Success: func(*testing.T) *adapters.Request {
			return r(map[string]any{"url": srv.URL + "/builds", "outputs": map[string]any{"id": "id"},
				"poll": map[string]any{"field": "state", "done-values": []any{"succeeded"}, "interval": "1ms"}})
		},
		Blocking: func(*testing.T) (*adapters.Request, <-chan struct{}) {
			ch := make(chan struct{})
			go func() {
				<-started
				close(ch)
			}()
			return r(map[string]any{"url": srv.URL + "/slow"}), ch
		},
		Permanent:       func(*testing.T) *adapters.Request { return r(map[string]any{"url": srv.URL + "/missing"}) },
		RetryAfter:      func(*testing.T) *adapters.Request { return r(map[string]any{"url": srv.URL + "/busy"}) },
		RetryAfterDelay: 7 * time.Second,
		ValidWith:       []map[string]any{{"url": "https://ci/x"}},
		InvalidWith:     []map[string]any{{}, {"url": "https://ci/x", "methd": "GET"}},
	})
}
