package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/webhook"
)

// PublishArgs asks to publish the events written since the last run and to start the
// delivery of every webhook endpoint with a delivery due; a periodic job of the leader
// (BILLINGD_EVENTS_PUBLISH_INTERVAL), at most one waiting at a time.
type PublishArgs struct{}

// Kind implements river.JobArgs.
func (PublishArgs) Kind() string { return "publish_events" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PublishArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEvents, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveJobStates}}
}

// DeliverArgs asks to send an endpoint's due deliveries; at most one waits per endpoint.
type DeliverArgs struct {
	EndpointID int64 `json:"endpoint_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "deliver_webhooks" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEvents, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveJobStates}}
}

// Webhooks publishes events and delivers them to the webhook endpoints.
type Webhooks struct {
	Store  *postgres.Store
	Logger *slog.Logger
	// Client sends the deliveries; its Timeout bounds one (BILLINGD_WEBHOOK_TIMEOUT).
	Client *http.Client
	// Now is the clock of the signatures' timestamps.
	Now func() time.Time
	// MaxBackoff bounds the wait before a failed delivery is tried again
	// (BILLINGD_WEBHOOK_MAX_BACKOFF).
	MaxBackoff time.Duration
	// PublishInterval is how often the leader publishes (BILLINGD_EVENTS_PUBLISH_INTERVAL).
	PublishInterval time.Duration
	// Metrics counts deliveries; nil counts nothing.
	Metrics *WebhookMetrics
	// DeliveryRetention is how long a delivered delivery is kept before the hourly
	// prune_webhook_deliveries job deletes it (BILLINGD_WEBHOOK_RETENTION_DAYS); zero keeps
	// them all and schedules no pruning.
	DeliveryRetention time.Duration
}

const (
	// publishBatch is the most events one publishing transaction publishes.
	publishBatch = 10000
	// deliveryBatch is the most deliveries one read of an endpoint's queue returns.
	deliveryBatch = 100
	// restAfter is how many failures in a row within one run make an endpoint rest.
	restAfter = 3
	// deliverBudget is how long one run sends before it leaves the rest to the next run
	// (enqueued by the next publication), so a long backlog never runs into the job's timeout.
	deliverBudget = time.Minute
)

// NewWebhookClient returns the HTTP client of deliveries: timeout bounds one delivery, and
// a redirect is not followed (a 3xx answer is a failure: the endpoint's URL is to be fixed).
func NewWebhookClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// WebhookMetrics counts webhook deliveries by endpoint and outcome.
type WebhookMetrics struct {
	deliveries *prometheus.CounterVec
}

// NewWebhookMetrics registers billingd_webhook_deliveries_total on reg.
func NewWebhookMetrics(reg prometheus.Registerer) *WebhookMetrics {
	m := &WebhookMetrics{deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "billingd_webhook_deliveries_total",
		Help: "Attempts to deliver an event to a webhook endpoint by this process, by endpoint id and outcome (delivered, failed).",
	}, []string{"endpoint", "outcome"})}
	reg.MustRegister(m.deliveries)
	return m
}

func (m *WebhookMetrics) count(endpoint int64, outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(strconv.FormatInt(endpoint, 10), outcome).Inc()
	}
}

// publishWorker works PublishArgs.
type publishWorker struct {
	river.WorkerDefaults[PublishArgs]
	w *Webhooks
}

// Work implements river.Worker.
func (p *publishWorker) Work(ctx context.Context, job *river.Job[PublishArgs]) error {
	_, err := p.w.Publish(ctx, river.ClientFromContext[pgx.Tx](ctx))
	return err
}

// Publish publishes every event it may (postgres.Store.PublishEvents, a batch at a time)
// and enqueues the delivery of each endpoint with a delivery due. It returns how many
// events it published.
func (w *Webhooks) Publish(ctx context.Context, client *river.Client[pgx.Tx]) (int64, error) {
	var total int64
	for {
		n, err := w.Store.PublishEvents(ctx, publishBatch)
		if err != nil {
			return total, err
		}
		total += n
		if n < publishBatch {
			break
		}
	}
	due, err := w.Store.DueWebhookEndpoints(ctx)
	if err != nil {
		return total, err
	}
	if total > 0 {
		w.Logger.InfoContext(ctx, "events published", slog.Int64("events", total), slog.Int("endpoints_due", len(due)))
	}
	if len(due) == 0 || client == nil {
		return total, nil
	}
	jobs := make([]river.InsertManyParams, len(due))
	for i, id := range due {
		jobs[i] = river.InsertManyParams{Args: DeliverArgs{EndpointID: id}}
	}
	if _, err := client.InsertMany(ctx, jobs); err != nil {
		return total, fmt.Errorf("enqueue the deliveries of %d webhook endpoints: %w", len(due), err)
	}
	return total, nil
}

// deliverWorker works DeliverArgs.
type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	w *Webhooks
}

// Timeout implements river.Worker: a run sends one batch after another until none is due.
func (d *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return 10 * time.Minute }

// Work implements river.Worker.
func (d *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	_, err := d.w.Deliver(ctx, job.Args.EndpointID)
	return err
}

// Deliver sends an endpoint's due deliveries, under the endpoint's lock (another process
// already sending them makes it return at once): batch after batch of the earliest pending
// delivery of each contract, in seq order, until none is due, deliverBudget has passed, or restAfter deliveries fail
// in a row (the endpoint then rests for the backoff of its failures in a row, see
// postgres.Store.RestWebhookEndpoint). A delivery is
// delivered when the endpoint answers 2xx; otherwise it is tried again after
// webhook.Backoff of its attempts. It returns how many it delivered.
func (w *Webhooks) Deliver(ctx context.Context, endpointID int64) (int, error) {
	release, ok, err := w.Store.LockWebhookEndpoint(ctx, endpointID)
	if err != nil || !ok {
		return 0, err
	}
	defer release()
	ep, err := w.Store.WebhookEndpoint(ctx, endpointID)
	if err != nil {
		return 0, err
	}
	if ep.DeletedAt != nil {
		return 0, nil
	}
	delivered, failed, inRow := 0, 0, 0
	defer func() {
		if delivered+failed > 0 {
			w.Logger.InfoContext(ctx, "webhook deliveries", slog.Int64("endpoint_id", endpointID),
				slog.Int("delivered", delivered), slog.Int("failed", failed))
		}
	}()
	started := time.Now()
	for time.Since(started) < deliverBudget {
		batch, err := w.Store.NextWebhookDeliveries(ctx, endpointID, deliveryBatch)
		if err != nil || len(batch) == 0 {
			return delivered, err
		}
		for _, d := range batch {
			status, why := w.send(ctx, ep, d)
			if why == "" {
				delivered, inRow = delivered+1, 0
				w.Metrics.count(endpointID, "delivered")
				if err := w.Store.WebhookDelivered(ctx, endpointID, d.Event.Seq, status); err != nil {
					return delivered, err
				}
				continue
			}
			failed++
			inRow++
			w.Metrics.count(endpointID, "failed")
			failures, err := w.Store.WebhookFailed(ctx, endpointID, d.Event.Seq, status, why, webhook.Backoff(d.Attempts+1, w.MaxBackoff))
			if err != nil {
				return delivered, err
			}
			if inRow >= restAfter {
				// Rest for the backoff of the endpoint's failures in a row beyond the first few.
				rest := webhook.Backoff(max(failures-restAfter+1, 1), w.MaxBackoff)
				w.Logger.WarnContext(ctx, "webhook endpoint failing; resting", slog.Int64("endpoint_id", endpointID),
					slog.Int("delivered", delivered), slog.Int("failed", failed), slog.Int("failures_in_a_row", failures),
					slog.String("rest", rest.String()), slog.String("last_error", why))
				return delivered, w.Store.RestWebhookEndpoint(ctx, endpointID, rest)
			}
		}
	}
	return delivered, nil
}

// send posts one delivery, signed; it returns the status answered and, when the delivery
// failed, why (empty when the endpoint answered 2xx). The secret is never part of why.
func (w *Webhooks) send(ctx context.Context, ep postgres.WebhookEndpoint, d postgres.WebhookDelivery) (int, string) {
	body, err := json.Marshal(webhook.BodyOf(d.Event))
	if err != nil {
		return 0, "encode the event: " + err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "request: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "billingd-webhooks")
	req.Header.Set(webhook.EventIDHeader, d.Event.EventID)
	req.Header.Set(webhook.EventKindHeader, d.Event.Kind)
	req.Header.Set(webhook.SignatureHeader, webhook.SignatureValue(ep.Secret, w.Now(), body))
	resp, err := w.Client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, "answered " + resp.Status
	}
	return resp.StatusCode, ""
}
