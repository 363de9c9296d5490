package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/adapters"
)

// SecretResolver returns the value of a named secret (an API token) for the
// secret-headers parameter. The adapter never logs the value. An error it
// returns fails the attempt as it is classified (wrap it in
// adapters.Permanent for a secret that does not exist).
type SecretResolver func(ctx context.Context, name string) (string, error)

// Config holds the host-side settings of an http adapter. A nil *Config is
// valid and means all defaults.
type Config struct {
	// Kind is the adapter kind processes name in uses:. Defaults to "http".
	Kind string
	// Client sends the requests. The adapter uses a copy whose
	// CheckRedirect applies the redirect policy below before the client's
	// own CheckRedirect, if any. Defaults to a client with a one-minute
	// timeout per request.
	Client *nethttp.Client
	// Secrets resolves with.secret-headers. Defaults to nil: activities that
	// use secret-headers fail permanently.
	Secrets SecretResolver
	// SigningKey, when set, signs every request with HMAC-SHA256 (see
	// SignatureHeader and Sign). Defaults to nil: requests are not signed.
	SigningKey []byte
	// MaxResponseBytes bounds the response body the adapter reads; a
	// larger body fails the attempt permanently without being read whole.
	// Defaults to 1 MiB.
	MaxResponseBytes int64
	// MaxRedirects is how many redirects a GET or HEAD follows; other
	// methods follow none. A negative value follows none. Defaults to 5.
	MaxRedirects int
	// AllowURL decides whether the adapter may call a URL: the webhook, a
	// redirect target, a status URL. An error refuses the call, permanently.
	// Defaults to allowing every http and https URL.
	AllowURL func(u *url.URL) error
	// PollInterval is the wait between polls when with.poll.interval does
	// not say. Defaults to 10 seconds.
	PollInterval time.Duration
	// Now returns the current time, for signature timestamps and for
	// Retry-After dates. Defaults to time.Now.
	Now func() time.Time
	// Logger receives the adapter's own diagnostics. Defaults to discarding
	// them.
	Logger *slog.Logger
	// Propagate, when set, adds headers taken from the context of each
	// request the adapter sends: the trace context, typically, so that the
	// called service joins the activity attempt's trace (the executor's
	// Config.Telemetry puts it in the context of Run and Start;
	// otelbaton.HeaderPropagator writes traceparent).
	// It runs before the activity's own headers, which win. Defaults to
	// nil: no such headers.
	Propagate func(ctx context.Context, h nethttp.Header)
}

// Errors the adapter wraps, for errors.Is. All of them are permanent.
var (
	// ErrResponseTooLarge: the response body is over MaxResponseBytes.
	ErrResponseTooLarge = errors.New("http: response body too large")
	// ErrMalformedResponse: the response is not the JSON expected, or lacks
	// a field the parameters name.
	ErrMalformedResponse = errors.New("http: malformed response")
	// ErrURLNotAllowed: AllowURL refused a URL.
	ErrURLNotAllowed = errors.New("http: URL not allowed")
	// ErrTooManyRedirects: a GET was redirected more than MaxRedirects
	// times.
	ErrTooManyRedirects = errors.New("http: too many redirects")
	// ErrInsecureRedirect: a redirect from https to plain http, which the
	// adapter never follows, or a status URL on plain http named by the
	// response of an https call, which it never polls.
	ErrInsecureRedirect = errors.New("http: redirect from https to http refused")
	// ErrPollFailed: the status field reached one of poll.failed-values.
	ErrPollFailed = errors.New("http: the polled work failed")
)

