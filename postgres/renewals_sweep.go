package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

// RenewSweep is renew-contracts: for each contract renewed automatically it counts the open
// recurring installments of the current term; at or below the queue threshold the contract
// enters the renewal queue, at or below the renewal threshold the next term is created at the
// renewal price in the same transaction. It looks only at contracts flagged renewal_check (an
// installment paid or cancelled, renewal settings changed), so a day on which nothing
// changed is an empty index range. Every effect is keyed by (contract, term).
type RenewSweep struct {
	// Thresholds are the global defaults; a plan may override both.
	Thresholds renewal.Thresholds
	// FollowUps takes the renewed notices each batch records (the store's follow-ups); nil
	// leaves them to the send-notices sweep.
	FollowUps FollowUps
}

// Plan implements jobs.Sweep. When the global thresholds differ from those the sweep last
// applied, it first flags every contract renewed automatically, so that none is missed.
func (s RenewSweep) Plan(ctx context.Context, tx pgx.Tx, asOf time.Time, batchSize int) ([]int64, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO renewal_settings AS s (queue_threshold, renew_threshold) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET queue_threshold = $1, renew_threshold = $2
		WHERE s.queue_threshold <> $1 OR s.renew_threshold <> $2`, s.Thresholds.Queue, s.Thresholds.Renewal)
	if err != nil {
		return nil, fmt.Errorf("record renewal thresholds: %w", err)
	}
	if tag.RowsAffected() > 0 {
		const flag = `NOT renewal_check AND contract_renews_automatically(status, billing_method, auto_renew, ignore_auto_renewal,
				term_number, generated_term)`
		if _, err := lockContracts(ctx, tx, flag); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE contracts SET renewal_check = true WHERE `+flag); err != nil {
			return nil, fmt.Errorf("flag contracts for new renewal thresholds: %w", err)
		}
	}
	return planByIndex(ctx, tx, `SELECT id FROM contracts WHERE renewal_check AND $1::date IS NOT NULL`, asOf, batchSize)
}

// Batch implements jobs.Sweep.
func (s RenewSweep) Batch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error) {
	cands, err := lockRenewalCandidates(ctx, tx, `c.id BETWEEN $1 AND $2 AND c.renewal_check`, fromID, toID)
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{"contracts": int64(len(cands)), "queued": 0, "renewed": 0, "installments_created": 0, "skipped": 0}
	if len(cands) == 0 {
		return counts, nil
	}
	if err := countOpen(ctx, tx, cands, false); err != nil {
		return nil, err
	}
	var cal *billing.Calendar
	w := renewalWrites{asOf: asOf, trigger: records.RenewedBySweep}
	for i := range cands {
		c := &cands[i]
		w.examined = append(w.examined, c.id)
		if !c.state.Automatic() {
			continue
		}
		t := s.Thresholds
		if c.planQueue != nil && c.planRenewal != nil {
			t = renewal.Thresholds{Queue: *c.planQueue, Renewal: *c.planRenewal}
		}
		step := renewal.Decide(c.open, t.For(c.perTerm))
		if step == renewal.Nothing {
			continue
		}
		if step == renewal.Renew && cal == nil {
			if cal, err = LoadCalendar(ctx, tx); err != nil {
				return nil, err
			}
		}
		var fe *billing.FieldError
		switch err := w.add(c, step == renewal.Renew, cal); {
		case errors.As(err, &fe):
			counts["skipped"]++ // the renewal price does not cover the discounts: left queued for the operator
		case err != nil:
			return nil, fmt.Errorf("contract %d: %w", c.id, err)
		}
	}
	got, notices, err := w.flush(ctx, tx)
	if err != nil {
		return nil, err
	}
	for k, v := range got {
		counts[k] += v
	}
	if err := noticesRecorded(ctx, tx, s.FollowUps, notices); err != nil {
		return nil, fmt.Errorf("hand on %d notices: %w", len(notices), err)
	}
	return counts, nil
}

// renewalCandidate is one locked contract with what renewing it needs.
type renewalCandidate struct {
	id                      int64
	state                   renewal.Contract
	price, discount, onTime decimal.Decimal
	mode                    string
	suggested               *decimal.Decimal
	activation              time.Time
	rule                    billing.DueDateRule
	period                  billing.Period
	perTerm                 int
	planPrice               decimal.Decimal
	planQueue, planRenewal  *int
	open                    int
}

