// Package jobs is billingd's adapter to the River job queue: the scheduled sweeps, their
// id-range batches, the job_runs ledger, catch-up of missed slots, and the job metrics.
//
// Every scheduled job follows one principle: a cron tick only enqueues a sweep for an as-of
// date; the sweep plans the work due on or before that date in id-range batches, each batch
// a River job done in one transaction, so a missed tick, a catch-up and an operator's rerun
// are one operation and running any of them twice changes nothing.
package jobs

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/billingd/billingd/postgres"
)

// Names of the scheduled jobs, as operators and metrics know them.
const (
	GenerateInstallments = "generate-installments"
	RenewContracts       = "renew-contracts"
	// BlockDelinquent is the collection ladder's sweep: it moves the delinquent contracts up
	// their blocking rule's ladder (debt notice, partial and total suspension, termination),
	// suspends again expired trust unlocks and restores those that paid.
	BlockDelinquent    = "block-delinquent"
	ResetBenefitQuotas = "reset-benefit-quotas"
	// SendNotices records coming-due and overdue notices and enqueues the outbox's delivery.
	SendNotices = "send-notices"
	// ImportPayments takes the drop directory's bank return files in and imports every
	// pending payment file (postgres.ImportPaymentsSweep).
	ImportPayments = postgres.ImportPaymentsJob
)

// Triggers say why a run happened.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
	TriggerCatchUp  = "catch-up"
)

// Spec describes one scheduled job: its name and default schedule.
type Spec struct {
	// Name is the job's name, such as "generate-installments".
	Name string
	// Description says in one line what the job does.
	Description string
	// DefaultSchedule is the cron expression used when no setting overrides it.
	DefaultSchedule string
}

// Catalogue lists every scheduled job billingd knows.
var Catalogue = []Spec{
	{
		Name:            GenerateInstallments,
		Description:     "creates the adhesion and recurring installments every contract should have as of the date, and cancels the contracts still waiting for their first payment after BILLINGD_ACTIVATION_WAIT_DAYS",
		DefaultSchedule: "0 2 * * *",
	},
	{
		Name:            RenewContracts,
		Description:     "queues the contracts whose open installments fell to the queue threshold and renews those at the renewal threshold",
		DefaultSchedule: "0 3 * * *",
	},
	{
		Name:            BlockDelinquent,
		Description:     "moves the contracts their blocking rules' collection ladders select as of the date: reminders, debt notice, partial and total suspension, termination; suspends again those whose trust unlock ended unpaid",
		DefaultSchedule: "15 * * * *",
	},
	{
		Name:            ResetBenefitQuotas,
		Description:     "opens the new period's benefit balance of every grant whose renewal period ended as of the date, and the next cycle (with its installment) of every package whose cycle ended by date (cycle_months)",
		DefaultSchedule: "5 0 * * *",
	},
	{
		Name:            SendNotices,
		Description:     "records coming-due and overdue notices of open installments and enqueues the e-mail of every undelivered notice",
		DefaultSchedule: "0 8 * * *",
	},
	{
		Name:            ImportPayments,
		Description:     "takes the drop directory's bank return files in and records the payments of every pending return file, listing what it cannot match as payment exceptions",
		DefaultSchedule: "*/5 * * * *",
	},
}

// DependencyOrder lists every job after the jobs whose effects it reads: generation creates
// the installments renewal counts, quotas are reset before the day's blocks, the day's bank
// files are imported before the blocks, and
// block-delinquent's blocks come before send-notices records and sends the day's notices. A
// catch-up run of a job waits until the runs of the jobs before it, for the same or earlier
// dates, have finished (see Runner.CatchUpPoll).
var DependencyOrder = []string{GenerateInstallments, RenewContracts, ResetBenefitQuotas, ImportPayments, BlockDelinquent, SendNotices}

// Lookup returns the spec of the named job.
func Lookup(name string) (Spec, bool) {
	for _, s := range Catalogue {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Names returns the names of every scheduled job, in catalogue order.
func Names() []string {
	out := make([]string, len(Catalogue))
	for i, s := range Catalogue {
		out[i] = s.Name
	}
	return out
}

// Schedule is a job's parsed cron schedule and its enabled switch.
type Schedule struct {
	// Spec is the job the schedule belongs to.
	Spec Spec
	// Expr is the cron expression as configured, without the time zone.
	Expr string
	// Enabled says whether the daemon runs the job on its schedule.
	Enabled bool
	// Cron is the parsed schedule, evaluated in the business time zone.
	Cron cron.Schedule
}

// ParseSchedule parses a standard five-field cron expression (or a descriptor such as
// @daily) to be evaluated in loc, whatever the host's time zone.
func ParseSchedule(expr string, loc *time.Location) (cron.Schedule, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, fmt.Errorf("empty cron expression")
	}
	if strings.HasPrefix(expr, "CRON_TZ=") || strings.HasPrefix(expr, "TZ=") {
		return nil, fmt.Errorf("cron expression %q must not set a time zone: BILLINGD_TIMEZONE decides it", expr)
	}
	if strings.HasPrefix(expr, "@every") {
		return nil, fmt.Errorf("cron expression %q: @every is not supported; use a calendar schedule", expr)
	}
	s, err := cron.ParseStandard("CRON_TZ=" + loc.String() + " " + expr)
	if err != nil {
		return nil, fmt.Errorf("invalid cron expression %q: %w", expr, err)
	}
	return s, nil
}
