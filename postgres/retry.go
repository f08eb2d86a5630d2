package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// TxAttempts is how many times RetryTx runs a transaction that PostgreSQL keeps aborting as
// a serialization failure or a deadlock before it gives up with a conflict.
const TxAttempts = 4

// txRetryBackoff is the wait before the second attempt; it doubles before each later one,
// and each wait is drawn at random between half of it and all of it, so that the two
// transactions that collided do not collide again in step.
const txRetryBackoff = 10 * time.Millisecond

// SQLSTATEs of a transaction that lost a race and may simply be run again.
const (
	sqlstateSerializationFailure = "40001"
	sqlstateDeadlockDetected     = "40P01"
)

// TxBeginner is what RetryTx needs: a pool or a connection.
type TxBeginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// RetryTx runs fn in a transaction on db and commits it. When PostgreSQL aborts the
// transaction as a serialization failure (SQLSTATE 40001) or a deadlock (40P01) it rolls
// back and runs the whole transaction again (fn included: since River v0.49 a failed
// statement cannot be undone by a savepoint, so nothing short of the whole transaction is
// retried), up to TxAttempts times in all, after a short jittered backoff. A transaction
// that still loses returns an error wrapping billing.ErrConflict that says why, so the API answers
// 409 and a job is retried later, never a 500. Any other error is returned at once.
//
// fn must be safe to run more than once: it may only write through tx, and it must set
// every result it returns on each run.
//
// When ctx carries an audit record not yet written (records.WithAudit: an API request to a
// write route, a run the CLI enqueues), RetryTx writes it in the transaction, after fn, and
// sets its ID once the transaction commits: the record of a change commits with the change.
func RetryTx(ctx context.Context, db TxBeginner, fn func(pgx.Tx) error) error {
	backoff := txRetryBackoff
	audit := records.AuditOf(ctx)
	for attempt := 1; ; attempt++ {
		var auditID int64
		err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			var err error
			auditID, err = auditInTx(ctx, tx)
			return err
		})
		if err == nil && auditID != 0 {
			audit.ID = auditID
		}
		reason := lostRace(err)
		if reason == "" {
			return err
		}
		if attempt == TxAttempts {
			return &lostRaceError{reason: reason, err: err}
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff *= 2
		select {
		case <-ctx.Done():
			return fmt.Errorf("retry after %s: %w", reason, errors.Join(ctx.Err(), err))
		case <-time.After(wait):
		}
	}
}

// lostRace names the race a transaction's error reports ("deadlock detected",
// "serialization failure"), or returns "" when err is not one that a new attempt can win.
func lostRace(err error) string {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return ""
	}
	switch pgErr.Code {
	case sqlstateDeadlockDetected:
		return "deadlock detected"
	case sqlstateSerializationFailure:
		return "serialization failure"
	}
	return ""
}

// lostRaceError is a transaction that lost its race TxAttempts times: a conflict whose
// message says why, wrapping the last database error for the logs and errors.As.
type lostRaceError struct {
	reason string
	err    error
}

func (e *lostRaceError) Error() string {
	return fmt.Sprintf("%v: a concurrent change to the same rows won %d times in a row (%s); try again",
		billing.ErrConflict, TxAttempts, e.reason)
}

// Unwrap makes errors.Is(err, billing.ErrConflict) true and keeps the database error reachable.
func (e *lostRaceError) Unwrap() []error { return []error{billing.ErrConflict, e.err} }
