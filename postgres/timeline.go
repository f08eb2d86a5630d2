package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/timeline"
)

// timelineJobs says which job writes the entries of a kind, for the runs of the day: the
// runs of that job as of an entry's date are the runs that touched the contract.
var timelineJobs = map[string]string{
	records.TimelineIssued:          "generate-installments",
	records.TimelineBlockStarted:    "block-delinquent",
	records.TimelineBlockEnded:      "block-delinquent",
	records.EventContractSuspended:  "block-delinquent",
	records.EventContractRestored:   "block-delinquent",
	records.EventContractTerminated: "block-delinquent",
	records.TimelineRenewalQueued:   "renew-contracts",
	records.TimelineRenewed:         "renew-contracts",
}

// timelineCollector gathers a timeline's entries from several reads, each bounded to its
// limit+1 oldest rows. A read that hit its bound sets a frontier (the key of its first row
// left out): only the entries up to the earliest frontier are sure to be complete, so the
// timeline ends there.
type timelineCollector struct {
	loc      *time.Location
	limit    int
	entries  []records.TimelineEntry
	frontier *records.TimelineEntry
}

// add appends an entry with its words.
func (c *timelineCollector) add(on time.Time, at *time.Time, kind string, w timeline.Words, ids map[string]int64) *records.TimelineEntry {
	c.entries = append(c.entries, records.TimelineEntry{On: on, At: at, Kind: kind, What: w.What, Reason: w.Reason, Rule: w.Rule, IDs: ids})
	return &c.entries[len(c.entries)-1]
}

// bound notes that a read returned n rows, the row past the limit (when n > limit) starting
// at on/at.
func (c *timelineCollector) bound(n int, on time.Time, at *time.Time) bool {
	if n < c.limit {
		return false
	}
	f := records.TimelineEntry{On: on, At: at}
	if c.frontier == nil || compareEntries(f, *c.frontier) < 0 {
		c.frontier = &f
	}
	return true
}

func (c *timelineCollector) day(t time.Time) time.Time { return billing.DateOf(t, c.loc) }

func atOf(t pgtype.Timestamptz) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// compareEntries orders entries by business date, then instant (entries without one last
// on their date), then kind and ids.
func compareEntries(a, b records.TimelineEntry) int {
	if c := a.On.Compare(b.On); c != 0 {
		return c
	}
	switch {
	case a.At == nil && b.At != nil:
		return 1
	case a.At != nil && b.At == nil:
		return -1
	case a.At != nil && b.At != nil:
		if c := a.At.Compare(*b.At); c != 0 {
			return c
		}
	}
	return 0
}

// Timeline returns contract id's timeline: the installments issued (with their lines) and re-dated,
// payments and reversals (with their source as stored), notices written, sent and failed,
// block episodes, the outbox's events no other table records (suspensions, restores,
// terminations), renewals, benefit uses, contract changes, operators' actions naming the contract, its
// installments or its payments, and the runs of the days on which a job wrote its entries
// — in order of business date, then instant; at most limit entries, the oldest (Truncated
// says whether more exist). All of it is read in one read-only snapshot.
func (s *Store) Timeline(ctx context.Context, id int64, limit int, today time.Time) (records.Timeline, error) {
	out := records.Timeline{ContractID: id, Limit: limit}
	c := &timelineCollector{loc: s.location(), limit: limit + 1}
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		k, err := scanContract(tx.QueryRow(ctx, "SELECT "+contractColumns+" FROM contracts c WHERE c.id = $1", id))
		if err := notFound(err, "contract", id); err != nil {
			return err
		}
		var ruleName string
		if err := tx.QueryRow(ctx, `SELECT r.name FROM blocking_rules r
			WHERE r.id = coalesce($1, (SELECT id FROM blocking_rules WHERE is_default))`, k.BlockingRuleID).Scan(&ruleName); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read the blocking rule of contract %d: %w", id, err)
		}
		seqs, err := c.installments(ctx, tx, k)
		if err != nil {
			return err
		}
		for _, read := range []func() error{
			func() error { return c.payments(ctx, tx, id, seqs) },
			func() error { return c.notices(ctx, tx, id) },
			func() error { return c.episodes(ctx, tx, id, today, seqs, ruleName) },
			func() error { return c.events(ctx, tx, id, ruleName) },
			func() error { return c.renewals(ctx, tx, id) },
			func() error { return c.uses(ctx, tx, id) },
			func() error { return c.operators(ctx, tx, id) },
			func() error { return c.changes(ctx, tx, id) },
			func() error { return c.redates(ctx, tx, id, seqs) },
		} {
			if err := read(); err != nil {
				return fmt.Errorf("timeline of contract %d: %w", id, err)
			}
		}
		return c.runs(ctx, tx)
	})
	if err != nil {
		return out, err
	}
	slices.SortStableFunc(c.entries, func(a, b records.TimelineEntry) int {
		if x := compareEntries(a, b); x != 0 {
			return x
		}
		return cmp.Compare(a.Kind, b.Kind)
	})
	entries := c.entries
	if c.frontier != nil {
		// Entries at the frontier's own instant stay: the read that was cut returned its rows
		// of that instant up to its bound, and the count below cuts the rest.
		// A read with more rows than the limit means more entries than the limit.
		out.Truncated = true
		if cut := slices.IndexFunc(entries, func(e records.TimelineEntry) bool { return compareEntries(e, *c.frontier) > 0 }); cut >= 0 {
			entries = entries[:cut]
		}
	}
	if len(entries) > limit {
		entries, out.Truncated = entries[:limit], true
	}
	out.Entries = entries
	return out, nil
}

