package http_test

import (
	"context"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	batonhttp "github.com/batonhq/baton/adapters/http"
)

// seenRequest is what a site server saw of one request.
type seenRequest struct {
	url    string // scheme://host/path
	header nethttp.Header
}

// site serves example.com and its subdomains over https (a TLS server
// whose certificate covers them) and plain http (another server): the same
// host names under both schemes, as a real site has. It records every
// request.
type site struct {
	mu   sync.Mutex
	seen []seenRequest
	// client trusts the TLS server and dials *example.com:80 to the plain
	// server, *example.com on any other port to the TLS server.
	client *nethttp.Client
}

// redirectingSite answers a path in redirects with a redirect to the given
// URL, any other path with 200 {}.
func redirectingSite(t *testing.T, redirects map[string]string) *site {
	return newSite(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if to, ok := redirects[r.URL.Path]; ok {
			nethttp.Redirect(w, r, to, nethttp.StatusFound)
			return
		}
		writeJSON(w, 200, map[string]any{})
	})
}

// newSite serves handler on both schemes.
func newSite(t *testing.T, handler nethttp.HandlerFunc) *site {
	s := &site{}
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		s.mu.Lock()
		s.seen = append(s.seen, seenRequest{url: scheme + "://" + r.Host + r.URL.Path, header: r.Header.Clone()})
		s.mu.Unlock()
		handler(w, r)
	})
	tlsSrv := httptest.NewTLSServer(h)
	t.Cleanup(tlsSrv.Close)
	plain := httptest.NewServer(h)
	t.Cleanup(plain.Close)
	tr := tlsSrv.Client().Transport.(*nethttp.Transport).Clone()
	var dialer net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		if host == "example.com" || strings.HasSuffix(host, ".example.com") {
			addr = tlsSrv.Listener.Addr().String()
			if port == "80" {
				addr = plain.Listener.Addr().String()
			}
		}
		return dialer.DialContext(ctx, network, addr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	s.client = &nethttp.Client{Transport: tr}
	return s
}

func (s *site) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...)
}

// credentials is a GET that carries every kind of credential the adapter
// sends: a secret header, a plain Authorization and Cookie header, and the
// signature.
func credentials(url string) map[string]any {
	return map[string]any{"method": "GET", "url": url,
		"headers":        map[string]any{"Authorization": "Bearer plain-t0ken", "Cookie": "session=c00kie"},
		"secret-headers": map[string]any{"X-Api-Key": "api"}}
}

func credentialAdapter(t *testing.T, s *site) *batonhttp.Adapter {
	return newAdapter(t, &batonhttp.Config{Client: s.client, SigningKey: []byte("k"),
		Secrets: func(context.Context, string) (string, error) { return "s3cret", nil }})
}

// credentialsIn lists the credential headers a request carried.
func credentialsIn(h nethttp.Header) []string {
	var got []string
	for _, name := range []string{"Authorization", "Cookie", "X-Api-Key", batonhttp.SignatureHeader, batonhttp.TimestampHeader} {
		if h.Get(name) != "" {
			got = append(got, name)
		}
	}
	return got
}

var allCredentials = []string{"Authorization", "Cookie", "X-Api-Key", batonhttp.SignatureHeader, batonhttp.TimestampHeader}

func TestRunRefusesARedirectFromHTTPSToHTTP(t *testing.T) {
	tests := []struct {
		name      string
		redirects map[string]string
		start     string
	}{
		{"to the same host", map[string]string{"/start": "http://example.com/landing"}, "https://example.com/start"},
		{"to another host", map[string]string{"/start": "http://other.example.com/landing"}, "https://example.com/start"},
		{"after an https hop to another host", map[string]string{"/start": "https://other.example.com/hop", "/hop": "http://example.com/landing"},
			"https://example.com/start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := redirectingSite(t, tt.redirects)
			_, err := credentialAdapter(t, s).Run(context.Background(), request(credentials(tt.start)))
			require.ErrorIs(t, err, batonhttp.ErrInsecureRedirect)
			require.True(t, adapters.IsPermanent(err), "a downgrade is an attack, not a hiccup: %v", err)
			require.ErrorContains(t, err, "http://")
			for _, r := range s.requests() {
				require.True(t, strings.HasPrefix(r.url, "https://"), "nothing is sent in clear text: %s", r.url)
			}
		})
	}
}

