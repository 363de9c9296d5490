package rbac

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// ParseRules reads rules from a YAML (or JSON) document, as a host keeps
// them in its configuration, and checks them as New does:
//
//	roles:
//	  - {name: freeze-breaker, verbs: [override-freeze]}
//	bindings:
//	  - {subject: "group:sre", role: admin, scope: {all: true}}
//	  - {subject: alice, role: operator, scope: {process: shop, labels: {env: prod}}}
//	  - {subject: "system:authenticated", role: viewer, scope: {all: true}}
//
// Keys are those of the JSON form of Rules (roles, bindings; name,
// verbs; subject, role, scope; all, process, group, labels). An unknown
// or repeated key and a value of the wrong kind are errors naming the
// line; bad rules are errors matching ErrInvalid, every problem at once.
// An empty document is valid rules with no bindings (they deny
// everything); a second document is an error.
func ParseRules(doc []byte) (*Rules, error) {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	var r Rules
	if err := dec.Decode(&r); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("rbac: rules: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("rbac: rules: want one document, found more (or unreadable text after the first)")
	}
	if _, err := compile(&r); err != nil {
		return nil, err
	}
	return &r, nil
}
