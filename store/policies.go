package store

import (
	"context"

	"github.com/batonhq/baton/release"
)

// ListPoliciesParams are the arguments of ListPolicies.
type ListPoliciesParams struct {
	// Enabled, when set, keeps the policies whose latest version has this
	// Enabled.
	Enabled *bool
	Cursor  string
	Limit   int
}

// PolicyPage is one page of ListPolicies.
type PolicyPage struct {
	// Policies are the latest version of each policy, ordered by ID.
	Policies []*release.Policy
	Next     string
}

// ListPolicyVersionsParams are the arguments of ListPolicyVersions.
type ListPolicyVersionsParams struct {
	ID     release.PolicyID // required
	Cursor string
	Limit  int
}

// PolicyVersionPage is one page of ListPolicyVersions.
type PolicyVersionPage struct {
	// Policies are the versions of one policy, oldest first.
	Policies []*release.Policy
	Next     string
}

// PolicyStore is an optional capability: a store that keeps policies
// (release.Policy), the rules releases and activities in their scope must
// obey to start. Find it by type assertion (or Find). Without it an
// executor judges no policy: its PutPolicy returns an error and nothing is
// ever held by a policy.
//
// Policies are versioned: every change stores a new version and keeps the
// old ones, so that the version that judged a release can be read back.
// Nothing is ever deleted; deleting a policy is storing a disabled version.
type PolicyStore interface {
	// PutPolicy stores p as a new version of its policy and returns a copy
	// with its Version set. p.Version is the version the caller read: 0
	// creates the policy (ErrAlreadyExists when the ID is taken), n stores
	// version n+1 iff the latest stored version is n (ErrNotFound when the
	// policy does not exist, ErrConflict when n is not the latest; of two
	// writers who read the same version, one wins). ErrInvalid when p is
	// nil, its ID empty or its Version negative.
	PutPolicy(ctx context.Context, p *release.Policy) (*release.Policy, error)
	// GetPolicy returns version v of the policy, or its latest version when
	// v is 0; ErrNotFound when either does not exist.
	GetPolicy(ctx context.Context, id release.PolicyID, v int64) (*release.Policy, error)
	// ListPolicies returns the latest version of each policy, ordered by
	// ID. An empty store gives an empty page, not an error.
	ListPolicies(ctx context.Context, p *ListPoliciesParams) (*PolicyPage, error)
	// ListPolicyVersions returns every version of one policy, oldest
	// first; ErrNotFound when the policy does not exist.
	ListPolicyVersions(ctx context.Context, p *ListPolicyVersionsParams) (*PolicyVersionPage, error)
}
