package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// feedFixture is a store in a fresh schema with two releases, a and b, and
// a reader that has read the feed to its end.
type feedFixture struct {
	s      *postgres.Store
	pool   *pgxpool.Pool
	schema string
	a, b   *release.Release
	after  string
}

func newFeedFixture(t *testing.T) *feedFixture {
	t.Helper()
	ctx := context.Background()
	pool := testPool(t, 8)
	schema := freshSchema(t, pool)
	s, err := postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := &feedFixture{s: s, pool: pool, schema: schema,
		a: createTestRelease(t, s, mustID(t, at), at), b: createTestRelease(t, s, mustID(t, at.Add(time.Second)), at.Add(time.Second))}
	f.after = f.waitFor(t, 2)[1].Cursor
	return f
}

func mustID(t *testing.T, at time.Time) release.ID {
	t.Helper()
	id, err := release.NewID(at, nil)
	require.NoError(t, err)
	return id
}

// comment seals a comment after r's head.
func comment(t *testing.T, r *release.Release, text string) (expected int64, sealed []release.Event) {
	t.Helper()
	e, err := release.NewEvent(r.CreatedAt.Add(time.Minute), "bob", "", release.CommentAddedPayload{Text: text})
	require.NoError(t, err)
	expected = r.Seq
	sealed, err = r.Record(e)
	require.NoError(t, err)
	return expected, sealed
}

// read reads the feed after f.after once.
func (f *feedFixture) read(t *testing.T) []store.FeedEvent {
	t.Helper()
	page, err := f.s.ListAllEvents(context.Background(), &store.ListAllEventsParams{After: f.after})
	require.NoError(t, err)
	return page.Events
}

// waitFor reads the feed after f.after until n events came (other
// transactions in flight on the server hold the feed back a moment).
func (f *feedFixture) waitFor(t *testing.T, n int) []store.FeedEvent {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := f.read(t)
		if len(got) >= n {
			require.Len(t, got, n)
			return got
		}
		require.True(t, time.Now().Before(deadline), "%d events of %d", len(got), n)
		time.Sleep(time.Millisecond)
	}
}

// insertRaw writes, in tx, what an append of e to r writes for the feed:
// the event and its feed row (with pos, when not 0).
func (f *feedFixture) insertRaw(t *testing.T, tx pgx.Tx, e release.Event, pos int64) {
	t.Helper()
	ctx := context.Background()
	_, err := tx.Exec(ctx, `INSERT INTO `+f.schema+`.events (release_id, seq, kind, time, actor, reason, payload, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, string(e.Release), e.Seq, string(e.Kind), e.Time.Format(time.RFC3339Nano),
		e.Actor, e.Reason, []byte(e.Payload), e.PrevHash[:], e.Hash[:])
	require.NoError(t, err)
	if pos == 0 {
		_, err = tx.Exec(ctx, `INSERT INTO `+f.schema+`.feed (release_id, first_seq, last_seq) VALUES ($1, $2, $2)`, string(e.Release), e.Seq)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO `+f.schema+`.feed (pos, release_id, first_seq, last_seq) VALUES ($1, $2, $3, $3)`, pos, string(e.Release), e.Seq)
	}
	require.NoError(t, err)
}

func (f *feedFixture) pos(t *testing.T, id release.ID, seq int64) int64 {
	t.Helper()
	var pos int64
	require.NoError(t, f.pool.QueryRow(context.Background(), `SELECT pos FROM `+f.schema+`.feed WHERE release_id = $1 AND $2 BETWEEN first_seq AND last_seq`,
		string(id), seq).Scan(&pos))
	return pos
}

