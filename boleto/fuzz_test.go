package boleto_test

import (
	"strings"
	"testing"

	"github.com/billingd/billingd/boleto"
)

// FuzzParseLinhaDigitavel checks that reading any text never panics and that a linha
// digitável read successfully re-serialises to its own digits, both printed and raw, and to a
// barcode that reads back to the same code.
func FuzzParseLinhaDigitavel(f *testing.F) {
	f.Add("00190.00009 01474.166004 00000.328179 1 13810000224674")
	f.Add("34191090123345678000567123457000111646000000009990")
	f.Add("70790001182115469120410450517387211900000042148")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := boleto.ParseLinhaDigitavel(in)
		if err != nil {
			return
		}
		digits := strings.NewReplacer(" ", "", ".", "").Replace(strings.TrimSpace(in))
		if c.LinhaDigitavel != digits {
			t.Fatalf("ParseLinhaDigitavel(%q).LinhaDigitavel = %s, want the input's digits %s", in, c.LinhaDigitavel, digits)
		}
		printed := boleto.FormatLinhaDigitavel(c.LinhaDigitavel)
		again, err := boleto.ParseLinhaDigitavel(printed)
		if err != nil || !sameCode(again, c) {
			t.Fatalf("printed form %q reads as %+v, %v; want %+v", printed, again, err, c)
		}
		fromBarcode, err := boleto.ParseBarcode(c.Barcode)
		if err != nil || !sameCode(fromBarcode, c) {
			t.Fatalf("barcode %s reads as %+v, %v; want %+v", c.Barcode, fromBarcode, err, c)
		}
		if c.Factor != 0 {
			if f, err := boleto.DueFactor(c.DueDate); err != nil || f != c.Factor {
				t.Fatalf("due date %s gives factor %d, %v; want %d", c.DueDate, f, err, c.Factor)
			}
		}
	})
}

// sameCode compares two codes, their amounts by value.
func sameCode(a, b boleto.Code) bool {
	return a.Bank == b.Bank && a.Factor == b.Factor && a.DueDate.Equal(b.DueDate) && a.Amount.Equal(b.Amount) &&
		a.FreeField == b.FreeField && a.Barcode == b.Barcode && a.LinhaDigitavel == b.LinhaDigitavel
}