// installments adds the installments issued, with the lines they were issued with, and the
// lines written later (a late fine, an inactivity discount); it returns the sequence of
// every installment of the contract by id.
func (c *timelineCollector) installments(ctx context.Context, tx pgx.Tx, k billing.Contract) (map[int64]int, error) {
	rows, err := tx.Query(ctx, "SELECT "+installmentColumns+`, created_at FROM installments
		WHERE contract_id = $1 ORDER BY created_at, id LIMIT $2`, k.ID, c.limit)
	if err != nil {
		return nil, fmt.Errorf("read installments: %w", err)
	}
	type issued struct {
		i  Installment
		at time.Time
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (issued, error) {
		var x issued
		s := installmentScan{i: &x.i}
		err := r.Scan(append(s.dest(), &x.at)...)
		s.finish()
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("read installments: %w", err)
	}
	lines, err := c.lines(ctx, tx, k.ID)
	if err != nil {
		return nil, err
	}
	var renewedTerms []int
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(new_term), '{}') FROM renewals
		WHERE contract_id = $1 AND renewed_on IS NOT NULL`, k.ID).Scan(&renewedTerms); err != nil {
		return nil, fmt.Errorf("read renewed terms: %w", err)
	}
	seqs := map[int64]int{}
	for i, x := range got {
		seqs[x.i.ID] = x.i.Sequence
		if i == c.limit-1 {
			c.bound(len(got), c.day(x.at), &x.at)
			break
		}
		// The lines written with the installment (in its statement, so at its instant) are
		// what it was issued with; each line written later is an entry of its own.
		amount := decimal.Zero
		for _, l := range lines[x.i.ID] {
			if l.at.After(x.at) {
				at := l.at
				e := c.add(c.day(at), &at, records.TimelineLineAdded, timeline.LineAdded(l.Line, x.i.Sequence),
					map[string]int64{"installment": x.i.ID})
				e.Amount = &l.Amount
				continue
			}
			x.i.Lines = append(x.i.Lines, l.Line)
			amount = amount.Add(l.Amount)
		}
		at := x.at
		e := c.add(c.day(at), &at, records.TimelineIssued, timeline.Issued(x.i, k.Rule, x.i.Kind == billing.Recurring && slices.Contains(renewedTerms, x.i.Term)), map[string]int64{"installment": x.i.ID})
		e.Amount, e.Lines = &amount, x.i.Lines
	}
	// The sequences of installments past the bound, for the payments' words.
	rows, err = tx.Query(ctx, `SELECT id, sequence FROM installments WHERE contract_id = $1`, k.ID)
	if err != nil {
		return nil, fmt.Errorf("read installments: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var seq int
		err := r.Scan(&id, &seq)
		seqs[id] = seq
		return struct{}{}, err
	})
	return seqs, err
}

// timedLine is an installment line with the instant it was written.
type timedLine struct {
	billing.Line
	at time.Time
}

// lines reads the lines of contract id's installments, by installment, in the order written.
func (c *timelineCollector) lines(ctx context.Context, tx pgx.Tx, id int64) (map[int64][]timedLine, error) {
	rows, err := tx.Query(ctx, `SELECT installment_id, kind, description, quantity, unit_price, amount, source_key, created_at
		FROM installment_lines WHERE contract_id = $1 ORDER BY installment_id, id`, id)
	if err != nil {
		return nil, fmt.Errorf("read installment lines: %w", err)
	}
	out := map[int64][]timedLine{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var inst int64
		var l timedLine
		err := r.Scan(&inst, &l.Kind, &l.Description, &l.Quantity, &l.UnitPrice, &l.Amount, &l.SourceKey, &l.at)
		out[inst] = append(out[inst], l)
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read installment lines: %w", err)
	}
	return out, nil
}

// payments adds the payments recorded and reversed.
func (c *timelineCollector) payments(ctx context.Context, tx pgx.Tx, id int64, seqs map[int64]int) error {
	rows, err := tx.Query(ctx, "SELECT "+paymentColumns+`, (SELECT due_date FROM installments i WHERE i.id = p.installment_id)
		FROM payments p WHERE contract_id = $1 ORDER BY paid_on, recorded_at, id LIMIT $2`, id, c.limit)
	if err != nil {
		return fmt.Errorf("read payments: %w", err)
	}
	type paid struct {
		p   Payment
		due time.Time
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (paid, error) {
		var x paid
		var reversed pgtype.Timestamptz
		err := r.Scan(&x.p.ID, &x.p.InstallmentID, &x.p.ContractID, &x.p.Amount, &x.p.PaidOn, &x.p.Source, &x.p.Reference,
			&x.p.Principal, &x.p.Fine, &x.p.Interest, &x.p.Credit, &x.p.RecordedAt, &reversed, &x.p.ReversalReason, &x.due)
		if reversed.Valid {
			x.p.ReversedAt = reversed.Time
		}
		return x, err
	})
	if err != nil {
		return fmt.Errorf("read payments: %w", err)
	}
	for i, x := range got {
		p := x.p
		if i == c.limit-1 {
			c.bound(len(got), p.PaidOn, &p.RecordedAt)
			break
		}
		ids := map[string]int64{"payment": p.ID, "installment": p.InstallmentID}
		at := p.RecordedAt
		e := c.add(p.PaidOn, &at, records.TimelinePaid, timeline.Paid(p, seqs[p.InstallmentID], x.due), ids)
		e.Amount, e.Source = &p.Amount, p.Source
		if !p.ReversedAt.IsZero() {
			rat := p.ReversedAt
			e := c.add(c.day(rat), &rat, records.TimelineReversed, timeline.Reversed(p, seqs[p.InstallmentID]), ids)
			e.Amount, e.Source = &p.Amount, p.Source
		}
	}
	return nil
}

// redates adds the installments' re-datings (installment_redates): by a holiday, a contract
// change, an operator's new due date.
func (c *timelineCollector) redates(ctx context.Context, tx pgx.Tx, id int64, seqs map[int64]int) error {
	rows, err := tx.Query(ctx, `SELECT id, installment_id, contract_id, cause, from_nominal, to_nominal, from_effective, to_effective,
			rule_kind, coalesce(rule_day, 0), rule_shift, holiday, holiday_name, coalesce(change_id, 0),
			coalesce(installment_change_id, 0), actor, reason, at
		FROM installment_redates WHERE contract_id = $1 ORDER BY at, id LIMIT $2`, id, c.limit)
	if err != nil {
		return fmt.Errorf("read re-datings: %w", err)
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (records.InstallmentRedate, error) {
		var r records.InstallmentRedate
		var holiday pgtype.Date
		err := row.Scan(&r.ID, &r.InstallmentID, &r.ContractID, &r.Cause, &r.FromNominal, &r.ToNominal, &r.FromEffective, &r.ToEffective,
			&r.RuleKind, &r.RuleDay, &r.RuleShift, &holiday, &r.HolidayName, &r.ChangeID, &r.InstallmentChangeID, &r.Actor, &r.Reason, &r.At)
		r.Holiday = holiday.Time
		return r, err
	})
	if err != nil {
		return fmt.Errorf("read re-datings: %w", err)
	}
	for i, r := range got {
		at := r.At
		if i == c.limit-1 {
			c.bound(len(got), c.day(at), &at)
			break
		}
		ids := map[string]int64{"installment": r.InstallmentID, "redate": r.ID}
		if r.ChangeID != 0 {
			ids["change"] = r.ChangeID
		}
		c.add(c.day(at), &at, records.TimelineRedated, timeline.Redated(r, seqs[r.InstallmentID]), ids)
	}
	return nil
}
