package store

import (
	"context"

	"github.com/batonhq/baton/release"
)

// ListFreezesParams are the arguments of ListFreezes.
type ListFreezesParams struct {
	Enabled *bool // when set, only freezes with this Enabled
	Cursor  string
	Limit   int
}

// FreezePage is one page of ListFreezes.
type FreezePage struct {
	Freezes []*release.Freeze
	Next    string
}

// FreezeStore is an optional capability: a store that keeps freezes
// (release.Freeze), the windows in which releases and activities in their
// scope may not start. Find it by type assertion. Without it an executor
// holds no freezes: its PutFreeze returns an error matching
// ErrUnsupported (in package executor) and nothing is ever frozen.
// Revision gives optimistic concurrency, as for groups.
type FreezeStore interface {
	// CreateFreeze stores a new freeze and returns a copy with Revision 1
	// (the Revision passed is ignored). ErrAlreadyExists when the ID is
	// taken; ErrInvalid when f is nil or its ID is empty.
	CreateFreeze(ctx context.Context, f *release.Freeze) (*release.Freeze, error)
	// UpdateFreeze replaces a freeze iff its stored Revision is
	// f.Revision, and returns a copy with Revision incremented.
	// ErrNotFound when it does not exist; ErrConflict when the revision is
	// stale; ErrInvalid when f is nil or its ID is empty.
	UpdateFreeze(ctx context.Context, f *release.Freeze) (*release.Freeze, error)
	// GetFreeze returns the freeze, or ErrNotFound.
	GetFreeze(ctx context.Context, id release.FreezeID) (*release.Freeze, error)
	// ListFreezes returns freezes ordered by ID. An empty store gives an
	// empty page, not an error.
	ListFreezes(ctx context.Context, p *ListFreezesParams) (*FreezePage, error)
	// DeleteFreeze deletes the freeze, or returns ErrNotFound. A revision
	// above zero must be the stored one (ErrConflict otherwise), so that a
	// caller deletes the freeze it read and judged, not one changed since.
	// Overrides recorded against it stay in the releases' events.
	DeleteFreeze(ctx context.Context, id release.FreezeID, revision int64) error
}
