package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// lockContract locks one contract before its rows are changed (the lock order is in
// doc.go); billing.ErrNotFound when it does not exist.
func lockContract(ctx context.Context, tx pgx.Tx, id int64) error {
	var got int64
	err := tx.QueryRow(ctx, "SELECT id FROM contracts WHERE id = $1 FOR NO KEY UPDATE", id).Scan(&got)
	return notFound(err, "contract", id)
}

// lockContracts locks, in ascending id order, the contracts that where (a condition on the
// columns of contracts, over $1, $2… of args) selects, before their rows are changed, and
// returns how many it locked.
func lockContracts(ctx context.Context, tx pgx.Tx, where string, args ...any) (int64, error) {
	var n int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT id FROM contracts WHERE `+where+`
		ORDER BY id FOR NO KEY UPDATE) locked`, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("lock contracts: %w", err)
	}
	return n, nil
}
