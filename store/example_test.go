package store_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// countingStore is a host's decorator: it counts appends and passes
// everything else to the store it embeds.
type countingStore struct {
	store.Store
	appends int
}

func (c *countingStore) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	c.appends++
	return c.Store.AppendEvents(ctx, p)
}

// unwrapping is the same decorator with Unwrap: Find looks through it.
type unwrapping struct{ countingStore }

func (u *unwrapping) Unwrap() store.Store { return u.Store }

// Optional capabilities (here store.Leaser) are found with Find. A
// decorator that embeds store.Store hides them from a type assertion; Find
// refuses it loudly instead of letting an executor run without leases,
// and looks through one that has Unwrap.
func ExampleFind() {
	mem := memstore.New(nil)

	_, ok, err := store.Find[store.Leaser](&countingStore{Store: mem})
	var hidden *store.HiddenCapabilityError
	fmt.Println(ok, errors.As(err, &hidden), errors.Is(err, store.ErrInvalid))
	fmt.Println(hidden.Capability, "hidden in field", hidden.Field)

	l, ok, err := store.Find[store.Leaser](&unwrapping{countingStore{Store: mem}})
	fmt.Println(ok, err, l == store.Leaser(mem))
	// Output:
	// false true true
	// store.Leaser hidden in field Store
	// true <nil> true
}

// Stores never read the clock: a version's time travels in
// PutProcessParams.Now, and a zero Now is refused rather than stored as
// the year 1.
func ExampleProcessStore_zeroNow() {
	ctx := context.Background()
	st := memstore.New(nil)
	p, err := process.Parse([]byte("id: web\nphases:\n  - id: ship\n    activities:\n      - {id: deploy, uses: cd.deploy}\n"))
	if err != nil {
		panic(err)
	}
	_, err = st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice"})
	fmt.Println(errors.Is(err, store.ErrInvalid))

	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	stored, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: now})
	if err != nil {
		panic(err)
	}
	versions, err := st.ListProcessVersions(ctx, &store.ListProcessVersionsParams{ID: stored.ID})
	if err != nil {
		panic(err)
	}
	fmt.Println(stored.Version, versions.Versions[0].CreatedAt.Format(time.RFC3339))
	// Output:
	// true
	// 1 2026-03-02T09:00:00Z
}
