package cnab240_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/billingd/billingd/cnab240"
	"github.com/shopspring/decimal"
)

// returnFile writes a return file of n settlements: payments (06) with interest on every tenth.
func returnFile(tb testing.TB, n int) []byte {
	tb.Helper()
	f := &cnab240.File{BankCode: "001", GeneratedOn: day(2026, 3, 5), Sequence: 1, Settlements: make([]cnab240.Settlement, n)}
	for i := range f.Settlements {
		nominal := decimal.New(int64(5000+i%100_000), -2)
		interest := decimal.Zero
		if i%10 == 0 {
			interest = decimal.New(137, -2)
		}
		paid := nominal.Add(interest)
		f.Settlements[i] = cnab240.Settlement{
			Movement: cnab240.Paid, NossoNumero: fmt.Sprintf("1474166%010d", i+1), DocumentNumber: fmt.Sprintf("INST-%d", i+1),
			DueDate: day(2026, 3, 10), NominalAmount: nominal, InterestAndFines: interest, Discount: decimal.Zero,
			AmountPaid: paid, NetCredited: paid.Sub(decimal.New(250, -2)),
			DatePaid: day(2026, 3, 10).AddDate(0, 0, i%5), DateCredited: day(2026, 3, 11).AddDate(0, 0, i%5),
		}
	}
	var buf bytes.Buffer
	if err := cnab240.Write(&buf, f); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkParseReturnFile100k parses a return file of 100,000 settlements (48 MB), the size
// the import benchmark compares against a set-based insert of the same payments.
func BenchmarkParseReturnFile100k(b *testing.B) {
	const n = 100_000
	data := returnFile(b, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := cnab240.Parse(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Settlements) != n {
			b.Fatalf("%d settlements, want %d", len(f.Settlements), n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "settlements/s")
}

// TestParseLargeFileQuickly pins the order of magnitude the benchmark measures: 100,000
// settlements parse in about 0.1 s on the development machine (the test allows 2 s, 20 s under
// the race detector), so the parser is never what an import waits for.
func TestParseLargeFileQuickly(t *testing.T) {
	t.Parallel()
	data := returnFile(t, 100_000)
	start := time.Now()
	f, err := cnab240.Parse(bytes.NewReader(data))
	elapsed := time.Since(start)
	t.Logf("parsed 100,000 settlements (%d bytes) in %s", len(data), elapsed)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Settlements) != 100_000 || f.Settlements[99_999].NossoNumero != "14741660000100000" || !f.Settlements[99_999].AmountPaid.Equal(decimal.New(104999, -2)) {
		t.Fatalf("last settlement %+v", f.Settlements[99_999])
	}
	// Batches of 49,999: the 50,000th settlement opens batch 2, after the first batch's trailer
	// (line 100,001) and the second's header (100,002).
	if got := f.Settlements[49_999].Line; got != 100_003 {
		t.Fatalf("settlement 50,000 on line %d, want 100003", got)
	}
	if elapsed > time.Duration(parseLimit) {
		t.Fatalf("parsing 100,000 settlements took %s, want under %s", elapsed, time.Duration(parseLimit))
	}
}
