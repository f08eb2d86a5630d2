package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

// A compliance profile refuses some contracts (delinquency.Profile.CheckContract and
// CheckLateRule): a contract is checked when it is created, and again whenever a change
// brings it under a profile's rule or changes what the profile reads — a rule made the
// default (the contracts without a rule of their own), a plan's late settings (the
// contracts that take their interest from it), a contract's own late settings. Each check
// runs in the transaction of the change, after it, so it reads what the change would
// leave.

// refusedContracts are the contracts a change would leave under a profile that refuses
// them: how many, and the first by id.
type refusedContracts struct {
	count int64
	first int64
}

// contractsRefusedBy counts the contracts not ended, matching where (over contracts c join
// plans p; its parameters are args), that profile p refuses: without the inactivity discount
// when the profile requires it and withDiscount is set, or whose interest on arrears — their
// own, else their plan's, else billing's default — is above the profile's cap.
func contractsRefusedBy(ctx context.Context, tx pgx.Tx, p delinquency.Profile, withDiscount bool, where string, args ...any) (refusedContracts, error) {
	var maxInterest *decimal.Decimal
	if m, ok := p.MaxMonthlyInterest(); ok {
		maxInterest = &m
	}
	n := len(args)
	args = append(args, withDiscount && p.RequiresInactivityDiscount, maxInterest, billing.DefaultLateRule().MonthlyInterestPercent)
	var out refusedContracts
	err := tx.QueryRow(ctx, `SELECT count(*), coalesce(min(c.id), 0) FROM contracts c JOIN plans p ON p.id = c.plan_id
		WHERE c.status NOT IN ('cancelled', 'finished') AND (`+where+`)
		  AND (($`+strconv.Itoa(n+1)+`::boolean AND NOT c.inactivity_discount)
		       OR coalesce(c.monthly_interest_percent, p.monthly_interest_percent, $`+strconv.Itoa(n+3)+`::numeric) > $`+strconv.Itoa(n+2)+`::numeric)`,
		args...).Scan(&out.count, &out.first)
	if err != nil {
		return out, fmt.Errorf("contracts refused by %s: %w", p.Name, err)
	}
	return out, nil
}

// checkNewDefaultRule refuses to make a rule of profile p the default while contracts
// without a rule of their own, which it would come to cover, are contracts p refuses.
func checkNewDefaultRule(ctx context.Context, tx pgx.Tx, p delinquency.Profile) error {
	if !p.ChecksContracts() {
		return nil
	}
	r, err := contractsRefusedBy(ctx, tx, p, true, "c.blocking_rule_id IS NULL")
	if err != nil || r.count == 0 {
		return err
	}
	return billing.Fieldf("default", "%s (%s): as the default rule it would cover %d contract(s) without a rule of their own that it refuses (contract %d first): each needs %s; fix them or give them a rule of their own first",
		p.Name, p.Source, r.count, r.first, profileNeeds(p))
}

// checkPlanLateSettings refuses a plan's late settings that would leave a contract of the
// plan, taking its interest from the plan, above its rule's profile's cap.
func checkPlanLateSettings(ctx context.Context, tx pgx.Tx, planID int64) error {
	for _, name := range delinquency.ProfileNames {
		p, err := delinquency.ProfileOf(string(name))
		if err != nil {
			return err
		}
		if _, caps := p.MaxMonthlyInterest(); !caps {
			continue
		}
		r, err := contractsRefusedBy(ctx, tx, p, false, `c.plan_id = $1 AND EXISTS (SELECT 1 FROM blocking_rules r
			WHERE r.id = coalesce(c.blocking_rule_id, (SELECT id FROM blocking_rules WHERE is_default)) AND r.profile = $2)`,
			planID, string(p.Name))
		if err != nil {
			return err
		}
		if r.count > 0 {
			max, _ := p.MaxMonthlyInterest()
			return billing.Fieldf("monthly_interest_percent", "%d contract(s) of the plan under a %s rule (%s) would charge more than %s%% a month (contract %d first); give them interest of their own first",
				r.count, p.Name, p.Source, max.StringFixed(2), r.first)
		}
	}
	return nil
}

// checkContractLateSettings refuses a contract's late settings its rule's profile forbids.
func checkContractLateSettings(ctx context.Context, tx pgx.Tx, c billing.Contract, plan billing.Plan) error {
	p, ok, err := profileCovering(ctx, tx, c.BlockingRuleID)
	if err != nil || !ok {
		return err
	}
	return p.CheckLateRule(billing.ResolveLateRule(c.Late, plan.Late))
}

// profileCovering returns the profile of the blocking rule with id rule, or of the default
// rule when rule is nil; ok is false when there is no such rule.
func profileCovering(ctx context.Context, tx pgx.Tx, rule *int64) (delinquency.Profile, bool, error) {
	var name string
	err := tx.QueryRow(ctx, `SELECT profile FROM blocking_rules WHERE CASE WHEN $1::bigint IS NULL THEN is_default ELSE id = $1 END`,
		rule).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return delinquency.Profile{}, false, nil
	}
	if err != nil {
		return delinquency.Profile{}, false, fmt.Errorf("look up blocking rule: %w", err)
	}
	p, err := delinquency.ProfileOf(name)
	return p, err == nil, err
}

// profileNeeds says in words what profile p asks of every contract.
func profileNeeds(p delinquency.Profile) string {
	var needs string
	if p.RequiresInactivityDiscount {
		needs = "the inactivity discount"
	}
	if max, ok := p.MaxMonthlyInterest(); ok {
		if needs != "" {
			needs += " and "
		}
		needs += "interest on arrears of at most " + max.StringFixed(2) + "% a month"
	}
	return needs
}
