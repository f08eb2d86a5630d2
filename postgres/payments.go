package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// Payment is a recorded payment (package records).
type Payment = records.Payment

// PaymentFilter selects payments for a list (package records).
type PaymentFilter = records.PaymentFilter

// PaymentIn is one payment to record, from any source (package records).
type PaymentIn = records.PaymentIn

// PaymentResult is what became of one PaymentIn (package records).
type PaymentResult = records.PaymentResult

// RecordPayments records a batch of payments (one transaction; callers with thousands of
// settlements pass a few thousand at a time): the one function every payment path calls —
// the API, a bank return file, a PIX notification. It locks the payments' contracts, then
// their installments, in ascending id order (the lock order in doc.go), and applies the
// payment rules to each payment in the order given (billing.Ledger.Apply, on its date: fine
// and interest accrued first, then principal; refused when it is dated after today in loc,
// when the installment is paid or cancelled, when it is dated before the installment's
// latest payment, when it does not cover what is due and the store refuses partial payments,
// when it is above what is due and the contract does not allow credit). A (source,
// reference) already recorded is a duplicate (nothing written) when it names the same
// installment, amount and date, and refused as reference_reused otherwise. It writes the
// accepted payments with their imputation in one statement; an installment a payment
// settles is paid on that payment's date with paid_amount the sum of its payments and, when
// it was late, gets its late_fine and late_interest lines (billing.LateLines, keyed by that
// payment) in the same transaction; a partial payment leaves it open. Then it hands the
// payments to the follow-ups once per contract (PaymentsRecorded: the unblock job). A
// refused payment writes nothing and is reported in its PaymentResult; an error (bad input
// such as an unknown source, or the database) records nothing at all.
func (s *Store) RecordPayments(ctx context.Context, now time.Time, loc *time.Location, in []PaymentIn) ([]PaymentResult, error) {
	for i, p := range in {
		switch {
		case !slices.Contains(billing.PaymentSources, p.Source):
			return nil, fmt.Errorf("record payments: payment %d: unknown source %q (want %s)", i, p.Source, strings.Join(billing.PaymentSources, ", "))
		case p.Reference == "" && p.Source != billing.SourceAPI:
			return nil, fmt.Errorf("record payments: payment %d: a %s payment needs its reference", i, p.Source)
		}
	}
	today := billing.DateOf(now, loc)
	var out []PaymentResult
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		out, err = s.recordPayments(ctx, tx, now, today, loc.String(), in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pendingPayment is an accepted payment waiting to be written.
type pendingPayment struct {
	index   int // in the batch
	id      int64
	applied billing.AppliedPayment
}

func (s *Store) recordPayments(ctx context.Context, tx pgx.Tx, now, today time.Time, zone string, in []PaymentIn) ([]PaymentResult, error) {
	out := make([]PaymentResult, len(in))
	if len(in) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(in))
	for _, p := range in {
		ids = append(ids, p.InstallmentID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	// The contracts first, in id order, then the installments (readLedgers, in id order).
	rows, err := tx.Query(ctx, `SELECT DISTINCT contract_id FROM installments WHERE id = ANY($1) ORDER BY 1`, ids)
	if err != nil {
		return nil, fmt.Errorf("read the payments' contracts: %w", err)
	}
	contracts, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("read the payments' contracts: %w", err)
	}
	if _, err := lockContracts(ctx, tx, "id = ANY($1)", contracts); err != nil {
		return nil, err
	}
	ledgers, err := readLedgers(ctx, tx, ids, true)
	if err != nil {
		return nil, err
	}
	// What the batch's references already name, read under the contracts' locks: a second
	// replica recording the same payment waits for the first and then sees it here.
	known, err := paymentsByReference(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	cal, err := LoadCalendar(ctx, tx)
	if err != nil {
		return nil, err
	}
	var pending []pendingPayment
	batchRef := map[string]int{} // reference → index in the batch of the payment accepted with it
	dupOf := map[int]int{}       // a duplicate within the batch → the index of its first
	for i, p := range in {
		ref := referenceKey(p.Source, p.Reference)
		if p.Reference != "" {
			if prev, ok := known[ref]; ok {
				out[i] = duplicateOf(p, prev, ledgers[prev.InstallmentID])
				continue
			}
			if j, ok := batchRef[ref]; ok {
				out[i] = duplicateInBatch(p, in[j], j)
				if out[i].Duplicate {
					dupOf[i] = j
				}
				continue
			}
		}
		l, ok := ledgers[p.InstallmentID]
		if !ok {
			out[i].Refused = billing.UnknownInstallment(p.InstallmentID)
			continue
		}
		pol := billing.PaymentPolicy{Today: today, Zone: zone, AllowCredit: l.allowCredit, RefusePartial: s.RefusePartialPayments}
		on := billing.PaymentOn{On: p.PaidOn, Amount: p.Amount}
		applied, err := l.ledger.Apply(on, pol, cal)
		var refusal *billing.PaymentRefusal
		if errors.As(err, &refusal) {
			out[i].Refused, out[i].Installment = refusal, l.record()
			continue
		}
		if err != nil {
			return nil, err
		}
		l.ledger = l.ledger.Add(on, applied)
		l.payments = append(l.payments, -int64(len(pending)+1)) // the pending payment's place, until it has an id
		if applied.Settled() {
			l.settledBy = len(pending)
		}
		pending = append(pending, pendingPayment{index: i, applied: applied})
		if p.Reference != "" {
			batchRef[ref] = i
		}
	}
	if len(pending) > 0 {
		if err := writePayments(ctx, tx, in, pending, out); err != nil {
			return nil, err
		}
		if err := settle(ctx, tx, ledgers, pending); err != nil {
			return nil, err
		}
		if _, err := activateOnFirstPayment(ctx, tx, ids); err != nil {
			return nil, err
		}
	}
	for i := range out {
		if out[i].Refused != nil || out[i].Duplicate {
			continue
		}
		l := ledgers[in[i].InstallmentID]
		out[i].Installment = l.record()
	}
	for _, pp := range pending {
		out[pp.index].Balance = pp.applied.After.Balance
	}
	for i, j := range dupOf {
		out[i].Payment, out[i].Installment, out[i].Balance = out[j].Payment, out[j].Installment, out[j].Balance
	}
	return out, s.paymentsRecorded(ctx, tx, now, in, pending, ledgers, out)
}

// referenceKey is the map key of a (source, reference).
func referenceKey(source, reference string) string { return source + "\x00" + reference }

// duplicateOf is the result of a payment whose (source, reference) is already recorded as
// prev: a duplicate when it names the same installment, amount and date, refused otherwise.
func duplicateOf(p PaymentIn, prev Payment, l *ledgerRow) PaymentResult {
	if prev.InstallmentID != p.InstallmentID || !prev.Amount.Equal(p.Amount) || !prev.PaidOn.Equal(p.PaidOn) {
		return PaymentResult{Refused: &billing.PaymentRefusal{Code: billing.RefusedReferenceReused, Field: "reference",
			Reason: fmt.Sprintf("%s reference %q is payment %d: %s of installment %d on %s", p.Source, p.Reference, prev.ID,
				billing.FormatMoney(prev.Amount), prev.InstallmentID, billing.FormatDate(prev.PaidOn))}}
	}
	r := PaymentResult{Payment: prev, Duplicate: true}
	if l != nil {
		r.Installment = l.record()
	}
	return r
}

// duplicateInBatch is the result of a payment whose (source, reference) an earlier payment
// of the same batch (index j) carries.
func duplicateInBatch(p, first PaymentIn, j int) PaymentResult {
	if first.InstallmentID != p.InstallmentID || !first.Amount.Equal(p.Amount) || !first.PaidOn.Equal(p.PaidOn) {
		return PaymentResult{Refused: &billing.PaymentRefusal{Code: billing.RefusedReferenceReused, Field: "reference",
			Reason: fmt.Sprintf("%s reference %q names payment %d of the same batch, of another installment, amount or date",
				p.Source, p.Reference, j)}}
	}
	return PaymentResult{Duplicate: true}
}

// paymentsByReference reads the recorded payments named by the batch's references.
func paymentsByReference(ctx context.Context, tx pgx.Tx, in []PaymentIn) (map[string]Payment, error) {
	var sources, refs []string
	for _, p := range in {
		if p.Reference != "" {
			sources, refs = append(sources, p.Source), append(refs, p.Reference)
		}
	}
	out := map[string]Payment{}
	if len(refs) == 0 {
		return out, nil
	}
	// One lookup of the unique (source, reference) index per reference, whatever the planner
	// believes of the table: as a semi-join, with the statistics of a payments table that was
	// nearly empty when last analysed (a first large import), it scanned the whole index once
	// and compared each entry with every reference of the batch (38 s for a chunk of 5,000).
	// LIMIT 1 keeps the lateral subquery from being flattened into that join.
	rows, err := tx.Query(ctx, "SELECT "+paymentColumns+` FROM unnest($1::text[], $2::text[]) AS r(src, ref)
		CROSS JOIN LATERAL (SELECT * FROM payments WHERE source = r.src AND reference = r.ref LIMIT 1) p`, sources, refs)
	if err != nil {
		return nil, fmt.Errorf("read payments by reference: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) { return scanPayment(r) })
	if err != nil {
		return nil, fmt.Errorf("read payments by reference: %w", err)
	}
	for _, p := range ps {
		out[referenceKey(p.Source, p.Reference)] = p
	}
	return out, nil
}

// writePayments inserts the accepted payments in one statement, with ids taken from the
// sequence first so that each one's id is known before the statement (the late lines are
// keyed by the settling payment), and fills in their results.
func writePayments(ctx context.Context, tx pgx.Tx, in []PaymentIn, pending []pendingPayment, out []PaymentResult) error {
	rows, err := tx.Query(ctx, `SELECT nextval('payments_id_seq') FROM generate_series(1, $1::int) ORDER BY 1`, len(pending))
	if err != nil {
		return fmt.Errorf("reserve payment ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) != len(pending) {
		return fmt.Errorf("reserve %d payment ids: got %d: %w", len(pending), len(ids), err)
	}
	var c struct {
		id, installment                           []int64
		amount, principal, fine, interest, credit []decimal.Decimal
		paidOn                                    []pgtype.Date
		source                                    []string
		reference                                 []pgtype.Text
	}
	for k := range pending {
		pp := &pending[k]
		pp.id = ids[k]
		p, imp := in[pp.index], pp.applied.Imputation
		c.id = append(c.id, pp.id)
		c.installment = append(c.installment, p.InstallmentID)
		c.amount = append(c.amount, p.Amount)
		c.principal = append(c.principal, imp.Principal)
		c.fine = append(c.fine, imp.Fine)
		c.interest = append(c.interest, imp.Interest)
		c.credit = append(c.credit, imp.Credit)
		c.paidOn = append(c.paidOn, date(p.PaidOn))
		c.source = append(c.source, p.Source)
		c.reference = append(c.reference, pgtype.Text{String: p.Reference, Valid: p.Reference != ""})
	}
	// Each statement joining the batch's arrays to installments also names them by key
	// (i.id = ANY(…)): without it the planner hashed the whole installments table for every
	// chunk of a return file (a 5,000-settlement chunk scanned all 240,000 installments of
	// 20,000 contracts, three times), so a chunk's cost grew with the history.
	rows, err = tx.Query(ctx, `INSERT INTO payments (id, installment_id, contract_id, amount, paid_on, source, reference,
			principal, fine, interest, credit)
		SELECT u.id, u.installment_id, i.contract_id, u.amount, u.paid_on, u.source, u.reference,
			u.principal, u.fine, u.interest, u.credit
		FROM unnest($1::bigint[], $2::bigint[], $3::text[]::numeric[], $4::date[], $5::text[], $6::text[], $7::text[]::numeric[],
			$8::text[]::numeric[], $9::text[]::numeric[], $10::text[]::numeric[])
			AS u(id, installment_id, amount, paid_on, source, reference, principal, fine, interest, credit)
		JOIN installments i ON i.id = u.installment_id
		WHERE i.id = ANY($2)
		RETURNING id, contract_id, recorded_at`,
		c.id, c.installment, numericTexts(c.amount), c.paidOn, c.source, c.reference, numericTexts(c.principal), numericTexts(c.fine),
		numericTexts(c.interest), numericTexts(c.credit))
	if err != nil {
		return fmt.Errorf("record %d payments: %w", len(pending), err)
	}
	// Only what the database makes is read back (the payment's contract, its recorded_at):
	// the rest is what was written, as the database holds it (cents, the date's day),
	// instead of decoding 5,000 rows of five numerics each for a chunk of a return file.
	type made struct {
		contract int64
		recorded time.Time
	}
	byID := make(map[int64]made, len(pending))
	if _, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var m made
		err := r.Scan(&id, &m.contract, &m.recorded)
		byID[id] = m
		return struct{}{}, err
	}); err != nil {
		return fmt.Errorf("record %d payments: %w", len(pending), err)
	}
	if len(byID) != len(pending) {
		return fmt.Errorf("record %d payments: wrote %d", len(pending), len(byID))
	}
	for _, pp := range pending {
		p, imp, m := in[pp.index], pp.applied.Imputation, byID[pp.id]
		y, mo, d := p.PaidOn.Date()
		out[pp.index].Payment = Payment{ID: pp.id, InstallmentID: p.InstallmentID, ContractID: m.contract, Amount: p.Amount.Round(2),
			PaidOn: time.Date(y, mo, d, 0, 0, 0, 0, time.UTC), Source: p.Source, Reference: p.Reference,
			Principal: imp.Principal.Round(2), Fine: imp.Fine.Round(2), Interest: imp.Interest.Round(2), Credit: imp.Credit.Round(2),
			RecordedAt: m.recorded}
	}
	return nil
}

// settle marks paid, on the settling payment's date, the installments the batch's payments
// settled, with paid_amount the sum of their payments and, for those settled late, the
// amount grown by their late lines (billing.LateLines, keyed by the settling payment), in
// one UPDATE of each installment, in id order; then it writes those lines (keyed by a
// payment id taken from the sequence in this transaction, so none exists yet: a plain
// insert, a conflict is an error, never a line skipped with its amount counted) and their
// installment.paid events (paidEvents, keyed by the same payment), and re-makes nothing (a
// paid installment has no instrument to re-make). One write of each installment instead of
// one for its state and another for its lines' totals: the installments' writes are most of
// a large return file's import.
func settle(ctx context.Context, tx pgx.Tx, ledgers map[int64]*ledgerRow, pending []pendingPayment) error {
	var settled []*ledgerRow
	for _, l := range ledgers {
		if l.settledBy >= 0 {
			settled = append(settled, l)
		}
	}
	if len(settled) == 0 {
		return nil
	}
	slices.SortFunc(settled, func(a, b *ledgerRow) int { return cmp.Compare(a.inst.ID, b.inst.ID) })
	var (
		ids         []int64
		paidAt      []pgtype.Date
		paid, grown []decimal.Decimal
		lines       lineColumns
		events      paidEvents
	)
	for _, l := range settled {
		pp := pending[l.settledBy]
		l.inst.State, l.inst.PaidAt = billing.InstallmentPaid, pp.applied.After.SettledOn
		total := l.paid()
		l.inst.PaidAmount = &total
		late := decimal.Zero
		for _, line := range billing.LateLines(pp.applied.After, l.ledger.Rule, pp.id) {
			if err := line.Validate(); err != nil {
				return fmt.Errorf("late line of installment %d (%s): %w", l.inst.ID, line.SourceKey, err)
			}
			if line.Amount.Sign() < 0 {
				return fmt.Errorf("late line of installment %d (%s): negative amount %s", l.inst.ID, line.SourceKey, line.Amount)
			}
			lines.add(l.inst.ID, line)
			late = late.Add(line.Amount)
		}
		l.inst.Amount = l.inst.Amount.Add(late)
		ids = append(ids, l.inst.ID)
		paidAt = append(paidAt, date(l.inst.PaidAt))
		paid = append(paid, total)
		grown = append(grown, late)
		events.add(l.inst, pp.id)
	}
	if _, err := tx.Exec(ctx, `UPDATE installments i SET state = 'paid', paid_at = u.paid_at, paid_amount = u.paid,
			amount = i.amount + u.late
		FROM unnest($1::bigint[], $2::date[], $3::text[]::numeric[], $4::text[]::numeric[]) AS u(id, paid_at, paid, late)
		WHERE i.id = u.id AND i.id = ANY($1)`,
		ids, paidAt, numericTexts(paid), numericTexts(grown)); err != nil {
		return fmt.Errorf("settle %d installments: %w", len(ids), err)
	}
	if n := len(lines.owner); n > 0 {
		tag, err := tx.Exec(ctx, `INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price,
				amount, source_key)
			SELECT n.installment_id, i.contract_id, n.kind, n.description, n.quantity, n.unit_price, n.amount, n.source_key
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]::numeric[], $5::text[]::numeric[], $6::text[]::numeric[],
				$7::text[])
				WITH ORDINALITY AS n(installment_id, kind, description, quantity, unit_price, amount, source_key, lord)
			JOIN installments i ON i.id = n.installment_id
			WHERE i.id = ANY($1)
			ORDER BY n.lord`,
			lines.owner, lines.kind, lines.description, numericTexts(lines.quantity), nullNumericTexts(lines.unitPrice),
			numericTexts(lines.amount), lines.sourceKey)
		if err != nil {
			return fmt.Errorf("late lines of %d installments: %w", len(ids), err)
		}
		if tag.RowsAffected() != int64(n) {
			return fmt.Errorf("late lines of %d installments: wrote %d of %d", len(ids), tag.RowsAffected(), n)
		}
	}
	if err := events.insert(ctx, tx); err != nil {
		return fmt.Errorf("paid events of %d installments: %w", len(ids), err)
	}
	return nil
}

// paymentsRecorded hands the batch's payments to the follow-ups, one entry per contract.
func (s *Store) paymentsRecorded(ctx context.Context, tx pgx.Tx, now time.Time, in []PaymentIn, pending []pendingPayment,
	ledgers map[int64]*ledgerRow, out []PaymentResult,
) error {
	if s.FollowUps == nil || len(pending) == 0 {
		return nil
	}
	byContract := map[int64]*PaymentRecorded{}
	var order []int64
	for _, pp := range pending {
		p := out[pp.index].Payment
		r, ok := byContract[p.ContractID]
		if !ok {
			r = &PaymentRecorded{ContractID: p.ContractID, ReceivedAt: now}
			byContract[p.ContractID] = r
			order = append(order, p.ContractID)
		}
		r.Payments = append(r.Payments, p)
		if p.PaidOn.After(r.PaidOn) {
			r.PaidOn = p.PaidOn
		}
		if l := ledgers[in[pp.index].InstallmentID]; pp.applied.Settled() {
			r.Settled = append(r.Settled, l.record())
		}
	}
	slices.Sort(order)
	rows, err := tx.Query(ctx, `SELECT DISTINCT contract_id FROM block_episodes WHERE contract_id = ANY($1) AND ended_on IS NULL`, order)
	if err != nil {
		return fmt.Errorf("look up block episodes: %w", err)
	}
	open, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("look up block episodes: %w", err)
	}
	for _, id := range open {
		byContract[id].BlockEpisodeOpen = true
	}
	recorded := make([]PaymentRecorded, len(order))
	for i, id := range order {
		recorded[i] = *byContract[id]
	}
	return s.FollowUps.PaymentsRecorded(ctx, tx, recorded)
}

// prefixed qualifies each column of a comma-separated list with prefix ("i.").
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

const paymentColumns = `id, installment_id, contract_id, amount, paid_on, source, coalesce(reference, ''), principal, fine,
	interest, credit, recorded_at, reversed_at, coalesce(reversal_reason, '')`

func scanPayment(row pgx.Row) (Payment, error) {
	var p Payment
	var reversed pgtype.Timestamptz
	err := row.Scan(&p.ID, &p.InstallmentID, &p.ContractID, &p.Amount, &p.PaidOn, &p.Source, &p.Reference, &p.Principal,
		&p.Fine, &p.Interest, &p.Credit, &p.RecordedAt, &reversed, &p.ReversalReason)
	if reversed.Valid {
		p.ReversedAt = reversed.Time
	}
	return p, err
}

// Payment returns the payment with the given id.
func (s *Store) Payment(ctx context.Context, id int64) (Payment, error) {
	p, err := scanPayment(s.Pool.QueryRow(ctx, "SELECT "+paymentColumns+" FROM payments WHERE id = $1", id))
	return p, notFound(err, "payment", id)
}

// Payments lists payments by id, reversed ones included.
func (s *Store) Payments(ctx context.Context, f PaymentFilter, page Page) ([]Payment, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+paymentColumns+` FROM payments
		WHERE id > $1 AND ($2::bigint = 0 OR installment_id = $2) AND ($3::bigint = 0 OR contract_id = $3)
		ORDER BY id LIMIT $4`, page.After, f.InstallmentID, f.ContractID, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) { return scanPayment(r) })
}
