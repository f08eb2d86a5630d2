package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

const balanceColumns = `id, period_start, period_end, coalesce(cycle, 0), granted, used`

func scanBalance(row pgx.Row) (Balance, error) {
	var b Balance
	var end pgtype.Date
	err := row.Scan(&b.ID, &b.PeriodStart, &end, &b.Cycle, &b.Granted, &b.Used)
	b.PeriodEnd = optDate(end)
	return b, err
}

// useContract is what recording a use reads about a contract and its plan.
type useContract struct {
	planID, customerID              int64
	status, billingMethod, planKind string
	activation                      pgtype.Date
	rule                            billing.DueDateRule
	price, discount, onTimeDiscount decimal.Decimal
	perTerm                         int
}

// RecordUse records quantity uses of a benefit by a contract on usedAt, in one transaction
// that locks the contract (so concurrent uses of one contract are serialised) and the
// balance. A refused use writes nothing and returns a *benefits.Refusal. A use that
// exhausts a package's cycle opens the next cycle and creates its installment (unless it
// exists), due by the contract's due-date rule on or after usedAt (benefits.NextCycleDue).
func (s *Store) RecordUse(ctx context.Context, contractID, benefitID int64, usedAt time.Time, quantity int) (Usage, error) {
	return s.recordUse(ctx, contractID, 0, benefitID, usedAt, quantity)
}