// StatusError reports a response whose status code is not a success.
// 408, 429 and 5xx are retryable (with the Retry-After delay when the
// server sent one); every other code is wrapped in adapters.Permanent.
type StatusError struct {
	Method string
	URL    string // without its query string
	Code   int
	// Body is the start of the response body (512 bytes, more when a
	// secret value straddles the cut), every secret value the request
	// carried replaced by "[redacted]".
	Body string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("http: %s %s: %d %s", e.Method, e.URL, e.Code, nethttp.StatusText(e.Code))
	if e.Code >= 300 && e.Code < 400 {
		msg += " (redirects are followed for GET and HEAD only)"
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Adapter calls webhooks and polls status URLs. It is safe for concurrent
// use.
type Adapter struct {
	kind         string
	client       *nethttp.Client
	secrets      SecretResolver
	key          []byte
	maxBody      int64
	maxRedirects int
	allow        func(*url.URL) error
	interval     time.Duration
	now          func() time.Time
	log          *slog.Logger
	propagate    func(context.Context, nethttp.Header)
}

var (
	_ adapters.Adapter   = (*Adapter)(nil)
	_ adapters.Validator = (*Adapter)(nil)
	_ adapters.Poller    = (*Adapter)(nil)
)

// maxPollErrors is how many retryable poll failures in a row Run tolerates.
const maxPollErrors = 3

// resultPrefix starts the handle Start returns for a call without poll:
// the handle carries the outputs.
const resultPrefix = "baton-result:"

// New returns an http adapter. It fails when the configuration is invalid.
func New(cfg *Config) (*Adapter, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	switch {
	case c.MaxResponseBytes < 0:
		return nil, errors.New("http: Config.MaxResponseBytes is negative")
	case c.PollInterval < 0:
		return nil, errors.New("http: Config.PollInterval is negative")
	}
	a := &Adapter{kind: c.Kind, secrets: c.Secrets, key: slices.Clone(c.SigningKey), maxBody: c.MaxResponseBytes,
		maxRedirects: c.MaxRedirects, allow: c.AllowURL, interval: c.PollInterval, now: c.Now, log: c.Logger,
		propagate: c.Propagate}
	if a.kind == "" {
		a.kind = "http"
	}
	if a.maxBody == 0 {
		a.maxBody = 1 << 20
	}
	switch {
	case a.maxRedirects == 0:
		a.maxRedirects = 5
	case a.maxRedirects < 0:
		a.maxRedirects = 0
	}
	if a.allow == nil {
		a.allow = defaultAllow
	}
	if a.interval == 0 {
		a.interval = 10 * time.Second
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	var client nethttp.Client
	if c.Client != nil {
		client = *c.Client
	} else {
		client.Timeout = time.Minute
	}
	hostCheck := client.CheckRedirect
	client.CheckRedirect = func(r *nethttp.Request, via []*nethttp.Request) error {
		if err := a.checkRedirect(r, via); err != nil {
			return err
		}
		if hostCheck != nil {
			return hostCheck(r, via)
		}
		return nil
	}
	a.client = &client
	return a, nil
}

func defaultAllow(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q: only http and https are allowed", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	return nil
}

type secretNamesKey struct{}

// credentialHeaders are dropped from a redirect that leaves the origin
// (scheme and host) of the call's first request, whether they came from
// headers or secret-headers.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", SignatureHeader, TimestampHeader}

func (a *Adapter) checkRedirect(r *nethttp.Request, via []*nethttp.Request) error {
	if m := via[0].Method; m != nethttp.MethodGet && m != nethttp.MethodHead {
		return nethttp.ErrUseLastResponse
	}
	if len(via) > a.maxRedirects {
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, a.maxRedirects)
	}
	if err := a.allow(r.URL); err != nil {
		return fmt.Errorf("%w: redirect to %s: %v", ErrURLNotAllowed, display(r.URL), err)
	}
	if !strings.EqualFold(r.URL.Scheme, "https") {
		for _, prev := range via {
			if strings.EqualFold(prev.URL.Scheme, "https") {
				// A downgrade exposes the call (and what it sends) to
				// anyone on the path: never follow one.
				return fmt.Errorf("%w: %s redirected to %s", ErrInsecureRedirect, display(via[len(via)-1].URL), display(r.URL))
			}
		}
	}
	// The client sets Referer to the previous URL, query string included.
	r.Header.Del("Referer")
	if !sameOrigin(r.URL, via[0].URL) {
		// Secrets go only to the scheme and host they were meant for.
		names, _ := r.Context().Value(secretNamesKey{}).([]string)
		for _, name := range names {
			r.Header.Del(name)
		}
		for _, name := range credentialHeaders {
			r.Header.Del(name)
		}
	}
	return nil
}

// isCredentialHeader reports whether a header of with.headers carries
// credentials, which go only where secret headers go.
func isCredentialHeader(name string) bool {
	for _, c := range credentialHeaders {
		if strings.EqualFold(name, c) {
			return true
		}
	}
	return false
}

// sendsCredentials reports whether a request to u may carry the secret
// headers, the credential headers of with.headers and the signature: only
// when u has the scheme and host of with.url or of with.poll.url, never
// those of a status URL a response named elsewhere.
func (p *params) sendsCredentials(u *url.URL) bool {
	origins := []string{p.url}
	if p.poll != nil && p.poll.url != "" {
		origins = append(origins, p.poll.url)
	}
	for _, s := range origins {
		if o, err := url.Parse(s); err == nil && sameOrigin(u, o) {
			return true
		}
	}
	return false
}

// hasCredentials reports whether the call carries any credentials.
func (a *Adapter) hasCredentials(p *params) bool {
	if len(p.secretHeaders) > 0 || len(a.key) > 0 {
		return true
	}
	for name := range p.headers {
		if isCredentialHeader(name) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether two URLs have the same scheme and host (with
// its port, if any).
func sameOrigin(u, v *url.URL) bool {
	return strings.EqualFold(u.Scheme, v.Scheme) && strings.EqualFold(u.Host, v.Host)
}

// display shows a URL without its query string and user info, which may
// hold tokens.
func display(u *url.URL) string {
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment, c.User = "", false, "", "", nil
	if c.Opaque != "" {
		return displayRaw(c.String()) // "scheme:user:password@host/..."
	}
	return c.String()
}

// displayRaw shows a URL that may not parse as display does: without what
// follows a "?" or "#", and without anything up to a "@" (user info).
func displayRaw(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		prefix := ""
		if i := strings.Index(s, "://"); i >= 0 && i < at {
			prefix = s[:i+3]
		} else if i := strings.IndexByte(s, ':'); i > 0 && i < at && !strings.ContainsAny(s[:i], "/@") {
			prefix = s[:i+1] // an opaque URL's scheme
		}
		s = prefix + s[at+1:]
	}
	return s
}

// Kind returns the configured kind.
func (a *Adapter) Kind() string { return a.kind }

// ValidateWith checks with: parameters (see the package documentation). The
// first problem is returned as a *adapters.ParamError.
func (a *Adapter) ValidateWith(with map[string]any) error {
	_, err := parseParams(with, true)
	return err
}

func (a *Adapter) params(req *adapters.Request) (*params, error) {
	if req == nil {
		return nil, adapters.Permanent(errors.New("http: nil request"))
	}
	p, err := parseParams(req.With, false)
	if err != nil {
		return nil, adapters.Permanent(fmt.Errorf("http: %w", err))
	}
	return p, nil
}

func reporter(req *adapters.Request) adapters.Reporter {
	if req.Reporter == nil {
		return adapters.NopReporter{}
	}
	return req.Reporter
}

// Run calls the webhook; with poll:, it then polls the status URL until the
// work is done or failed, or ctx ends.
func (a *Adapter) Run(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
	p, err := a.params(req)
	if err != nil {
		return nil, err
	}
	if p.poll == nil {
		return a.callOnce(ctx, req, p)
	}
	handle, err := a.start(ctx, req, p)
	if err != nil {
		return nil, err
	}
	failures := 0
	for {
		st, err := a.poll(ctx, req, p, handle)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil || adapters.IsPermanent(err) {
				return nil, err
			}
			failures++
			if failures >= maxPollErrors {
				return nil, fmt.Errorf("http: poll: %d failures in a row: %w", failures, err)
			}
			reporter(req).Log(fmt.Sprintf("http: poll failed (%d of %d tolerated): %v", failures, maxPollErrors-1, err))
			wait = a.pollInterval(p)
			if d, ok := adapters.RetryDelay(err); ok {
				wait = d
			}
		case st.Done:
			return st.Result, nil
		default:
			failures = 0
			wait = st.After
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			shown := handle
			if u, err := url.Parse(handle); err == nil {
				shown = display(u)
			}
			return nil, fmt.Errorf("http: polling %s: %w", shown, ctx.Err())
		}
	}
}

// Start calls the webhook and returns a handle: the status URL with poll:,
// otherwise a handle that carries the call's outputs (Poll then answers
// done at once). The call carries req.IdempotencyKey in an Idempotency-Key
// header, so a receiver that honours it starts the work once.
func (a *Adapter) Start(ctx context.Context, req *adapters.Request) (string, error) {
	p, err := a.params(req)
	if err != nil {
		return "", err
	}
	if p.poll == nil {
		res, err := a.callOnce(ctx, req, p)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(res.Outputs)
		if err != nil {
			return "", adapters.Permanent(fmt.Errorf("http: outputs: %w", err))
		}
		return resultPrefix + string(b), nil
	}
	return a.start(ctx, req, p)
}

// Poll checks the work Start began.
func (a *Adapter) Poll(ctx context.Context, req *adapters.Request, handle string) (adapters.PollStatus, error) {
	p, err := a.params(req)
	if err != nil {
		return adapters.PollStatus{}, err
	}
	return a.poll(ctx, req, p, handle)
}

func (a *Adapter) callOnce(ctx context.Context, req *adapters.Request, p *params) (*adapters.Result, error) {
	resp, err := a.call(ctx, req, p, p.method, p.url, p.body, p.successCodes, len(p.outputs) > 0)
	if err != nil {
		return nil, err
	}
	res := &adapters.Result{}
	if len(p.outputs) > 0 {
		doc, err := resp.json()
		if err != nil {
			return nil, err
		}
		if res.Outputs, err = outputs(doc, p); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (a *Adapter) start(ctx context.Context, req *adapters.Request, p *params) (string, error) {
	pp := p.poll
	resp, err := a.call(ctx, req, p, p.method, p.url, p.body, p.successCodes, pp.urlField != nil)
	if err != nil {
		return "", err
	}
	var ref string
	switch {
	case pp.url != "":
		ref = pp.url
	case pp.urlField != nil:
		doc, err := resp.json()
		if err != nil {
			return "", err
		}
		v, ok := pp.urlField.lookup(doc)
		s, isStr := v.(string)
		if !ok || !isStr || s == "" {
			return "", adapters.Permanent(fmt.Errorf("%w: with.poll.url-field: no status URL string at that path in the response of %s", ErrMalformedResponse, display(resp.url)))
		}
		ref = s
	default:
		ref = resp.header.Get("Location")
		if ref == "" {
			return "", adapters.Permanent(fmt.Errorf("%w: %s: no status URL: the response has no Location header (or set with.poll.url or with.poll.url-field)", ErrMalformedResponse, display(resp.url)))
		}
	}
	u, err := resp.url.Parse(ref)
	if err != nil {
		return "", adapters.Permanent(fmt.Errorf("%w: status URL %q: %v", ErrMalformedResponse, displayRaw(ref), unwrapURLError(err)))
	}
	if pp.url == "" && strings.EqualFold(resp.url.Scheme, "https") && !strings.EqualFold(u.Scheme, "https") {
		return "", adapters.Permanent(fmt.Errorf("%w: the response of %s names the status URL %s", ErrInsecureRedirect, display(resp.url), display(u)))
	}
	reporter(req).Log("http: polling " + display(u))
	if !p.sendsCredentials(u) && a.hasCredentials(p) {
		reporter(req).Log("http: the status URL is not on the scheme and host of with.url: it is polled without the secret headers, credential headers and signature (set with.poll.url to send them)")
	}
	return u.String(), nil
}

func (a *Adapter) poll(ctx context.Context, req *adapters.Request, p *params, handle string) (adapters.PollStatus, error) {
	if rest, ok := strings.CutPrefix(handle, resultPrefix); ok {
		var out map[string]any
		dec := json.NewDecoder(strings.NewReader(rest))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			return adapters.PollStatus{}, adapters.Permanent(fmt.Errorf("http: poll: bad result handle: %w", err))
		}
		adapters.NormalizeNumbers(out)
		return adapters.PollStatus{Done: true, Result: &adapters.Result{Outputs: out}}, nil
	}
	if p.poll == nil {
		return adapters.PollStatus{}, adapters.Permanent(errors.New("http: poll: the handle is a status URL but with: has no poll"))
	}
	resp, err := a.call(ctx, req, p, nethttp.MethodGet, handle, nil, nil, true)
	if err != nil {
		return adapters.PollStatus{}, err
	}
	doc, err := resp.json()
	if err != nil {
		return adapters.PollStatus{}, err
	}
	pp := p.poll
	v, ok := pp.field.lookup(doc)
	if !ok {
		return adapters.PollStatus{}, adapters.Permanent(fmt.Errorf("%w: %s: with.poll.field %q not found in the status response", ErrMalformedResponse, display(resp.url), pp.fieldSrc))
	}
	status, ok := scalarString(v)
	if !ok {
		return adapters.PollStatus{}, adapters.Permanent(fmt.Errorf("%w: %s: with.poll.field %q is not a string, number or boolean", ErrMalformedResponse, display(resp.url), pp.fieldSrc))
	}
	reporter(req).Log(fmt.Sprintf("http: poll %s: %s=%s", display(resp.url), pp.fieldSrc, resp.secrets.hide(status)))
	switch {
	case slices.Contains(pp.doneValues, status):
		out, err := outputs(doc, p)
		if err != nil {
			return adapters.PollStatus{}, err
		}
		return adapters.PollStatus{Done: true, Result: &adapters.Result{Outputs: out}}, nil
	case slices.Contains(pp.failedValues, status):
		return adapters.PollStatus{}, adapters.Permanent(fmt.Errorf("%w: %s: %s is %q", ErrPollFailed, display(resp.url), pp.fieldSrc, resp.secrets.hide(status)))
	}
	wait := a.pollInterval(p)
	if d, ok := a.retryAfter(resp.header); ok {
		wait = d
	}
	return adapters.PollStatus{After: wait}, nil
}

func (a *Adapter) pollInterval(p *params) time.Duration {
	if p.poll != nil && p.poll.interval > 0 {
		return p.poll.interval
	}
	return a.interval
}

func outputs(doc any, p *params) (map[string]any, error) {
	if len(p.outputs) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(p.outputs))
	for name, pth := range p.outputs {
		v, ok := pth.lookup(doc)
		if !ok {
			return nil, adapters.Permanent(fmt.Errorf("%w: with.outputs.%s: %q not found in the response", ErrMalformedResponse, name, p.outputSrc[name]))
		}
		out[name] = v
	}
	return out, nil
}

// response is what call keeps of an HTTP response.
type response struct {
	code   int
	header nethttp.Header
	url    *url.URL // of the last request, after redirects
	body   []byte   // nil unless read
	method string
	// secrets are the secret values the request carried, hidden in
	// whatever the adapter quotes from the response.
	secrets redactor
}

func (r *response) json() (any, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	err := dec.Decode(&doc)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	if err != nil {
		return nil, adapters.Permanent(fmt.Errorf("%w: %s %s: the response is not JSON (%v): %q", ErrMalformedResponse, r.method, display(r.url), err, r.secrets.quote(r.body, 64)))
	}
	return adapters.NormalizeNumbers(doc), nil
}

// call sends one request and classifies the outcome. It reads the body
// (bounded) only when needBody.
func (a *Adapter) call(ctx context.Context, req *adapters.Request, p *params, method, rawURL string, body []byte, success []int, needBody bool) (*response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, adapters.Permanent(fmt.Errorf("http: URL %q: %w", displayRaw(rawURL), unwrapURLError(err)))
	}
	if err := a.allow(u); err != nil {
		return nil, adapters.Permanent(fmt.Errorf("%w: %s: %v", ErrURLNotAllowed, display(u), err))
	}
	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	names := make([]string, 0, len(p.secretHeaders))
	for name := range p.secretHeaders {
		names = append(names, name)
	}
	ctx = context.WithValue(ctx, secretNamesKey{}, names)
	r, err := nethttp.NewRequestWithContext(ctx, method, u.String(), bodyReader)
	if err != nil {
		return nil, adapters.Permanent(fmt.Errorf("http: %s %s: %w", method, display(u), err))
	}
	r.Header.Set("User-Agent", "baton-http-adapter")
	r.Header.Set("Accept", "application/json")
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if req.IdempotencyKey != "" {
		r.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	if req.Release != "" {
		r.Header.Set("X-Baton-Release", string(req.Release))
	}
	if req.Activity != "" {
		r.Header.Set("X-Baton-Activity", string(req.Activity))
	}
	if req.Attempt > 0 {
		r.Header.Set("X-Baton-Attempt", strconv.Itoa(req.Attempt))
	}
	if a.propagate != nil {
		a.propagate(ctx, r.Header)
	}
	creds := p.sendsCredentials(u)
	for name, v := range p.headers {
		if creds || !isCredentialHeader(name) {
			r.Header.Set(name, v)
		}
	}
	var secrets redactor
	if creds {
		if secrets, err = a.addCredentials(ctx, r, p, body); err != nil {
			return nil, err
		}
	}

	resp, err := a.client.Do(r)
	if err != nil {
		switch {
		case errors.Is(err, ErrURLNotAllowed), errors.Is(err, ErrTooManyRedirects), errors.Is(err, ErrInsecureRedirect):
			return nil, adapters.Permanent(fmt.Errorf("http: %s %s: %w", method, display(u), unwrapURLError(err)))
		case ctx.Err() != nil:
			return nil, fmt.Errorf("http: %s %s: %w", method, display(u), ctx.Err())
		}
		return nil, fmt.Errorf("http: %s %s: %w", method, display(u), unwrapURLError(err))
	}
	defer resp.Body.Close()
	out := &response{code: resp.StatusCode, header: resp.Header, url: resp.Request.URL, method: method, secrets: secrets}
	reporter(req).Log(fmt.Sprintf("http: %s %s: %s", method, display(out.url), resp.Status))

	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if success != nil {
		ok = false
		for _, c := range success {
			ok = ok || c == resp.StatusCode
		}
	}
	if !ok {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, int64(512+secrets.maxLen())))
		se := &StatusError{Method: method, URL: display(out.url), Code: resp.StatusCode, Body: strings.TrimSpace(secrets.quote(snippet, 512))}
		c := resp.StatusCode
		if c == nethttp.StatusRequestTimeout || c == nethttp.StatusTooManyRequests || c >= 500 {
			if d, ok := a.retryAfter(resp.Header); ok {
				return nil, adapters.RetryAfter(d, se)
			}
			return nil, se
		}
		return nil, adapters.Permanent(se)
	}
	if !needBody {
		return out, nil
	}
	if resp.ContentLength > a.maxBody {
		return nil, adapters.Permanent(fmt.Errorf("%w: %s %s: Content-Length %d exceeds the limit of %d bytes", ErrResponseTooLarge, method, display(out.url), resp.ContentLength, a.maxBody))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, a.maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("http: %s %s: reading the response: %w", method, display(out.url), ctx.Err())
		}
		return nil, fmt.Errorf("http: %s %s: reading the response: %w", method, display(out.url), err)
	}
	if int64(len(b)) > a.maxBody {
		return nil, adapters.Permanent(fmt.Errorf("%w: %s %s: the body exceeds the limit of %d bytes (not read further)", ErrResponseTooLarge, method, display(out.url), a.maxBody))
	}
	out.body = b
	return out, nil
}

