package cnab240_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/billingd/billingd/cnab240"
)

// TestParseDatesOfOtherCenturies: a date is read digit by digit — day, month and all four
// digits of the year — so 31 December 1999 and 1 December 2100 read as themselves, and the
// month 00 and a 31st of November are refused.
func TestParseDatesOfOtherCenturies(t *testing.T) {
	t.Parallel()
	f, err := cnab240.Parse(strings.NewReader(edit(func(l []string) []string {
		return put(4, 146, "01122100")(put(3, 74, "31121999")(l))
	})))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Settlements[0].DueDate; !got.Equal(day(1999, 12, 31)) {
		t.Errorf("due date %s, want 1999-12-31", got)
	}
	if got := f.Settlements[0].DateCredited; !got.Equal(day(2100, 12, 1)) {
		t.Errorf("date credited %s, want 2100-12-01", got)
	}
	for _, tc := range []struct{ date, err string }{
		{"10002026", `line 3: segment T due date: "10002026" is not a date`},
		{"31112026", `line 3: segment T due date: "31112026" is not a date`},
		{"10132026", `line 3: segment T due date: "10132026" is not a date`},
		{"01010000", `line 3: segment T due date: "01010000" is not a date`},
	} {
		if _, err := cnab240.Parse(strings.NewReader(edit(put(3, 74, tc.date)))); err == nil || err.Error() != tc.err {
			t.Errorf("due date %s: %v, want %q", tc.date, err, tc.err)
		}
	}
}

// TestParseSizesSettlementsOnce: from a reader that knows its size (in memory or a regular
// file), Parse makes room for the settlements once: the bytes over the size of a T/U pair
// (2 × 241), plus one. The golden file with CRLF ends is 15 × 242 = 3,630 bytes; with 194
// empty lines after the trailer it is 3,824 bytes, room for 3,824 / 482 = 7 pairs (7.93,
// truncated), so the capacity is 8 for its 4 settlements.
func TestParseSizesSettlementsOnce(t *testing.T) {
	t.Parallel()
	text := goldenText("\r\n") + strings.Repeat("\n", 194)
	if len(text) != 3824 {
		t.Fatalf("the padded golden file is %d bytes, want 3824", len(text))
	}
	path := filepath.Join(t.TempDir(), "retorno.ret")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for name, r := range map[string]io.Reader{
		"bytes.Reader": bytes.NewReader([]byte(text)), "strings.Reader": strings.NewReader(text), "os.File": file,
	} {
		f, err := cnab240.Parse(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkFile(t, f, goldenSettlements, true)
		if got := cap(f.Settlements); got != 8 {
			t.Errorf("%s: settlements' capacity %d, want 8", name, got)
		}
	}
}

// TestWriteSplitsBatches: a batch holds as many T/U pairs as its sequence field numbers —
// with a one-digit sequence (position 13), (10 − 1) / 2 = 4. Four settlements fill exactly
// one batch (no empty batch after it); a fifth opens batch 0002, whose sequence starts again
// at 1. The layout reads both back.
func TestWriteSplitsBatches(t *testing.T) {
	t.Parallel()
	narrow := cnab240.FEBRABAN240
	narrow.Sequence = cnab240.Field{Name: "sequence", From: 13, To: 13}
	fifth := goldenSettlements[0]
	fifth.NossoNumero = "14741660000000330"
	for _, tc := range []struct {
		name        string
		settlements []cnab240.Settlement
		lines       []string // record type, lote and sequence of each line: positions 4–13
	}{
		{"four: one full batch", goldenSettlements, []string{
			"0000000000", "0001100000",
			"0001300001", "0001300002", "0001300003", "0001300004", "0001300005", "0001300006", "0001300007", "0001300008",
			"0001500000", "9999900000"}},
		{"five: a second batch", append(append([]cnab240.Settlement(nil), goldenSettlements...), fifth), []string{
			"0000000000", "0001100000",
			"0001300001", "0001300002", "0001300003", "0001300004", "0001300005", "0001300006", "0001300007", "0001300008",
			"0001500000", "0002100000", "0002300001", "0002300002", "0002500000", "9999900000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := narrow.Write(&buf, &cnab240.File{BankCode: "001", GeneratedOn: day(2026, 3, 5), Sequence: 123, Settlements: tc.settlements}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
			var got []string
			for _, l := range lines {
				got = append(got, l[3:8]+strings.ReplaceAll(l[8:13], " ", "0"))
			}
			if strings.Join(got, " ") != strings.Join(tc.lines, " ") {
				t.Errorf("lines\n%s\nwant\n%s", strings.Join(got, " "), strings.Join(tc.lines, " "))
			}
			f, err := narrow.Parse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Settlements) != len(tc.settlements) || f.Settlements[len(f.Settlements)-1].NossoNumero != tc.settlements[len(tc.settlements)-1].NossoNumero {
				t.Errorf("read back %+v", f.Settlements)
			}
		})
	}
}