// recordUse is RecordUse by one of the contract's subjects (subjectID > 0, RecordSubjectUse)
// or by the contract (subjectID 0).
func (s *Store) recordUse(ctx context.Context, contractID, subjectID, benefitID int64, usedAt time.Time, quantity int) (Usage, error) {
	var out Usage
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var c useContract
		err := tx.QueryRow(ctx, `SELECT c.plan_id, c.customer_id, c.status, c.billing_method, p.kind, c.activation_date,
				c.due_rule_kind, coalesce(c.due_day, 0), c.due_shift, c.price, c.discount, c.on_time_discount,
				p.installments_per_term
			FROM contracts c JOIN plans p ON p.id = c.plan_id WHERE c.id = $1 FOR NO KEY UPDATE OF c`, contractID).Scan(
			&c.planID, &c.customerID, &c.status, &c.billingMethod, &c.planKind, &c.activation, &c.rule.Kind, &c.rule.Day,
			&c.rule.Shift, &c.price, &c.discount, &c.onTimeDiscount, &c.perTerm)
		if err := notFound(err, "contract", contractID); err != nil {
			return err
		}
		var active bool
		var unitCost decimal.Decimal
		err = tx.QueryRow(ctx, "SELECT active, unit_cost FROM benefits WHERE id = $1", benefitID).Scan(&active, &unitCost)
		if errors.Is(err, pgx.ErrNoRows) {
			return billing.Fieldf("benefit_id", "no benefit with id %d", benefitID)
		}
		if err != nil {
			return fmt.Errorf("read benefit %d: %w", benefitID, err)
		}
		grantPlan := c.planID
		if subjectID > 0 {
			if grantPlan, err = subjectPlanOn(ctx, tx, contractID, subjectID, usedAt); err != nil {
				return err
			}
		}
		plan, override, err := grantOf(ctx, tx, contractID, grantPlan, benefitID)
		if err != nil {
			return err
		}
		if subjectID > 0 {
			override = nil // a contract's override is of its own plan's terms
		}
		st := benefits.UseState{BenefitActive: active, Blocked: c.status == billing.StatusBlocked, UsedAt: usedAt}
		var pausedFrom, pausedUntil pgtype.Date
		if err := tx.QueryRow(ctx, `SELECT paused_from, paused_until FROM contracts WHERE id = $1`, contractID).Scan(&pausedFrom, &pausedUntil); err != nil {
			return fmt.Errorf("read contract %d's pause: %w", contractID, err)
		}
		st.PausedFrom, st.PausedUntil = optDate(pausedFrom), optDate(pausedUntil)
		st.Terms, st.Granted = benefits.Resolve(plan, override)
		if st.Granted && c.status != billing.StatusActive && c.status != billing.StatusSuspendedPartial && c.status != billing.StatusBlocked {
			return fmt.Errorf("%w: contract %d is %s; only an active contract's customer uses benefits", billing.ErrConflict, contractID, c.status)
		}
		if st.Settled, st.OverdueSince, err = settlement(ctx, tx, contractID, c, usedAt); err != nil {
			return err
		}
		if err := s.healthGate(ctx, tx, contractID, &st); err != nil {
			return err
		}
		if r := benefits.Check(st); r != nil {
			return r
		}
		// A package's cycles are the contract's: a subject's uses count on its own periods.
		perCycle := st.Terms.PerCycle() && subjectID == 0
		var bal Balance
		if perCycle {
			bal, err = lockCycleBalance(ctx, tx, contractID, benefitID, st)
		} else {
			bal, err = lockPeriodBalance(ctx, tx, contractID, benefitID, subjectID, st)
		}
		if err != nil {
			return err
		}
		overagePrice := st.Terms.OverageUnitPrice
		if perCycle {
			overagePrice = nil // a package opens its next cycle instead
		}
		inQuota, overage, r := benefits.SplitUse(bal.Granted, bal.Used, quantity, overagePrice, bal.PeriodEnd)
		if r != nil {
			return r
		}
		if err := tx.QueryRow(ctx, `UPDATE benefit_balances SET used = used + $2 WHERE id = $1 AND used + $2 <= granted
			RETURNING used`, bal.ID, inQuota).Scan(&bal.Used); err != nil {
			return fmt.Errorf("count use against balance %d: %w", bal.ID, err)
		}
		out = Usage{ContractID: contractID, SubjectID: subjectID, BenefitID: benefitID, UsedAt: usedAt, Quantity: quantity,
			UnitCost: unitCost, Balance: bal}
		var overageUnit *decimal.Decimal
		if overage > 0 {
			overageUnit = overagePrice
			out.Overage, out.OverageUnitPrice = overage, *overagePrice
		}
		if err := tx.QueryRow(ctx, `INSERT INTO benefit_usages (contract_id, benefit_id, balance_id, used_at, quantity, unit_cost,
				overage, overage_unit_price, subject_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, nullif($9, 0)) RETURNING id`, contractID, benefitID, bal.ID, usedAt, quantity,
			unitCost, overage, overageUnit, subjectID).Scan(&out.ID); err != nil {
			return fmt.Errorf("record use: %w", err)
		}
		if overage > 0 {
			if out.OverageInstallmentID, err = billPendingOverage(ctx, tx, contractID, out.ID); err != nil {
				return err
			}
		}
		if perCycle && bal.Used == bal.Granted {
			services, err := packageServices(ctx, tx, contractID, c.planID, bal.Cycle)
			if err != nil || !benefits.CycleUsedUp(services) {
				return err
			}
			next, err := openNextCycle(ctx, tx, contractID, c, st, bal, services)
			out.NextInstallment = next
			return err
		}
		return nil
	})
	return out, err
}

// healthGate fills the health rule's delinquency of a use (benefits.UseState.HealthGated)
// when the contract's blocking rule counts days in default (health_9656): the same gate
// that allows its suspension (delinquency.BenefitGate).
func (s *Store) healthGate(ctx context.Context, tx pgx.Tx, contractID int64, st *benefits.UseState) error {
	var profile string
	if err := tx.QueryRow(ctx, `SELECT r.profile FROM contracts c
		JOIN blocking_rules r ON r.id = coalesce(c.blocking_rule_id, (SELECT id FROM blocking_rules WHERE is_default))
		WHERE c.id = $1`, contractID).Scan(&profile); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read the blocking rule of contract %d: %w", contractID, err)
	}
	if profile != string(delinquency.Health9656) {
		return nil
	}
	states, err := loadLadder(ctx, tx, ladderQuery{ids: []int64{contractID}, asOf: st.UsedAt, loc: s.location()})
	if err != nil || len(states) == 0 {
		return err
	}
	g, counts := delinquency.BenefitGate(states[0].state, st.UsedAt)
	st.HealthGated, st.DelinquentFrom, st.DaysInDefault = counts, g.From, g.DaysInDefault
	return nil
}

