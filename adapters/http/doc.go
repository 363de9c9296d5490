// Package http is an adapter that calls a webhook for an automated
// activity and, optionally, polls a status URL until the work is done: the
// generic bridge to CI/CD systems, feature-flag services and ticketing.
//
// # Parameters
//
//	activities:
//	  - id: build
//	    uses: http
//	    with:
//	      method: POST                       # GET, HEAD, POST, PUT, PATCH or DELETE; defaults to POST
//	      url: https://ci.example.com/api/builds
//	      headers: {X-Team: mobile}
//	      secret-headers: {Authorization: ci-token}   # header: secret name, resolved by Config.Secrets
//	      body: {ref: '${{ vars.tag }}', pipeline: mobile}   # sent as JSON
//	      success-codes: [200, 201, 202]     # defaults to every 2xx
//	      poll:                              # optional: wait for the work to finish
//	        url-field: links.status          # or url: ..., or the response's Location header
//	        field: state                     # JSON path of the status in the poll response
//	        done-values: [succeeded]
//	        failed-values: [failed, cancelled]
//	        interval: 30s                    # defaults to Config.PollInterval
//	      outputs: {artifact: 'artifacts[0].url'}   # output name: JSON path in the (final) response
//
// JSON paths are keys separated by dots with array indexes as [n] or as a
// numeric key (data.items[0].url, data.items.0.url); a leading "$." is
// allowed. Unknown keys are validation errors (the adapter implements
// adapters.Validator).
//
// # Requests
//
// Every request carries Idempotency-Key (req.IdempotencyKey, the same on a
// re-run of one attempt), X-Baton-Release, X-Baton-Activity and
// X-Baton-Attempt. With Config.SigningKey set, X-Baton-Timestamp holds the
// Unix time and X-Baton-Signature is "sha256=" and the hex HMAC-SHA256 of
// the timestamp, ".", and the body; receivers check it with Verify or
// VerifyRequest.
//
// Secret values are never logged, and never quoted: where a response
// echoes one (an error page, a status value), the adapter's errors and logs
// show "[redacted]". URLs in errors and logs never show their query string
// or user info, which may hold tokens.
//
// Credentials travel only to the scheme and host (with port) they were
// meant for: a redirect to another host, port or scheme (an upgrade from
// http to https included) drops the secret headers, Authorization,
// Proxy-Authorization, Cookie and the signature headers, whether they were
// set by headers or secret-headers, and no redirect carries a Referer. A
// redirect from https to http is never followed (ErrInsecureRedirect).
// The same holds for polling: a status URL the response names (Location or
// poll.url-field) is polled with those credentials only on the scheme and
// host of with.url (with.poll.url, set by the process, is trusted as
// written), and one on plain http named by an https call is refused
// (ErrInsecureRedirect).
//
// # Outcomes
//
//   - a success code: success, with the outputs (from the call, or from the
//     final poll response in poll mode).
//   - 408, 429 and 5xx: a retryable *StatusError, as adapters.RetryAfter
//     when the server sent Retry-After: delay seconds or an HTTP date (a
//     date in the past means no delay). A Retry-After of more than a year,
//     in either form, or one that is neither form is ignored: the
//     activity's retry policy decides.
//   - any other status, including a redirect not followed: adapters.Permanent
//     of a *StatusError quoting the start of the body.
//   - a body that is not JSON or lacks a path the parameters name
//     (ErrMalformedResponse), a body over Config.MaxResponseBytes
//     (ErrResponseTooLarge: never read whole), a URL AllowURL refuses
//     (ErrURLNotAllowed), too many redirects (ErrTooManyRedirects), a
//     redirect or status URL from https to http (ErrInsecureRedirect), the
//     status reaching a failed value (ErrPollFailed): permanent.
//   - network errors: retryable; cancellation and timeouts: an error
//     wrapping the context's error.
//
// Redirects are followed for GET and HEAD only, at most Config.MaxRedirects
// times.
//
// # Polling
//
// The adapter implements adapters.Poller: Start makes the call and returns
// the status URL as the handle (for a call without poll:, a handle carrying
// the outputs, which Poll answers at once), and Poll GETs the status URL
// once. The executor can so wait without a goroutine and resume after a
// restart. Run does the same in a loop, honouring ctx, tolerating two
// retryable poll failures in a row.
//
//	a, err := http.New(&http.Config{
//		Secrets:    func(ctx context.Context, name string) (string, error) { return vault.Get(ctx, name) },
//		SigningKey: key,
//	})
//	if err != nil {
//		return err
//	}
//	reg := adapters.NewRegistry(a)
package http
