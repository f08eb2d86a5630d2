package cnab240

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/shopspring/decimal"
)

// File is what a return file says.
type File struct {
	// BankCode is the three-digit code of the bank that wrote the file.
	BankCode string
	// GeneratedOn is the file's generation date.
	GeneratedOn time.Time
	// Sequence is the file's sequence number (NSA) at the bank.
	Sequence int64
	// Settlements are the file's T/U detail pairs, in file order.
	Settlements []Settlement
}

// Settlement is one T/U detail pair: what happened to one boleto.
type Settlement struct {
	// Line is the 1-based line number of the segment T.
	Line int
	// Movement is the movement code (06 liquidação, 09 baixa, 17 liquidação após baixa, …).
	Movement Movement
	// NossoNumero is positions 38–57 of segment T, trimmed of spaces.
	NossoNumero string
	// DocumentNumber is positions 59–73 of segment T, trimmed of spaces.
	DocumentNumber string
	// DueDate is the boleto's due date; zero when the file writes 00000000.
	DueDate time.Time
	// NominalAmount is the boleto's amount.
	NominalAmount decimal.Decimal
	// InterestAndFines is the interest, fine and charges the payer paid.
	InterestAndFines decimal.Decimal
	// Discount is the discount granted.
	Discount decimal.Decimal
	// AmountPaid is what the payer paid (interest and fine included).
	AmountPaid decimal.Decimal
	// NetCredited is what the bank credits to the business.
	NetCredited decimal.Decimal
	// DatePaid is the payment's date; always set for movements 06 and 17.
	DatePaid time.Time
	// DateCredited is the day of the credit; zero when the file writes 00000000.
	DateCredited time.Time
}

