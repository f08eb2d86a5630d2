package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
)

// TestRetryTxRetriesADeadlock makes two transactions lock two rows in opposite orders: a
// real deadlock, which PostgreSQL breaks by aborting the one with the shorter
// deadlock_timeout (RetryTx's). RetryTx runs it again, and the second run commits.
func TestRetryTxRetriesADeadlock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.pool.Exec(b.ctx, `CREATE TABLE lock_probe (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
		INSERT INTO lock_probe (id) VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	aHolds, bHolds := make(chan struct{}), make(chan struct{})
	bDone := make(chan error, 1)
	go func() {
		bDone <- pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
			// The other side waits long before looking for a deadlock, so RetryTx's side is the victim.
			if _, err := tx.Exec(b.ctx, "SET LOCAL deadlock_timeout = '30s'"); err != nil {
				return err
			}
			if _, err := tx.Exec(b.ctx, "UPDATE lock_probe SET n = n + 1 WHERE id = 2"); err != nil {
				return err
			}
			close(bHolds)
			<-aHolds
			_, err := tx.Exec(b.ctx, "UPDATE lock_probe SET n = n + 1 WHERE id = 1")
			return err
		})
	}()
	var attempts atomic.Int32
	var bErr error
	bFinished := false
	err := postgres.RetryTx(b.ctx, b.pool, func(tx pgx.Tx) error {
		n := attempts.Add(1)
		if n > 1 && !bFinished {
			// The retry starts once the other side has committed: when the victim rolls back,
			// both the other side and the retry wait for row 1, and a retry that took it first
			// would deadlock again (seen under load: three attempts).
			bErr, bFinished = <-bDone, true
		}
		if _, err := tx.Exec(b.ctx, "SET LOCAL deadlock_timeout = '20ms'"); err != nil {
			return err
		}
		if _, err := tx.Exec(b.ctx, "UPDATE lock_probe SET n = n + 10 WHERE id = 1"); err != nil {
			return err
		}
		if n == 1 {
			close(aHolds)
			<-bHolds
		}
		_, err := tx.Exec(b.ctx, "UPDATE lock_probe SET n = n + 10 WHERE id = 2")
		return err
	})
	if err != nil {
		t.Fatalf("RetryTx: %v", err)
	}
	if !bFinished {
		bErr = <-bDone
	}
	if bErr != nil {
		t.Fatalf("the other transaction: %v", bErr)
	}
	if got := attempts.Load(); got != 2 {
		t.Errorf("attempts %d, want 2 (a deadlock, then a commit)", got)
	}
	var n1, n2 int
	if err := b.pool.QueryRow(b.ctx, "SELECT (SELECT n FROM lock_probe WHERE id = 1), (SELECT n FROM lock_probe WHERE id = 2)").
		Scan(&n1, &n2); err != nil {
		t.Fatal(err)
	}
	if n1 != 11 || n2 != 11 {
		t.Errorf("rows %d and %d, want 11 and 11: both transactions committed once", n1, n2)
	}
}

// TestRetryTxGivesUp checks which errors RetryTx retries and what it returns when a
// transaction keeps losing: a conflict that says why, with the database error inside.
func TestRetryTxGivesUp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	raise := func(code string) func(pgx.Tx) error {
		return func(tx pgx.Tx) error {
			_, err := tx.Exec(b.ctx, "DO $$ BEGIN RAISE EXCEPTION 'lost' USING ERRCODE = '"+code+"'; END $$")
			return err
		}
	}
	tests := []struct {
		name         string
		code         string
		attempts     int32
		conflict     bool
		wantInReason string
	}{
		{"deadlock every time", "40P01", postgres.TxAttempts, true, "(deadlock detected)"},
		{"serialization failure every time", "40001", postgres.TxAttempts, true, "(serialization failure)"},
		{"unique violation is not retried", "23505", 1, false, ""},
		{"check violation is not retried", "23514", 1, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var attempts atomic.Int32
			err := postgres.RetryTx(context.Background(), b.pool, func(tx pgx.Tx) error {
				attempts.Add(1)
				return raise(tt.code)(tx)
			})
			if got := attempts.Load(); got != tt.attempts {
				t.Errorf("attempts %d, want %d", got, tt.attempts)
			}
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != tt.code {
				t.Errorf("error %v does not carry SQLSTATE %s", err, tt.code)
			}
			if errors.Is(err, billing.ErrConflict) != tt.conflict {
				t.Errorf("error %v: errors.Is(ErrConflict) = %v, want %v", err, !tt.conflict, tt.conflict)
			}
			if tt.conflict && (!strings.HasPrefix(err.Error(), "conflict: ") || !strings.Contains(err.Error(), tt.wantInReason)) {
				t.Errorf("error %q, want a conflict naming %s", err, tt.wantInReason)
			}
		})
	}
	// A Go error from fn is not retried either.
	var attempts atomic.Int32
	plain := errors.New("bad input")
	if err := postgres.RetryTx(b.ctx, b.pool, func(pgx.Tx) error { attempts.Add(1); return plain }); !errors.Is(err, plain) || attempts.Load() != 1 {
		t.Errorf("plain error: %v after %d attempts, want it after 1", err, attempts.Load())
	}
}
