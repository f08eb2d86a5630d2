package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// PruneDeliveriesArgs asks to delete the webhook deliveries delivered longer ago than the
// retention (Webhooks.DeliveryRetention); a periodic job of the leader, hourly and at its
// start, at most one waiting at a time.
type PruneDeliveriesArgs struct{}

// Kind implements river.JobArgs.
func (PruneDeliveriesArgs) Kind() string { return "prune_webhook_deliveries" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PruneDeliveriesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEvents, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveJobStates}}
}

const (
	// PruneDeliveriesInterval is how often the leader prunes delivered webhook deliveries.
	PruneDeliveriesInterval = time.Hour
	// pruneBatch is the most deliveries one pruning statement deletes, so that a first
	// pruning of a long history never holds one long transaction.
	pruneBatch = 10000
)

// pruneDeliveriesWorker works PruneDeliveriesArgs.
type pruneDeliveriesWorker struct {
	river.WorkerDefaults[PruneDeliveriesArgs]
	w *Webhooks
}

// Work implements river.Worker.
func (p *pruneDeliveriesWorker) Work(ctx context.Context, _ *river.Job[PruneDeliveriesArgs]) error {
	_, err := p.w.PruneDeliveries(ctx)
	return err
}

// PruneDeliveries deletes the deliveries delivered before now minus DeliveryRetention, a
// statement of at most 10,000 at a time, and returns how many it deleted; with no retention
// it deletes nothing. Deliveries not delivered (pending, failing, dropped) are kept.
func (w *Webhooks) PruneDeliveries(ctx context.Context) (int64, error) {
	if w.DeliveryRetention <= 0 {
		return 0, nil
	}
	before := w.Now().Add(-w.DeliveryRetention)
	var total int64
	for {
		n, err := w.Store.PruneWebhookDeliveries(ctx, before, pruneBatch)
		total += n
		if err != nil {
			return total, err
		}
		if n < pruneBatch {
			break
		}
	}
	if total > 0 {
		w.Logger.InfoContext(ctx, "webhook deliveries pruned", slog.Int64("deliveries", total),
			slog.String("delivered_before", before.UTC().Format(time.RFC3339)))
	}
	return total, nil
}
