package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// WebhookEndpoint and WebhookDelivery are the webhooks' records (package records).
type (
	WebhookEndpoint = records.WebhookEndpoint
	WebhookDelivery = records.WebhookDelivery
)

const eventColumns = `e.seq, e.event_id::text, e.kind, e.contract_id, e.subject_key, e.occurred_on, e.payload, e.created_at`

func scanEvent(row pgx.Row) (records.Event, error) {
	var e records.Event
	err := row.Scan(&e.Seq, &e.EventID, &e.Kind, &e.ContractID, &e.Subject, &e.OccurredOn, &e.Payload, &e.CreatedAt)
	return e, err
}

// Events lists published events in seq order, after page.After (a seq), optionally of one
// kind and one contract.
func (s *Store) Events(ctx context.Context, f records.EventFilter, page Page) ([]records.Event, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+eventColumns+` FROM events e
		WHERE e.seq > $1 AND ($2 = '' OR e.kind = $2) AND ($3 = 0 OR e.contract_id = $3)
		ORDER BY e.seq LIMIT $4`, page.After, f.Kind, f.ContractID, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.Event, error) { return scanEvent(r) })
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

// endpointColumns read an endpoint with its pending deliveries' count and its oldest pending
// event's time (the first pending seq, by webhook_deliveries_pending).
const endpointColumns = `w.id, w.url, w.secret, w.kinds, w.created_at, w.deleted_at,
	(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.state = 'pending'),
	(SELECT e.created_at FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.endpoint_id = w.id AND d.state = 'pending' ORDER BY d.seq LIMIT 1)`

func scanEndpoint(row pgx.Row) (WebhookEndpoint, error) {
	var w WebhookEndpoint
	err := row.Scan(&w.ID, &w.URL, &w.Secret, &w.Kinds, &w.CreatedAt, &w.DeletedAt, &w.Pending, &w.OldestPending)
	return w, err
}

// CreateWebhookEndpoint stores a webhook endpoint; it receives the events published from
// then on (its fan-out starts at the last seq published).
func (s *Store) CreateWebhookEndpoint(ctx context.Context, w WebhookEndpoint) (WebhookEndpoint, error) {
	var out WebhookEndpoint
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (url, secret, kinds, fanned_seq)
			VALUES ($1, $2, $3, (SELECT coalesce(max(seq), 0) FROM events)) RETURNING id`, w.URL, w.Secret, w.Kinds).Scan(&id); err != nil {
			return fmt.Errorf("create webhook endpoint: %w", err)
		}
		records.AddAuditDetail(ctx, "webhook_id", id)
		var err error
		out, err = scanEndpoint(tx.QueryRow(ctx, "SELECT "+endpointColumns+" FROM webhook_endpoints w WHERE w.id = $1", id))
		return err
	})
	return out, err
}

// WebhookEndpoint returns an endpoint, deleted or not, or billing.ErrNotFound.
func (s *Store) WebhookEndpoint(ctx context.Context, id int64) (WebhookEndpoint, error) {
	w, err := scanEndpoint(s.Pool.QueryRow(ctx, "SELECT "+endpointColumns+" FROM webhook_endpoints w WHERE w.id = $1", id))
	if err := notFound(err, "webhook endpoint", id); err != nil {
		return WebhookEndpoint{}, err
	}
	return w, nil
}

// WebhookEndpoints lists the live endpoints by id.
func (s *Store) WebhookEndpoints(ctx context.Context, page Page) ([]WebhookEndpoint, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+endpointColumns+` FROM webhook_endpoints w
		WHERE w.deleted_at IS NULL AND w.id > $1 ORDER BY w.id LIMIT $2`, page.After, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookEndpoint, error) { return scanEndpoint(r) })
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	return out, nil
}

// DeleteWebhookEndpoint deletes an endpoint: it gets no more deliveries, and its pending
// ones are dropped. Deleting a deleted endpoint changes nothing; billing.ErrNotFound for an
// unknown one. Like every writer of deliveries it takes the deliveries' rows before the
// endpoint's (the lock order in doc.go).
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id int64) (WebhookEndpoint, error) {
	var out WebhookEndpoint
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET state = 'dropped' WHERE endpoint_id = $1 AND state = 'pending'`,
			id); err != nil {
			return fmt.Errorf("drop the deliveries of webhook endpoint %d: %w", id, err)
		}
		tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET deleted_at = coalesce(deleted_at, now()) WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete webhook endpoint %d: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: webhook endpoint %d", billing.ErrNotFound, id)
		}
		out, err = scanEndpoint(tx.QueryRow(ctx, "SELECT "+endpointColumns+" FROM webhook_endpoints w WHERE w.id = $1", id))
		return err
	})
	return out, err
}

