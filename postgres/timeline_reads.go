package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/timeline"
)

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
// a kind added later shows without code changes. contract.activated is left out: the
// contract's activation date is its own field, and the installments issued follow it.
func (c *timelineCollector) events(ctx context.Context, tx pgx.Tx, id int64, ruleName string) error {
	rows, err := tx.Query(ctx, `SELECT id, kind, subject_key, occurred_on, created_at, payload FROM events
		WHERE contract_id = $1 AND kind <> ALL($2) ORDER BY occurred_on, created_at, id LIMIT $3`,
		id, records.TimelineSkippedEvents, c.limit)
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

// changes adds the changes asked of the contract (contract_changes): requested, applied,
// cancelled; their values are shown as stored.
func (c *timelineCollector) changes(ctx context.Context, tx pgx.Tx, id int64) error {
	rows, err := tx.Query(ctx, `SELECT id, kind, requested_on, requested_at, effective_on, from_value::text, to_value::text,
			applied_on, cancelled_at, actor, reason
		FROM contract_changes WHERE contract_id = $1 ORDER BY requested_on, requested_at, id LIMIT $2`, id, c.limit)
	if err != nil {
		return fmt.Errorf("read contract changes: %w", err)
	}
	n := 0
	for rows.Next() {
		var cid int64
		var kind, from, to, actor, reason string
		var requestedOn, effective time.Time
		var requestedAt time.Time
		var applied pgtype.Date
		var cancelled pgtype.Timestamptz
		if err := rows.Scan(&cid, &kind, &requestedOn, &requestedAt, &effective, &from, &to, &applied, &cancelled, &actor, &reason); err != nil {
			rows.Close()
			return fmt.Errorf("read contract changes: %w", err)
		}
		if n++; n == c.limit {
			c.bound(n, requestedOn, &requestedAt)
			break
		}
		ids := map[string]int64{"change": cid}
		c.add(requestedOn, &requestedAt, records.TimelineChangeAsked,
			timeline.ContractChange(kind, from, to, effective, actor, reason, records.TimelineChangeAsked), ids)
		if applied.Valid {
			c.add(applied.Time, nil, records.TimelineChangeApplied,
				timeline.ContractChange(kind, from, to, effective, actor, reason, records.TimelineChangeApplied), ids)
		}
		if at := atOf(cancelled); at != nil {
			c.add(c.day(*at), at, records.TimelineChangeDropped,
				timeline.ContractChange(kind, from, to, effective, actor, reason, records.TimelineChangeDropped), ids)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read contract changes: %w", err)
	}
	return nil
}
