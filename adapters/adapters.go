package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/batonhq/baton/release"
)

// Adapter performs the automated activities of one kind ("ci.pipeline",
// "cd.deploy", "http", "exec"). The executor calls Run once per attempt.
//
// Run must honour ctx: when it is cancelled (the release was aborted, the
// activity timed out, the executor is shutting down) Run stops its work as
// far as it can and returns promptly, typically ctx.Err(). Run may be called
// concurrently for different activities and releases.
//
// Run may be called more than once for the same attempt (after an executor
// crash the attempt is re-run), always with the same Request.IdempotencyKey:
// adapters that start external work pass the key on (as an idempotency
// header, a deduplication id, a build parameter) so the external system
// does the work once.
//
// The error decides what happens next: nil is success; an error wrapping
// ErrPermanent (Permanent) fails the attempt with no further retries; a
// *RetryAfterError (RetryAfter) asks for the next attempt no sooner than its
// delay; any other error fails the attempt and the activity's retry policy
// applies.
type Adapter interface {
	// Kind returns the kind this adapter performs. It must not change.
	Kind() string
	// Run performs one attempt of an activity.
	Run(ctx context.Context, req *Request) (*Result, error)
}

// Request is one attempt of an automated activity.
type Request struct {
	Release     release.ID
	ReleaseName string
	// Activity is the activity's key, "phase.activity".
	Activity release.ActivityKey
	// Attempt counts from 1.
	Attempt int
	// IdempotencyKey is stable per (release, activity, attempt): the same on
	// every re-run of this attempt, different for the next attempt.
	IdempotencyKey string
	// With holds the activity's with: parameters, ${{ }} templates already
	// evaluated. The adapter owns this map.
	With map[string]any
	// Inputs holds the release's resolved inputs, read-only.
	Inputs map[string]any
	// Rollback is true when this run undoes the activity (its rollback:
	// spec), false for the activity itself.
	Rollback bool
	// Reporter receives progress while Run works; never nil when the
	// executor calls Run.
	Reporter Reporter
}

// Reporter lets an adapter report while it runs. Its methods are safe for
// concurrent use and never block for long; what they record becomes part of
// the release's history.
type Reporter interface {
	// Log records a line of the activity's log. The executor passes it to
	// its Config.Logger (at Info, with the release, activity and attempt);
	// it is not part of the release's event log.
	Log(msg string)
	// Progress records how far the work is, from 0 to 1, with a note. The
	// executor keeps the last report while the attempt runs and
	// Executor.Why shows it; it is not part of the release's event log.
	Progress(fraction float64, note string)
	// Link attaches a traceability link (a build, an artifact, a
	// deployment) to the activity as soon as it is known.
	Link(l release.Link)
}

// NopReporter discards everything. Useful in tests of an adapter.
type NopReporter struct{}

// Log does nothing.
func (NopReporter) Log(string) {}

// Progress does nothing.
func (NopReporter) Progress(float64, string) {}

// Link does nothing.
func (NopReporter) Link(release.Link) {}

// Result is what a successful attempt produced.
type Result struct {
	// Outputs are the activity's outputs, by the names the process
	// declares. Values must encode as JSON.
	Outputs map[string]any
	// Links are traceability links the work produced.
	Links []release.Link
}

// Validator is an optional capability: an adapter that implements it checks
// an activity's with: parameters when a process is registered, so a typo is
// a validation error with its path instead of a failure hours later.
// Templated values (${{ }}) are passed as their source text.
type Validator interface {
	// ValidateWith returns nil or an error describing what is wrong; a
	// *ParamError names the parameter.
	ValidateWith(with map[string]any) error
}

// ParamError reports one bad with: parameter.
type ParamError struct {
	Param string // the key under with:, dotted for nested keys
	Msg   string
}

func (e *ParamError) Error() string { return fmt.Sprintf("with.%s: %s", e.Param, e.Msg) }

// Poller is an optional capability for long-running external work: Start
// begins the work and returns a handle, then the executor calls Poll until
// it reports done, without holding a goroutine in between. The handle is
// stored with the attempt, so after an executor restart polling resumes on
// the same external work instead of starting it again. An adapter that
// implements Poller still implements Run (the executor may use either; Run
// can simply Start and Poll in a loop).
type Poller interface {
	// Start begins the work of req and returns a handle that identifies it
	// (a build id, a status URL). It must be idempotent for the same
	// req.IdempotencyKey.
	Start(ctx context.Context, req *Request) (handle string, err error)
	// Poll checks the work. When it is finished Poll returns done with the
	// result or the error (classified as for Run). When it is not, Poll
	// returns done == false and how long to wait before the next poll (0
	// lets the executor choose).
	Poll(ctx context.Context, req *Request, handle string) (status PollStatus, err error)
}

