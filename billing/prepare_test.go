package billing_test

import (
	"errors"
	"testing"

	"github.com/billingd/billingd/billing"
)

// TestContractPrepareRefuses: each rule Prepare checks refuses the contract naming the field,
// at the first value past its bound, and accepts the bound itself.
func TestContractPrepareRefuses(t *testing.T) {
	t.Parallel()
	minPrice := money("90.00")
	plan := billing.Plan{ID: 7, Price: money("99.90"), Period: billing.Monthly, InstallmentsPerTerm: 12, MinPrice: &minPrice}
	fine := money("2.01")
	suggested := money("120.00")
	tests := []struct {
		name   string
		change func(*billing.Contract, *billing.Plan)
		field  string // "" when accepted
		reason string
	}{
		{"valid", func(*billing.Contract, *billing.Plan) {}, "", ""},
		{"a bad due-date rule", func(c *billing.Contract, _ *billing.Plan) { c.Rule.Day = 32 }, "due_date_rule.day",
			"must be between 1 and 31, got 32"},
		{"below the plan's minimum price", func(c *billing.Contract, _ *billing.Plan) { c.Price = money("89.99") }, "price",
			"89.99 is below the plan's minimum price 90.00"},
		{"at the plan's minimum price", func(c *billing.Contract, _ *billing.Plan) { c.Price = money("90.00") }, "", ""},
		{"an unknown payment method", func(c *billing.Contract, _ *billing.Plan) { c.PaymentMethod = "cheque" }, "payment_method",
			`want boleto, credit_card, bank_transfer or pix, got "cheque"`},
		{"no card installments", func(c *billing.Contract, _ *billing.Plan) { c.CardInstallments = 0 }, "card_installments",
			"must be 1, or up to 24 for credit_card, got 0"},
		{"24 card installments on a card", func(c *billing.Contract, _ *billing.Plan) { c.PaymentMethod, c.CardInstallments = "credit_card", 24 },
			"", ""},
		{"25 card installments on a card", func(c *billing.Contract, _ *billing.Plan) { c.PaymentMethod, c.CardInstallments = "credit_card", 25 },
			"card_installments", "must be 1, or up to 24 for credit_card, got 25"},
		{"2 card installments on a boleto", func(c *billing.Contract, _ *billing.Plan) { c.CardInstallments = 2 }, "card_installments",
			"must be 1, or up to 24 for credit_card, got 2"},
		{"an unknown billing method", func(c *billing.Contract, _ *billing.Plan) { c.BillingMethod = "monthly" }, "billing_method",
			`want per_installment, grouped or no_billing, got "monthly"`},
		{"discounts at the price", func(c *billing.Contract, _ *billing.Plan) {
			c.Discount, c.OnTimeDiscount = money("90.00"), money("9.90")
		},
			"", ""},
		{"discounts above the price", func(c *billing.Contract, _ *billing.Plan) {
			c.Discount, c.OnTimeDiscount = money("90.00"), money("9.91")
		},
			"discount", "discount plus on_time_discount exceed the price 99.90"},
		{"a late fine above 2%", func(c *billing.Contract, _ *billing.Plan) { c.Late.FinePercent = &fine }, "late_fine_percent",
			"must be from 0.00 to 2.00 (CDC, Lei 8.078/90, art. 52 §1 caps the late fine at 2% of the amount), got 2.01"},
		{"an inactivity discount on a quarterly plan", func(c *billing.Contract, p *billing.Plan) { c.InactivityDiscount, p.Period = true, billing.Quarterly },
			"inactivity_discount", "only for a monthly plan; plan 7 is quarterly"},
		{"an inactivity discount on a monthly plan", func(c *billing.Contract, _ *billing.Plan) { c.InactivityDiscount = true }, "", ""},
		{"negative adhesion installments", func(c *billing.Contract, _ *billing.Plan) { c.AdhesionInstallments = -1 }, "adhesion_installments",
			"must be between 0 and 24, got -1"},
		{"24 adhesion installments", func(c *billing.Contract, _ *billing.Plan) {
			c.AdhesionFee, c.AdhesionInstallments = money("240.00"), 24
		},
			"", ""},
		{"25 adhesion installments", func(c *billing.Contract, _ *billing.Plan) {
			c.AdhesionFee, c.AdhesionInstallments = money("240.00"), 25
		},
			"adhesion_installments", "must be between 0 and 24, got 25"},
		{"an adhesion fee in no installment", func(c *billing.Contract, _ *billing.Plan) { c.AdhesionFee = money("0.01") },
			"adhesion_installments", "must be at least 1 when adhesion_fee is set"},
		{"suggested without a price", func(c *billing.Contract, _ *billing.Plan) { c.RenewalPriceMode = billing.RenewAtSuggested },
			"suggested_price", "required when renewal_price_mode is suggested"},
		{"suggested with a price", func(c *billing.Contract, _ *billing.Plan) {
			c.RenewalPriceMode, c.SuggestedPrice = billing.RenewAtSuggested, &suggested
		},
			"", ""},
		{"an unknown renewal price mode", func(c *billing.Contract, _ *billing.Plan) { c.RenewalPriceMode = "" }, "renewal_price_mode",
			`want plan_price or suggested, got ""`},
		{"activated before its adhesion", func(c *billing.Contract, _ *billing.Plan) { c.ActivationDate = day("2026-06-30") }, "activation_date",
			"must not be before adhesion_date"},
		{"waiting for activation with an activation date", func(c *billing.Contract, _ *billing.Plan) {
			c.WaitActivation, c.ActivationDate = true, day("2026-07-05")
		}, "activation_date", "a contract that waits for activation is activated later (POST /v1/contracts/{id}/activate)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := billing.Contract{Price: money("99.90"), AdhesionDate: day("2026-07-01"),
				Rule:          billing.DueDateRule{Kind: billing.FixedDay, Day: 10, Shift: billing.ShiftNext},
				BillingMethod: billing.BillPerInstallment, PaymentMethod: "boleto", CardInstallments: 1,
				RenewalPriceMode: billing.RenewAtPlanPrice}
			p := plan
			tt.change(&c, &p)
			_, err := c.Prepare(p)
			var fe *billing.FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field || fe.Reason != tt.reason):
				t.Errorf("Prepare: %v, want %s: %s", err, tt.field, tt.reason)
			}
		})
	}
}

