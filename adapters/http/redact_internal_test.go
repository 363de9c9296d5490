package http

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactorQuoteNeverShowsAPieceOfASecret(t *testing.T) {
	secret := "Bearer s3cret-t0ken-value"
	r := newRedactor([]string{secret, ""})
	require.Equal(t, redactor{secret, "s3cret-t0ken-value"}, r, "the credential after the scheme too, longest first, no empty value")
	pad := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name string
		body string
		n    int
		want string
	}{
		{"no secret", "plain error", 512, "plain error"},
		{"a short body is quoted whole", "token: " + secret, 512, "token: " + redacted},
		{"a long body is cut at n", pad(600), 512, pad(512)},
		{"the credential alone", `{"auth":"s3cret-t0ken-value"}`, 512, `{"auth":"` + redacted + `"}`},
		{"a secret across the cut is hidden whole", pad(500) + secret + pad(100), 512, pad(500) + redacted},
		{"a secret just after the cut is left out", pad(512) + secret, 512, pad(512)},
		{"every occurrence", secret + " " + secret, 512, redacted + " " + redacted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.body)
			if len(b) > tt.n+r.maxLen() {
				b = b[:tt.n+r.maxLen()] // what call reads
			}
			got := r.quote(b, tt.n)
			require.Equal(t, tt.want, got)
		})
	}
	require.Equal(t, "abc", redactor(nil).quote([]byte("abcdef"), 3), "no secrets: a plain cut")
}

func TestDisplayHidesQueryStringsAndUserInfo(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"https://user:pa55@ci.example.com/hooks/x?token=t0k#frag", "https://ci.example.com/hooks/x"},
		{"https://ci.example.com/x%zz?token=t0k", "https://ci.example.com/x%zz"},
		{"https://user:pa55@ci.example.com:bad/x", "https://ci.example.com:bad/x"},
		{"http:user:pa55@ci.example.com/x?token=t0k", "http:ci.example.com/x"},
		{"/path/@scope/pkg?token=t0k", "scope/pkg"},
		{"/relative?token=t0k", "/relative"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			require.Equal(t, tt.want, displayRaw(tt.raw))
			if u, err := url.Parse(tt.raw); err == nil {
				shown := display(u)
				require.NotContains(t, shown, "pa55")
				require.NotContains(t, shown, "t0k")
			}
		})
	}
}
