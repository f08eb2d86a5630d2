package cnab240_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/cnab240"
	"github.com/shopspring/decimal"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// goldenSettlements are what the golden file says, read off its positions by hand.
var goldenSettlements = []cnab240.Settlement{
	{Line: 3, Movement: cnab240.Paid, NossoNumero: "14741660000000328", DocumentNumber: "INST-000328", DueDate: day(2026, 3, 10),
		NominalAmount: money("2246.74"), InterestAndFines: money("22.46"), Discount: money("0"), AmountPaid: money("2269.20"),
		NetCredited: money("2266.70"), DatePaid: day(2026, 3, 12), DateCredited: day(2026, 3, 13)},
	{Line: 5, Movement: cnab240.EntryConfirmed, NossoNumero: "14741660000000329", DocumentNumber: "INST-000329", DueDate: day(2026, 4, 10),
		NominalAmount: money("99.90"), InterestAndFines: money("0"), Discount: money("0"), AmountPaid: money("0"), NetCredited: money("0")},
	{Line: 7, Movement: cnab240.PaidAfterWriteOff, NossoNumero: "14741660000000301", DocumentNumber: "INST-000301", DueDate: day(2026, 2, 10),
		NominalAmount: money("150.00"), InterestAndFines: money("0"), Discount: money("5.00"), AmountPaid: money("145.00"),
		NetCredited: money("142.50"), DatePaid: day(2026, 3, 2), DateCredited: day(2026, 3, 3)},
	{Line: 12, Movement: cnab240.WrittenOff, NossoNumero: "14741660000000290", DocumentNumber: "INST-000290", DueDate: day(2026, 1, 10),
		NominalAmount: money("120.00"), InterestAndFines: money("0"), Discount: money("0"), AmountPaid: money("0"), NetCredited: money("0"),
		DateCredited: day(2026, 3, 5)},
}

