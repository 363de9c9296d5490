package http_test

import (
	"context"
	nethttp "net/http"
	"testing"

	"github.com/stretchr/testify/require"

	batonhttp "github.com/batonhq/baton/adapters/http"
)

type traceKey struct{}

// Config.Propagate writes headers from the call's context into every
// request, and the activity's own headers win over it.
func TestPropagateAddsHeadersFromTheContext(t *testing.T) {
	var got, team string
	srv := serve(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		got, team = r.Header.Get("Traceparent"), r.Header.Get("X-Team")
		w.WriteHeader(200)
	})
	a := newAdapter(t, &batonhttp.Config{Propagate: func(ctx context.Context, h nethttp.Header) {
		if v, ok := ctx.Value(traceKey{}).(string); ok {
			h.Set("Traceparent", v)
		}
		h.Set("X-Team", "from-propagate")
	}})
	ctx := context.WithValue(context.Background(), traceKey{}, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	_, err := a.Run(ctx, request(map[string]any{"url": srv.URL, "headers": map[string]any{"X-Team": "mobile"}}))
	require.NoError(t, err)
	require.Equal(t, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", got)
	require.Equal(t, "mobile", team, "the activity's headers win")

	_, err = a.Run(context.Background(), request(map[string]any{"url": srv.URL}))
	require.NoError(t, err)
	require.Empty(t, got, "nothing in the context, nothing sent")
}
