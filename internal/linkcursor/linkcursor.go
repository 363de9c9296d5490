// Package linkcursor encodes the opaque cursors of the link queries of
// Baton's stores (store.LinkStore): a kind and the key of the last row
// of a page, as base64url JSON, so that a cursor made by one query is
// refused by another.
package linkcursor

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/batonhq/baton/store"
)

// The kinds of cursor, one per query.
const (
	KindFind        = "find"        // FindLinks: after (release, seq)
	KindDeployments = "deployments" // ListDeployments: after (environment, service)
	KindHistory     = "history"     // ListDeploymentHistory: after (succeeded-at s, ns, release, seq)
	KindConflicts   = "conflicts"   // ListDeploymentConflicts: after (environment, service, version)
)

// Find is the cursor of the FindLinks page that follows rec.
func Find(rec *store.LinkRecord) string { return Encode(KindFind, rec.Release, rec.Seq) }

// Deployments is the cursor of the ListDeployments page that follows rec.
func Deployments(rec *store.LinkRecord) string {
	return Encode(KindDeployments, rec.Link.Environment, rec.Link.Service)
}

// History is the cursor of the ListDeploymentHistory page that follows
// rec.
func History(rec *store.LinkRecord) string {
	return Encode(KindHistory, rec.SucceededAt.Unix(), rec.SucceededAt.Nanosecond(), rec.Release, rec.Seq)
}

// Conflicts is the cursor of the ListDeploymentConflicts page that
// follows c.
func Conflicts(c *store.DeploymentConflict) string {
	return Encode(KindConflicts, c.Environment, c.Service, c.Version)
}

// Encode returns the cursor of kind with the given key parts.
func Encode(kind string, parts ...any) string {
	b, err := json.Marshal(append([]any{kind}, parts...))
	if err != nil {
		panic(fmt.Sprintf("linkcursor: %v", err)) // parts are strings and integers
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads cursor c, made by Encode with kind, into dst (pointers, as
// many as the parts given to Encode). An empty c leaves dst as it is and
// returns false; a cursor not made by Encode with kind and that many
// parts is an error.
func Decode(c, kind string, dst ...any) (bool, error) {
	if c == "" {
		return false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return false, fmt.Errorf("cursor %q: not one this store made", c)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) != len(dst)+1 {
		return false, fmt.Errorf("cursor %q: not one this store made", c)
	}
	var k string
	if err := json.Unmarshal(parts[0], &k); err != nil || k != kind {
		return false, fmt.Errorf("cursor %q: not a cursor of this query", c)
	}
	for i, d := range dst {
		if err := json.Unmarshal(parts[i+1], d); err != nil {
			return false, fmt.Errorf("cursor %q: not one this store made", c)
		}
	}
	return true, nil
}