// PollStatus is the answer of Poller.Poll.
type PollStatus struct {
	Done   bool
	Result *Result       // when Done and the work succeeded
	After  time.Duration // when not Done: the wait before the next poll
}

// ErrPermanent marks a failure that retrying cannot fix (bad parameters, a
// rejected deployment). Wrap it, or use Permanent.
var ErrPermanent = errors.New("adapters: permanent failure")

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() []error {
	return []error{e.err, ErrPermanent}
}

// Permanent wraps err so that errors.Is(err, ErrPermanent) holds and the
// activity is not retried. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err is marked permanent.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// RetryAfterError asks for the next attempt no sooner than After, as an
// HTTP 429 or 503 with Retry-After does. Find it with errors.As.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("adapters: retry after %v", e.After)
	}
	return fmt.Sprintf("%v (retry after %v)", e.Err, e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns an error asking for a retry no sooner than d.
func RetryAfter(d time.Duration, err error) error { return &RetryAfterError{After: d, Err: err} }

// RetryDelay returns the delay an error asks for, if any.
func RetryDelay(err error) (time.Duration, bool) {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After, true
	}
	return 0, false
}

// Func adapts a function to an Adapter of the given kind.
//
//	err := reg.Register(adapters.Func("flags.enable", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
//		return nil, flags.Enable(ctx, req.With["flags"]) // your feature-flag client
//	}))
func Func(kind string, run func(ctx context.Context, req *Request) (*Result, error)) Adapter {
	return &funcAdapter{kind: kind, run: run}
}

type funcAdapter struct {
	kind string
	run  func(ctx context.Context, req *Request) (*Result, error)
}

func (f *funcAdapter) Kind() string { return f.kind }

func (f *funcAdapter) Run(ctx context.Context, req *Request) (*Result, error) {
	return f.run(ctx, req)
}

// ErrUnknownKind is returned (wrapped) by Registry.Lookup for a kind no
// adapter was registered for.
var ErrUnknownKind = errors.New("adapters: no adapter registered for kind")

// ErrDuplicateKind is returned (wrapped) by Registry.Register when the kind
// is taken.
var ErrDuplicateKind = errors.New("adapters: kind already registered")

// Registry maps kinds to adapters. It is explicit, never global: a host
// builds one and hands it to the executor. The zero Registry is empty and
// ready to use; it is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	adapters map[string]Adapter
}

// NewRegistry returns a registry holding the given adapters; it panics on
// a duplicate kind, which is a programming error at wiring time. Use
// Register for kinds that come from configuration.
func NewRegistry(adapters ...Adapter) *Registry {
	r := &Registry{}
	for _, a := range adapters {
		if err := r.Register(a); err != nil {
			panic(err)
		}
	}
	return r
}

// Register adds an adapter under its Kind.
func (r *Registry) Register(a Adapter) error {
	if a == nil {
		return errors.New("adapters: register: nil adapter")
	}
	kind := a.Kind()
	if kind == "" {
		return errors.New("adapters: register: adapter has an empty kind")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.adapters[kind]; dup {
		return fmt.Errorf("%w: %q", ErrDuplicateKind, kind)
	}
	if r.adapters == nil {
		r.adapters = make(map[string]Adapter)
	}
	r.adapters[kind] = a
	return nil
}

// Lookup returns the adapter for kind, or an error wrapping ErrUnknownKind.
func (r *Registry) Lookup(kind string) (Adapter, error) {
	r.mu.RLock()
	a, ok := r.adapters[kind]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	return a, nil
}

// Kinds returns the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	kinds := make([]string, 0, len(r.adapters))
	for k := range r.adapters {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// NormalizeNumbers turns the json.Numbers of a document decoded with
// json.Decoder.UseNumber into int64 when they are integers that fit (build
// and run ids beyond 2^53 stay exact) and float64 otherwise, in place, at
// every depth, and returns v. Adapters that read outputs from JSON use it.
func NormalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = NormalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = NormalizeNumbers(e)
		}
	}
	return v
}