// addCredentials sets the secret headers and, with a signing key, the
// signature headers. It returns a redactor of the secret values.
func (a *Adapter) addCredentials(ctx context.Context, r *nethttp.Request, p *params, body []byte) (redactor, error) {
	if len(p.secretHeaders) > 0 && a.secrets == nil {
		return nil, adapters.Permanent(errors.New("http: with.secret-headers is set but the host configured no secret resolver (Config.Secrets)"))
	}
	values := make([]string, 0, len(p.secretHeaders))
	for _, header := range sortedStringKeys(p.secretHeaders) {
		v, err := a.secrets(ctx, p.secretHeaders[header])
		if err != nil {
			return nil, fmt.Errorf("http: secret %q for header %s: %w", p.secretHeaders[header], header, err)
		}
		r.Header.Set(header, v)
		values = append(values, v)
	}
	if len(a.key) > 0 {
		ts := strconv.FormatInt(a.now().Unix(), 10)
		r.Header.Set(TimestampHeader, ts)
		r.Header.Set(SignatureHeader, Sign(a.key, ts, body))
	}
	return newRedactor(values), nil
}

// redactor hides secret values in what the adapter quotes from a response
// (a server may echo the request's headers in an error page): the longest
// first, so a value that contains another is hidden whole.
type redactor []string