// TestContractPrepareFills: a contract that does not wait is active from its activation date
// (the adhesion date when it has none), term 1, its installments due to be generated from the
// adhesion date; one waiting for activation is pending, generated now only with an adhesion
// fee; one without billing generates nothing.
func TestContractPrepareFills(t *testing.T) {
	t.Parallel()
	plan := billing.Plan{ID: 1, Price: money("99.90"), Period: billing.Monthly, InstallmentsPerTerm: 12}
	base := billing.Contract{Price: money("99.90"), AdhesionDate: day("2026-07-01"), Rule: billing.DueDateRule{Kind: billing.Anniversary},
		BillingMethod: billing.BillPerInstallment, PaymentMethod: "pix", CardInstallments: 1, RenewalPriceMode: billing.RenewAtPlanPrice}
	tests := []struct {
		name                   string
		change                 func(*billing.Contract)
		status, activation     string
		generationDue          string
		waitActivation, genNow bool
	}{
		{"active from the adhesion date", func(*billing.Contract) {}, billing.StatusActive, "2026-07-01", "2026-07-01", false, false},
		{"active from a later activation date", func(c *billing.Contract) { c.ActivationDate = day("2026-07-04") },
			billing.StatusActive, "2026-07-04", "2026-07-01", false, false},
		{"active on its adhesion day, given", func(c *billing.Contract) { c.ActivationDate = day("2026-07-01") },
			billing.StatusActive, "2026-07-01", "2026-07-01", false, false},
		{"without billing: nothing to generate", func(c *billing.Contract) { c.BillingMethod = billing.BillNone },
			billing.StatusActive, "2026-07-01", "-", false, false},
		{"waiting for activation", func(c *billing.Contract) { c.WaitActivation = true },
			billing.StatusPendingActivation, "-", "-", true, false},
		{"waiting, told to generate now, without an adhesion fee", func(c *billing.Contract) { c.WaitActivation, c.GenerateNow = true, true },
			billing.StatusPendingActivation, "-", "-", true, true},
		{"waiting, told to generate now, with an adhesion fee", func(c *billing.Contract) {
			c.WaitActivation, c.GenerateNow, c.AdhesionFee, c.AdhesionInstallments = true, true, money("60.00"), 2
		}, billing.StatusPendingActivation, "-", "2026-07-01", true, true},
		{"activated on its first payment, no adhesion fee", func(c *billing.Contract) { c.ActivateOnFirstPayment = true },
			billing.StatusPendingActivation, "-", "-", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := base
			tt.change(&c)
			due, err := c.Prepare(plan)
			if err != nil {
				t.Fatal(err)
			}
			got := fmtDates(c.ActivationDate, due)
			if c.Status != tt.status || c.TermNumber != 1 || got[0] != tt.activation || got[1] != tt.generationDue ||
				c.WaitActivation != tt.waitActivation || c.GenerateNow != tt.genNow {
				t.Errorf("status %s term %d activation %s generation due %s wait %t now %t; want %s 1 %s %s %t %t",
					c.Status, c.TermNumber, got[0], got[1], c.WaitActivation, c.GenerateNow,
					tt.status, tt.activation, tt.generationDue, tt.waitActivation, tt.genNow)
			}
		})
	}
}

