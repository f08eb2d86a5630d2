package jobs

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// Metrics holds the job metrics, registered on an injected registry.
type Metrics struct {
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	unblock     prometheus.Histogram
	enabled     *prometheus.GaugeVec
	transitions *prometheus.CounterVec
}

// ladderTransitions names, per count of a block-delinquent batch, the collection ladder's
// transition it counts (billingd_collection_transitions_total{transition}).
var ladderTransitions = map[string]string{
	"reminders_recorded":            "reminder",
	"contracts_warned":              "debt_notice",
	"contracts_partially_suspended": "partial_suspension",
	"contracts_blocked":             "suspension",
	"contracts_reblocked":           "suspension_after_trust_unlock",
	"contracts_unblocked":           "restore",
	"contracts_terminated":          "termination",
}

// LadderTransitions are the values of billingd_collection_transitions_total's transition
// label, in ladder order.
var LadderTransitions = []string{"reminder", "debt_notice", "partial_suspension", "suspension", "suspension_after_trust_unlock",
	"restore", "termination"}

// NewMetrics registers the job metrics on reg. The last-success and queue gauges are read
// from the database at scrape time, so they are right from the first scrape after a restart.
// schedules say which jobs this process runs on their schedule (billingd_job_enabled); a
// job without a schedule is not exported there.
func NewMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, logger *slog.Logger, schedules []Schedule) *Metrics {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "billingd_job_runs_total",
			Help: "Runs of scheduled jobs finished by this process, by job, trigger and outcome.",
		}, []string{"job", "trigger", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "billingd_job_duration_seconds",
			Help:    "Time from a run's start to its end, for runs finished by this process.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800},
		}, []string{"job"}),
	}
	for _, name := range Names() {
		for _, trigger := range []string{TriggerSchedule, TriggerManual, TriggerCatchUp} {
			for _, outcome := range []string{"success", "failure"} {
				m.runs.WithLabelValues(name, trigger, outcome)
			}
		}
		m.duration.WithLabelValues(name)
	}
	m.enabled = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "billingd_job_enabled",
		Help: "1 when this process runs the job on its schedule, 0 when its BILLINGD_<JOB>_ENABLED setting turns it off.",
	}, []string{"job"})
	for _, s := range schedules {
		v := 0.0
		if s.Enabled {
			v = 1
		}
		m.enabled.WithLabelValues(s.Spec.Name).Set(v)
	}
	m.unblock = newUnblockHistogram()
	m.transitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "billingd_collection_transitions_total",
		Help: "Contracts moved on the collection ladder by this process (block-delinquent batches and payments), by transition.",
	}, []string{"transition"})
	for _, t := range LadderTransitions {
		m.transitions.WithLabelValues(t)
	}
	reg.MustRegister(m.runs, m.duration, m.unblock, m.enabled, m.transitions)
	postgres.RegisterJobMetrics(reg, pool, Names(), []string{QueueSweeps, QueueEvents}, logger)
	return m
}

// observeBatch counts the collection ladder's transitions a committed batch of job made.
func (m *Metrics) observeBatch(job string, counts map[string]int64) {
	if m == nil || m.transitions == nil || job != BlockDelinquent {
		return
	}
	for key, n := range counts {
		if t, ok := ladderTransitions[key]; ok && n > 0 {
			m.transitions.WithLabelValues(t).Add(float64(n))
		}
	}
}

func (m *Metrics) observeRun(run records.Run, outcome string) {
	m.runs.WithLabelValues(run.Job, run.Trigger, outcome).Inc()
	m.duration.WithLabelValues(run.Job).Observe(run.Duration().Seconds())
}
