package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// Contract changes (issue 18 items 1, 2, 7): a due-day change, a plan change, a pause and a
// resume. Each is a row of contract_changes (its history), written in the transaction that
// applies it, which locks the contract first and then its installments (doc.go). A change
// moves open recurring installments by recomputing them with the generation's own code
// (billing.RecurringAt) under the contract's new rule, anchor or price, and writes their
// plan lines again through changeLines.

const changeColumns = `id, contract_id, kind, requested_at, requested_on, effective_on, from_value, to_value, status,
	applied_on, cancelled_at, actor, reason`

func scanChange(row pgx.Row) (records.ContractChange, error) {
	var c records.ContractChange
	var applied pgtype.Date
	var cancelled pgtype.Timestamptz
	err := row.Scan(&c.ID, &c.ContractID, &c.Kind, &c.RequestedAt, &c.RequestedOn, &c.EffectiveOn, &c.From, &c.To,
		&c.Status, &applied, &cancelled, &c.Actor, &c.Reason)
	c.AppliedOn = optDate(applied)
	if cancelled.Valid {
		c.CancelledAt = cancelled.Time
	}
	return c, err
}

// changeState is what a change reads of its contract, locked.
type changeState struct {
	c           billing.Contract
	anchor      time.Time // the service anchor: the activation date unless a pause moved it
	pausedFrom  time.Time
	pausedUntil time.Time
	plan        billing.Plan
}

// spec returns the recurring spec of the contract's current schedule.
func (s changeState) spec() billing.RecurringSpec {
	return billing.RecurringSpec{Rule: s.c.Rule, Period: s.plan.Period, Start: s.anchor, PerTerm: s.plan.InstallmentsPerTerm,
		Price: s.c.Price, Discount: s.c.Discount}
}

// withChangedContract locks contract id (before any of its rows, doc.go) and reads what a
// change needs, then runs change in the same transaction, retried by RetryTx.
func (s *Store) withChangedContract(ctx context.Context, id int64, change func(pgx.Tx, changeState) error) error {
	return RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		c, err := scanContract(tx.QueryRow(ctx, "SELECT "+contractColumns+" FROM contracts c WHERE c.id = $1 FOR NO KEY UPDATE", id))
		if err := notFound(err, "contract", id); err != nil {
			return err
		}
		st := changeState{c: c}
		var anchor, from, until pgtype.Date
		if err := tx.QueryRow(ctx, `SELECT coalesce(service_anchor, activation_date), paused_from, paused_until FROM contracts WHERE id = $1`,
			id).Scan(&anchor, &from, &until); err != nil {
			return fmt.Errorf("read contract %d's schedule: %w", id, err)
		}
		st.anchor, st.pausedFrom, st.pausedUntil = optDate(anchor), optDate(from), optDate(until)
		if st.plan, err = scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", c.PlanID)); err != nil {
			return fmt.Errorf("read contract %d's plan: %w", id, err)
		}
		switch c.Status {
		case billing.StatusActive, billing.StatusSuspendedPartial, billing.StatusBlocked:
		default:
			return fmt.Errorf("%w: contract %d is %s: only an active contract can be changed", billing.ErrConflict, id, c.Status)
		}
		if st.anchor.IsZero() {
			return fmt.Errorf("%w: contract %d has no activation date", billing.ErrConflict, id)
		}
		return change(tx, st)
	})
}

// insertChange records a change. A live change of the same contract, kind and effective day
// (the business key) is the same request again when it asks for the same (sameTo compares
// the to values): insertChange then returns it with created false and the caller applies
// nothing; asking for something else that day is a conflict.
func insertChange(ctx context.Context, tx pgx.Tx, ch records.ContractChange, sameTo func(old map[string]any) bool) (records.ContractChange, bool, error) {
	out, err := scanChange(tx.QueryRow(ctx, `INSERT INTO contract_changes (contract_id, kind, requested_on, effective_on,
			from_value, to_value, status, applied_on, actor, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (contract_id, kind, effective_on) WHERE status <> 'cancelled' DO NOTHING
		RETURNING `+changeColumns, ch.ContractID, ch.Kind, ch.RequestedOn, ch.EffectiveOn, ch.From, ch.To, ch.Status,
		date(ch.AppliedOn), ch.Actor, ch.Reason))
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return out, false, fmt.Errorf("record the %s change of contract %d: %w", ch.Kind, ch.ContractID, err)
	}
	old, err := scanChange(tx.QueryRow(ctx, `SELECT `+changeColumns+` FROM contract_changes
		WHERE contract_id = $1 AND kind = $2 AND effective_on = $3 AND status <> 'cancelled'`, ch.ContractID, ch.Kind, ch.EffectiveOn))
	if err != nil {
		return out, false, fmt.Errorf("read the %s change of contract %d: %w", ch.Kind, ch.ContractID, err)
	}
	if sameTo(old.To) {
		return old, false, nil
	}
	return out, false, fmt.Errorf("%w: contract %d already has %s change %d effective on %s, asking for something else",
		billing.ErrConflict, ch.ContractID, ch.Kind, old.ID, billing.FormatDate(ch.EffectiveOn))
}

