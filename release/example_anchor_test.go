package release_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/release"
)

// A host seals each head of a release with its Ed25519 key; an auditor
// holding only the public key checks the exported bundle, and finds a
// chain rewritten with every hash recomputed.
func ExampleVerifyBundle() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	signer, _ := release.NewEd25519Signer("audit-2026", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
	public := signer.Verifier() // or release.NewEd25519Verifier("audit-2026", publicKey)

	id, _ := release.NewID(now, bytes.NewReader(make([]byte, 16)))
	r, created, _ := release.Create(id, now, "alice", "", release.ReleaseCreatedPayload{Name: "Mobile 2.4", Process: exampleProcess()})
	started, _ := r.RecordPayload(now, "alice", "", release.ReleaseStartedPayload{})
	b := &release.Bundle{Release: id, Events: []release.Event{created, started}}
	for _, e := range b.Events { // as the executor does with Config.Sealer
		a, _ := signer.Seal(ctx, release.Head{Release: id, Seq: e.Seq, Hash: e.Hash})
		b.Anchors = append(b.Anchors, a)
	}
	fmt.Println(release.VerifyBundle(b, public))

	// Rewrite who started the release, and recompute the hash.
	b.Events[1].Actor = "mallory"
	resealed, _ := release.Seal(release.Head{Release: id, Seq: 1, Hash: created.Hash}, b.Events[1:])
	b.Events[1] = resealed[0]
	fmt.Println(release.VerifyChain(b.Events))
	err := release.VerifyBundle(b, public)
	fmt.Println(errors.Is(err, release.ErrAnchor))
	// Output:
	// <nil>
	// <nil>
	// true
}
