package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/cnab240"
	"github.com/billingd/billingd/records"
)

// PaymentFile is a received bank return file (package records).
type PaymentFile = records.PaymentFile

// PaymentException is an entry of the reconciliation list (package records).
type PaymentException = records.PaymentException

// PaymentExceptionFilter selects reconciliation entries (package records).
type PaymentExceptionFilter = records.PaymentExceptionFilter

// ImportPaymentsJob is the name of the job that imports the pending bank return files
// (jobs.ImportPayments: the same name, kept here so the store can enqueue it).
const ImportPaymentsJob = "import-payments"

// Payment file origins (records.PaymentFileOrigins).
const (
	OriginUpload  = records.PaymentFileUpload
	OriginDropDir = records.PaymentFileDropDir
)

const paymentFileColumns = `id, name, sha256, size, origin, status, coalesce(bank_code, ''), settlements, recorded, duplicates,
	exceptions, received_at, imported_at`

func scanPaymentFile(row pgx.Row) (PaymentFile, error) {
	var f PaymentFile
	var imported pgtype.Timestamptz
	err := row.Scan(&f.ID, &f.Name, &f.SHA256, &f.Size, &f.Origin, &f.Status, &f.BankCode, &f.Settlements, &f.Recorded,
		&f.Duplicates, &f.Exceptions, &f.ReceivedAt, &imported)
	if imported.Valid {
		f.ImportedAt = imported.Time
	}
	return f, err
}

// ParsePaymentFile parses a CNAB 240 return file; a malformed one is a *billing.FieldError
// on "file" whose reason names the line and the field (cnab240.Error).
func ParsePaymentFile(content []byte) (*cnab240.File, error) {
	f, err := cnab240.Parse(bytes.NewReader(content))
	var ce *cnab240.Error
	if errors.As(err, &ce) {
		return nil, &billing.FieldError{Field: "file", Reason: ce.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("parse return file: %w", err)
	}
	return f, nil
}

// SHA256Hex is the hex SHA-256 of content: a payment file's identity.
func SHA256Hex(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// StorePaymentFile keeps an uploaded return file and, in the same transaction, requests a
// run of import-payments as of asOf through the follow-ups (the run imports it). A malformed
// file is refused whole (a *billing.FieldError on "file" naming the line and the field) and
// nothing is written. A file already received (same SHA-256) is not stored again: it returns
// the stored file, created false, and requests no run.
func (s *Store) StorePaymentFile(ctx context.Context, name string, content []byte, asOf time.Time) (PaymentFile, bool, error) {
	if name == "" {
		return PaymentFile{}, false, billing.Fieldf("name", "required: the file's name")
	}
	parsed, err := ParsePaymentFile(content)
	if err != nil {
		return PaymentFile{}, false, err
	}
	if s.FollowUps == nil {
		return PaymentFile{}, false, errors.New("store payment file: the store has no follow-ups to import it")
	}
	var (
		out     PaymentFile
		created bool
	)
	err = RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		out, created, err = insertPaymentFile(ctx, tx, name, OriginUpload, content, parsed.BankCode)
		if err != nil || !created {
			return err
		}
		records.AddAuditDetail(ctx, "payment_file_id", out.ID)
		var run int64
		if err := tx.QueryRow(ctx, `INSERT INTO job_runs (job, as_of, trigger) VALUES ($1, $2, 'manual') RETURNING id`,
			ImportPaymentsJob, asOf).Scan(&run); err != nil {
			return fmt.Errorf("record import run: %w", err)
		}
		queueID, err := s.FollowUps.RunRequested(ctx, tx, RunRequested{RunID: run, Job: ImportPaymentsJob, AsOf: asOf})
		if err != nil {
			return fmt.Errorf("enqueue import run: %w", err)
		}
		_, err = tx.Exec(ctx, "UPDATE job_runs SET river_job_id = $2 WHERE id = $1", run, queueID)
		return err
	})
	if err != nil {
		return PaymentFile{}, false, fmt.Errorf("store payment file %q: %w", name, err)
	}
	return out, created, nil
}

