package executor_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/sqlite"
)

// webStore returns a memstore holding webProcess and a registry with its
// adapter.
func webStore(t *testing.T) (*memstore.Store, *adapters.Registry) {
	t.Helper()
	st := memstore.New(nil)
	p, err := process.Parse([]byte(webProcess))
	require.NoError(t, err)
	_, err = st.PutProcess(t.Context(), &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: time.Now()})
	require.NoError(t, err)
	reg := adapters.NewRegistry(adapters.Func("cd.deploy", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{Outputs: map[string]any{"url": "https://example.com"}}, nil
	}))
	return st, reg
}

// running runs ex until the returned stop is called, and waits for it.
func running(ctx context.Context, ex *executor.Executor) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ex.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// sealedRun runs a release of webProcess to its end on an executor with
// sealer and returns the store and the release's id.
func sealedRun(t *testing.T, sealer release.Sealer) (store.Store, release.ID) {
	t.Helper()
	ctx := t.Context()
	st, reg := webStore(t)
	ex, err := executor.New(st, reg, &executor.Config{Sealer: sealer})
	require.NoError(t, err)
	defer running(ctx, ex)()
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindActivityWaiting, release.KindReleaseSucceeded}}, Buffer: 16})
	defer sub.Close()
	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}})
	require.NoError(t, err)
	<-sub.C() // activity.waiting
	require.NoError(t, ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "bob"}}))
	<-sub.C() // release.succeeded
	return st, sum.ID
}

func TestASealedReleaseExportsABundleThatDetectsARewrittenChain(t *testing.T) {
	signer, err := release.NewEd25519Signer("audit-1", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize)))
	require.NoError(t, err)
	st, id := sealedRun(t, signer)
	ctx := t.Context()

	b, err := executor.ExportBundle(ctx, st, id)
	require.NoError(t, err)
	last := b.Events[len(b.Events)-1]
	require.Equal(t, release.KindReleaseSucceeded, last.Kind)
	require.NotEmpty(t, b.Anchors)
	require.Equal(t, last.Seq, b.Anchors[len(b.Anchors)-1].Seq, "every write sealed its head, the last one too")
	require.NoError(t, release.VerifyBundle(b, signer.Verifier()))

	// Someone who can write the store rewrites the approval's actor and
	// recomputes every hash from there: the chain verifies, the anchors do
	// not.
	i := -1
	for j, e := range b.Events {
		if e.Kind == release.KindApprovalGranted {
			i = j
		}
	}
	require.GreaterOrEqual(t, i, 1)
	b.Events[i].Actor = "mallory"
	prev := b.Events[i-1]
	resealed, err := release.Seal(release.Head{Release: id, Seq: prev.Seq, Hash: prev.Hash}, b.Events[i:])
	require.NoError(t, err)
	copy(b.Events[i:], resealed)
	require.NoError(t, release.VerifyChain(b.Events))
	require.ErrorIs(t, release.VerifyBundle(b, signer.Verifier()), release.ErrAnchor)

	other, err := release.NewEd25519Signer("audit-1", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, ed25519.SeedSize)))
	require.NoError(t, err)
	fresh, err := executor.ExportBundle(ctx, st, id)
	require.NoError(t, err)
	require.ErrorIs(t, release.VerifyBundle(fresh, other.Verifier()), release.ErrAnchor, "a key other than the sealer's")
}

// noAnchors hides memstore's AnchorStore.
type noAnchors struct{ store.Store }

// Unwrap hides memstore's capabilities on purpose.
func (noAnchors) Unwrap() store.Store { return nil }

func TestASealerNeedsAStoreThatKeepsAnchors(t *testing.T) {
	key, err := release.NewHMACKey("k1", bytes.Repeat([]byte{1}, 32))
	require.NoError(t, err)
	_, err = executor.New(noAnchors{memstore.New(nil)}, nil, &executor.Config{Sealer: key})
	require.ErrorContains(t, err, "config: Sealer")
	_, err = executor.ExportBundle(t.Context(), noAnchors{memstore.New(nil)}, "r")
	require.ErrorContains(t, err, "store.AnchorStore")
}

// failingSealer cannot seal.
type failingSealer struct{}

func (failingSealer) Seal(context.Context, release.Head) (release.Anchor, error) {
	return release.Anchor{}, errors.New("the signing service is down")
}

func TestAHeadThatCannotBeSealedIsNotStored(t *testing.T) {
	ctx := t.Context()
	st, reg := webStore(t)
	ex, err := executor.New(st, reg, &executor.Config{Sealer: failingSealer{}})
	require.NoError(t, err)
	_, err = ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}})
	require.ErrorContains(t, err, "the signing service is down")
	page, err := st.ListReleases(ctx, &store.ListReleasesParams{})
	require.NoError(t, err)
	require.Empty(t, page.Releases)
}

// TestAnEditedSnapshotIsAnErrorNotADeployment is the attack of issue 12:
// someone who can write the store file marks a waiting approval Succeeded
// in the release's stored snapshot. The executor must not take it for the
// truth: loading the release fails with store.ErrCorrupt, so acting on it
// fails, and the deployment behind the approval never runs.
func TestAnEditedSnapshotIsAnErrorNotADeployment(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "baton.db")
	opts := &sqlite.Options{Synchronous: sqlite.SyncNormal, SnapshotDue: func(r *release.Release, last int64) bool { return r.Seq > last }}
	p, err := process.Parse([]byte(webProcess))
	require.NoError(t, err)
	var deploys atomic.Int32
	reg := adapters.NewRegistry(adapters.Func("cd.deploy", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		deploys.Add(1)
		return &adapters.Result{Outputs: map[string]any{"url": "https://example.com"}}, nil
	}))
	start := func() (*executor.Executor, *sqlite.Store, func()) {
		st, err := sqlite.Open(path, opts)
		require.NoError(t, err)
		ex, err := executor.New(st, reg, nil)
		require.NoError(t, err)
		stop := running(ctx, ex)
		return ex, st, func() { stop(); require.NoError(t, st.Close()) }
	}

	ex, st, stop := start()
	_, err = st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: time.Now()})
	require.NoError(t, err)
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindActivityWaiting}}, Buffer: 4})
	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}})
	require.NoError(t, err)
	<-sub.C()
	sub.Close()
	stop()

	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	var doc []byte
	require.NoError(t, db.QueryRow(`SELECT doc FROM snapshots WHERE release_id = ?`, string(sum.ID)).Scan(&doc))
	snap, err := release.UnmarshalSnapshot(doc)
	require.NoError(t, err)
	require.Equal(t, release.ActivityWaiting, snap.Activities["ship.approve"].Status)
	snap.Activities["ship.approve"].Status = release.ActivitySucceeded
	doc, err = snap.MarshalSnapshot()
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE snapshots SET doc = ? WHERE release_id = ?`, doc, string(sum.ID))
	require.NoError(t, err)
	require.NoError(t, db.Close())

	ex, _, stop = start()
	defer stop()
	_, err = ex.Get(ctx, sum.ID, nil)
	require.ErrorIs(t, err, store.ErrCorrupt)
	err = ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "bob"}})
	require.ErrorIs(t, err, store.ErrCorrupt)
	require.Zero(t, deploys.Load())
}