// settlement returns the day the contract's first charge was settled (the earliest paid_at
// of its installments; the activation day for a no-billing contract) and the earliest due
// date of an open installment before usedAt.
func settlement(ctx context.Context, tx pgx.Tx, contractID int64, c useContract, usedAt time.Time) (settled, overdue time.Time, err error) {
	var paid, due pgtype.Date
	if err := tx.QueryRow(ctx, `SELECT min(paid_at) FILTER (WHERE state = 'paid'),
			min(due_date) FILTER (WHERE installment_overdue(state, due_date, $2))
		FROM installments WHERE contract_id = $1`, contractID, usedAt).Scan(&paid, &due); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("read installments of contract %d: %w", contractID, err)
	}
	settled = optDate(paid)
	if c.billingMethod == billing.BillNone {
		settled = optDate(c.activation)
	}
	return settled, optDate(due), nil
}

// lockPeriodBalance returns, locked, the balance of the renewal period containing the use
// date, opening it when neither the reset sweep nor an earlier use has: the period
// anchored at the settlement day, clipped so that it never overlaps another balance. A
// subject's balances (subjectID > 0) are its own; the contract's have no subject.
func lockPeriodBalance(ctx context.Context, tx pgx.Tx, contractID, benefitID, subjectID int64, st benefits.UseState) (Balance, error) {
	find := func() (Balance, error) {
		return scanBalance(tx.QueryRow(ctx, "SELECT "+balanceColumns+` FROM benefit_balances
			WHERE contract_id = $1 AND benefit_id = $2 AND cycle IS NULL AND period_start <= $3 AND period_end >= $3
				AND `+subjectBalance(subjectID)+`
			FOR UPDATE`, contractID, benefitID, st.UsedAt, subjectID))
	}
	bal, err := find()
	if !errors.Is(err, pgx.ErrNoRows) {
		return bal, wrap(err, "read balance")
	}
	start, end := benefits.PeriodAt(st.Settled, st.Terms.Period, st.UsedAt)
	var prevEnd, nextStart pgtype.Date
	if err := tx.QueryRow(ctx, `SELECT max(period_end) FILTER (WHERE period_end < $3), min(period_start) FILTER (WHERE period_start > $3)
		FROM benefit_balances WHERE contract_id = $1 AND benefit_id = $2 AND cycle IS NULL AND `+subjectBalance(subjectID),
		contractID, benefitID, st.UsedAt, subjectID).Scan(&prevEnd, &nextStart); err != nil {
		return Balance{}, fmt.Errorf("read neighbouring balances: %w", err)
	}
	if prevEnd.Valid && !start.After(prevEnd.Time) {
		start = prevEnd.Time.AddDate(0, 0, 1)
	}
	nextReset := pgtype.Date{Time: end.AddDate(0, 0, 1), Valid: true}
	if nextStart.Valid {
		nextReset.Valid = false // a later period is already open
		if !end.Before(nextStart.Time) {
			end = nextStart.Time.AddDate(0, 0, -1)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO benefit_balances (contract_id, benefit_id, anchor, period_start, period_end, granted,
			next_reset_on, subject_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, 0)) ON CONFLICT DO NOTHING`,
		contractID, benefitID, st.Settled, start, end, st.Terms.Quantity, nextReset, subjectID); err != nil {
		return Balance{}, fmt.Errorf("open balance: %w", err)
	}
	bal, err = find()
	return bal, wrap(err, "read opened balance")
}

// subjectBalance is the condition on benefit_balances.subject_id of a subject's balances
// ($4 is subjectID), or of the contract's own (subjectID 0), written so that each reads its
// own partial period index (migrations/025_contract_subjects.sql).
func subjectBalance(subjectID int64) string {
	if subjectID == 0 {
		return "subject_id IS NULL AND $4::bigint = 0"
	}
	return "subject_id = $4"
}

// lockCycleBalance returns, locked, a package service's balance of the contract's current
// package cycle (the latest any of its services has opened; 1 before the first use),
// opening it on the service's first use in the cycle.
func lockCycleBalance(ctx context.Context, tx pgx.Tx, contractID, benefitID int64, st benefits.UseState) (Balance, error) {
	var cycle int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(cycle), 1) FROM benefit_balances
		WHERE contract_id = $1 AND cycle IS NOT NULL`, contractID).Scan(&cycle); err != nil {
		return Balance{}, fmt.Errorf("read the current package cycle: %w", err)
	}
	find := func() (Balance, error) {
		return scanBalance(tx.QueryRow(ctx, "SELECT "+balanceColumns+` FROM benefit_balances
			WHERE contract_id = $1 AND benefit_id = $2 AND cycle = $3 FOR UPDATE`, contractID, benefitID, cycle))
	}
	bal, err := find()
	if !errors.Is(err, pgx.ErrNoRows) {
		return bal, wrap(err, "read cycle balance")
	}
	// A later cycle's balance opens on the cycle's first day (the use that opened it).
	if _, err := tx.Exec(ctx, `INSERT INTO benefit_balances (contract_id, benefit_id, anchor, period_start, cycle, granted)
		VALUES ($1, $2, $3, coalesce((SELECT min(period_start) FROM benefit_balances
			WHERE contract_id = $1 AND cycle = $5), $3), $5, $4)
		ON CONFLICT (contract_id, benefit_id, cycle) WHERE cycle IS NOT NULL DO NOTHING`,
		contractID, benefitID, st.Settled, st.Terms.Quantity, cycle); err != nil {
		return Balance{}, fmt.Errorf("open package cycle %d: %w", cycle, err)
	}
	bal, err = find()
	return bal, wrap(err, "read opened cycle balance")
}

