package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// publishLock is the advisory lock publishers hold for their transaction, so that one at a
// time assigns seq ("billingd.events" folded into 64 bits).
const publishLock int64 = 0x6576656e74730001

// PublishEvents publishes the events every transaction that could still write an earlier
// one has ended for: those whose xid is below the oldest transaction still running
// (pg_snapshot_xmin of the current snapshot). It gives them seq in id order, following the
// last seq published, at most limit of them per transaction, and then copies each newly
// published event a live webhook endpoint takes into that endpoint's deliveries
// (webhook_deliveries, once per endpoint and event). A reader paging by seq therefore never
// skips an event that commits late: such an event's xid keeps it, and every event after it,
// unpublished until it commits. It returns how many events it published.
func (s *Store) PublishEvents(ctx context.Context, limit int) (int64, error) {
	var published int64
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		published = 0
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, publishLock); err != nil {
			return fmt.Errorf("take the publishing lock: %w", err)
		}
		// The statement's snapshot is taken after the lock, so it sees the last publisher's seqs.
		if err := tx.QueryRow(ctx, `WITH top AS (SELECT coalesce(max(seq), 0) AS seq FROM events),
			n AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM (
					SELECT id FROM events WHERE seq IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())
					ORDER BY id LIMIT $1) x),
			u AS (UPDATE events e SET seq = top.seq + n.rn FROM n, top WHERE e.id = n.id RETURNING 1)
			SELECT count(*) FROM u`, limit).Scan(&published); err != nil {
			return fmt.Errorf("publish events: %w", err)
		}
		if _, err := tx.Exec(ctx, `WITH top AS (SELECT coalesce(max(seq), 0) AS seq FROM events),
			d AS (INSERT INTO webhook_deliveries (endpoint_id, event_id, contract_id, seq)
				SELECT w.id, e.id, e.contract_id, e.seq
				FROM webhook_endpoints w CROSS JOIN top
				JOIN events e ON e.seq > w.fanned_seq AND e.seq <= top.seq AND e.kind = ANY (w.kinds)
				WHERE w.deleted_at IS NULL AND w.fanned_seq < top.seq
				ORDER BY w.id, e.seq
				ON CONFLICT (endpoint_id, event_id) DO NOTHING)
			UPDATE webhook_endpoints w SET fanned_seq = top.seq FROM top WHERE w.deleted_at IS NULL AND w.fanned_seq < top.seq`); err != nil {
			return fmt.Errorf("fan out events to webhook endpoints: %w", err)
		}
		return nil
	})
	return published, err
}