// Error is a malformed file: the 1-based line, the field (empty for the line as a whole) and
// the reason. It reads "line 7: segment U date paid: \"31022026\" is not a date".
type Error struct {
	// Line is the 1-based line number.
	Line int
	// Field names the field, or is empty when the line as a whole is wrong.
	Field string
	// Reason says what is wrong.
	Reason string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

// Parse reads a CNAB 240 return file in the FEBRABAN240 layout. A malformed file is refused
// whole with an *Error naming the line and the field; a read error is returned wrapped.
func Parse(r io.Reader) (*File, error) {
	return FEBRABAN240.Parse(r)
}

// maxLine bounds the line the scanner buffers; a longer line is refused by its length.
const maxLine = 64 * 1024

// parser is the state of one Parse.
type parser struct {
	l    Layout
	file *File
	line int
	// bank is the file header's bank code, as bytes.
	bank []byte
	// inBatch, lot and batchRecords describe the open batch.
	inBatch      bool
	lot          []byte
	batchRecords int64
	// batches and records count the file's batches and records so far.
	batches, records int64
	// pending is the segment T awaiting its U when hasPending is set.
	pending    Settlement
	hasPending bool
	// done is set by the file trailer.
	done bool
}

// Parse reads a CNAB 240 return file in layout l (see the package documentation for what is
// refused).
func (l Layout) Parse(r io.Reader) (*File, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	p := &parser{l: l, file: &File{}}
	if n := sizeHint(r); n > 0 {
		p.file.Settlements = make([]Settlement, 0, n/(2*(LineLength+1))+1)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	for sc.Scan() {
		p.line++
		if err := p.record(sc.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &Error{Line: p.line + 1, Reason: fmt.Sprintf("longer than %d characters, want %d", maxLine, LineLength)}
		}
		return nil, fmt.Errorf("read return file: %w", err)
	}
	switch {
	case p.line == 0:
		return nil, &Error{Line: 1, Reason: "the file is empty"}
	case !p.done:
		return nil, &Error{Line: p.line, Reason: "the file ends without a file trailer (record type 9)"}
	}
	return p.file, nil
}

// record reads one line.
func (p *parser) record(line []byte) error {
	if p.done {
		if len(bytes.Trim(line, "\x1a \t")) == 0 {
			return nil // empty lines and a DOS end-of-file mark after the trailer
		}
		return p.fail("", "text after the file trailer")
	}
	if len(line) != LineLength {
		return p.fail("", fmt.Sprintf("%d characters, want %d", len(line), LineLength))
	}
	l := p.l
	rt := l.RecordType.bytes(line)[0]
	if p.bank == nil && rt != '0' {
		return p.fail(l.RecordType.Name, fmt.Sprintf("%q: want 0 (file header) on the first line", string(rt)))
	}
	if p.bank != nil {
		if b := l.Bank.bytes(line); !bytes.Equal(b, p.bank) {
			return p.fail(l.Bank.Name, fmt.Sprintf("%q differs from the file header's %q", b, p.bank))
		}
	}
	if p.hasPending && !(rt == '3' && l.Segment.bytes(line)[0] == 'U') {
		return p.fail("", fmt.Sprintf("segment T at line %d has no segment U after it", p.pending.Line))
	}
	p.records++
	switch rt {
	case '0':
		return p.fileHeader(line)
	case '1':
		if p.inBatch {
			return p.fail(l.RecordType.Name, "batch header inside a batch (no batch trailer before it)")
		}
		p.inBatch, p.batchRecords, p.batches = true, 1, p.batches+1
		p.lot = append(p.lot[:0], l.Lot.bytes(line)...)
		if !billing.AllDigits(p.lot) {
			return p.fail(l.Lot.Name, fmt.Sprintf("%q is not a number", p.lot))
		}
		return nil
	case '3':
		if err := p.inBatchRecord(line); err != nil {
			return err
		}
		return p.detail(line)
	case '5':
		if err := p.inBatchRecord(line); err != nil {
			return err
		}
		n, err := p.number(line, l.BatchTrailerRecords)
		if err != nil {
			return err
		}
		if n != p.batchRecords {
			return p.fail(l.BatchTrailerRecords.Name, fmt.Sprintf("says %d, the batch has %d records", n, p.batchRecords))
		}
		p.inBatch = false
		return nil
	case '9':
		if p.inBatch {
			return p.fail(l.RecordType.Name, "file trailer inside a batch (no batch trailer before it)")
		}
		batches, err := p.number(line, l.FileTrailerBatches)
		if err != nil {
			return err
		}
		if batches != p.batches {
			return p.fail(l.FileTrailerBatches.Name, fmt.Sprintf("says %d, the file has %d batches", batches, p.batches))
		}
		records, err := p.number(line, l.FileTrailerRecords)
		if err != nil {
			return err
		}
		if records != p.records {
			return p.fail(l.FileTrailerRecords.Name, fmt.Sprintf("says %d, the file has %d records", records, p.records))
		}
		p.done = true
		return nil
	}
	return p.fail(l.RecordType.Name, fmt.Sprintf("%q is not one of 0 (file header), 1 (batch header), 3 (detail), 5 (batch trailer), 9 (file trailer)", string(rt)))
}

// fileHeader reads record type 0.
func (p *parser) fileHeader(line []byte) error {
	l := p.l
	if p.bank != nil {
		return p.fail(l.RecordType.Name, "a second file header")
	}
	bank := l.Bank.bytes(line)
	if !billing.AllDigits(bank) {
		return p.fail(l.Bank.Name, fmt.Sprintf("%q is not a number", bank))
	}
	p.bank = append([]byte(nil), bank...)
	switch code := l.FileHeader.FileCode.bytes(line)[0]; code {
	case '2':
	case '1':
		return p.fail(l.FileHeader.FileCode.Name, "\"1\" is a remittance (remessa) file, want 2 (retorno)")
	default:
		return p.fail(l.FileHeader.FileCode.Name, fmt.Sprintf("%q: want 2 (retorno)", string(code)))
	}
	on, err := p.date(line, l.FileHeader.GeneratedOn)
	if err != nil {
		return err
	}
	if on.IsZero() {
		return p.fail(l.FileHeader.GeneratedOn.Name, "required")
	}
	seq, err := p.number(line, l.FileHeader.Sequence)
	if err != nil {
		return err
	}
	p.file.BankCode, p.file.GeneratedOn, p.file.Sequence = string(bank), on, seq
	return nil
}

// inBatchRecord checks that a detail or batch trailer belongs to the open batch.
func (p *parser) inBatchRecord(line []byte) error {
	l := p.l
	if !p.inBatch {
		return p.fail(l.RecordType.Name, fmt.Sprintf("%q outside a batch (no batch header before it)", l.RecordType.bytes(line)))
	}
	if lot := l.Lot.bytes(line); !bytes.Equal(lot, p.lot) {
		return p.fail(l.Lot.Name, fmt.Sprintf("%q differs from the batch header's %q", lot, p.lot))
	}
	p.batchRecords++
	return nil
}

// detail reads a detail record: a segment T opens a settlement, the U after it completes it.
func (p *parser) detail(line []byte) error {
	l := p.l
	switch seg := l.Segment.bytes(line)[0]; seg {
	case 'T':
		return p.segmentT(line)
	case 'U':
		if !p.hasPending {
			return p.fail(l.Segment.Name, "segment U without a segment T before it")
		}
		return p.segmentU(line)
	}
	return nil // other segments (Y, …) are optional and not read
}

// segmentT reads a segment T into the pending settlement.
func (p *parser) segmentT(line []byte) error {
	l, t := p.l, p.l.SegmentT
	mv := l.Movement.bytes(line)
	if !billing.AllDigits(mv) {
		return p.fail("segment T "+l.Movement.Name, fmt.Sprintf("%q is not a number", mv))
	}
	s := &p.pending
	*s = Settlement{
		Line:           p.line,
		Movement:       Movement(mv),
		NossoNumero:    string(bytes.TrimSpace(t.NossoNumero.bytes(line))),
		DocumentNumber: string(bytes.TrimSpace(t.DocumentNumber.bytes(line))),
	}
	var err error
	if s.DueDate, err = p.date(line, t.DueDate); err != nil {
		return err
	}
	if s.NominalAmount, err = p.amount(line, t.NominalAmount); err != nil {
		return err
	}
	p.hasPending = true
	return nil
}

// segmentU completes the pending settlement and appends it to the file.
func (p *parser) segmentU(line []byte) error {
	u, s := p.l.SegmentU, &p.pending
	var err error
	if s.InterestAndFines, err = p.amount(line, u.InterestAndFines); err != nil {
		return err
	}
	if s.Discount, err = p.amount(line, u.Discount); err != nil {
		return err
	}
	if s.AmountPaid, err = p.amount(line, u.AmountPaid); err != nil {
		return err
	}
	if s.NetCredited, err = p.amount(line, u.NetCredited); err != nil {
		return err
	}
	if s.DatePaid, err = p.date(line, u.DatePaid); err != nil {
		return err
	}
	if s.DateCredited, err = p.date(line, u.DateCredited); err != nil {
		return err
	}
	if s.Movement.IsPayment() && s.DatePaid.IsZero() {
		return p.fail(u.DatePaid.Name, fmt.Sprintf("required for movement %s (%s)", s.Movement, s.Movement.Description()))
	}
	p.file.Settlements = append(p.file.Settlements, *s)
	p.hasPending = false
	return nil
}

// number reads an unsigned decimal field.
func (p *parser) number(line []byte, f Field) (int64, error) {
	b := f.bytes(line)
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, p.fail(f.Name, fmt.Sprintf("%q is not a number", b))
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// amount reads a field of cents as a decimal amount.
func (p *parser) amount(line []byte, f Field) (decimal.Decimal, error) {
	cents, err := p.number(line, f)
	if err != nil {
		return decimal.Decimal{}, err
	}
	if cents == 0 {
		return zeroCents, nil // decimals are immutable: one zero serves every field
	}
	return decimal.New(cents, -2), nil
}

// zeroCents is 0.00.
var zeroCents = decimal.New(0, -2)

// sizeHint returns the number of bytes r has left when it can tell (an in-memory reader or a
// file), to size the settlements once; 0 when it cannot.
func sizeHint(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return 0
}

// date reads a DDMMAAAA field; 00000000 is the zero time.
func (p *parser) date(line []byte, f Field) (time.Time, error) {
	b := f.bytes(line)
	if !billing.AllDigits(b) {
		return time.Time{}, p.fail(f.Name, fmt.Sprintf("%q is not a date (DDMMAAAA)", b))
	}
	d := int(b[0]-'0')*10 + int(b[1]-'0')
	m := int(b[2]-'0')*10 + int(b[3]-'0')
	y := int(b[4]-'0')*1000 + int(b[5]-'0')*100 + int(b[6]-'0')*10 + int(b[7]-'0')
	if d == 0 && m == 0 && y == 0 {
		return time.Time{}, nil
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if y == 0 || m < 1 || m > 12 || t.Day() != d || t.Month() != time.Month(m) {
		return time.Time{}, p.fail(f.Name, fmt.Sprintf("%q is not a date", b))
	}
	return t, nil
}

// fail returns an *Error at the current line.
func (p *parser) fail(field, reason string) error {
	return &Error{Line: p.line, Field: field, Reason: reason}
}
