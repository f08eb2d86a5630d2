package boleto_test

import (
	"strings"
	"testing"

	"github.com/billingd/billingd/boleto"
)

// TestTemplateEdges: a template may hold the digit 9 and an N run of 18 positions, the
// longest; 19 is refused. The boleto of sequence 42 for 99.90 due 2026-11-25 (factor 1641)
// under "9" + 18 N + agência 1234 + "99", worked out by hand with a short Python loop that
// gives the published Banco do Brasil boleto 00191684600002246740000001474166000000032817:
// free field 9 000000000000000042 1234 99, general check digit 1 (modulo 11, weights 2..9),
// field check digits 2, 0 and 8 (modulo 10).
func TestTemplateEdges(t *testing.T) {
	t.Parallel()
	s := boleto.Settings{BankCode: "104", Agency: "1234", Account: "98765", FreeFieldTemplate: "9NNNNNNNNNNNNNNNNNNAAAA99",
		FirstSequence: 1, LastSequence: 999_999_999_999_999_999}
	is, err := boleto.NewIssuer(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := is.Layout().MaxSequence(); got != 999_999_999_999_999_999 {
		t.Errorf("MaxSequence = %d, want 999999999999999999", got)
	}
	b, err := is.Issue(boleto.Charge{DueDate: day("2026-11-25"), Amount: money("99.90"), Sequence: 42})
	if err != nil {
		t.Fatal(err)
	}
	if b.FreeField != "9000000000000000042123499" || b.Barcode != "10491164100000099909000000000000000042123499" ||
		b.LinhaDigitavel != "10499000020000000000000421234998116410000009990" || b.NossoNumero.Key != "000000000000000042" ||
		b.NossoNumero.Printed != "000000000000000042" || b.NossoNumero.CheckDigit != "" {
		t.Errorf("boleto %+v", b)
	}
	s.FreeFieldTemplate = "NNNNNNNNNNNNNNNNNNNAAAA99"
	if err := s.Validate(); err == nil || err.Error() != `bank.free_field_template: "NNNNNNNNNNNNNNNNNNNAAAA99": the N run is 19 positions, want at most 18` {
		t.Errorf("Validate of 19 N = %v", err)
	}
	s.FreeFieldTemplate = "NNNNNNNNNN:NNNNNNNNAAAA99"
	if err := s.Validate(); err == nil || err.Error() != `bank.free_field_template: "NNNNNNNNNN:NNNNNNNNAAAA99": character 11 (':') is not one of A K W V N or a digit` {
		t.Errorf("Validate of a colon = %v", err)
	}
}

// TestIssueSequenceBounds: the first and the last sequence of the range are issued, the
// numbers just outside are refused.
func TestIssueSequenceBounds(t *testing.T) {
	t.Parallel()
	is, err := boleto.NewIssuer(settings["template"]) // sequences 1..999
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int64{1, 999} {
		if _, err := is.Issue(boleto.Charge{DueDate: day("2026-11-25"), Amount: money("0.01"), Sequence: seq}); err != nil {
			t.Errorf("sequence %d: %v", seq, err)
		}
	}
	for _, seq := range []int64{0, 1000} {
		_, err := is.Issue(boleto.Charge{DueDate: day("2026-11-25"), Amount: money("0.01"), Sequence: seq})
		if want := "sequence: " + map[int64]string{0: "0", 1000: "1000"}[seq] + " is outside the nosso-número range 1..999"; err == nil || err.Error() != want {
			t.Errorf("sequence %d: %v, want %q", seq, err, want)
		}
	}
}

// TestParseBarcodeQuotesClipped: a wrong barcode is quoted whole up to 60 characters and
// cut to 60 with "..." beyond.
func TestParseBarcodeQuotesClipped(t *testing.T) {
	t.Parallel()
	sixty := strings.Repeat("1234567890", 6)
	if _, err := boleto.ParseBarcode(sixty); err == nil || err.Error() != `barcode: want 44 digits, got "`+sixty+`"` {
		t.Errorf("60 digits: %v", err)
	}
	if _, err := boleto.ParseBarcode(sixty + "1"); err == nil || err.Error() != `barcode: want 44 digits, got "`+sixty+`..."` {
		t.Errorf("61 digits: %v", err)
	}
}

// TestReturnKeySpan: Bradesco's key is positions 9–19 of the field (offset 8, 11 digits): a
// field that ends right after it still gives it, one a character short gives none;
// Itaú's is positions 4–11; a layout without a length takes the whole field trimmed.
func TestReturnKeySpan(t *testing.T) {
	t.Parallel()
	bradesco, itau := boleto.Layouts()["237"], boleto.Layouts()["341"]
	template, err := boleto.NewTemplateLayout("1NNNNNNNNNNNNNNNAAAAKKKKK")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		layout boleto.Layout
		field  string
		key    string
		ok     bool
	}{
		{"bradesco, exactly long enough", bradesco, "09000000" + "00000000525", "00000000525", true},
		{"bradesco, with its check digit", bradesco, "09000000" + "00000000525" + "P", "00000000525", true},
		{"bradesco, one short", bradesco, "09000000" + "0000000052", "", false},
		{"bradesco, not digits", bradesco, "09000000" + "0000000052X" + "P", "0000000052X", false},
		{"itau", itau, "109" + "12345678" + "6" + "        ", "12345678", true},
		{"itau, one short", itau, "109" + "1234567", "", false},
		{"template: the whole field trimmed", template, "  000000000000042     ", "000000000000042", true},
		{"template: blank", template, "                    ", "", false},
	} {
		key, ok := tc.layout.ReturnKey(tc.field)
		if key != tc.key || ok != tc.ok {
			t.Errorf("%s: ReturnKey(%q) = %q, %v; want %q, %v", tc.name, tc.field, key, ok, tc.key, tc.ok)
		}
	}
}