// sameKeys reports whether the to value a already recorded holds b's values under keys
// (compared as JSON would read them back).
func sameKeys(a, b map[string]any, keys ...string) bool {
	for _, k := range keys {
		if !reflect.DeepEqual(jsonRoundTrip(a[k]), jsonRoundTrip(b[k])) {
			return false
		}
	}
	return true
}

// markApplied records that a change was applied on a day, with what its application wrote
// added to its to value.
func markApplied(ctx context.Context, tx pgx.Tx, ids []int64, on []pgtype.Date, extra []map[string]any) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE contract_changes c SET status = 'applied', applied_on = u.day, to_value = c.to_value || u.extra
		FROM unnest($1::bigint[], $2::date[], $3::jsonb[]) AS u(id, day, extra) WHERE c.id = u.id AND c.status = 'scheduled'`,
		ids, on, extra); err != nil {
		return fmt.Errorf("mark %d contract changes applied: %w", len(ids), err)
	}
	return nil
}

// openRecurring is an open recurring installment as a change reads it, with its plan line.
type openRecurring struct {
	id, contract       int64
	term, sequence     int
	start, end         time.Time
	nominal, due       time.Time
	state              string
	planLine           int64 // 0: none
	planAmount         decimal.Decimal
	planDescription    string
	planUnit, discount decimal.Decimal
}

// recurringOf reads the recurring installments of contracts (every state) in contract and
// sequence order, with their plan lines; the caller holds the contracts.
func recurringOf(ctx context.Context, tx pgx.Tx, contracts []int64) (map[int64][]openRecurring, error) {
	rows, err := tx.Query(ctx, `SELECT i.id, i.contract_id, i.term, i.sequence, i.service_start, i.service_end, i.nominal_due,
			i.due_date, i.state, coalesce(l.id, 0), coalesce(l.amount, 0), coalesce(l.description, ''), i.discount
		FROM installments i
		LEFT JOIN installment_lines l ON l.installment_id = i.id AND l.source_key = 'plan'
		WHERE i.contract_id = ANY($1) AND i.kind = 'recurring'
		ORDER BY i.contract_id, i.sequence FOR UPDATE OF i`, contracts)
	if err != nil {
		return nil, fmt.Errorf("read recurring installments: %w", err)
	}
	out := map[int64][]openRecurring{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var o openRecurring
		err := r.Scan(&o.id, &o.contract, &o.term, &o.sequence, &o.start, &o.end, &o.nominal, &o.due, &o.state,
			&o.planLine, &o.planAmount, &o.planDescription, &o.discount)
		out[o.contract] = append(out[o.contract], o)
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read recurring installments: %w", err)
	}
	return out, nil
}

// redate is an open recurring installment recomputed: its new service period, due dates
// and plan amount.
type redate struct {
	from openRecurring
	to   billing.ScheduledInstallment
}

// redates collects the installments a change moves or re-prices and writes them: one
// statement for their dates, which also records each installment whose nominal or effective
// due date moved (installment_redates, with cause and the contract change of its contract
// in changes, whose actor and reason it copies), then changeLines for their plan lines
// (removed and added again with the new period in words and the new amount) and any
// proration lines.
type redates struct {
	items     []redate
	proration []NewLine
	contracts []int64
	// cause is the records.Redate* cause of the re-datings; changes the contract change
	// that made them, by contract.
	cause   string
	changes map[int64]int64
}

// by sets the cause of the re-datings and the contract change of a contract that made them.
func (r *redates) by(cause string, contractID, changeID int64) {
	r.cause = cause
	if r.changes == nil {
		r.changes = map[int64]int64{}
	}
	r.changes[contractID] = changeID
}

func (r *redates) add(from openRecurring, to billing.ScheduledInstallment) {
	r.items = append(r.items, redate{from: from, to: to})
}

func (r *redates) write(ctx context.Context, tx pgx.Tx) error {
	var (
		ids, changeIDs           []int64
		start, end, nominal, due []pgtype.Date
		change                   LineChange
		one                      = decimal.NewFromInt(1)
	)
	for _, it := range r.items {
		ids, changeIDs = append(ids, it.from.id), append(changeIDs, r.changes[it.from.contract])
		start, end = append(start, date(it.to.ServiceStart)), append(end, date(it.to.ServiceEnd))
		nominal, due = append(nominal, date(it.to.NominalDue)), append(due, date(it.to.EffectiveDue))
		desc := billing.PlanLineDescription(it.from.term, it.from.sequence, it.to.ServiceStart, it.to.ServiceEnd)
		if it.from.planLine != 0 && desc == it.from.planDescription && it.from.planAmount.Equal(it.to.Amount) {
			continue
		}
		if it.from.planLine != 0 {
			change.Remove = append(change.Remove, it.from.planLine)
		}
		price := it.to.Amount
		change.Add = append(change.Add, NewLine{InstallmentID: it.from.id, Line: billing.Line{Kind: billing.LinePlan,
			SourceKey: billing.LinePlan, Description: desc, Quantity: one, UnitPrice: &price, Amount: price}})
	}
	if len(ids) > 0 {
		// The installments are locked (recurringOf): old reads their dates before the UPDATE,
		// in the statement's one snapshot.
		if _, err := tx.Exec(ctx, `WITH u AS (SELECT * FROM unnest($1::bigint[], $2::date[], $3::date[], $4::date[], $5::date[], $6::bigint[])
				AS u(id, s, e, n, d, change))
			, old AS (SELECT i.id, i.contract_id, i.nominal_due, i.due_date FROM installments i JOIN u ON u.id = i.id)
			, moved AS (UPDATE installments i SET service_start = u.s, service_end = u.e, nominal_due = u.n, due_date = u.d
				FROM u WHERE i.id = u.id AND i.state = 'open' RETURNING i.id, i.nominal_due, i.due_date, u.change)
			INSERT INTO installment_redates (installment_id, contract_id, cause, from_nominal, to_nominal, from_effective,
				to_effective, rule_kind, rule_day, rule_shift, change_id, actor, reason)
			SELECT o.id, o.contract_id, $7::text, o.nominal_due, m.nominal_due, o.due_date, m.due_date,
				c.due_rule_kind, c.due_day, c.due_shift, ch.id, coalesce(ch.actor, ''), coalesce(ch.reason, '')
			FROM moved m JOIN old o ON o.id = m.id JOIN contracts c ON c.id = o.contract_id
			LEFT JOIN contract_changes ch ON ch.id = m.change
			WHERE (o.nominal_due, o.due_date) IS DISTINCT FROM (m.nominal_due, m.due_date) ORDER BY o.id`,
			ids, start, end, nominal, due, changeIDs, r.cause); err != nil {
			return fmt.Errorf("re-date %d installments: %w", len(ids), err)
		}
	}
	if err := r.remakeAddonLines(ctx, tx, &change); err != nil {
		return err
	}
	change.Add = append(change.Add, r.proration...)
	if _, _, err := changeLines(ctx, tx, change); err != nil {
		return err
	}
	// The re-dated installments' boletos and PIX carry their new dates (changeLines re-made
	// those whose amount changed).
	if _, err := makeInstruments(ctx, tx, ids); err != nil {
		return err
	}
	if len(r.contracts) == 0 {
		return nil
	}
	// The term end follows the term's last installment.
	if _, err := tx.Exec(ctx, `UPDATE contracts c SET term_end = coalesce((SELECT max(i.service_end) FROM installments i
			WHERE i.contract_id = c.id AND i.kind = 'recurring' AND i.term = c.generated_term), c.term_end), updated_at = now()
		WHERE c.id = ANY($1)`, r.contracts); err != nil {
		return fmt.Errorf("move the term end of %d contracts: %w", len(r.contracts), err)
	}
	return nil
}

// ContractChanges lists a contract's changes by id (404 for an unknown contract).
func (s *Store) ContractChanges(ctx context.Context, contractID int64, page records.Page) ([]records.ContractChange, error) {
	var exists bool
	if err := s.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM contracts WHERE id = $1)", contractID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look up contract %d: %w", contractID, err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: contract %d", billing.ErrNotFound, contractID)
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+changeColumns+` FROM contract_changes WHERE contract_id = $1 AND id > $2
		ORDER BY id LIMIT $3`, contractID, page.After, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list the changes of contract %d: %w", contractID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.ContractChange, error) { return scanChange(r) })
}

// ChangeStates returns, for each of the contracts, its scheduled changes and its latest
// pause window, for the contract's JSON.
func (s *Store) ChangeStates(ctx context.Context, ids []int64) (map[int64]records.ChangeState, error) {
	out := map[int64]records.ChangeState{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+changeColumns+` FROM contract_changes
		WHERE contract_id = ANY($1) AND status = 'scheduled' ORDER BY contract_id, effective_on, id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read scheduled changes: %w", err)
	}
	changes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.ContractChange, error) { return scanChange(r) })
	if err != nil {
		return nil, fmt.Errorf("read scheduled changes: %w", err)
	}
	for _, ch := range changes {
		st := out[ch.ContractID]
		st.Scheduled = append(st.Scheduled, ch)
		out[ch.ContractID] = st
	}
	rows, err = s.Pool.Query(ctx, `SELECT id, paused_from, paused_until FROM contracts WHERE id = ANY($1) AND paused_from IS NOT NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("read pauses: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var from, until pgtype.Date
		err := r.Scan(&id, &from, &until)
		st := out[id]
		st.PausedFrom, st.PausedUntil = optDate(from), optDate(until)
		out[id] = st
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read pauses: %w", err)
	}
	return out, nil
}

// CancelContractChange cancels a scheduled change of a contract; an applied or cancelled one
// is a conflict naming its status.
func (s *Store) CancelContractChange(ctx context.Context, contractID, changeID int64, actor string) (records.ContractChange, error) {
	var out records.ContractChange
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT 1 FROM contracts WHERE id = $1 FOR NO KEY UPDATE", contractID); err != nil {
			return fmt.Errorf("lock contract %d: %w", contractID, err)
		}
		ch, err := scanChange(tx.QueryRow(ctx, `SELECT `+changeColumns+` FROM contract_changes WHERE id = $1 AND contract_id = $2
			FOR UPDATE`, changeID, contractID))
		if err := notFound(err, "contract change", changeID); err != nil {
			return err
		}
		if ch.Status != billing.ChangeScheduled {
			return fmt.Errorf("%w: change %d of contract %d is %s: only a scheduled change can be cancelled", billing.ErrConflict,
				changeID, contractID, ch.Status)
		}
		out, err = scanChange(tx.QueryRow(ctx, `UPDATE contract_changes SET status = 'cancelled', cancelled_at = now(),
				to_value = to_value || jsonb_build_object('cancelled_by', $2::text)
			WHERE id = $1 RETURNING `+changeColumns, changeID, actor))
		if err != nil {
			return fmt.Errorf("cancel change %d: %w", changeID, err)
		}
		return nil
	})
	return out, err
}

// jsonRoundTrip returns v as encoding/json reads it back (numbers as float64, structs as
// maps), so that a value about to be stored compares with one read from jsonb.
func jsonRoundTrip(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// decimalInt is n as a decimal.
func decimalInt(n int) decimal.Decimal { return decimal.NewFromInt(int64(n)) }

// remakeAddonLines adds to change the add-on lines of the re-dated installments whose new
// service period bills them otherwise (billing.AddonLine: the period in words, or the days an
// add-on starting or ending inside it covers): each is removed and added again, and one the
// new period no longer covers is removed. One read for all the installments.
func (r *redates) remakeAddonLines(ctx context.Context, tx pgx.Tx, change *LineChange) error {
	periods := make(map[int64]billing.ScheduledInstallment, len(r.items))
	ids := make([]int64, 0, len(r.items))
	for _, it := range r.items {
		if it.from.start.Equal(it.to.ServiceStart) && it.from.end.Equal(it.to.ServiceEnd) {
			continue
		}
		periods[it.from.id] = it.to
		ids = append(ids, it.from.id)
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT l.id, l.installment_id, l.description, l.amount, a.id, a.description, a.price,
			a.active_from, a.active_until
		FROM installment_lines l JOIN contract_addons a ON l.source_key = 'addon:' || a.id AND a.contract_id = l.contract_id
		WHERE l.installment_id = ANY($1) AND l.kind = 'addon' ORDER BY l.id`, ids)
	if err != nil {
		return fmt.Errorf("read the add-on lines of %d re-dated installments: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			lineID, installment, addonID int64
			desc                         string
			amount                       decimal.Decimal
			a                            billing.Addon
			until                        pgtype.Date
		)
		if err := rows.Scan(&lineID, &installment, &desc, &amount, &addonID, &a.Description, &a.Price, &a.From, &until); err != nil {
			return fmt.Errorf("read an add-on line: %w", err)
		}
		a.Until = optDate(until)
		to := periods[installment]
		l, ok := billing.AddonLine(addonID, a, to.ServiceStart, to.ServiceEnd)
		if ok && l.Description == desc && l.Amount.Equal(amount) {
			continue
		}
		change.Remove = append(change.Remove, lineID)
		if ok {
			change.Add = append(change.Add, NewLine{InstallmentID: installment, Line: l})
		}
	}
	return wrap(rows.Err(), "read the add-on lines")
}
