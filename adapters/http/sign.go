package http

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed request.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256, keyed with
	// Config.SigningKey, of the timestamp header's value, a ".", and the
	// request body (empty for GET).
	SignatureHeader = "X-Baton-Signature"
	// TimestampHeader carries the signing time in Unix seconds. It is part
	// of the signed text, so a receiver that refuses old timestamps refuses
	// replays.
	TimestampHeader = "X-Baton-Timestamp"
)

// ErrBadSignature is returned by Verify and VerifyRequest when a signature
// is missing, malformed, wrong or too old.
var ErrBadSignature = errors.New("http: bad signature")

// Sign returns the SignatureHeader value for a body sent at timestamp (Unix
// seconds, as sent in TimestampHeader).
func Sign(key []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature made by Sign in constant time, and that the
// timestamp is within maxAge of now (maxAge 0 skips the age check).
func Verify(key []byte, timestamp string, body []byte, signature string, now time.Time, maxAge time.Duration) error {
	if !strings.HasPrefix(signature, "sha256=") {
		return fmt.Errorf("%w: %s does not start with sha256=", ErrBadSignature, SignatureHeader)
	}
	if !hmac.Equal([]byte(Sign(key, timestamp, body)), []byte(signature)) {
		return fmt.Errorf("%w: signature mismatch", ErrBadSignature)
	}
	if maxAge > 0 {
		sec, err := strconv.ParseInt(timestamp, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %s %q is not Unix seconds", ErrBadSignature, TimestampHeader, timestamp)
		}
		if age := now.Sub(time.Unix(sec, 0)); age > maxAge || age < -maxAge {
			return fmt.Errorf("%w: timestamp is %v away from now", ErrBadSignature, age.Round(time.Second))
		}
	}
	return nil
}

// VerifyRequest is Verify for a receiver's *http.Request: it reads the body
// (at most maxBody bytes), checks the headers, and restores r.Body so the
// handler can read it again.
//
//	func hook(w http.ResponseWriter, r *http.Request) {
//		if err := batonhttp.VerifyRequest(r, key, 1<<20, time.Now(), 5*time.Minute); err != nil {
//			http.Error(w, err.Error(), http.StatusUnauthorized)
//			return
//		}
//		...
//	}
func VerifyRequest(r *nethttp.Request, key []byte, maxBody int64, now time.Time, maxAge time.Duration) error {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		r.Body.Close()
		if err != nil {
			return fmt.Errorf("%w: reading the body: %v", ErrBadSignature, err)
		}
		if int64(len(body)) > maxBody {
			return fmt.Errorf("%w: body over %d bytes", ErrBadSignature, maxBody)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return Verify(key, r.Header.Get(TimestampHeader), body, r.Header.Get(SignatureHeader), now, maxAge)
}