// A write that took its feed position first and commits last: a reader
// ordered by position alone, having read the later position, would skip
// it forever. The feed holds the later write back until the earlier one
// ends, then gives both, in order.
func TestFeedHoldsBackAWriteThatCommittedBeforeAnEarlierOne(t *testing.T) {
	f := newFeedFixture(t)
	ctx := context.Background()
	_, slow := comment(t, f.a, "slow")
	tx, err := f.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // committed below
	f.insertRaw(t, tx, slow[0], 0)

	expected, fast := comment(t, f.b, "fast")
	require.NoError(t, f.s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: fast, Release: f.b}))
	require.Empty(t, f.read(t), "b's append committed, but a's, begun before, is in flight: b is held back")

	require.NoError(t, tx.Commit(ctx))
	got := f.waitFor(t, 2)
	require.Equal(t, slow[0].Hash, got[0].Hash, "a's first: it took the earlier position")
	require.Equal(t, fast[0].Hash, got[1].Hash)
	require.Less(t, f.pos(t, f.a.ID, 2), f.pos(t, f.b.ID, 2), "b committed first with the later position")
}

// A position taken before a write that commits first, by a transaction
// that has no id yet: its row comes after the committed one in the feed
// (its transaction id is higher), so a reader that read the first misses
// nothing.
func TestFeedGivesALaterTransactionsEarlierPositionAfterWhatWasRead(t *testing.T) {
	f := newFeedFixture(t)
	ctx := context.Background()
	tx, err := f.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // committed below
	var early int64
	require.NoError(t, tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('`+f.schema+`.feed', 'pos'))`).Scan(&early))

	expected, fast := comment(t, f.b, "fast")
	require.NoError(t, f.s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: fast, Release: f.b}))
	got := f.waitFor(t, 1)
	require.Equal(t, fast[0].Hash, got[0].Hash)
	f.after = got[0].Cursor

	_, slow := comment(t, f.a, "slow")
	f.insertRaw(t, tx, slow[0], early)
	require.NoError(t, tx.Commit(ctx))
	require.Less(t, early, f.pos(t, f.b.ID, 2), "a's row has the earlier position")
	got = f.waitFor(t, 1)
	require.Equal(t, slow[0].Hash, got[0].Hash, "and is not skipped")
}

// A schema at version 7 (the current one without the tables of migration 8
// and after)
// holding releases: migrating it puts their events in the feed, each
// release's in order, before the events appended after.
func TestMigratedEventsAreInTheFeedBeforeNewOnes(t *testing.T) {
	f := newFeedFixture(t)
	ctx := context.Background()
	expected, more := comment(t, f.a, "before the migration")
	require.NoError(t, f.s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: more, Release: f.a}))
	// Later migrations go too, to run again after 8.
	for _, q := range []string{`DROP TABLE ` + f.schema + `.feed`, `DROP TABLE ` + f.schema + `.feed_cursors`,
		`DROP TABLE ` + f.schema + `.links`,
		// and retention's, policies' and digests' migrations, undone
		`DROP TABLE ` + f.schema + `.release_digests`,
		`DROP TABLE ` + f.schema + `.policies`,
		`DROP TRIGGER releases_not_deleted ON ` + f.schema + `.releases`, `DROP FUNCTION ` + f.schema + `.releases_not_deleted()`,
		`DROP TABLE ` + f.schema + `.deletions`, `ALTER TABLE ` + f.schema + `.releases DROP COLUMN ended_s, DROP COLUMN ended_ns`,
		`DELETE FROM ` + f.schema + `.schema_version WHERE version >= 8`} {
		_, err := f.pool.Exec(ctx, q)
		require.NoError(t, err)
	}
	s, err := postgres.NewFromPool(ctx, f.pool, &postgres.Options{Schema: f.schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	f.s, f.after = s, ""
	got := f.waitFor(t, 3)
	require.Equal(t, []release.ID{f.a.ID, f.a.ID, f.b.ID}, []release.ID{got[0].Release, got[1].Release, got[2].Release}, "a was created first")
	require.Equal(t, []int64{1, 2, 1}, []int64{got[0].Seq, got[1].Seq, got[2].Seq})
	require.Equal(t, more[0].Hash, got[1].Hash)

	f.after = got[2].Cursor
	expected, after := comment(t, f.b, "after the migration")
	require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: after, Release: f.b}))
	require.Equal(t, after[0].Hash, f.waitFor(t, 1)[0].Hash)
}
