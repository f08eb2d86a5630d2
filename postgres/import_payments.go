package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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
	// Chunk is the most payment settlements one transaction imports; zero means
	// DefaultImportChunk.
	Chunk int
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

// DefaultImportChunk is the most payment settlements (movements 06 and 17) one chunk of a
// return file's import takes in, in one transaction, when ImportPaymentsSweep.Chunk is zero.
const DefaultImportChunk = 5000

func (s ImportPaymentsSweep) chunk() int {
	if s.Chunk > 0 {
		return s.Chunk
	}
	return DefaultImportChunk
}

// Batch imports the pending files with ids in [fromID, toID] whole, chunk after chunk in tx
// (a dry run; the daemon's workers call BatchChunk, one chunk a transaction).
func (s ImportPaymentsSweep) Batch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error) {
	counts := map[string]int64{}
	for {
		c, more, err := s.BatchChunk(ctx, tx, asOf, fromID, toID)
		if err != nil {
			return nil, err
		}
		for k, v := range c {
			counts[k] += v
		}
		if !more {
			return counts, nil
		}
	}
}

// BatchChunk imports the next chunk (at most Chunk payment settlements) of the first pending
// file with an id in [fromID, toID], after the line its committed chunks reached
// (payment_files.imported_through_line), adds what it did to the file's counts and marks the
// file imported when the chunk reaches its end. It reports whether a pending file remains in
// the range, for the batch worker to enqueue the next chunk in the same transaction. The file
// row is locked (FOR UPDATE), so a second replica waits and then takes the next chunk; a chunk
// taken twice records nothing twice (the payments' references, the exceptions' lines).
func (s ImportPaymentsSweep) BatchChunk(ctx context.Context, tx pgx.Tx, _ time.Time, fromID, toID int64) (map[string]int64, bool, error) {
	counts := map[string]int64{"files": 0, "settlements": 0, "payments_recorded": 0, "duplicates": 0, "exceptions": 0}
	var after int64 // the files up to this id are done with
	for {
		var next pgtype.Int8
		if err := tx.QueryRow(ctx, `SELECT min(id) FROM payment_files WHERE id BETWEEN $1 AND $2 AND id > $3
			AND status = 'pending'`, fromID, toID, after).Scan(&next); err != nil {
			return nil, false, fmt.Errorf("look for pending payment files: %w", err)
		}
		if !next.Valid {
			return counts, false, nil
		}
		id := next.Int64
		var (
			sum     string
			through int
		)
		err := tx.QueryRow(ctx, `SELECT sha256, imported_through_line FROM payment_files WHERE id = $1 AND status = 'pending'
			FOR UPDATE`, id).Scan(&sum, &through)
		if errors.Is(err, pgx.ErrNoRows) { // another replica imported it while this one waited for its lock
			after = id
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("lock payment file %d: %w", id, err)
		}
		c, done, err := s.importChunk(ctx, tx, id, sum, through)
		if err != nil {
			return nil, false, fmt.Errorf("import payment file %d: %w", id, err)
		}
		for k, v := range c {
			counts[k] += v
		}
		if !done {
			return counts, true, nil
		}
		counts["files"]++
		var left bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM payment_files WHERE id BETWEEN $1 AND $2 AND id > $3
			AND status = 'pending')`, fromID, toID, id).Scan(&left); err != nil {
			return nil, false, fmt.Errorf("look for pending payment files: %w", err)
		}
		return counts, left, nil
	}
}

// parsedFile is the last return file parsed for an import, kept so that the chunks of one
// file after the first (usually in the same process) neither read its content again nor
// parse it again. A file's content never changes: its SHA-256 identifies the parse.
var parsedFile struct {
	sync.Mutex
	sha256 string
	file   *cnab240.File
}

// parsedPaymentFile returns the parsed content of the stored file id whose SHA-256 is sum.
func parsedPaymentFile(ctx context.Context, tx pgx.Tx, id int64, sum string) (*cnab240.File, error) {
	parsedFile.Lock()
	defer parsedFile.Unlock()
	if parsedFile.sha256 == sum {
		return parsedFile.file, nil
	}
	var content []byte
	if err := tx.QueryRow(ctx, "SELECT content FROM payment_files WHERE id = $1", id).Scan(&content); err != nil {
		return nil, fmt.Errorf("read content: %w", err)
	}
	f, err := ParsePaymentFile(content)
	if err != nil {
		return nil, err
	}
	parsedFile.sha256, parsedFile.file = sum, f
	return f, nil
}

// importChunk imports, in tx, the next chunk of the locked pending file id: its payment
// settlements after line through, at most Chunk of them. It reports whether the file is done.
func (s ImportPaymentsSweep) importChunk(ctx context.Context, tx pgx.Tx, id int64, sum string, through int) (map[string]int64, bool, error) {
	parsed, err := parsedPaymentFile(ctx, tx, id, sum)
	if err != nil {
		return nil, false, err
	}
	ps, err := readPaymentSettings(ctx, tx)
	if err != nil {
		return nil, false, err
	}
	bi, _, err := issuersOf(ps)
	if err != nil {
		return nil, false, fmt.Errorf("payment settings: %w", err)
	}
	// The chunk's settlements that are payments, with the key each is matched on.
	var settlements []cnab240.Settlement
	var keys []string
	done, reached := true, through
	for _, st := range parsed.Settlements {
		if st.Line <= through {
			continue
		}
		if len(settlements) == s.chunk() {
			done = false
			break
		}
		reached = st.Line
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
	recorded, duplicates, exceptions, err := s.recordSettlements(ctx, tx, id, parsed.BankCode, settlements, keys)
	if err != nil {
		return nil, false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE payment_files SET imported_through_line = $2, settlements = settlements + $3,
			recorded = recorded + $4, duplicates = duplicates + $5, exceptions = exceptions + $6,
			status = CASE WHEN $7 THEN 'imported' ELSE status END, imported_at = CASE WHEN $7 THEN now() END
		WHERE id = $1`, id, reached, len(settlements), recorded, duplicates, exceptions, done); err != nil {
		return nil, false, fmt.Errorf("record import: %w", err)
	}
	log := s.logger().InfoContext
	if !done {
		log = s.logger().DebugContext
	}
	log(ctx, "payment file chunk imported", slog.Int64("file_id", id), slog.Int("through_line", reached),
		slog.Bool("file_done", done), slog.Int("settlements", len(settlements)), slog.Int64("recorded", recorded),
		slog.Int64("duplicates", duplicates), slog.Int64("exceptions", exceptions))
	return map[string]int64{"settlements": int64(len(settlements)), "payments_recorded": recorded, "duplicates": duplicates,
		"exceptions": exceptions}, done, nil
}