func TestRunSendsCredentialsOnlyToTheOriginalSchemeAndHost(t *testing.T) {
	tests := []struct {
		name      string
		redirects map[string]string
		start     string
		// want lists, for each request the site saw, the credentials it
		// carried.
		want [][]string
	}{
		{"a redirect on the same scheme and host keeps them",
			map[string]string{"/start": "/landing"}, "https://example.com/start",
			[][]string{allCredentials, allCredentials}},
		{"a redirect to a subdomain drops them",
			map[string]string{"/start": "https://sub.example.com/landing"}, "https://example.com/start",
			[][]string{allCredentials, nil}},
		{"a redirect to another port drops them",
			map[string]string{"/start": "https://example.com:8443/landing"}, "https://example.com/start",
			[][]string{allCredentials, nil}},
		{"an upgrade from http to https drops them",
			map[string]string{"/start": "https://example.com/landing"}, "http://example.com/start",
			[][]string{allCredentials, nil}},
		{"a plain subdomain gets none of them",
			map[string]string{"/start": "http://sub.example.com/landing"}, "http://example.com/start",
			[][]string{allCredentials, nil}},
		{"coming back to the origin after another host restores them",
			map[string]string{"/start": "https://sub.example.com/hop", "/hop": "https://example.com/landing"}, "https://example.com/start",
			[][]string{allCredentials, nil, allCredentials}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := redirectingSite(t, tt.redirects)
			req := request(credentials(tt.start))
			_, err := credentialAdapter(t, s).Run(context.Background(), req)
			require.NoError(t, err)
			seen := s.requests()
			require.Len(t, seen, len(tt.want))
			for i, r := range seen {
				require.Equal(t, tt.want[i], credentialsIn(r.header), "request %d to %s", i, r.url)
			}
			require.NotContains(t, req.Reporter.(*logRecorder).all(), "s3cret")
		})
	}
}

func TestRunSendsNoRefererOnARedirect(t *testing.T) {
	s := redirectingSite(t, map[string]string{"/start": "https://sub.example.com/landing"})
	_, err := newAdapter(t, &batonhttp.Config{Client: s.client}).Run(context.Background(),
		request(map[string]any{"method": "GET", "url": "https://example.com/start?token=q-t0ken"}))
	require.NoError(t, err)
	seen := s.requests()
	require.Len(t, seen, 2)
	require.Empty(t, seen[1].header.Get("Referer"), "the query string of the first URL may hold a token")
}

// statusSite answers POST /builds with 202, naming the status URL in the
// Location header and in links.status, and GET of any other path with
// {"state": "succeeded"}.
func statusSite(t *testing.T, statusURL string) *site {
	return newSite(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.Method == nethttp.MethodPost {
			w.Header().Set("Location", statusURL)
			writeJSON(w, 202, map[string]any{"links": map[string]any{"status": statusURL}})
			return
		}
		writeJSON(w, 200, map[string]any{"state": "succeeded"})
	})
}

// pollCredentials is a POST with every kind of credential, polling the
// status URL the response names (in Location, or at url-field when set).
func pollCredentials(hook, urlField, pollURL string) map[string]any {
	with := credentials(hook)
	with["method"] = "POST"
	poll := map[string]any{"field": "state", "done-values": []any{"succeeded"}, "interval": "1ms"}
	if urlField != "" {
		poll["url-field"] = urlField
	}
	if pollURL != "" {
		poll["url"] = pollURL
	}
	with["poll"] = poll
	return with
}

func TestRunRefusesAStatusURLThatDowngradesToHTTP(t *testing.T) {
	for _, urlField := range []string{"", "links.status"} {
		t.Run("url-field "+urlField, func(t *testing.T) {
			s := statusSite(t, "http://example.com/builds/1")
			_, err := credentialAdapter(t, s).Run(context.Background(), request(pollCredentials("https://example.com/builds", urlField, "")))
			require.ErrorIs(t, err, batonhttp.ErrInsecureRedirect)
			require.True(t, adapters.IsPermanent(err))
			seen := s.requests()
			require.Len(t, seen, 1, "only the webhook call")
			require.Equal(t, "https://example.com/builds", seen[0].url)
		})
	}
}

func TestRunPollsWithCredentialsOnlyOnTheOriginOfTheWebhookOrPollURL(t *testing.T) {
	tests := []struct {
		name               string
		hook, status, poll string
		want               []string // credentials the status request carried
	}{
		{"a status URL on the webhook's origin", "https://example.com/builds", "/builds/1", "", allCredentials},
		{"a status URL on another host", "https://example.com/builds", "https://status.example.com/builds/1", "", nil},
		{"a status URL on another port", "https://example.com/builds", "https://example.com:8443/builds/1", "", nil},
		{"an upgrade to https", "http://example.com/builds", "https://example.com/builds/1", "", nil},
		{"with.poll.url on another host, named by the process", "https://example.com/builds", "", "https://status.example.com/builds/1", allCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := statusSite(t, tt.status)
			req := request(pollCredentials(tt.hook, "", tt.poll))
			_, err := credentialAdapter(t, s).Run(context.Background(), req)
			require.NoError(t, err)
			seen := s.requests()
			require.Len(t, seen, 2, "the webhook call and one poll")
			require.Equal(t, allCredentials, credentialsIn(seen[0].header), "the webhook call")
			require.Equal(t, tt.want, credentialsIn(seen[1].header), "the poll of %s", seen[1].url)
			if tt.want == nil {
				require.Contains(t, req.Reporter.(*logRecorder).all(), "polled without the secret headers")
			}
		})
	}
}