// lockRenewalCandidates reads and locks the contracts matching where (over $1, $2…).
func lockRenewalCandidates(ctx context.Context, tx pgx.Tx, where string, args ...any) ([]renewalCandidate, error) {
	rows, err := tx.Query(ctx, `SELECT c.id, c.status, c.billing_method, c.auto_renew, c.ignore_auto_renewal, c.term_number,
			c.generated_term, c.price, c.discount, c.on_time_discount, c.renewal_price_mode, c.suggested_price,
			coalesce(c.service_anchor, c.activation_date), c.due_rule_kind, coalesce(c.due_day, 0), c.due_shift,
			p.period, p.installments_per_term, p.price, p.renewal_queue_threshold, p.renewal_threshold, p.kind = 'package'
		FROM contracts c JOIN plans p ON p.id = c.plan_id
		WHERE `+where+` ORDER BY c.id FOR NO KEY UPDATE OF c`, args...)
	if err != nil {
		return nil, fmt.Errorf("read contracts to renew: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (renewalCandidate, error) {
		var c renewalCandidate
		var activation pgtype.Date
		err := r.Scan(&c.id, &c.state.Status, &c.state.BillingMethod, &c.state.AutoRenew, &c.state.IgnoreAutoRenewal,
			&c.state.TermNumber, &c.state.GeneratedTerm, &c.price, &c.discount, &c.onTime, &c.mode, &c.suggested,
			&activation, &c.rule.Kind, &c.rule.Day, &c.rule.Shift, &c.period, &c.perTerm, &c.planPrice,
			&c.planQueue, &c.planRenewal, &c.state.Package)
		c.activation = optDate(activation)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read contracts to renew: %w", err)
	}
	return out, nil
}

// countOpen fills in each candidate's open recurring installments of its current term and,
// with ledger, whether that term is queued and whether it came from a renewal. It runs after
// the contracts are locked, so it sees every change committed before.
func countOpen(ctx context.Context, tx pgx.Tx, cands []renewalCandidate, ledger bool) error {
	ids := make([]int64, len(cands))
	terms := make([]int32, len(cands))
	for i, c := range cands {
		ids[i], terms[i] = c.id, int32(c.state.TermNumber)
	}
	rows, err := tx.Query(ctx, `SELECT u.ord,
			(SELECT count(*) FROM installments i
			 WHERE i.contract_id = u.id AND i.term = u.term AND i.state = 'open' AND i.kind = 'recurring'),
			$3 AND EXISTS (SELECT 1 FROM renewals r WHERE r.contract_id = u.id AND r.term = u.term AND r.renewed_on IS NULL),
			$3 AND EXISTS (SELECT 1 FROM renewals r WHERE r.contract_id = u.id AND r.term = u.term - 1 AND r.renewed_on IS NOT NULL)
		FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS u(id, term, ord)`, ids, terms, ledger)
	if err != nil {
		return fmt.Errorf("count open installments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ord int
		var open int
		var queued, renewed bool
		if err := rows.Scan(&ord, &open, &queued, &renewed); err != nil {
			return fmt.Errorf("count open installments: %w", err)
		}
		c := &cands[ord-1]
		c.open, c.state.QueuedForCurrent, c.state.RenewedIntoCurrent = open, queued, renewed
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count open installments: %w", err)
	}
	return nil
}

// renewalWrites collects a batch's queue entries and renewals column by column.
type renewalWrites struct {
	asOf     time.Time
	trigger  string
	examined []int64

	// renewals upsert
	contract  []int64
	term      []int32
	open      []int32
	renewedOn []pgtype.Date
	newTerm   []pgtype.Int4
	mode      []pgtype.Text
	price     []decimal.NullDecimal
	trig      []pgtype.Text

	// per renewed contract
	terms map[int64]renewedTerm
}

// renewedTerm is the next term computed for one contract.
type renewedTerm struct {
	term         int
	end          time.Time
	price        decimal.Decimal
	onTime       decimal.Decimal
	installments []billing.ScheduledInstallment
}

// add records a contract's entry in the queue and, with renew, its renewal into the next
// term. A renewal price that does not cover the discounts is a *billing.FieldError; the
// contract is still queued.
func (w *renewalWrites) add(c *renewalCandidate, renew bool, cal *billing.Calendar) error {
	var rt renewedTerm
	var err error
	if renew {
		rt.price, err = renewal.Price(c.mode, c.planPrice, c.suggested, c.discount, c.onTime)
		if err == nil {
			spec := billing.RecurringSpec{Rule: c.rule, Period: c.period, Start: c.activation, PerTerm: c.perTerm,
				Price: rt.price, Discount: c.discount}
			rt.installments, rt.end, err = renewal.NextTerm(spec, c.state.TermNumber, cal)
			if err != nil {
				return err
			}
			rt.term, rt.onTime = c.state.TermNumber+1, c.onTime
		}
	}
	w.contract = append(w.contract, c.id)
	w.term = append(w.term, int32(c.state.TermNumber))
	w.open = append(w.open, int32(c.open))
	if !renew || err != nil {
		w.renewedOn = append(w.renewedOn, pgtype.Date{})
		w.newTerm = append(w.newTerm, pgtype.Int4{})
		w.mode = append(w.mode, pgtype.Text{})
		w.price = append(w.price, decimal.NullDecimal{})
		w.trig = append(w.trig, pgtype.Text{})
		return err
	}
	w.renewedOn = append(w.renewedOn, date(w.asOf))
	w.newTerm = append(w.newTerm, pgtype.Int4{Int32: int32(rt.term), Valid: true})
	w.mode = append(w.mode, pgtype.Text{String: c.mode, Valid: true})
	w.price = append(w.price, decimal.NullDecimal{Decimal: rt.price, Valid: true})
	w.trig = append(w.trig, pgtype.Text{String: w.trigger, Valid: true})
	if w.terms == nil {
		w.terms = map[int64]renewedTerm{}
	}
	w.terms[c.id] = rt
	return nil
}

// flush writes the batch: the queue entries and renewals (keyed by contract and term: only
// the renewals this statement records go on), the new terms' installments, the contracts'
// new term, end and price, the renewed notices, and clears the examined contracts' flags.
// It returns the counts and the ids of the notices it recorded.
func (w *renewalWrites) flush(ctx context.Context, tx pgx.Tx) (map[string]int64, []int64, error) {
	counts := map[string]int64{}
	var renewedNow, notices []int64
	if len(w.contract) > 0 {
		rows, err := tx.Query(ctx, `INSERT INTO renewals AS r (contract_id, term, queued_on, open_installments,
				renewed_on, new_term, price_mode, price, trigger)
			SELECT u.contract_id, u.term, $3, u.open, u.renewed_on, u.new_term, u.mode, u.price, u.trigger
			FROM unnest($1::bigint[], $2::int[], $4::int[], $5::date[], $6::int[], $7::text[], $8::numeric[], $9::text[])
				AS u(contract_id, term, open, renewed_on, new_term, mode, price, trigger)
			ON CONFLICT (contract_id, term) DO UPDATE SET renewed_on = EXCLUDED.renewed_on, new_term = EXCLUDED.new_term,
				price_mode = EXCLUDED.price_mode, price = EXCLUDED.price, trigger = EXCLUDED.trigger, updated_at = now()
			WHERE r.renewed_on IS NULL AND EXCLUDED.renewed_on IS NOT NULL
			RETURNING r.contract_id, r.xmax = 0, r.renewed_on IS NOT NULL`,
			w.contract, w.term, w.asOf, w.open, w.renewedOn, w.newTerm, w.mode, w.price, w.trig)
		if err != nil {
			return nil, nil, fmt.Errorf("record renewal queue: %w", err)
		}
		for rows.Next() {
			var id int64
			var inserted, renewed bool
			if err := rows.Scan(&id, &inserted, &renewed); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("record renewal queue: %w", err)
			}
			if inserted {
				counts["queued"]++
			}
			if _, ok := w.terms[id]; ok && renewed {
				renewedNow = append(renewedNow, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("record renewal queue: %w", err)
		}
	}
	var ins installmentBatch
	var upd struct {
		id      []int64
		term    []int32
		end     []pgtype.Date
		price   []decimal.Decimal
		notices []string
	}
	for _, id := range renewedNow {
		rt := w.terms[id]
		for _, it := range rt.installments {
			ins.add(id, it, rt.onTime, 0)
		}
		upd.id = append(upd.id, id)
		upd.term = append(upd.term, int32(rt.term))
		upd.end = append(upd.end, date(rt.end))
		upd.price = append(upd.price, rt.price)
		upd.notices = append(upd.notices, fmt.Sprint(rt.term))
	}
	if len(upd.id) > 0 {
		created, err := ins.insert(ctx, tx, w.asOf)
		if err != nil {
			return nil, nil, fmt.Errorf("renewed terms: %w", err)
		}
		counts["installments_created"] = created
		counts["renewed"] = int64(len(upd.id))
		rows, err := tx.Query(ctx, `INSERT INTO notices (contract_id, kind, reference)
			SELECT id, 'renewed', ref FROM unnest($1::bigint[], $2::text[]) AS u(id, ref)
			ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id`, upd.id, upd.notices)
		if err == nil {
			notices, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err != nil {
			return nil, nil, fmt.Errorf("record renewed notices: %w", err)
		}
		// contract.renewed, one per contract and term (term:<contract>:<term>).
		events := make([]NewEvent, 0, len(renewedNow))
		for _, id := range renewedNow {
			rt := w.terms[id]
			events = append(events, NewEvent{Kind: records.EventContractRenewed, ContractID: id,
				Subject: fmt.Sprintf("term:%d:%d", id, rt.term), OccurredOn: w.asOf,
				Payload: map[string]any{"term": rt.term, "term_end": billing.FormatDate(rt.end),
					"price": billing.FormatMoney(rt.price), "trigger": w.trigger}})
		}
		if _, err := recordEvents(ctx, tx, events); err != nil {
			return nil, nil, fmt.Errorf("record renewed events: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE contracts c SET renewal_check = false,
			term_number = coalesce(r.term, c.term_number), generated_term = coalesce(r.term, c.generated_term),
			term_end = coalesce(r.term_end, c.term_end), price = coalesce(r.price, c.price),
			updated_at = CASE WHEN r.id IS NULL THEN c.updated_at ELSE now() END
		FROM unnest($1::bigint[]) AS a(id)
			LEFT JOIN unnest($2::bigint[], $3::int[], $4::date[], $5::numeric[]) AS r(id, term, term_end, price) ON r.id = a.id
		WHERE c.id = a.id`, w.examined, upd.id, upd.term, upd.end, upd.price); err != nil {
		return nil, nil, fmt.Errorf("record renewed terms: %w", err)
	}
	return counts, notices, nil
}

// RenewContract renews a contract by hand as of on, whatever its open installments,
// auto_renew or ignore_auto_renewal: billing.ErrConflict when it is cancelled, finished, pending
// activation, without billing, a package's (its cycles bill it), its term not generated yet, already renewed for its term
// (see renewal.Contract.ManualRefusal), or its renewal price does not cover its discounts.
func (s *Store) RenewContract(ctx context.Context, id int64, on time.Time) (billing.Contract, error) {
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		cands, err := lockRenewalCandidates(ctx, tx, `c.id = $1`, id)
		if err != nil {
			return err
		}
		if len(cands) == 0 {
			return fmt.Errorf("%w: contract %d", billing.ErrNotFound, id)
		}
		if err := countOpen(ctx, tx, cands, true); err != nil {
			return err
		}
		c := &cands[0]
		if why := c.state.ManualRefusal(); why != "" {
			return fmt.Errorf("%w: contract %d cannot be renewed: %s", billing.ErrConflict, id, why)
		}
		cal, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		w := renewalWrites{asOf: on, trigger: records.RenewedByHand, examined: []int64{id}}
		var fe *billing.FieldError
		if err := w.add(c, true, cal); errors.As(err, &fe) {
			return fmt.Errorf("%w: contract %d cannot be renewed: %s", billing.ErrConflict, id, fe.Reason)
		} else if err != nil {
			return fmt.Errorf("renew contract %d: %w", id, err)
		}
		counts, notices, err := w.flush(ctx, tx)
		if err != nil {
			return err
		}
		if counts["renewed"] != 1 {
			return fmt.Errorf("%w: contract %d: term %d was already renewed", billing.ErrConflict, id, c.state.TermNumber)
		}
		return noticesRecorded(ctx, tx, s.FollowUps, notices)
	})
	if err != nil {
		return billing.Contract{}, err
	}
	return s.Contract(ctx, id)
}
