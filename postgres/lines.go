package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// An installment is the sum of its lines (installment_lines, migrations/*_installment_lines.sql):
// its cached totals amount (the positive lines) and discount (minus the negative ones) move
// only with its lines, in the same statement. Two kinds of statement write lines:
//
//   - the statements that create installments (installmentBatch.insert: generation,
//     renewal, a package's next cycle) write each installment and its lines in one
//     statement, the installment's totals being the sums of its lines (billing.LineTotals);
//   - changeLines adds lines to existing installments and removes lines from them, moving
//     the totals in the same statement (the inactivity discount, late fine and interest).
//
// (A data-modifying CTE runs whether or not the statement's SELECT reads it.)
//
// Nothing else writes installments.amount or installments.discount. LinesOffTotals counts
// the installments where that would have failed.

// LinesOffTotals is a query counting the installments whose lines do not sum to their cached
// totals (amount = the positive lines, discount = minus the negative ones) or that have no
// line at all: the ledger's invariant, zero in every test that writes lines and in the fault
// tests.
const LinesOffTotals = `SELECT count(*) FROM installments i
	LEFT JOIN (SELECT installment_id, coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS charged,
	                  coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS discounted
	           FROM installment_lines GROUP BY installment_id) l ON l.installment_id = i.id
	WHERE l.installment_id IS NULL OR l.charged <> i.amount OR l.discounted <> i.discount`

// NewLine is a line to add to an existing installment.
type NewLine struct {
	InstallmentID int64
	billing.Line
}

// LineChange is what changeLines does to installments' lines: the lines to remove (by id)
// and the lines to add.
type LineChange struct {
	Remove []int64
	Add    []NewLine
}

// changeLines removes and adds installment lines, each with one statement that moves the
// installments' cached totals in the same statement (a data-modifying CTE): removing first,
// so a line may be replaced by one of the same source key. A line to add whose (installment,
// source key) already exists is skipped, so a rerun writes nothing twice. The caller holds
// the installments' contracts (the lock order in doc.go). The changed installments'
// payment instruments are re-made in the same transaction (makeInstruments). It returns how many lines it
// removed and added; a line that breaks its own rules (billing.Line.Validate) is an error
// and nothing is written.
func changeLines(ctx context.Context, tx pgx.Tx, c LineChange) (removed, added int64, err error) {
	for i, l := range c.Add {
		if err := l.Validate(); err != nil {
			return 0, 0, fmt.Errorf("line %d of installment %d (%s): %w", i, l.InstallmentID, l.SourceKey, err)
		}
	}
	var touched []int64 // the installments whose lines changed: their instruments follow
	if len(c.Remove) > 0 {
		if err := tx.QueryRow(ctx, `WITH l AS (
				DELETE FROM installment_lines WHERE id = ANY($1) RETURNING installment_id, amount),
			t AS (SELECT installment_id, coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS charged,
					coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS discounted
				FROM l GROUP BY installment_id),
			u AS (UPDATE installments i SET amount = i.amount - t.charged, discount = i.discount - t.discounted
				FROM t WHERE i.id = t.installment_id RETURNING 1)
			SELECT count(*), coalesce(array_agg(DISTINCT installment_id), '{}') FROM l`, c.Remove).Scan(&removed, &touched); err != nil {
			return 0, 0, fmt.Errorf("remove %d installment lines: %w", len(c.Remove), err)
		}
	}
	if len(c.Add) == 0 {
		if _, err := makeInstruments(ctx, tx, touched); err != nil {
			return 0, 0, err
		}
		return removed, 0, nil
	}
	var b lineColumns
	for _, l := range c.Add {
		b.add(l.InstallmentID, l.Line)
	}
	if err := tx.QueryRow(ctx, `WITH l AS (
			INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key)
			SELECT n.installment_id, i.contract_id, n.kind, n.description, n.quantity, n.unit_price, n.amount, n.source_key
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::text[])
				WITH ORDINALITY AS n(installment_id, kind, description, quantity, unit_price, amount, source_key, lord)
			JOIN installments i ON i.id = n.installment_id
			ORDER BY n.lord
			ON CONFLICT (installment_id, source_key) DO NOTHING
			RETURNING installment_id, amount),
		t AS (SELECT installment_id, coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS charged,
				coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS discounted
			FROM l GROUP BY installment_id),
		u AS (UPDATE installments i SET amount = i.amount + t.charged, discount = i.discount + t.discounted
			FROM t WHERE i.id = t.installment_id RETURNING 1)
		SELECT count(*) FROM l`,
		b.owner, b.kind, b.description, b.quantity, b.unitPrice, b.amount, b.sourceKey).Scan(&added); err != nil {
		return 0, 0, fmt.Errorf("add %d installment lines: %w", len(c.Add), err)
	}
	for _, l := range c.Add {
		touched = append(touched, l.InstallmentID)
	}
	if _, err := makeInstruments(ctx, tx, touched); err != nil {
		return 0, 0, err
	}
	return removed, added, nil
}

