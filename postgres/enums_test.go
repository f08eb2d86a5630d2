package postgres_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/notifications"
	"github.com/billingd/billingd/records"
)

// TestCheckConstraintsMatchGoLists: each column whose CHECK constraint lists its values
// allows exactly the Go list the code writes and validates with (and the OpenAPI document is
// generated from), so that SQL, Go and the document name the same values.
func TestCheckConstraintsMatchGoLists(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"audit_log.source":                          records.AuditSources,
		"webhook_deliveries.state":                  records.WebhookDeliveryStates,
		"block_episodes.end_reason":                 records.EpisodeEndReasons,
		"block_segments.level":                      records.SegmentLevels,
		"blocking_rules.profile":                    delinquency.Profiles,
		"contracts.end_reason":                      billing.ContractEndReasons,
		"contracts.ladder_step":                     delinquency.StoredSteps,
		"contract_benefit_overrides.renewal_period": billing.Periods,
		"contracts.billing_method":                  billing.BillingMethods,
		"contracts.due_rule_kind":                   billing.DueRuleKinds,
		"contracts.due_shift":                       billing.Shifts,
		"contracts.payment_method":                  billing.PaymentMethods,
		"contracts.renewal_price_mode":              billing.RenewalPriceModes,
		"contracts.status":                          billing.ContractStatuses,
		"contract_changes.kind":                     billing.ChangeKinds,
		"contract_changes.status":                   billing.ChangeStatuses,
		"contract_subjects.kind":                    billing.SubjectKinds,
		"email_templates.kind":                      notifications.Kinds,
		"events.kind":                               records.EventKinds,
		"email_templates.scope":                     records.TemplateScopes,
		"installment_lines.kind":                    billing.LineKinds,
		"installment_changes.kind":                  records.InstallmentChangeKinds,
		"installment_redates.cause":                 records.RedateCauses,
		"installments.kind":                         billing.InstallmentKinds,
		"installments.state":                        records.InstallmentStates,
		"job_runs.state":                            records.RunStates,
		"job_runs.trigger":                          {jobs.TriggerSchedule, jobs.TriggerManual, jobs.TriggerCatchUp},
		"notices.kind":                              notifications.Kinds,
		"notices.state":                             records.NoticeStates,
		"payments.source":                           billing.PaymentSources,
		"payment_files.origin":                      records.PaymentFileOrigins,
		"payment_files.status":                      records.PaymentFileStatuses,
		"payment_exceptions.source":                 records.PaymentExceptionSources,
		"plan_benefits.renewal_period":              billing.Periods,
		"plans.kind":                                billing.PlanKinds,
		"plans.period":                              billing.Periods,
		"renewals.price_mode":                       billing.RenewalPriceModes,
		"renewals.trigger":                          records.RenewalTriggers,
	}
	pool := dbtest.NewPool(t)
	rows, err := pool.Query(t.Context(), `SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE contype = 'c' AND connamespace = 'public'::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Table, Def string }])
	if err != nil {
		t.Fatal(err)
	}
	// CHECK ((col = ANY (ARRAY['a'::text, 'b'::text]))): a column's list of values.
	listed := regexp.MustCompile(`^CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)$`)
	value := regexp.MustCompile(`'([^']*)'::text`)
	got := map[string][]string{}
	for _, d := range defs {
		m := listed.FindStringSubmatch(d.Def)
		if m == nil {
			continue
		}
		var values []string
		for _, v := range value.FindAllStringSubmatch(m[2], -1) {
			values = append(values, v[1])
		}
		got[d.Table+"."+m[1]] = values
	}
	for column, values := range got {
		w, ok := want[column]
		switch {
		case !ok:
			t.Errorf("%s: the CHECK constraint lists %q, and no Go list is tied to it here", column, values)
		case !slices.Equal(values, w):
			t.Errorf("%s: the CHECK constraint lists %q, the Go list %q", column, values, w)
		}
	}
	for column := range want {
		if _, ok := got[column]; !ok {
			t.Errorf("%s: no CHECK constraint lists its values", column)
		}
	}
}
