package postgres

import (
	"context"
	"fmt"
	"time"
)

// PruneWebhookDeliveries deletes at most limit deliveries that were delivered before
// deliveredBefore, oldest first (webhook_deliveries_delivered), and returns how many it
// deleted. Pending deliveries (not yet delivered, failing or resting) and dropped ones (of a
// deleted endpoint) are never deleted. A pruned delivery is never made again: the
// publisher fans out only the events after each endpoint's fanned_seq.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, deliveredBefore time.Time, limit int) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM webhook_deliveries d USING (
			SELECT endpoint_id, event_id FROM webhook_deliveries
			WHERE state = 'delivered' AND delivered_at < $1 ORDER BY delivered_at LIMIT $2) old
		WHERE d.endpoint_id = old.endpoint_id AND d.event_id = old.event_id`, deliveredBefore, limit)
	if err != nil {
		return 0, fmt.Errorf("prune webhook deliveries delivered before %s: %w", deliveredBefore.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}