// redacted replaces a secret value in quoted text.
const redacted = "[redacted]"

// newRedactor hides each value and, for a value such as "Bearer TOKEN",
// its credential after the scheme too.
func newRedactor(values []string) redactor {
	var r redactor
	for _, v := range values {
		r = append(r, v)
		if _, cred, ok := strings.Cut(v, " "); ok {
			r = append(r, strings.TrimSpace(cred))
		}
	}
	r = slices.DeleteFunc(r, func(v string) bool { return v == "" })
	slices.SortFunc(r, func(x, y string) int { return len(y) - len(x) })
	return r
}

// maxLen is the length of the longest secret value.
func (r redactor) maxLen() int {
	if len(r) == 0 {
		return 0
	}
	return len(r[0])
}

// hide replaces every secret value in s.
func (r redactor) hide(s string) string {
	for _, v := range r {
		s = strings.ReplaceAll(s, v, redacted)
	}
	return s
}

// quote returns the first n bytes of b, extended to the end of any secret
// value that starts in them, with the secret values hidden: a cut never
// leaves the start of a secret visible. b should hold n+r.maxLen() bytes
// when the body is that long.
func (r redactor) quote(b []byte, n int) string {
	end := min(n, len(b))
	for _, v := range r {
		for i := 0; i < n; {
			j := bytes.Index(b[i:], []byte(v))
			if j < 0 || i+j >= n {
				break
			}
			end = max(end, min(i+j+len(v), len(b)))
			i += j + 1
		}
	}
	return r.hide(string(b[:end]))
}

// unwrapURLError drops the *url.Error layer, whose message repeats the URL
// with its query string.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// maxRetryAfter is the longest delay a Retry-After header may ask for; a
// longer one, in either form, is ignored as implausible.
const maxRetryAfter = 365 * 24 * time.Hour

// retryAfter reads a Retry-After header: delay seconds (digits only) or an
// HTTP date, a date in the past meaning no delay. A value that is neither,
// or that asks for more than maxRetryAfter, gives no delay (false): the
// activity's retry policy decides.
func (a *Adapter) retryAfter(h nethttp.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if strings.Trim(v, "0123456789") == "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(maxRetryAfter/time.Second) {
			return 0, false // only an overflow fails, and it is over the cap too
		}
		d = time.Duration(n) * time.Second
	} else {
		t, err := nethttp.ParseTime(v)
		if err != nil {
			return 0, false
		}
		d = max(t.Sub(a.now()), 0) // Sub saturates instead of overflowing
	}
	if d > maxRetryAfter {
		return 0, false
	}
	return d, true
}

func sortedStringKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