// checkFile compares a parsed file with the golden one; withLines also compares line numbers.
func checkFile(t *testing.T, got *cnab240.File, want []cnab240.Settlement, withLines bool) {
	t.Helper()
	if got.BankCode != "001" || !got.GeneratedOn.Equal(day(2026, 3, 5)) || got.Sequence != 123 {
		t.Fatalf("file %s %s %d, want 001 2026-03-05 123", got.BankCode, got.GeneratedOn, got.Sequence)
	}
	if len(got.Settlements) != len(want) {
		t.Fatalf("%d settlements, want %d", len(got.Settlements), len(want))
	}
	for i, w := range want {
		g := got.Settlements[i]
		if !sameSettlement(g, w) || (withLines && g.Line != w.Line) {
			t.Errorf("settlement %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

// sameSettlement compares two settlements but their line numbers, amounts by value.
func sameSettlement(a, b cnab240.Settlement) bool {
	return a.Movement == b.Movement && a.NossoNumero == b.NossoNumero && a.DocumentNumber == b.DocumentNumber &&
		a.DueDate.Equal(b.DueDate) && a.NominalAmount.Equal(b.NominalAmount) && a.InterestAndFines.Equal(b.InterestAndFines) &&
		a.Discount.Equal(b.Discount) && a.AmountPaid.Equal(b.AmountPaid) && a.NetCredited.Equal(b.NetCredited) &&
		a.DatePaid.Equal(b.DatePaid) && a.DateCredited.Equal(b.DateCredited)
}

func TestParseGolden(t *testing.T) {
	t.Parallel()
	for name, text := range map[string]string{
		"LF":                      goldenText("\n"),
		"CRLF":                    goldenText("\r\n"),
		"CRLF and Ctrl-Z":         goldenText("\r\n") + "\x1a",
		"CRLF, Ctrl-Z and CRLF":   goldenText("\r\n") + "\x1a\r\n",
		"no final line end":       strings.Join(golden, "\r\n"),
		"empty lines after the 9": goldenText("\n") + "\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := cnab240.Parse(strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			checkFile(t, f, goldenSettlements, true)
		})
	}
	for i, l := range golden {
		if len(l) != cnab240.LineLength {
			t.Fatalf("golden line %d is %d characters", i+1, len(l))
		}
	}
	if !cnab240.Paid.IsPayment() || !cnab240.PaidAfterWriteOff.IsPayment() || cnab240.WrittenOff.IsPayment() || cnab240.Movement("28").IsPayment() {
		t.Fatal("IsPayment: want true for 06 and 17 only")
	}
	for m, want := range map[cnab240.Movement]string{"02": "entrada confirmada", "03": "entrada rejeitada", "06": "liquidação", "09": "baixa", "17": "liquidação após baixa", "28": "movimento 28"} {
		if got := m.Description(); got != want {
			t.Errorf("Movement(%s).Description() = %q, want %q", m, got, want)
		}
	}
}

// edit returns the golden lines with change applied to a copy.
func edit(change func(lines []string) []string) string {
	lines := append([]string(nil), golden...)
	return strings.Join(change(lines), "\r\n") + "\r\n"
}

// put overwrites line n (1-based) from position pos (1-based) with v.
func put(n, pos int, v string) func([]string) []string {
	return func(lines []string) []string {
		b := []byte(lines[n-1])
		copy(b[pos-1:], v)
		lines[n-1] = string(b)
		return lines
	}
}

// drop removes line n (1-based).
func drop(n int) func([]string) []string {
	return func(lines []string) []string { return append(lines[:n-1], lines[n:]...) }
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		text  string
		line  int
		field string
		err   string
	}{
		{"short line", edit(func(l []string) []string { l[4] = l[4][:239]; return l }), 5, "", "line 5: 239 characters, want 240"},
		{"long line", edit(func(l []string) []string { l[4] += " "; return l }), 5, "", "line 5: 241 characters, want 240"},
		{"huge line", strings.Repeat("x", 70000), 1, "", "line 1: longer than 65536 characters, want 240"},
		{"empty line inside", edit(func(l []string) []string { return append(l[:5], append([]string{""}, l[5:]...)...) }), 6, "", "line 6: 0 characters, want 240"},
		{"unknown record type", edit(put(9, 8, "4")), 9, "record type", `line 9: record type: "4" is not one of 0 (file header), 1 (batch header), 3 (detail), 5 (batch trailer), 9 (file trailer)`},
		{"T without U", edit(drop(4)), 4, "", "line 4: segment T at line 3 has no segment U after it"},
		{"T before the trailer", edit(func(l []string) []string { return append(l[:12], l[13:]...) }), 13, "", "line 13: segment T at line 12 has no segment U after it"},
		{"U without T", edit(drop(3)), 3, "segment", "line 3: segment: segment U without a segment T before it"},
		{"batch count", edit(put(10, 18, "000008")), 10, "batch trailer record count", "line 10: batch trailer record count: says 8, the batch has 9 records"},
		{"file record count", edit(put(15, 24, "000014")), 15, "file trailer record count", "line 15: file trailer record count: says 14, the file has 15 records"},
		{"file batch count", edit(put(15, 18, "000001")), 15, "file trailer batch count", "line 15: file trailer batch count: says 1, the file has 2 batches"},
		{"count not a number", edit(put(15, 18, "0000O2")), 15, "file trailer batch count", `line 15: file trailer batch count: "0000O2" is not a number`},
		{"date paid", edit(put(4, 138, "31022026")), 4, "segment U date paid", `line 4: segment U date paid: "31022026" is not a date`},
		{"date credited", edit(put(4, 146, "13132026")), 4, "segment U date credited", `line 4: segment U date credited: "13132026" is not a date`},
		{"due date letters", edit(put(3, 74, "1003202A")), 3, "segment T due date", `line 3: segment T due date: "1003202A" is not a date (DDMMAAAA)`},
		{"amount paid", edit(put(4, 78, "00000000022692X")), 4, "segment U amount paid", `line 4: segment U amount paid: "00000000022692X" is not a number`},
		{"amount with spaces", edit(put(3, 82, "         224674")), 3, "segment T nominal amount", `line 3: segment T nominal amount: "         224674" is not a number`},
		{"interest", edit(put(4, 18, "-00000000002246")), 4, "segment U interest, fine and charges", `line 4: segment U interest, fine and charges: "-00000000002246" is not a number`},
		{"payment without date", edit(put(4, 138, "00000000")), 4, "segment U date paid", "line 4: segment U date paid: required for movement 06 (liquidação)"},
		{"movement", edit(put(3, 16, "0A")), 3, "segment T movement code", `line 3: segment T movement code: "0A" is not a number`},
		{"another bank", edit(put(3, 1, "237")), 3, "bank code", `line 3: bank code: "237" differs from the file header's "001"`},
		{"another lote", edit(put(3, 4, "0002")), 3, "lote", `line 3: lote: "0002" differs from the batch header's "0001"`},
		{"remittance", edit(put(1, 143, "1")), 1, "file header file code", `line 1: file header file code: "1" is a remittance (remessa) file, want 2 (retorno)`},
		{"file code", edit(put(1, 143, " ")), 1, "file header file code", `line 1: file header file code: " ": want 2 (retorno)`},
		{"generation date", edit(put(1, 144, "00000000")), 1, "file header generation date", "line 1: file header generation date: required"},
		{"no file header", edit(drop(1)), 1, "record type", `line 1: record type: "1": want 0 (file header) on the first line`},
		{"second file header", edit(func(l []string) []string { return append(l[:1], l...) }), 2, "record type", "line 2: record type: a second file header"},
		{"detail outside a batch", edit(drop(2)), 2, "record type", `line 2: record type: "3" outside a batch (no batch header before it)`},
		{"batch inside a batch", edit(drop(10)), 10, "record type", "line 10: record type: batch header inside a batch (no batch trailer before it)"},
		{"trailer inside a batch", edit(drop(14)), 14, "record type", "line 14: record type: file trailer inside a batch (no batch trailer before it)"},
		{"no file trailer", edit(drop(15)), 14, "", "line 14: the file ends without a file trailer (record type 9)"},
		{"text after the trailer", goldenText("\r\n") + "x\r\n", 16, "", "line 16: text after the file trailer"},
		{"empty", "", 1, "", "line 1: the file is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := cnab240.Parse(strings.NewReader(tc.text))
			var pe *cnab240.Error
			if !errors.As(err, &pe) || err.Error() != tc.err || pe.Line != tc.line || pe.Field != tc.field || f != nil {
				t.Fatalf("Parse() = %v, %v; want the *Error %q (line %d, field %q)", f, err, tc.err, tc.line, tc.field)
			}
		})
	}
}