// recordSettlements matches the settlements of file id to installments by their keys and
// records them (RecordPayments' rules); the unknown and the refused ones are listed as
// payment exceptions. It returns how many were recorded, were duplicates and were listed.
func (s ImportPaymentsSweep) recordSettlements(ctx context.Context, tx pgx.Tx, id int64, bank string, settlements []cnab240.Settlement,
	keys []string,
) (recorded, duplicates, exceptions int64, err error) {
	if len(settlements) == 0 {
		return 0, 0, 0, nil
	}
	rows, err := tx.Query(ctx, `SELECT nosso_numero, installment_id FROM payment_instruments
		WHERE bank_code = $1 AND nosso_numero = ANY($2)`, bank, keys)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("match nosso números: %w", err)
	}
	byKey := make(map[string]int64, len(keys))
	if _, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var k string
		var inst int64
		err := r.Scan(&k, &inst)
		byKey[k] = inst
		return struct{}{}, err
	}); err != nil {
		return 0, 0, 0, fmt.Errorf("match nosso números: %w", err)
	}
	chargeByKey, err := chargesByNossoNumero(ctx, tx, bank, keys)
	if err != nil {
		return 0, 0, 0, err
	}
	var cal *billing.Calendar // what a grouped charge asks on a date needs it
	if len(chargeByKey) > 0 {
		if cal, err = LoadCalendar(ctx, tx); err != nil {
			return 0, 0, 0, err
		}
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
			members, refusal, err := chargePayments(ctx, tx, cal, charge, PaymentIn{Amount: st.AmountPaid, PaidOn: st.DatePaid,
				Source: billing.SourceBankFile, Reference: fmt.Sprintf("cnab:%s:%s:%s:%s", bank, keys[i], st.Movement,
					billing.FormatDate(st.DatePaid))})
			if err != nil {
				return 0, 0, 0, err
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
				Detail: fmt.Sprintf("no installment has nosso número %s at bank %s", keys[i], bank)})
			continue
		}
		in = append(in, PaymentIn{InstallmentID: inst, Amount: st.AmountPaid, PaidOn: st.DatePaid, Source: billing.SourceBankFile,
			Reference: fmt.Sprintf("cnab:%s:%s:%s:%s", bank, keys[i], st.Movement, billing.FormatDate(st.DatePaid))})
		matched = append(matched, i)
	}
	now := s.Now()
	loc := s.Store.location()
	results, err := s.Store.recordPayments(ctx, tx, now, billing.DateOf(now, loc), loc.String(), in)
	if err != nil {
		return 0, 0, 0, err
	}
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
		return 0, 0, 0, err
	}
	return recorded, duplicates, int64(len(exc.source)), nil
}
