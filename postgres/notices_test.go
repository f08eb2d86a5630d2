package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/notifications"
	"github.com/billingd/billingd/postgres"
)

// TestTemplateResolutionOrder renders one welcome notice as templates are added: the
// shipped default, then the operator's default, the plan's, the contract's; a template
// chosen at creation wins over all.
func TestTemplateResolutionOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := b.ctx
	plan, err := b.store.CreatePlan(ctx, billing.Plan{Name: "Plano Mensal", Kind: billing.KindPlan, Price: decimal.RequireFromString("99.90"), Period: "monthly", InstallmentsPerTerm: 12})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := b.store.CreateCustomer(ctx, billing.Customer{Name: "Ana", Email: "ana@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.store.CreateContract(ctx, billing.Contract{CustomerID: cust.ID, PlanID: plan.ID, AdhesionDate: date("2026-07-01"),
		Rule: billing.DueDateRule{Kind: "anniversary"}, BillingMethod: billing.BillPerInstallment, PaymentMethod: "boleto",
		CardInstallments: 1, AutoRenew: true, RenewalPriceMode: billing.RenewAtPlanPrice}, true, &postgres.Welcome{})
	if err != nil {
		t.Fatal(err)
	}
	var notice int64
	if err := b.pool.QueryRow(ctx, "SELECT id FROM notices WHERE contract_id = $1 AND kind = 'welcome'", c.ID).Scan(&notice); err != nil {
		t.Fatal(err)
	}
	render := func() string {
		t.Helper()
		var subject string
		_ = pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			n, err := postgres.LockNotice(ctx, tx, notice)
			if err != nil {
				t.Fatal(err)
			}
			if n, err = postgres.RenderNotice(ctx, tx, n, time.Now(), time.UTC); err != nil {
				t.Fatal(err)
			}
			subject = n.Subject
			return context.Canceled // roll back: the notice stays pending
		})
		return subject
	}
	add := func(scope string, planID, contractID *int64, subject string) int64 {
		t.Helper()
		tpl, err := b.store.CreateTemplate(ctx, postgres.EmailTemplate{Kind: "welcome", Scope: scope, PlanID: planID, ContractID: contractID,
			Template: notifications.Template{Subject: subject, HTML: "<p>x</p>", Text: "x"}})
		if err != nil {
			t.Fatal(err)
		}
		return tpl.ID
	}
	if got := render(); got != "Bem-vindo(a) ao Plano Mensal, Ana!" {
		t.Errorf("shipped default: %q", got)
	}
	add("default", nil, nil, "default")
	if got := render(); got != "default" {
		t.Errorf("operator default: %q", got)
	}
	add("contract", nil, &c.ID, "contract {{.Contract.ID}}")
	add("plan", &plan.ID, nil, "plan")
	if got := render(); got != "contract 1" {
		t.Errorf("contract's own: %q", got)
	}
	if _, err := b.pool.Exec(ctx, "DELETE FROM email_templates WHERE scope = 'contract'"); err != nil {
		t.Fatal(err)
	}
	if got := render(); got != "plan" {
		t.Errorf("plan's own: %q", got)
	}
}