// lineColumns holds lines column by column for one unnest statement; owner is the
// installment id (changeLines) or the ordinal of the installment in its batch
// (installmentBatch).
type lineColumns struct {
	owner                        []int64
	kind, description, sourceKey []string
	quantity, amount             []decimal.Decimal
	unitPrice                    []decimal.NullDecimal
}

func (c *lineColumns) add(owner int64, l billing.Line) {
	c.owner = append(c.owner, owner)
	c.kind = append(c.kind, l.Kind)
	c.description = append(c.description, l.Description)
	c.quantity = append(c.quantity, l.Quantity)
	c.amount = append(c.amount, l.Amount)
	c.sourceKey = append(c.sourceKey, l.SourceKey)
	var up decimal.NullDecimal
	if l.UnitPrice != nil {
		up = decimal.NullDecimal{Decimal: *l.UnitPrice, Valid: true}
	}
	c.unitPrice = append(c.unitPrice, up)
}

// installmentLines reads the lines of the given installments, in id order.
func installmentLines(ctx context.Context, q Queryer, ids []int64) (map[int64][]billing.Line, error) {
	out := map[int64][]billing.Line{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT installment_id, kind, description, quantity, unit_price, amount, source_key
		FROM installment_lines WHERE installment_id = ANY($1) ORDER BY installment_id, id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read installment lines: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var l billing.Line
		var up decimal.NullDecimal
		if err := r.Scan(&id, &l.Kind, &l.Description, &l.Quantity, &up, &l.Amount, &l.SourceKey); err != nil {
			return struct{}{}, err
		}
		if up.Valid {
			l.UnitPrice = &up.Decimal
		}
		out[id] = append(out[id], l)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read installment lines: %w", err)
	}
	return out, nil
}

// installmentBatch holds installments column by column, with their lines, for one statement.
type installmentBatch struct {
	contract                                      []int64
	kind                                          []string
	term, sequence                                []int32
	serviceStart, serviceEnd, nominalDue, dueDate []pgtype.Date
	amount, discount, onTimeDiscount              []decimal.Decimal
	lines                                         lineColumns
}

// add appends a scheduled installment of contract with its lines (billing.ScheduledLines;
// adhesionInstallments is the contract's count of adhesion installments), its totals being
// the sums of its lines.
func (c *installmentBatch) add(contract int64, it billing.ScheduledInstallment, onTimeDiscount decimal.Decimal, adhesionInstallments int) {
	c.addLines(contract, it, onTimeDiscount, billing.ScheduledLines(it, adhesionInstallments))
}

// addLines appends a scheduled installment of contract with the given lines (a package
// cycle's itemised lines, benefits.PackageCycleLines), its totals being the sums of its
// lines rather than it.Amount and it.Discount.
func (c *installmentBatch) addLines(contract int64, it billing.ScheduledInstallment, onTimeDiscount decimal.Decimal, lines []billing.Line) {
	amount, discount := billing.LineTotals(lines)
	c.contract = append(c.contract, contract)
	c.kind = append(c.kind, string(it.Kind))
	c.term = append(c.term, int32(it.Term))
	c.sequence = append(c.sequence, int32(it.Sequence))
	c.serviceStart = append(c.serviceStart, date(it.ServiceStart))
	c.serviceEnd = append(c.serviceEnd, date(it.ServiceEnd))
	c.nominalDue = append(c.nominalDue, date(it.NominalDue))
	c.dueDate = append(c.dueDate, date(it.EffectiveDue))
	c.amount = append(c.amount, amount)
	c.discount = append(c.discount, discount)
	c.onTimeDiscount = append(c.onTimeDiscount, onTimeDiscount)
	for _, l := range lines {
		c.lines.add(int64(len(c.contract)), l) // the installment's ordinal in the batch
	}
}

