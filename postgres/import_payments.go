package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/cnab240"
	"github.com/billingd/billingd/records"
)

// ImportPaymentsSweep is import-payments: it takes the bank return files of the drop
// directory in, then imports every pending payment file, one batch (one transaction) per
// file.
//
// Plan reads the drop directory (when DropDir is set): a file already stored (same SHA-256)
// is moved to done/; a new one is parsed and stored, pending, in the plan's transaction (it
// moves to done/ on the next run, once stored); a malformed one is moved to refused/ with a
// NAME.error file saying the line and the field, and a log line. Then it plans one batch per
// pending file.
//
// Batch imports the pending files of its id range: it matches each settlement (movements 06
// and 17) by the bank and nosso número (the layout's return key) to an installment's
// instrument and records the matched ones with RecordPayments' rules (source bank_file,
// reference cnab:BANK:NOSSO_NUMERO:MOVEMENT:DATE_PAID, the file's date paid and amount paid,
// fine and interest included), so a second import or a concurrent replica records nothing
// twice; an unknown nosso número and a refused payment (cancelled or paid installment,
// amount above what is due, …) go to payment_exceptions with the line and the reason. The
// unblocks follow through the follow-ups as for API payments.
type ImportPaymentsSweep struct {
	Store *Store
	// DropDir is the drop directory (BILLINGD_PAYMENT_DROP_DIR); "" for none.
	DropDir string
	// Now is the clock: a payment dated after today is refused, and ReceivedAt is now.
	Now    func() time.Time
	Logger *slog.Logger
}

// dryRunKey marks a dry run's context.
type dryRunKey struct{}

// WithDryRun marks ctx as a dry run's (jobs.Runner.DryRun): a sweep then touches nothing
// outside its transaction (import-payments leaves the drop directory alone).
func WithDryRun(ctx context.Context) context.Context {
	return context.WithValue(ctx, dryRunKey{}, true)
}

// IsDryRun reports whether ctx is a dry run's (WithDryRun).
func IsDryRun(ctx context.Context) bool { v, _ := ctx.Value(dryRunKey{}).(bool); return v }

// Plan takes the drop directory's files in (not in a dry run) and returns one batch start
// per pending file.
func (s ImportPaymentsSweep) Plan(ctx context.Context, tx pgx.Tx, _ time.Time, _ int) ([]int64, error) {
	if s.DropDir != "" && !IsDryRun(ctx) {
		if err := s.scanDropDir(ctx, tx); err != nil {
			return nil, err
		}
	}
	rows, err := tx.Query(ctx, "SELECT id FROM payment_files WHERE status = 'pending' ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("plan payment files: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("plan payment files: %w", err)
	}
	return ids, nil
}

func (s ImportPaymentsSweep) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// scanDropDir stores the drop directory's new files and moves the known ones to done/ and
// the malformed ones to refused/.
func (s ImportPaymentsSweep) scanDropDir(ctx context.Context, tx pgx.Tx) error {
	entries, err := os.ReadDir(s.DropDir)
	if err != nil {
		return fmt.Errorf("read drop directory: %w", err)
	}
	var stored, moved, refused int
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") {
			continue
		}
		path := filepath.Join(s.DropDir, name)
		content, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read drop file %s: %w", name, err)
		}
		var known bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM payment_files WHERE sha256 = $1)", SHA256Hex(content)).Scan(&known); err != nil {
			return fmt.Errorf("look up drop file %s: %w", name, err)
		}
		if known {
			if err := moveTo(s.DropDir, "done", name); err != nil {
				return err
			}
			moved++
			continue
		}
		parsed, err := ParsePaymentFile(content)
		var fe *billing.FieldError
		if errors.As(err, &fe) {
			if err := moveTo(s.DropDir, "refused", name); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(s.DropDir, "refused", name+".error"), []byte(fe.Reason+"\n"), 0o640); err != nil {
				return fmt.Errorf("write %s.error: %w", name, err)
			}
			s.logger().ErrorContext(ctx, "payment file refused", slog.String("file", name), slog.String("error", fe.Reason))
			refused++
			continue
		}
		if err != nil {
			return err
		}
		if _, _, err := insertPaymentFile(ctx, tx, name, OriginDropDir, content, parsed.BankCode); err != nil {
			return err
		}
		stored++
	}
	if stored+moved+refused > 0 {
		s.logger().InfoContext(ctx, "drop directory read", slog.Int("stored", stored), slog.Int("moved_to_done", moved),
			slog.Int("refused", refused))
	}
	return nil
}

// moveTo moves dir/name to dir/sub/name, making sub when missing.
func moveTo(dir, sub, name string) error {
	if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
		return fmt.Errorf("make %s/: %w", sub, err)
	}
	if err := os.Rename(filepath.Join(dir, name), filepath.Join(dir, sub, name)); err != nil {
		return fmt.Errorf("move %s to %s/: %w", name, sub, err)
	}
	return nil
}

