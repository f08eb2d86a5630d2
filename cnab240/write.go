package cnab240

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/shopspring/decimal"
)

// Write writes f as a CNAB 240 return file in the FEBRABAN240 layout, for tests, benchmarks
// and bank simulators: batches (lote 0001, 0002, …) of at most 49,999 settlements, the most a
// batch's five-digit record sequence numbers, with a T and a U record per settlement; CRLF line
// ends; only the fields Parse reads filled in (the rest blank). Parse reads the result back to
// f, with each Line set to its segment T's line.
func Write(w io.Writer, f *File) error {
	return FEBRABAN240.Write(w, f)
}

// Write writes f as a return file in layout l (see the package-level Write).
func (l Layout) Write(w io.Writer, f *File) error {
	if err := l.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256*1024)
	var line [LineLength + 2]byte
	lw := lineWriter{l: l, line: line[:LineLength]}
	line[LineLength], line[LineLength+1] = '\r', '\n'
	emit := func() error {
		if lw.err != nil {
			return lw.err
		}
		_, err := bw.Write(line[:])
		return err
	}
	if len(f.BankCode) != 3 || !billing.AllDigits([]byte(f.BankCode)) {
		return fmt.Errorf("write return file: bank code %q: want 3 digits", f.BankCode)
	}
	lw.start(f.BankCode, "0000", '0')
	lw.text(l.FileHeader.FileCode, "2")
	lw.date(l.FileHeader.GeneratedOn, f.GeneratedOn)
	lw.number(l.FileHeader.Sequence, f.Sequence)
	if err := emit(); err != nil {
		return err
	}
	// A batch holds as many T/U pairs as its sequence field numbers (49,999 in FEBRABAN240).
	perBatch := (pow10(l.Sequence.Width()) - 1) / 2
	var batches, records int64 = 0, 1
	for first := 0; first == 0 || first < len(f.Settlements); first += int(perBatch) {
		batch := f.Settlements[first:min(first+int(perBatch), len(f.Settlements))]
		batches++
		lot := fmt.Sprintf("%0*d", l.Lot.Width(), batches)
		lw.start(f.BankCode, lot, '1')
		if err := emit(); err != nil {
			return err
		}
		for j, s := range batch {
			i := first + j
			if len(s.Movement) != 2 || !billing.AllDigits([]byte(s.Movement)) {
				return fmt.Errorf("write return file: settlement %d: movement %q: want 2 digits", i, s.Movement)
			}
			seq := int64(2*j + 1)
			lw.start(f.BankCode, lot, '3')
			lw.number(l.Sequence, seq)
			lw.text(l.Segment, "T")
			lw.text(l.Movement, string(s.Movement))
			lw.text(l.SegmentT.NossoNumero, s.NossoNumero)
			lw.text(l.SegmentT.DocumentNumber, s.DocumentNumber)
			lw.date(l.SegmentT.DueDate, s.DueDate)
			lw.amount(l.SegmentT.NominalAmount, s.NominalAmount)
			if err := emit(); err != nil {
				return fmt.Errorf("settlement %d: %w", i, err)
			}
			lw.start(f.BankCode, lot, '3')
			lw.number(l.Sequence, seq+1)
			lw.text(l.Segment, "U")
			lw.text(l.Movement, string(s.Movement))
			lw.amount(l.SegmentU.InterestAndFines, s.InterestAndFines)
			lw.amount(l.SegmentU.Discount, s.Discount)
			lw.amount(l.SegmentU.AmountPaid, s.AmountPaid)
			lw.amount(l.SegmentU.NetCredited, s.NetCredited)
			lw.date(l.SegmentU.DatePaid, s.DatePaid)
			lw.date(l.SegmentU.DateCredited, s.DateCredited)
			if err := emit(); err != nil {
				return fmt.Errorf("settlement %d: %w", i, err)
			}
		}
		lw.start(f.BankCode, lot, '5')
		lw.number(l.BatchTrailerRecords, int64(2*len(batch))+2)
		if err := emit(); err != nil {
			return err
		}
		records += int64(2*len(batch)) + 2
	}
	lw.start(f.BankCode, "9999", '9')
	lw.number(l.FileTrailerBatches, batches)
	lw.number(l.FileTrailerRecords, records+1)
	if err := emit(); err != nil {
		return err
	}
	return bw.Flush()
}

// lineWriter fills one line's fields; the first error sticks.
type lineWriter struct {
	l    Layout
	line []byte
	err  error
}

// start blanks the line and writes the fields every record carries.
func (lw *lineWriter) start(bank, lot string, recordType byte) {
	lw.err = nil
	copy(lw.line, blankLine)
	lw.text(lw.l.Bank, bank)
	lw.text(lw.l.Lot, lot)
	lw.text(lw.l.RecordType, string(recordType))
}

// blankLine is a line of spaces.
var blankLine = bytes.Repeat([]byte{' '}, LineLength)

// text writes s left-aligned, padded with spaces.
func (lw *lineWriter) text(f Field, s string) {
	if len(s) > f.Width() {
		lw.fail(f, fmt.Sprintf("%q is longer than %d characters", s, f.Width()))
		return
	}
	b := f.bytes(lw.line)
	copy(b, s)
}

// number writes n right-aligned, padded with zeros.
func (lw *lineWriter) number(f Field, n int64) {
	s := strconv.FormatInt(n, 10)
	if n < 0 || len(s) > f.Width() {
		lw.fail(f, fmt.Sprintf("%d does not fit %d digits", n, f.Width()))
		return
	}
	b := f.bytes(lw.line)
	for i := range b {
		b[i] = '0'
	}
	copy(b[len(b)-len(s):], s)
}

// amount writes a in cents.
func (lw *lineWriter) amount(f Field, a decimal.Decimal) {
	cents := a.Shift(2)
	if !cents.Equal(cents.Truncate(0)) {
		lw.fail(f, fmt.Sprintf("%s has fractions of a cent", a))
		return
	}
	lw.number(f, cents.IntPart())
}

// date writes t as DDMMAAAA, or 00000000 for the zero time.
func (lw *lineWriter) date(f Field, t time.Time) {
	if t.IsZero() {
		lw.text(f, "00000000")
		return
	}
	lw.text(f, t.Format("02012006"))
}

// fail records the first error of the line.
func (lw *lineWriter) fail(f Field, reason string) {
	if lw.err == nil {
		lw.err = fmt.Errorf("write return file: %s: %s", f.Name, reason)
	}
}

// pow10 returns 10 to the power n.
func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