// insertPaymentFile stores a parsed file unless its SHA-256 is known, and returns the
// stored row and whether this call created it.
func insertPaymentFile(ctx context.Context, tx pgx.Tx, name, origin string, content []byte, bank string) (PaymentFile, bool, error) {
	sum := SHA256Hex(content)
	f, err := scanPaymentFile(tx.QueryRow(ctx, `INSERT INTO payment_files (name, sha256, content, size, origin, bank_code)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING RETURNING `+paymentFileColumns,
		name, sum, content, len(content), origin, bank))
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return PaymentFile{}, false, fmt.Errorf("store payment file: %w", err)
	}
	f, err = scanPaymentFile(tx.QueryRow(ctx, "SELECT "+paymentFileColumns+" FROM payment_files WHERE sha256 = $1", sum))
	if err != nil {
		return PaymentFile{}, false, fmt.Errorf("read payment file %s: %w", sum, err)
	}
	return f, false, nil
}

// PaymentFile returns the stored file with the given id.
func (s *Store) PaymentFile(ctx context.Context, id int64) (PaymentFile, error) {
	f, err := scanPaymentFile(s.Pool.QueryRow(ctx, "SELECT "+paymentFileColumns+" FROM payment_files WHERE id = $1", id))
	return f, notFound(err, "payment file", id)
}

// PaymentExceptions lists the reconciliation list by id: entries created on or after From
// and on or before To (dates in the business time zone), of one reason.
func (s *Store) PaymentExceptions(ctx context.Context, f PaymentExceptionFilter, page Page) ([]PaymentException, error) {
	loc := s.location()
	var from, to pgtype.Timestamptz
	if !f.From.IsZero() {
		from = pgtype.Timestamptz{Time: time.Date(f.From.Year(), f.From.Month(), f.From.Day(), 0, 0, 0, 0, loc), Valid: true}
	}
	if !f.To.IsZero() {
		to = pgtype.Timestamptz{Time: time.Date(f.To.Year(), f.To.Month(), f.To.Day()+1, 0, 0, 0, 0, loc), Valid: true}
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, source, coalesce(file_id, 0), coalesce(line, 0), coalesce(end_to_end_id, ''),
			reference, coalesce(installment_id, 0), amount, paid_on, reason, detail, created_at
		FROM payment_exceptions
		WHERE id > $1 AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
		  AND ($4 = '' OR reason = $4)
		ORDER BY id LIMIT $5`, page.After, from, to, f.Reason, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list payment exceptions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PaymentException, error) {
		var e PaymentException
		var paid pgtype.Date
		err := r.Scan(&e.ID, &e.Source, &e.FileID, &e.Line, &e.EndToEndID, &e.Reference, &e.InstallmentID, &e.Amount, &paid,
			&e.Reason, &e.Detail, &e.CreatedAt)
		e.PaidOn = optDate(paid)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list payment exceptions: %w", err)
	}
	return out, nil
}

// exceptionColumns holds reconciliation entries column by column for one unnest statement.
type exceptionColumns struct {
	fileID, installment []*int64
	line                []*int32
	endToEnd            []*string
	source, reference   []string
	amount              []string
	paidOn              []pgtype.Date
	reason, detail      []string
}

func (c *exceptionColumns) add(e PaymentException) {
	opt64 := func(v int64) *int64 {
		if v == 0 {
			return nil
		}
		return &v
	}
	var line *int32
	if e.Line != 0 {
		l := int32(e.Line)
		line = &l
	}
	var e2e *string
	if e.EndToEndID != "" {
		e2e = &e.EndToEndID
	}
	c.fileID, c.installment, c.line, c.endToEnd = append(c.fileID, opt64(e.FileID)), append(c.installment, opt64(e.InstallmentID)),
		append(c.line, line), append(c.endToEnd, e2e)
	c.source, c.reference, c.amount = append(c.source, e.Source), append(c.reference, e.Reference), append(c.amount, e.Amount.StringFixed(2))
	c.paidOn, c.reason, c.detail = append(c.paidOn, date(e.PaidOn)), append(c.reason, e.Reason), append(c.detail, e.Detail)
}

// insert writes the entries, skipping those already listed (same file line, same PIX
// notification), and returns how many it wrote.
func (c *exceptionColumns) insert(ctx context.Context, tx pgx.Tx) (int64, error) {
	if len(c.source) == 0 {
		return 0, nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO payment_exceptions (file_id, line, end_to_end_id, source, reference, installment_id,
			amount, paid_on, reason, detail)
		SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::numeric[], $8::date[],
			$9::text[], $10::text[])
		ON CONFLICT DO NOTHING`,
		c.fileID, c.line, c.endToEnd, c.source, c.reference, c.installment, c.amount, c.paidOn, c.reason, c.detail)
	if err != nil {
		return 0, fmt.Errorf("list %d payment exceptions: %w", len(c.source), err)
	}
	return tag.RowsAffected(), nil
}
