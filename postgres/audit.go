package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/records"
)

// AuditEntry and AuditFilter are the audit log's records.
type (
	AuditEntry  = records.AuditEntry
	AuditFilter = records.AuditFilter
)

const auditColumns = `id, at, actor, token_id, source, method, route, path_ids, status, coalesce(reason, ''),
	coalesce(request_id, ''), detail`

func scanAudit(row pgx.Row) (AuditEntry, error) {
	var e AuditEntry
	var status *int32
	err := row.Scan(&e.ID, &e.At, &e.Actor, &e.TokenID, &e.Source, &e.Method, &e.Route, &e.PathIDs, &status, &e.Reason,
		&e.RequestID, &e.Detail)
	if status != nil {
		s := int(*status)
		e.Status = &s
	}
	return e, err
}

// insertAudit writes e with q (a transaction, or the pool) and returns its id.
func insertAudit(ctx context.Context, q Queryer, e *AuditEntry) (int64, error) {
	pathIDs, detail, err := auditJSON(e)
	if err != nil {
		return 0, err
	}
	var id int64
	err = q.QueryRow(ctx, `INSERT INTO audit_log (actor, token_id, source, method, route, path_ids, status, reason,
			request_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, ''), nullif($9, ''), $10) RETURNING id`,
		e.Actor, e.TokenID, e.Source, e.Method, e.Route, pathIDs, e.Status, e.Reason, e.RequestID, detail).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("write the audit record of %s by %s: %w", e.Route, e.Actor, err)
	}
	return id, nil
}

func auditJSON(e *AuditEntry) (pathIDs, detail []byte, err error) {
	ids := e.PathIDs
	if ids == nil {
		ids = map[string]string{}
	}
	if pathIDs, err = json.Marshal(ids); err != nil {
		return nil, nil, fmt.Errorf("audit record: path ids: %w", err)
	}
	d := e.Detail
	if d == nil {
		d = map[string]any{}
	}
	if detail, err = json.Marshal(d); err != nil {
		return nil, nil, fmt.Errorf("audit record: detail: %w", err)
	}
	return pathIDs, detail, nil
}

// auditInTx writes the audit record ctx carries (records.WithAudit) in tx, unless there is
// none or it is already written, and returns its id (0 when nothing was written).
func auditInTx(ctx context.Context, tx pgx.Tx) (int64, error) {
	e := records.AuditOf(ctx)
	if e == nil || e.ID != 0 {
		return 0, nil
	}
	return insertAudit(ctx, tx, e)
}

// RecordAudit writes an audit record on its own (a request whose change, if any, was not
// made in a transaction of RetryTx, or that was refused) and sets e.ID.
func (s *Store) RecordAudit(ctx context.Context, e *AuditEntry) error {
	id, err := insertAudit(ctx, s.Pool, e)
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

// FinishAudit writes, on a record its change's transaction wrote, the status answered and
// the detail as it stands at the end of the request.
func (s *Store) FinishAudit(ctx context.Context, e *AuditEntry) error {
	_, detail, err := auditJSON(e)
	if err != nil {
		return err
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE audit_log SET status = $2, detail = $3 WHERE id = $1`, e.ID, e.Status, detail); err != nil {
		return fmt.Errorf("write the status of audit record %d: %w", e.ID, err)
	}
	return nil
}

// AuditEntries lists audit records, newest first.
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	rows, err := s.Pool.Query(ctx, "SELECT "+auditColumns+` FROM audit_log
		WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR route = $2)
		  AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
		  AND ($5::bigint = 0 OR id < $5)
		ORDER BY id DESC LIMIT $6`, f.Actor, f.Route, from, to, f.BeforeID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list audit records: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) { return scanAudit(r) })
}

// writeRow runs one statement that writes and returns a row, scanned by scan, in a
// transaction of RetryTx, so that the audit record ctx carries commits with the write.
func writeRow[T any](ctx context.Context, db TxBeginner, scan func(pgx.Row) (T, error), sql string, args ...any) (T, error) {
	var out T
	err := RetryTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		out, err = scan(tx.QueryRow(ctx, sql, args...))
		return err
	})
	return out, err
}