// TestPlanValidate: each of a plan's rules, at and past its bounds.
func TestPlanValidate(t *testing.T) {
	t.Parallel()
	one, zero, twentyFour, twentyFive := 1, 0, 24, 25
	minPrice := money("100.00")
	interest := money("10.01")
	tests := []struct {
		name   string
		change func(*billing.Plan)
		field  string
		reason string
	}{
		{"valid", func(*billing.Plan) {}, "", ""},
		{"no name", func(p *billing.Plan) { p.Name = "" }, "name", "required"},
		{"an unknown kind", func(p *billing.Plan) { p.Kind = "bundle" }, "kind", `want plan or package, got "bundle"`},
		{"no installments", func(p *billing.Plan) { p.InstallmentsPerTerm = 0 }, "installments_per_term", "must be between 1 and 120, got 0"},
		{"one installment", func(p *billing.Plan) { p.InstallmentsPerTerm = 1 }, "", ""},
		{"120 installments", func(p *billing.Plan) { p.InstallmentsPerTerm = 120 }, "", ""},
		{"121 installments", func(p *billing.Plan) { p.InstallmentsPerTerm = 121 }, "installments_per_term", "must be between 1 and 120, got 121"},
		{"below its own minimum", func(p *billing.Plan) { p.MinPrice = &minPrice }, "price", "below the plan's own minimum price 100.00"},
		{"a package without uses", func(p *billing.Plan) { p.Kind = billing.KindPackage }, "uses_per_cycle",
			"required for a package: how many uses one installment holds"},
		{"a package of no use", func(p *billing.Plan) { p.Kind, p.UsesPerCycle = billing.KindPackage, &zero }, "uses_per_cycle",
			"required for a package: how many uses one installment holds"},
		{"a package of one use", func(p *billing.Plan) { p.Kind, p.UsesPerCycle = billing.KindPackage, &one }, "", ""},
		{"a plan with uses", func(p *billing.Plan) { p.UsesPerCycle = &one }, "uses_per_cycle", "only a package has uses per cycle"},
		{"a package ending after 1 month", func(p *billing.Plan) { p.Kind, p.UsesPerCycle, p.CycleMonths = billing.KindPackage, &one, &one },
			"", ""},
		{"a package ending after 24 months", func(p *billing.Plan) {
			p.Kind, p.UsesPerCycle, p.CycleMonths = billing.KindPackage, &one, &twentyFour
		}, "", ""},
		{"a package ending after 0 months", func(p *billing.Plan) { p.Kind, p.UsesPerCycle, p.CycleMonths = billing.KindPackage, &one, &zero },
			"cycle_months", "must be between 1 and 24 months, got 0"},
		{"a package ending after 25 months", func(p *billing.Plan) {
			p.Kind, p.UsesPerCycle, p.CycleMonths = billing.KindPackage, &one, &twentyFive
		}, "cycle_months", "must be between 1 and 24 months, got 25"},
		{"a plan with cycle months", func(p *billing.Plan) { p.CycleMonths = &one }, "cycle_months",
			"only a package's cycle ends on a date; omit cycle_months for a plan"},
		{"an unknown period", func(p *billing.Plan) { p.Period = "weekly" }, "period",
			`want monthly, bimonthly, quarterly, semiannual or annual, got "weekly"`},
		{"interest above 10% a month", func(p *billing.Plan) { p.Late.MonthlyInterestPercent = &interest }, "monthly_interest_percent",
			"must be from 0.00 to 10.00 a month (1.00 is 1% a month, charged 1/30 of it a day; a yearly 12% is 1.00), got 10.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := billing.Plan{Name: "Mensal", Kind: billing.KindPlan, Price: money("99.90"), Period: billing.Monthly, InstallmentsPerTerm: 12}
			tt.change(&p)
			err := p.Validate()
			var fe *billing.FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field || fe.Reason != tt.reason):
				t.Errorf("Validate: %v, want %s: %s", err, tt.field, tt.reason)
			}
		})
	}
}
