// Package linkcursor encodes the opaque cursors of the link queries of
// Baton's stores (store.LinkStore): a kind and the key of the last row
// of a page, as base64url JSON, so that a cursor made by one query is
// refused by another.
package linkcursor

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

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