// TestLayoutVariant reads a bank that writes the nosso número at 41–57 instead of 38–57 with
// a copy of the table, not code of its own.
func TestLayoutVariant(t *testing.T) {
	t.Parallel()
	variant := cnab240.FEBRABAN240
	variant.SegmentT.NossoNumero = cnab240.Field{Name: "segment T nosso número", From: 41, To: 57}
	f, err := variant.Parse(strings.NewReader(goldenText("\n")))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Settlements[0].NossoNumero; got != "41660000000328" {
		t.Fatalf("nosso número %q under the variant, want 41660000000328", got)
	}
	bad := cnab240.FEBRABAN240
	bad.SegmentU.DatePaid = cnab240.Field{Name: "segment U date paid", From: 238, To: 245}
	if _, err := bad.Parse(strings.NewReader(goldenText("\n"))); err == nil || err.Error() != "layout: segment U date paid: positions 238–245 are not within 1–240" {
		t.Fatalf("a layout outside the line: %v", err)
	}
	bad = cnab240.FEBRABAN240
	bad.SegmentT.DueDate = cnab240.Field{Name: "segment T due date", From: 74, To: 80}
	if err := bad.Validate(); err == nil || err.Error() != "layout: segment T due date: 7 positions, want 8" {
		t.Fatalf("a 7-position date: %v", err)
	}
	if err := cnab240.FEBRABAN240.Validate(); err != nil {
		t.Fatalf("FEBRABAN240: %v", err)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	f, err := cnab240.Parse(strings.NewReader(goldenText("\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := cnab240.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
	if len(lines) != 2+2*len(goldenSettlements)+2 {
		t.Fatalf("%d lines written, want %d", len(lines), 2+2*len(goldenSettlements)+2)
	}
	// The first settlement's fields at their FEBRABAN positions, read by slicing.
	tLine, uLine := lines[2], lines[3]
	for _, c := range []struct{ got, want string }{
		{lines[0][0:8], "00100000"}, {lines[0][142:151], "205032026"}, {lines[0][157:163], "000123"},
		{tLine[0:17], "0010001300001T 06"}, {tLine[37:57], "14741660000000328   "}, {tLine[58:73], "INST-000328    "},
		{tLine[73:81], "10032026"}, {tLine[81:96], "000000000224674"},
		{uLine[0:17], "0010001300002U 06"}, {uLine[17:32], "000000000002246"}, {uLine[32:47], "000000000000000"},
		{uLine[77:92], "000000000226920"}, {uLine[92:107], "000000000226670"}, {uLine[137:153], "1203202613032026"},
		{lines[len(lines)-2][0:8], "00100015"}, {lines[len(lines)-2][17:23], "000010"},
		{lines[len(lines)-1][0:8], "00199999"}, {lines[len(lines)-1][17:29], "000001000012"},
	} {
		if c.got != c.want {
			t.Errorf("written %q, want %q", c.got, c.want)
		}
	}
	again, err := cnab240.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, again, goldenSettlements, false)
	for i, s := range again.Settlements {
		if s.Line != 3+2*i {
			t.Errorf("settlement %d on line %d, want %d", i, s.Line, 3+2*i)
		}
	}
}

func TestWriteRefuses(t *testing.T) {
	t.Parallel()
	ok := cnab240.Settlement{Movement: cnab240.Paid, NossoNumero: "1", DatePaid: day(2026, 3, 1)}
	for _, tc := range []struct {
		name string
		f    cnab240.File
		err  string
	}{
		{"bank", cnab240.File{BankCode: "1", GeneratedOn: day(2026, 3, 1)}, `write return file: bank code "1": want 3 digits`},
		{"movement", cnab240.File{BankCode: "001", GeneratedOn: day(2026, 3, 1), Settlements: []cnab240.Settlement{{Movement: "6"}}}, `write return file: settlement 0: movement "6": want 2 digits`},
		{"nosso número", cnab240.File{BankCode: "001", GeneratedOn: day(2026, 3, 1), Settlements: []cnab240.Settlement{ok, func() cnab240.Settlement {
			s := ok
			s.NossoNumero = strings.Repeat("9", 21)
			return s
		}()}}, `settlement 1: write return file: segment T nosso número: "999999999999999999999" is longer than 20 characters`},
		{"fraction of a cent", cnab240.File{BankCode: "001", GeneratedOn: day(2026, 3, 1), Settlements: []cnab240.Settlement{func() cnab240.Settlement {
			s := ok
			s.AmountPaid = money("1.001")
			return s
		}()}}, "settlement 0: write return file: segment U amount paid: 1.001 has fractions of a cent"},
		{"negative", cnab240.File{BankCode: "001", GeneratedOn: day(2026, 3, 1), Settlements: []cnab240.Settlement{func() cnab240.Settlement {
			s := ok
			s.NominalAmount = money("-1")
			return s
		}()}}, "settlement 0: write return file: segment T nominal amount: -100 does not fit 15 digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := cnab240.Write(&bytes.Buffer{}, &tc.f)
			if err == nil || err.Error() != tc.err {
				t.Fatalf("Write() = %v, want %q", err, tc.err)
			}
		})
	}
}
