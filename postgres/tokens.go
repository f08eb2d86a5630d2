package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// APIToken is a named operator token as stored.
type APIToken = records.APIToken

const tokenColumns = `id, name, created_by, created_at, last_used_at, revoked_at, coalesce(revoked_by, '')`

func scanToken(row pgx.Row) (APIToken, error) {
	var t APIToken
	err := row.Scan(&t.ID, &t.Name, &t.CreatedBy, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt, &t.RevokedBy)
	return t, err
}

// CreateAPIToken stores a named token by the SHA-256 of its value (the caller made the value
// and shows it once). ErrConflict when a live token already has the name.
func (s *Store) CreateAPIToken(ctx context.Context, name string, hash []byte, createdBy string) (APIToken, error) {
	var out APIToken
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		out, err = scanToken(tx.QueryRow(ctx, `INSERT INTO api_tokens (name, token_hash, created_by) VALUES ($1, $2, $3)
			RETURNING `+tokenColumns, name, hash, createdBy))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "api_tokens_live_name" {
			return fmt.Errorf("%w: a live token is already named %q; revoke it first or choose another name", billing.ErrConflict, name)
		}
		if err != nil {
			return fmt.Errorf("create token %q: %w", name, err)
		}
		records.AddAuditDetail(ctx, "token_id", out.ID)
		return nil
	})
	return out, err
}

// APITokenByHash returns the token whose SHA-256 is hash, revoked or not, or
// billing.ErrNotFound. It records the use (last_used_at) at most once a minute per token, in
// the same statement, so that authenticating a request is one round trip.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	t, err := scanToken(s.Pool.QueryRow(ctx, `WITH t AS (
			SELECT id, name, created_by, created_at, last_used_at, revoked_at, revoked_by FROM api_tokens WHERE token_hash = $1),
		used AS (UPDATE api_tokens a SET last_used_at = now() FROM t
			WHERE a.id = t.id AND t.revoked_at IS NULL
			  AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') RETURNING a.last_used_at)
		SELECT id, name, created_by, created_at, coalesce((SELECT last_used_at FROM used), last_used_at), revoked_at,
			coalesce(revoked_by, '') FROM t`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return APIToken{}, fmt.Errorf("%w: no such token", billing.ErrNotFound)
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("look up token: %w", err)
	}
	return t, nil
}

// APITokens lists the named tokens by id, revoked ones included.
func (s *Store) APITokens(ctx context.Context, page Page) ([]APIToken, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE id > $1 ORDER BY id LIMIT $2", page.After, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIToken, error) { return scanToken(r) })
}

// RevokeAPIToken revokes a token; revoking a revoked token changes nothing. It returns the
// token as stored, or billing.ErrNotFound.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64, by string) (APIToken, error) {
	var out APIToken
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		out, err = scanToken(tx.QueryRow(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()),
				revoked_by = coalesce(revoked_by, $2) WHERE id = $1 RETURNING `+tokenColumns, id, by))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: token %d", billing.ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("revoke token %d: %w", id, err)
		}
		return nil
	})
	return out, err
}