// insert writes the batch's installments, their lines (with their contracts' add-ons,
// addAddonLines, and one subject_plan line for each subject covering a recurring
// installment's first day of service, billing.SubjectCovers, its amount included in the
// installment's) and their installment.issued events
// (subject installment:<id>, occurred on issuedOn, the as-of date of the run that issues
// them) in one statement, skipping the installments that already exist (by contract, kind
// and sequence) with their lines and events, then the created installments' payment
// instruments in the same transaction (makeInstruments), and returns how many installments
// it created.
func (c *installmentBatch) insert(ctx context.Context, tx pgx.Tx, issuedOn time.Time) (int64, error) {
	if len(c.contract) == 0 {
		return 0, nil
	}
	if err := c.addAddonLines(ctx, tx); err != nil { // one query per batch (addons.go)
		return 0, err
	}
	var ids []int64
	err := tx.QueryRow(ctx, `WITH u AS (
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::date[], $6::date[], $7::date[],
				$8::date[], $9::numeric[], $10::numeric[], $11::numeric[]) WITH ORDINALITY
				AS u(contract_id, kind, term, sequence, service_start, service_end, nominal_due, due_date, amount, discount,
					on_time_discount, ord)),
		sub AS (
			SELECT u.ord, s.id AS subject_id, s.price, s.line_description
			FROM u JOIN contract_subjects s ON s.contract_id = u.contract_id
			WHERE u.kind = 'recurring' AND u.service_end IS NOT NULL AND s.started_on <= u.service_start
				AND (s.ended_on IS NULL OR s.ended_on > u.service_start)),
		subt AS (SELECT ord, sum(price) AS total FROM sub GROUP BY ord),
		ins AS (
			INSERT INTO installments (contract_id, kind, term, sequence, service_start, service_end,
				nominal_due, due_date, amount, discount, on_time_discount)
			SELECT u.contract_id, u.kind, u.term, u.sequence, u.service_start, u.service_end, u.nominal_due, u.due_date,
				u.amount + coalesce(subt.total, 0), u.discount, u.on_time_discount
			FROM u LEFT JOIN subt ON subt.ord = u.ord ORDER BY u.ord
			ON CONFLICT (contract_id, kind, sequence) DO NOTHING
			RETURNING id, contract_id, kind, term, sequence, due_date, amount, discount, on_time_discount),
		l AS (
			INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key)
			SELECT installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key FROM (
				SELECT ins.id AS installment_id, ins.contract_id, n.kind, n.description, n.quantity, n.unit_price, n.amount,
					n.source_key, u.ord, CASE WHEN n.kind IN ('plan', 'adhesion') THEN 0 ELSE 2 END AS place, n.lord AS within
				FROM unnest($12::bigint[], $13::text[], $14::text[], $15::numeric[], $16::numeric[], $17::numeric[], $18::text[])
					WITH ORDINALITY AS n(ord, kind, description, quantity, unit_price, amount, source_key, lord)
				JOIN u ON u.ord = n.ord
				JOIN ins ON ins.contract_id = u.contract_id AND ins.kind = u.kind AND ins.sequence = u.sequence
				UNION ALL
				SELECT ins.id, ins.contract_id, 'subject_plan', sub.line_description, 1, sub.price, sub.price,
					'subject:' || sub.subject_id, u.ord, 1, sub.subject_id
				FROM sub JOIN u ON u.ord = sub.ord
				JOIN ins ON ins.contract_id = u.contract_id AND ins.kind = u.kind AND ins.sequence = u.sequence) lines
			ORDER BY ord, place, within
			RETURNING 1),
		ev AS (
			INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
			SELECT 'installment.issued', ins.contract_id, 'installment:' || ins.id, $19::date,
				jsonb_build_object('installment_id', ins.id, 'kind', ins.kind, 'term', ins.term, 'sequence', ins.sequence,
					'due_date', ins.due_date, 'amount', ins.amount::text, 'discount', ins.discount::text,
					'on_time_discount', ins.on_time_discount::text)
			FROM ins ORDER BY ins.id
			ON CONFLICT (kind, subject_key) DO NOTHING)
		SELECT coalesce(array_agg(id), '{}') FROM ins`,
		c.contract, c.kind, c.term, c.sequence, c.serviceStart, c.serviceEnd, c.nominalDue,
		c.dueDate, c.amount, c.discount, c.onTimeDiscount,
		c.lines.owner, c.lines.kind, c.lines.description, c.lines.quantity, c.lines.unitPrice, c.lines.amount,
		c.lines.sourceKey, date(issuedOn)).Scan(&ids)
	if err != nil {
		return 0, fmt.Errorf("insert installments with their lines: %w", err)
	}
	if _, err := makeInstruments(ctx, tx, ids); err != nil {
		return 0, err
	}
	return int64(len(ids)), nil
}
