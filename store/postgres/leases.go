package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/store"
)

func checkLease(p *store.LeaseParams, needTTL bool) error {
	if p == nil || p.Key == "" || p.Owner == "" {
		return errf(store.ErrInvalid, "lease: a key and an owner are required")
	}
	if err := checkText("lease", "Key", p.Key, "Owner", p.Owner); err != nil {
		return err
	}
	if needTTL && p.TTL <= 0 {
		return errf(store.ErrInvalid, "lease %s: TTL %s: must be positive", p.Key, p.TTL)
	}
	return nil
}

// A lease is live while (now_s, now_ns) < (expires_s, expires_ns) and its
// owner is not ” (a row released by an older version).
const (
	// qAcquire takes a free or expired lease (a new token) or extends the
	// owner's live one (the same token) in one statement: the row lock of
	// ON CONFLICT makes concurrent acquires of one key take turns, and each
	// sees the row as the one before it left it. No row comes back when
	// another owner holds the lease live.
	//
	// Tokens come from one sequence for the schema (lease_tokens), so that
	// a key's token never repeats though a released lease's row is
	// deleted. An acquire that extends its own lease may consume a value it
	// does not use: tokens have gaps, never repeats.
	qAcquire = `INSERT INTO _s.leases AS l (key, owner, expires_s, expires_ns, token) VALUES ($1, $2, $3, $4, nextval('_s.lease_tokens'))
		ON CONFLICT (key) DO UPDATE SET
			token = CASE WHEN l.owner = excluded.owner AND ($5, $6) < (l.expires_s, l.expires_ns) THEN l.token ELSE excluded.token END,
			owner = excluded.owner, expires_s = excluded.expires_s, expires_ns = excluded.expires_ns
		WHERE l.owner = '' OR l.owner = excluded.owner OR ($5, $6) >= (l.expires_s, l.expires_ns)
		RETURNING token`
	qRenew = `UPDATE _s.leases SET expires_s = $3, expires_ns = $4
		WHERE key = $1 AND owner = $2 AND ($5, $6) < (expires_s, expires_ns) RETURNING token`
	qLease   = `SELECT owner, expires_s, expires_ns FROM _s.leases WHERE key = $1`
	qRelease = `DELETE FROM _s.leases WHERE key = $1 AND owner = $2`
)

// holder reads who holds the lease on key: ok is false when the key has
// never been leased.
func (s *Store) holder(ctx context.Context, op, key string) (owner string, expires time.Time, ok bool, err error) {
	var sec int64
	var nsec int32
	err = s.pool.QueryRow(ctx, s.q(qLease), key).Scan(&owner, &sec, &nsec)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, false, nil
	} else if err != nil {
		return "", time.Time{}, false, s.wrapDB(ctx, op, err)
	}
	return owner, time.Unix(sec, int64(nsec)), true, nil
}

// AcquireLease implements store.Leaser.
func (s *Store) AcquireLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if err := checkLease(p, true); err != nil {
		return nil, err
	}
	op := "acquire lease " + p.Key
	expires := p.Now.Add(p.TTL)
	var token int64
	err := s.pool.QueryRow(ctx, s.q(qAcquire), p.Key, p.Owner, expires.Unix(), int32(expires.Nanosecond()),
		p.Now.Unix(), int32(p.Now.Nanosecond())).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) {
		owner, until, _, err := s.holder(ctx, op, p.Key)
		if err != nil {
			return nil, err
		}
		return nil, errf(store.ErrConflict, "acquire lease %s: held by %s until %s", p.Key, owner, until.UTC().Format(time.RFC3339Nano))
	} else if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	return &store.Lease{Key: p.Key, Owner: p.Owner, Expires: expires, Token: token}, nil
}

// RenewLease implements store.Leaser.
func (s *Store) RenewLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if err := checkLease(p, true); err != nil {
		return nil, err
	}
	op := "renew lease " + p.Key
	expires := p.Now.Add(p.TTL)
	var token int64
	err := s.pool.QueryRow(ctx, s.q(qRenew), p.Key, p.Owner, expires.Unix(), int32(expires.Nanosecond()),
		p.Now.Unix(), int32(p.Now.Nanosecond())).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) {
		_, _, ok, err := s.holder(ctx, op, p.Key)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errf(store.ErrNotFound, "renew lease %s", p.Key)
		}
		return nil, errf(store.ErrConflict, "renew lease %s: not held by %s", p.Key, p.Owner)
	} else if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	return &store.Lease{Key: p.Key, Owner: p.Owner, Expires: expires, Token: token}, nil
}

// ReleaseLease implements store.Leaser. The row is deleted: the lease goes
// with the work, and the key's next token still comes from the sequence.
func (s *Store) ReleaseLease(ctx context.Context, p *store.LeaseParams) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if err := checkLease(p, false); err != nil {
		return err
	}
	op := "release lease " + p.Key
	tag, err := s.pool.Exec(ctx, s.q(qRelease), p.Key, p.Owner)
	if err != nil {
		return s.wrapDB(ctx, op, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	owner, _, _, err := s.holder(ctx, op, p.Key)
	if err != nil || owner == "" {
		return err
	}
	return errf(store.ErrConflict, "release lease %s: held by %s", p.Key, owner)
}
