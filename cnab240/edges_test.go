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