// Batch imports the pending files with ids in [fromID, toID].
func (s ImportPaymentsSweep) Batch(ctx context.Context, tx pgx.Tx, _ time.Time, fromID, toID int64) (map[string]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id, content FROM payment_files WHERE id BETWEEN $1 AND $2 AND status = 'pending'
		ORDER BY id FOR UPDATE`, fromID, toID)
	if err != nil {
		return nil, fmt.Errorf("lock payment files: %w", err)
	}
	type pending struct {
		id      int64
		content []byte
	}
	files, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		return p, r.Scan(&p.id, &p.content)
	})
	if err != nil {
		return nil, fmt.Errorf("lock payment files: %w", err)
	}
	counts := map[string]int64{"files": 0, "settlements": 0, "payments_recorded": 0, "duplicates": 0, "exceptions": 0}
	for _, f := range files {
		c, err := s.importFile(ctx, tx, f.id, f.content)
		if err != nil {
			return nil, fmt.Errorf("import payment file %d: %w", f.id, err)
		}
		counts["files"]++
		for k, v := range c {
			counts[k] += v
		}
	}
	return counts, nil
}

// importFile imports one locked pending file in tx.
func (s ImportPaymentsSweep) importFile(ctx context.Context, tx pgx.Tx, id int64, content []byte) (map[string]int64, error) {
	parsed, err := ParsePaymentFile(content)
	if err != nil {
		return nil, err
	}
	ps, err := readPaymentSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	bi, _, err := issuersOf(ps)
	if err != nil {
		return nil, fmt.Errorf("payment settings: %w", err)
	}
	// The settlements that are payments, with the key each is matched on.
	var settlements []cnab240.Settlement
	var keys []string
	for _, st := range parsed.Settlements {
		if !st.Movement.IsPayment() {
			continue
		}
		key := st.NossoNumero
		if bi != nil && bi.Settings().BankCode == parsed.BankCode {
			if k, ok := bi.Layout().ReturnKey(st.NossoNumero); ok {
				key = k
			}
		}
		settlements, keys = append(settlements, st), append(keys, key)
	}
	rows, err := tx.Query(ctx, `SELECT nosso_numero, installment_id FROM payment_instruments
		WHERE bank_code = $1 AND nosso_numero = ANY($2)`, parsed.BankCode, keys)
	if err != nil {
		return nil, fmt.Errorf("match nosso números: %w", err)
	}
	byKey := map[string]int64{}
	if _, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var k string
		var inst int64
		err := r.Scan(&k, &inst)
		byKey[k] = inst
		return struct{}{}, err
	}); err != nil {
		return nil, fmt.Errorf("match nosso números: %w", err)
	}
	chargeByKey, err := chargesByNossoNumero(ctx, tx, parsed.BankCode, keys)
	if err != nil {
		return nil, err
	}
	var (
		in      []PaymentIn
		matched []int // index in settlements of each in
		exc     exceptionColumns
	)
	for i, st := range settlements {
		inst, ok := byKey[keys[i]]
		if charge, isCharge := chargeByKey[keys[i]]; !ok && isCharge {
			// A grouped charge's boleto: one payment per installment of the charge (grouped.go).
			members, refusal, err := chargePayments(ctx, tx, charge, PaymentIn{Amount: st.AmountPaid, PaidOn: st.DatePaid,
				Source: billing.SourceBankFile, Reference: fmt.Sprintf("cnab:%s:%s:%s:%s", parsed.BankCode, keys[i], st.Movement,
					billing.FormatDate(st.DatePaid))})
			if err != nil {
				return nil, err
			}
			if refusal != nil {
				exc.add(PaymentException{Source: billing.SourceBankFile, FileID: id, Line: st.Line, Reference: keys[i],
					Amount: st.AmountPaid, PaidOn: st.DatePaid, Reason: refusal.Code,
					Detail: fmt.Sprintf("grouped charge %d: %s", charge, refusal.Error())})
				continue
			}
			for _, m := range members {
				in, matched = append(in, m), append(matched, i)
			}
			continue
		}
		if !ok {
			exc.add(PaymentException{Source: billing.SourceBankFile, FileID: id, Line: st.Line, Reference: keys[i],
				Amount: st.AmountPaid, PaidOn: st.DatePaid, Reason: records.ExceptionUnknownReference,
				Detail: fmt.Sprintf("no installment has nosso número %s at bank %s", keys[i], parsed.BankCode)})
			continue
		}
		in = append(in, PaymentIn{InstallmentID: inst, Amount: st.AmountPaid, PaidOn: st.DatePaid, Source: billing.SourceBankFile,
			Reference: fmt.Sprintf("cnab:%s:%s:%s:%s", parsed.BankCode, keys[i], st.Movement, billing.FormatDate(st.DatePaid))})
		matched = append(matched, i)
	}
	now := s.Now()
	loc := s.Store.location()
	results, err := s.Store.recordPayments(ctx, tx, now, billing.DateOf(now, loc), loc.String(), in)
	if err != nil {
		return nil, err
	}
	var recorded, duplicates int64
	for j, r := range results {
		switch {
		case r.Duplicate:
			duplicates++
		case r.Refused != nil:
			st := settlements[matched[j]]
			exc.add(PaymentException{Source: billing.SourceBankFile, FileID: id, Line: st.Line, Reference: keys[matched[j]],
				InstallmentID: in[j].InstallmentID, Amount: st.AmountPaid, PaidOn: st.DatePaid, Reason: r.Refused.Code,
				Detail: r.Refused.Error()})
		default:
			recorded++
		}
	}
	if _, err := exc.insert(ctx, tx); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE payment_files SET status = 'imported', imported_at = now(), settlements = $2, recorded = $3,
		duplicates = $4, exceptions = $5 WHERE id = $1`, id, len(settlements), recorded, duplicates, len(exc.source)); err != nil {
		return nil, fmt.Errorf("record import: %w", err)
	}
	s.logger().InfoContext(ctx, "payment file imported", slog.Int64("file_id", id), slog.Int("settlements", len(settlements)),
		slog.Int64("recorded", recorded), slog.Int64("duplicates", duplicates), slog.Int("exceptions", len(exc.source)))
	return map[string]int64{"settlements": int64(len(settlements)), "payments_recorded": recorded, "duplicates": duplicates,
		"exceptions": int64(len(exc.source))}, nil
}
