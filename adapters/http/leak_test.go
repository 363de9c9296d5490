package http_test

import (
	"context"
	"errors"
	"fmt"
	nethttp "net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	batonhttp "github.com/batonhq/baton/adapters/http"
)

// echoHeaders answers with the request's headers in the body, as debug
// endpoints and some error pages do.
func echoHeaders(code int, contentType string) nethttp.HandlerFunc {
	return func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, "you sent %s and %s", r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"))
	}
}

func TestErrorsNeverQuoteASecretTheServerEchoes(t *testing.T) {
	tests := []struct {
		name    string
		handler nethttp.HandlerFunc
		with    map[string]any
	}{
		{"a 401 body", echoHeaders(401, "text/plain"), map[string]any{}},
		{"a 503 body", echoHeaders(503, "text/plain"), map[string]any{}},
		{"a body that is not JSON", echoHeaders(200, "application/json"), map[string]any{"outputs": map[string]any{"id": "id"}}},
		{"a failed poll status", func(w nethttp.ResponseWriter, r *nethttp.Request) {
			if r.Method == nethttp.MethodPost {
				w.Header().Set("Location", "/status")
				w.WriteHeader(202)
				return
			}
			writeJSON(w, 200, map[string]any{"state": "denied for " + r.Header.Get("Authorization")})
		}, map[string]any{"poll": map[string]any{"field": "state", "done-values": []any{"ok"}, "failed-values": []any{"denied for Bearer t0ken-value"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.handler)
			with := tt.with
			with["url"] = srv.URL
			with["secret-headers"] = map[string]any{"Authorization": "ci-token", "X-Api-Key": "api"}
			secrets := func(_ context.Context, name string) (string, error) {
				if name == "ci-token" {
					return "Bearer t0ken-value", nil
				}
				return "k3y-value", nil
			}
			req := request(with)
			_, err := newAdapter(t, &batonhttp.Config{Secrets: secrets}).Run(context.Background(), req)
			require.Error(t, err)
			for _, secret := range []string{"t0ken-value", "k3y-value"} {
				require.NotContains(t, err.Error(), secret)
				require.NotContains(t, req.Reporter.(*logRecorder).all(), secret)
			}
			require.Contains(t, err.Error(), "[redacted]", "the error still shows where the server echoed it")
			var se *batonhttp.StatusError
			if errors.As(err, &se) {
				require.NotContains(t, se.Body, "t0ken-value")
			}
		})
	}
}

func TestErrorsNeverQuoteTheQueryStringOrUserInfoOfAURL(t *testing.T) {
	const bad = "https://user:pa55@ci.example.com/hooks/%zz?token=t0k"
	err := newAdapter(t, nil).ValidateWith(map[string]any{"url": bad})
	var pe *adapters.ParamError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "url", pe.Param)
	_, runErr := newAdapter(t, nil).Run(context.Background(), request(map[string]any{"url": bad}))
	require.Error(t, runErr)

	statusSrv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Location", "https://ci.example.com/status/%zz?token=t0k")
		w.WriteHeader(202)
	})
	_, statusErr := newAdapter(t, nil).Start(context.Background(), request(map[string]any{"url": statusSrv.URL,
		"poll": map[string]any{"field": "state", "done-values": []any{"ok"}}}))
	require.ErrorIs(t, statusErr, batonhttp.ErrMalformedResponse)

	opaqueSrv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Location", "http:user:pa55@ci.example.com/x?token=t0k")
		w.WriteHeader(302)
	})
	_, opaqueErr := newAdapter(t, nil).Run(context.Background(), request(map[string]any{"method": "GET", "url": opaqueSrv.URL}))
	require.ErrorIs(t, opaqueErr, batonhttp.ErrURLNotAllowed, "a URL without a host")

	for _, err := range []error{err, runErr, statusErr, opaqueErr} {
		require.NotContains(t, err.Error(), "pa55")
		require.NotContains(t, err.Error(), "t0k")
	}
}