// openNextCycle opens the package cycle after bal — a balance for each of its services
// with a quantity, in one statement — and, for a billed contract, creates the recurring
// installment of sequence cycle+1 that pays for it, itemised per service
// (benefits.PackageCycleLines), unless it exists.
func openNextCycle(ctx context.Context, tx pgx.Tx, contractID int64, c useContract, st benefits.UseState, bal Balance,
	services []benefits.PackageService,
) (*Installment, error) {
	var ids []int64
	var granted []int32
	for _, s := range services {
		if s.Quantity > 0 {
			ids, granted = append(ids, s.BenefitID), append(granted, int32(s.Quantity))
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO benefit_balances (contract_id, benefit_id, anchor, period_start, cycle, granted)
		SELECT $1, s.benefit_id, $2, $3, $4, s.granted FROM unnest($5::bigint[], $6::int[]) AS s(benefit_id, granted)
		ON CONFLICT (contract_id, benefit_id, cycle) WHERE cycle IS NOT NULL DO NOTHING`,
		contractID, st.Settled, st.UsedAt, bal.Cycle+1, ids, granted); err != nil {
		return nil, fmt.Errorf("open package cycle %d: %w", bal.Cycle+1, err)
	}
	if c.billingMethod == billing.BillNone {
		return nil, nil
	}
	seq := bal.Cycle + 1
	var prevDue pgtype.Date
	if err := tx.QueryRow(ctx, `SELECT max(nominal_due) FROM installments WHERE contract_id = $1 AND kind = 'recurring'
		AND sequence < $2`, contractID, seq).Scan(&prevDue); err != nil {
		return nil, fmt.Errorf("read previous cycle's installment: %w", err)
	}
	cal, err := LoadCalendar(ctx, tx)
	if err != nil {
		return nil, err
	}
	nominal := benefits.NextCycleDue(c.rule, optDate(c.activation), st.UsedAt, optDate(prevDue))
	perTerm := max(c.perTerm, 1)
	// The installment and its lines in one statement, as generation writes them.
	var ins installmentBatch
	ins.addLines(contractID, billing.ScheduledInstallment{Kind: billing.Recurring, Term: (seq-1)/perTerm + 1, Sequence: seq,
		ServiceStart: st.UsedAt, NominalDue: nominal, EffectiveDue: cal.Adjust(nominal, c.rule.EffectiveShift()),
		Amount: c.price, Discount: c.discount}, c.onTimeDiscount,
		benefits.PackageCycleLines(seq, st.UsedAt, c.price, c.discount, services))
	created, err := ins.insert(ctx, tx, st.UsedAt)
	if err != nil {
		return nil, fmt.Errorf("create installment of package cycle %d: %w", seq, err)
	}
	if created == 0 {
		return nil, nil // the term's generation already created it
	}
	inst, err := scanInstallment(tx.QueryRow(ctx, "SELECT "+installmentColumns+` FROM installments
		WHERE contract_id = $1 AND kind = 'recurring' AND sequence = $2`, contractID, seq))
	if err != nil {
		return nil, fmt.Errorf("read installment of package cycle %d: %w", seq, err)
	}
	return &inst, nil
}

// ReverseUse reverses a contract's recorded use as of at, restoring its balance. A use
// already reversed, or counted in a package cycle that has been closed (its next cycle is
// open and billed), is a conflict.
func (s *Store) ReverseUse(ctx context.Context, contractID, usageID int64, at time.Time) (Usage, error) {
	var out Usage
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		// The contract first, then its use and balance (see the lock order in doc.go).
		if err := lockContract(ctx, tx, contractID); errors.Is(err, billing.ErrNotFound) {
			return fmt.Errorf("%w: contract %d has no benefit use %d", billing.ErrUsageNotFound, contractID, usageID)
		} else if err != nil {
			return err
		}
		var reversed pgtype.Timestamptz
		var overagePrice decimal.NullDecimal
		var overageInst pgtype.Int8
		err := tx.QueryRow(ctx, `SELECT u.id, u.contract_id, u.benefit_id, u.used_at, u.quantity, u.unit_cost, u.reversed_at, u.balance_id,
				u.overage, u.overage_unit_price, u.overage_installment_id, coalesce(u.subject_id, 0)
			FROM benefit_usages u WHERE u.id = $1 AND u.contract_id = $2 FOR UPDATE`, usageID, contractID).Scan(
			&out.ID, &out.ContractID, &out.BenefitID, &out.UsedAt, &out.Quantity, &out.UnitCost, &reversed, &out.Balance.ID,
			&out.Overage, &overagePrice, &overageInst, &out.SubjectID)
		out.OverageUnitPrice, out.OverageInstallmentID = overagePrice.Decimal, overageInst.Int64
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: contract %d has no benefit use %d", billing.ErrUsageNotFound, contractID, usageID)
		}
		if err != nil {
			return fmt.Errorf("read benefit use %d: %w", usageID, err)
		}
		if reversed.Valid {
			return fmt.Errorf("%w: benefit use %d was already reversed", billing.ErrConflict, usageID)
		}
		bal, err := scanBalance(tx.QueryRow(ctx, "SELECT "+balanceColumns+" FROM benefit_balances WHERE id = $1 FOR UPDATE", out.Balance.ID))
		if err != nil {
			return fmt.Errorf("read balance %d: %w", out.Balance.ID, err)
		}
		if bal.Cycle > 0 {
			var closed bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM benefit_balances WHERE contract_id = $1
				AND cycle > $2)`, out.ContractID, bal.Cycle).Scan(&closed); err != nil {
				return fmt.Errorf("read package cycles: %w", err)
			}
			if closed {
				return fmt.Errorf("%w: benefit use %d belongs to package cycle %d, which is closed and billed", billing.ErrConflict, usageID, bal.Cycle)
			}
		}
		if err := unbillOverage(ctx, tx, usageID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "UPDATE benefit_balances SET used = used - $2 WHERE id = $1 RETURNING used",
			bal.ID, out.Quantity-out.Overage).Scan(&bal.Used); err != nil {
			return fmt.Errorf("restore balance %d: %w", bal.ID, err)
		}
		out.Balance = bal
		var when time.Time
		if err := tx.QueryRow(ctx, "UPDATE benefit_usages SET reversed_at = $2 WHERE id = $1 RETURNING reversed_at",
			usageID, at).Scan(&when); err != nil {
			return fmt.Errorf("reverse benefit use %d: %w", usageID, err)
		}
		out.ReversedAt = &when
		return nil
	})
	return out, err
}

// wrap adds context to a non-nil error.
func wrap(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
