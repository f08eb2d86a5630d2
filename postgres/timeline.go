package postgres

import (
	"cmp"
	"context"
	"encoding/json"
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

// Timeline returns contract id's timeline: the installments issued (with their lines),
// payments and reversals (with their source as stored), notices written, sent and failed,
// block episodes, the outbox's events no other table records (suspensions, restores,
// terminations), renewals, benefit uses, operators' actions naming the contract, its
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
			WHERE r.id = coalesce($1, (SELECT id FROM blocking_rules WHERE is_default))`, k.BlockingRuleID).Scan(&ruleName); err != nil && err != pgx.ErrNoRows {
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

// notices adds the notices written, sent and failed.
func (c *timelineCollector) notices(ctx context.Context, tx pgx.Tx, id int64) error {
	rows, err := tx.Query(ctx, `SELECT id, kind, reference, created_at, sent_at, failed_at, coalesce(last_error, '')
		FROM notices WHERE contract_id = $1 ORDER BY created_at, id LIMIT $2`, id, c.limit)
	if err != nil {
		return fmt.Errorf("read notices: %w", err)
	}
	n := 0
	for rows.Next() {
		var nid int64
		var kind, ref, lastErr string
		var created time.Time
		var sent, failed pgtype.Timestamptz
		if err := rows.Scan(&nid, &kind, &ref, &created, &sent, &failed, &lastErr); err != nil {
			rows.Close()
			return fmt.Errorf("read notices: %w", err)
		}
		if n++; n == c.limit {
			c.bound(n, c.day(created), &created)
			break
		}
		ids := map[string]int64{"notice": nid}
		c.add(c.day(created), &created, records.TimelineNoticeWritten, timeline.Notice(kind, ref, records.TimelineNoticeWritten, ""), ids)
		if at := atOf(sent); at != nil {
			c.add(c.day(*at), at, records.TimelineNoticeSent, timeline.Notice(kind, ref, records.TimelineNoticeSent, ""), ids)
		}
		if at := atOf(failed); at != nil {
			c.add(c.day(*at), at, records.TimelineNoticeFailed, timeline.Notice(kind, ref, records.TimelineNoticeFailed, lastErr), ids)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read notices: %w", err)
	}
	return nil
}

// episodes adds the block episodes' starts and ends.
func (c *timelineCollector) episodes(ctx context.Context, tx pgx.Tx, id int64, today time.Time, seqs map[int64]int, ruleName string) error {
	eps, err := readBlockEpisodes(ctx, tx, []int64{id}, today)
	if err != nil {
		return err
	}
	created := map[int64]time.Time{}
	rows, err := tx.Query(ctx, `SELECT id, created_at FROM block_episodes WHERE contract_id = $1`, id)
	if err != nil {
		return fmt.Errorf("read block episodes: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var eid int64
		var at time.Time
		err := r.Scan(&eid, &at)
		created[eid] = at
		return struct{}{}, err
	})
	if err != nil {
		return fmt.Errorf("read block episodes: %w", err)
	}
	for _, e := range eps[id] {
		ids := map[string]int64{"episode": e.ID, "installment": e.InstallmentID}
		at := created[e.ID]
		c.add(e.StartedOn, &at, records.TimelineBlockStarted, timeline.BlockStarted(e, seqs[e.InstallmentID], ruleName), ids)
		if !e.EndedOn.IsZero() {
			c.add(e.EndedOn, nil, records.TimelineBlockEnded, timeline.BlockEnded(e, ruleName), ids)
		}
	}
	return nil
}

// events adds the outbox's events of the kinds no other table records, read generically:
// a kind added later shows without code changes.
func (c *timelineCollector) events(ctx context.Context, tx pgx.Tx, id int64, ruleName string) error {
	rows, err := tx.Query(ctx, `SELECT id, kind, subject_key, occurred_on, created_at, payload FROM events
		WHERE contract_id = $1 AND kind <> ALL($2) ORDER BY occurred_on, created_at, id LIMIT $3`,
		id, []string{records.EventInstallmentIssued, records.EventInstallmentPaid, records.EventInstallmentReversed,
			records.EventContractRenewed}, c.limit)
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	n := 0
	for rows.Next() {
		var eid int64
		var kind, subject string
		var on, created time.Time
		var raw []byte
		if err := rows.Scan(&eid, &kind, &subject, &on, &created, &raw); err != nil {
			rows.Close()
			return fmt.Errorf("read events: %w", err)
		}
		if n++; n == c.limit {
			c.bound(n, on, &created)
			break
		}
		var payload map[string]any
		_ = json.Unmarshal(raw, &payload)
		ids := map[string]int64{"event": eid}
		if ep, ok := payload["episode_id"].(float64); ok {
			ids["episode"] = int64(ep)
		}
		c.add(on, &created, kind, timeline.Event(kind, payload, ruleName), ids)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	return nil
}

// renewals adds the renewal ledger's queue entries and renewals.
func (c *timelineCollector) renewals(ctx context.Context, tx pgx.Tx, id int64) error {
	rows, err := tx.Query(ctx, `SELECT id, term, queued_on, open_installments, renewed_on, coalesce(new_term, 0),
			coalesce(price_mode, ''), price, coalesce(trigger, ''), created_at, updated_at
		FROM renewals WHERE contract_id = $1 ORDER BY queued_on, id LIMIT $2`, id, c.limit)
	if err != nil {
		return fmt.Errorf("read renewals: %w", err)
	}
	n := 0
	for rows.Next() {
		var r records.Renewal
		var renewed pgtype.Date
		var created, updated time.Time
		if err := rows.Scan(&r.ID, &r.Term, &r.QueuedOn, &r.OpenInstallments, &renewed, &r.NewTerm, &r.PriceMode, &r.Price,
			&r.Trigger, &created, &updated); err != nil {
			rows.Close()
			return fmt.Errorf("read renewals: %w", err)
		}
		if n++; n == c.limit {
			c.bound(n, r.QueuedOn, &created)
			break
		}
		r.ContractID, r.RenewedOn = id, optDate(renewed)
		ids := map[string]int64{"renewal": r.ID}
		c.add(r.QueuedOn, &created, records.TimelineRenewalQueued, timeline.RenewalQueued(r), ids)
		if renewed.Valid {
			r.State = records.RenewalRenewed
			e := c.add(r.RenewedOn, &updated, records.TimelineRenewed, timeline.Renewed(r), ids)
			e.Amount = r.Price
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read renewals: %w", err)
	}
	return nil
}

// uses adds the benefit uses and their reversals.
func (c *timelineCollector) uses(ctx context.Context, tx pgx.Tx, id int64) error {
	rows, err := tx.Query(ctx, `SELECT u.id, u.benefit_id, b.name, u.used_at, u.quantity, u.unit_cost, u.created_at, u.reversed_at
		FROM benefit_usages u JOIN benefits b ON b.id = u.benefit_id
		WHERE u.contract_id = $1 ORDER BY u.used_at, u.created_at, u.id LIMIT $2`, id, c.limit)
	if err != nil {
		return fmt.Errorf("read benefit uses: %w", err)
	}
	n := 0
	for rows.Next() {
		var u records.Usage
		var name string
		var created time.Time
		var reversed pgtype.Timestamptz
		if err := rows.Scan(&u.ID, &u.BenefitID, &name, &u.UsedAt, &u.Quantity, &u.UnitCost, &created, &reversed); err != nil {
			rows.Close()
			return fmt.Errorf("read benefit uses: %w", err)
		}
		if n++; n == c.limit {
			c.bound(n, u.UsedAt, &created)
			break
		}
		ids := map[string]int64{"usage": u.ID, "benefit": u.BenefitID}
		c.add(u.UsedAt, &created, records.TimelineBenefitUsed, timeline.BenefitUse(u, name, false), ids)
		if at := atOf(reversed); at != nil {
			c.add(c.day(*at), at, records.TimelineBenefitRevoked, timeline.BenefitUse(u, name, true), ids)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read benefit uses: %w", err)
	}
	return nil
}

// operators adds the audit records whose route names the contract, one of its installments
// or one of its payments by path id. audit_log has no index on path_ids: this reads the
// log's routes of those three shapes (the log grows with operators' writes, not with
// contracts).
func (c *timelineCollector) operators(ctx context.Context, tx pgx.Tx, id int64) error {
	rows, err := tx.Query(ctx, "SELECT "+auditColumns+` FROM audit_log a
		WHERE (route LIKE '% /v1/contracts/{id}%' AND path_ids->>'id' = $1::bigint::text)
		   OR (route LIKE '% /v1/installments/{id}%' AND (path_ids->>'id')::bigint IN (SELECT id FROM installments WHERE contract_id = $1))
		   OR (route LIKE '% /v1/payments/{id}%' AND (path_ids->>'id')::bigint IN (SELECT id FROM payments WHERE contract_id = $1))
		ORDER BY at, id LIMIT $2`, id, c.limit)
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) { return scanAudit(r) })
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	for i, a := range got {
		at := a.At
		if i == c.limit-1 {
			c.bound(len(got), c.day(at), &at)
			break
		}
		c.add(c.day(at), &at, records.TimelineOperator, timeline.Operator(a), map[string]int64{"audit": a.ID})
	}
	return nil
}

// runs adds the succeeded runs of the jobs that wrote the entries, as of the entries'
// dates: the runs of the days its rows were written (job_runs does not list the contracts
// a run touched).
func (c *timelineCollector) runs(ctx context.Context, tx pgx.Tx) error {
	seen := map[string]bool{}
	var jobs []string
	var days []pgtype.Date
	for _, e := range c.entries {
		job, ok := timelineJobs[e.Kind]
		if e.Kind == records.TimelineRenewed && e.Reason != "" && e.Rule == "" {
			ok = false // renewed by hand
		}
		if !ok || seen[job+billing.FormatDate(e.On)] {
			continue
		}
		seen[job+billing.FormatDate(e.On)] = true
		jobs, days = append(jobs, job), append(days, date(e.On))
	}
	if len(jobs) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, "SELECT "+RunColumns+` FROM job_runs
		WHERE state = 'succeeded' AND (job, as_of) IN (SELECT * FROM unnest($1::text[], $2::date[])) ORDER BY as_of, id`, jobs, days)
	if err != nil {
		return fmt.Errorf("read runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Run, error) { return ScanRun(r) })
	if err != nil {
		return fmt.Errorf("read runs: %w", err)
	}
	for _, r := range runs {
		at := r.FinishedAt
		c.add(r.AsOf, at, records.TimelineRun, timeline.Run(r), map[string]int64{"run": r.ID})
	}
	return nil
}
