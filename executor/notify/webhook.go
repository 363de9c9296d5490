package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"strconv"
	"strings"
	"time"

	batonhttp "github.com/batonhq/baton/adapters/http"
)

// IdempotencyKeyHeader carries Message.Key on the webhook notifiers'
// requests, so that a receiver can de-duplicate without reading the body.
const IdempotencyKeyHeader = "Idempotency-Key"

// WebhookConfig tunes a Webhook. A nil *WebhookConfig is valid.
type WebhookConfig struct {
	// SigningKey, when set, signs each request as the HTTP adapter does
	// (adapters/http Sign: the batonhttp.SignatureHeader and
	// TimestampHeader headers), so the receiver checks it with
	// batonhttp.VerifyRequest. Defaults to nil: unsigned.
	SigningKey []byte
	// Client sends the requests (a copy of it that follows no redirect).
	// Defaults to a client with a 10s timeout.
	Client *nethttp.Client
	// Clock stamps the signature. Defaults to the wall clock.
	Clock Clock
}

// Webhook is a Notifier that POSTs each Message as JSON to a URL. A 2xx
// reply is delivery; 408, 429 and 5xx (and transport errors) are retried;
// any other status is permanent (ErrPermanent). Redirects are not
// followed (a 3xx is permanent): the signed message goes to the URL
// configured and nowhere else.
type Webhook struct {
	url    string
	key    []byte
	client *nethttp.Client
	clock  Clock
}

var _ Notifier = (*Webhook)(nil)

// NewWebhook returns a Webhook posting to url (http or https).
func NewWebhook(url string, cfg *WebhookConfig) (*Webhook, error) {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("%w: webhook URL %q: want http:// or https://", ErrInvalid, url)
	}
	w := &Webhook{url: url, client: &nethttp.Client{Timeout: 10 * time.Second}, clock: realClock{}}
	if cfg != nil {
		w.key = cfg.SigningKey
		if cfg.Client != nil {
			w.client = cfg.Client
		}
		if cfg.Clock != nil {
			w.clock = cfg.Clock
		}
	}
	w.client = noRedirects(w.client)
	return w, nil
}

// noRedirects returns a copy of c that returns a redirect's response
// instead of following it.
func noRedirects(c *nethttp.Client) *nethttp.Client {
	cc := *c
	cc.CheckRedirect = func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse }
	return &cc
}

// Notify implements Notifier.
func (w *Webhook) Notify(ctx context.Context, m *Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("%w: encoding %s: %v", ErrPermanent, m.Key, err)
	}
	return post(ctx, w.client, w.url, body, m.Key, func(h nethttp.Header) {
		if len(w.key) > 0 {
			ts := strconv.FormatInt(w.clock.Now().Unix(), 10)
			h.Set(batonhttp.TimestampHeader, ts)
			h.Set(batonhttp.SignatureHeader, batonhttp.Sign(w.key, ts, body))
		}
	})
}

// post sends body and classifies the reply.
func post(ctx context.Context, client *nethttp.Client, url string, body []byte, key string, headers func(nethttp.Header)) error {
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(IdempotencyKeyHeader, key)
	headers(req.Header)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: posting %s: %w", key, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // only to reuse the connection
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == nethttp.StatusRequestTimeout || c == nethttp.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("notify: posting %s: %s", key, resp.Status)
	default:
		return fmt.Errorf("%w: posting %s: %s", ErrPermanent, key, resp.Status)
	}
}

// SlackConfig tunes a Slack notifier. A nil *SlackConfig is valid.
type SlackConfig struct {
	// LinkTemplate, when set, links each message to the host's own UI:
	// "{release}", "{activity}" and "{key}" in it are replaced by the
	// release id, the activity (empty for none) and the message key,
	// e.g. "https://releases.example.com/r/{release}". Defaults to "": no
	// link.
	LinkTemplate string
	// Client sends the requests (a copy of it that follows no redirect).
	// Defaults to a client with a 10s timeout.
	Client *nethttp.Client
}

// Slack is a Notifier that posts to a Slack-compatible incoming webhook
// ({"text": ...}, as Slack, Mattermost and Rocket.Chat accept): the
// message's text, its recipients as mentions ("@alice") and, with a
// LinkTemplate, a link to the release. Replies are classified as
// Webhook's.
type Slack struct {
	url    string
	link   string
	client *nethttp.Client
}

var _ Notifier = (*Slack)(nil)

// NewSlack returns a Slack notifier posting to the incoming webhook url.
func NewSlack(url string, cfg *SlackConfig) (*Slack, error) {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("%w: Slack webhook URL %q: want http:// or https://", ErrInvalid, url)
	}
	s := &Slack{url: url, client: &nethttp.Client{Timeout: 10 * time.Second}}
	if cfg != nil {
		s.link = cfg.LinkTemplate
		if cfg.Client != nil {
			s.client = cfg.Client
		}
	}
	s.client = noRedirects(s.client)
	return s, nil
}

// SlackText is the text Slack posts for m.
func (s *Slack) SlackText(m *Message) string {
	t := slackEscape(m.Text)
	if s.link != "" {
		u := strings.NewReplacer("{release}", string(m.Release.ID), "{activity}", string(m.Activity), "{key}", m.Key).Replace(s.link)
		t = "<" + u + "|" + t + ">"
	}
	if len(m.Recipients) > 0 {
		mentions := make([]string, len(m.Recipients))
		for i, r := range m.Recipients {
			mentions[i] = "@" + slackEscape(r)
		}
		t += " (" + strings.Join(mentions, " ") + ")"
	}
	return t
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Notify implements Notifier.
func (s *Slack) Notify(ctx context.Context, m *Message) error {
	body, err := json.Marshal(map[string]string{"text": s.SlackText(m)})
	if err != nil {
		return fmt.Errorf("%w: encoding %s: %v", ErrPermanent, m.Key, err)
	}
	return post(ctx, s.client, s.url, body, m.Key, func(nethttp.Header) {})
}