// DueWebhookEndpoints returns the live endpoints with a delivery due now (pending, its
// next attempt passed) and not resting after failures.
func (s *Store) DueWebhookEndpoints(ctx context.Context) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT w.id FROM webhook_endpoints w
		WHERE w.deleted_at IS NULL AND (w.retry_at IS NULL OR w.retry_at <= now())
		  AND EXISTS (SELECT 1 FROM webhook_deliveries d
			WHERE d.endpoint_id = w.id AND d.state = 'pending' AND d.next_attempt_at <= now())
		ORDER BY w.id`)
	if err != nil {
		return nil, fmt.Errorf("list due webhook endpoints: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list due webhook endpoints: %w", err)
	}
	return ids, nil
}

// NextWebhookDeliveries returns, in seq order and at most limit, the deliveries of an
// endpoint that may go out now: of each contract, its earliest pending delivery (so a
// contract's events go out in order, and a failing one holds back only its contract's
// later events), when its next attempt has come. It walks the endpoint's pending deliveries
// in seq order (webhook_deliveries_pending) and probes for an earlier pending one of the
// same contract (webhook_deliveries_pending_contract), so a long backlog is never read whole.
func (s *Store) NextWebhookDeliveries(ctx context.Context, endpoint int64, limit int) ([]WebhookDelivery, error) {
	rows, err := s.Pool.Query(ctx, `SELECT d.attempts, `+eventColumns+`
		FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.endpoint_id = $1 AND d.state = 'pending' AND d.next_attempt_at <= now()
		  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.contract_id = d.contract_id
			AND p.state = 'pending' AND p.seq < d.seq)
		ORDER BY d.seq LIMIT $2`, endpoint, limit)
	if err != nil {
		return nil, fmt.Errorf("next deliveries of webhook endpoint %d: %w", endpoint, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookDelivery, error) {
		d := WebhookDelivery{EndpointID: endpoint}
		err := r.Scan(&d.Attempts, &d.Event.Seq, &d.Event.EventID, &d.Event.Kind, &d.Event.ContractID, &d.Event.Subject,
			&d.Event.OccurredOn, &d.Event.Payload, &d.Event.CreatedAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("next deliveries of webhook endpoint %d: %w", endpoint, err)
	}
	return out, nil
}

// WebhookDelivered records that the endpoint acknowledged the event (by seq) and ends the
// endpoint's run of failures: the delivery's row, then the endpoint's.
func (s *Store) WebhookDelivered(ctx context.Context, endpoint, seq int64, status int) error {
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(),
				attempts = attempts + 1, last_status = $3, last_error = NULL
			WHERE endpoint_id = $1 AND seq = $2 AND state = 'pending'`, endpoint, seq, status); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET failures = 0, retry_at = NULL WHERE id = $1 AND failures > 0`, endpoint)
		return err
	})
	if err != nil {
		return fmt.Errorf("record delivery of event %d to webhook endpoint %d: %w", seq, endpoint, err)
	}
	return nil
}

// WebhookFailed records a failed attempt to deliver the event (by seq): the delivery is
// tried again after retry, and the endpoint counts one more failure in a row (reset by a
// delivery). It returns that count.
func (s *Store) WebhookFailed(ctx context.Context, endpoint, seq int64, status int, why string, retry time.Duration) (int, error) {
	var failures int
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = nullif($3, 0),
				last_error = $4, next_attempt_at = now() + $5::interval
			WHERE endpoint_id = $1 AND seq = $2 AND state = 'pending'`, endpoint, seq, status, why, retry); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `UPDATE webhook_endpoints SET failures = failures + 1 WHERE id = $1 RETURNING failures`,
			endpoint).Scan(&failures)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record failed delivery of event %d to webhook endpoint %d: %w", seq, endpoint, err)
	}
	return failures, nil
}

// RestWebhookEndpoint keeps the endpoint's deliveries from being tried for d (a receiver
// that is down is not asked for every contract's event in turn).
func (s *Store) RestWebhookEndpoint(ctx context.Context, endpoint int64, d time.Duration) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE webhook_endpoints SET retry_at = now() + $2::interval WHERE id = $1`, endpoint, d); err != nil {
		return fmt.Errorf("rest webhook endpoint %d: %w", endpoint, err)
	}
	return nil
}

// webhookLockBase is added to an endpoint's id to make the advisory lock its deliveries are
// sent under ("wh" in the high bytes).
const webhookLockBase int64 = 0x7768 << 48

// LockWebhookEndpoint takes, on a connection of its own, the session advisory lock under
// which one process at a time sends an endpoint's deliveries (so a contract's events never
// go out of order, or twice at once). ok is false when another holds it. The lock holds no
// transaction open, so a slow receiver never holds back the publication of events; it ends
// with release, or with the connection when the process dies.
func (s *Store) LockWebhookEndpoint(ctx context.Context, id int64) (release func(), ok bool, err error) {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock webhook endpoint %d: %w", id, err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, webhookLockBase+id).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("lock webhook endpoint %d: %w", id, err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, webhookLockBase+id); err != nil {
			conn.Conn().Close(ctx) // closing the session ends its locks
		}
		conn.Release()
	}, true, nil
}
