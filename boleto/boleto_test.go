package boleto_test

import (
	"errors"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/boleto"
	"github.com/shopspring/decimal"
)

func day(s string) time.Time {
	d, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// settings are valid settings of each built-in layout and of the generic template.
var settings = map[string]boleto.Settings{
	"bb":       {BankCode: "001", Agency: "3174", Account: "11672", Wallet: "17", Convenio: "1474166", FirstSequence: 1, LastSequence: 9_999_999_999},
	"itau":     {BankCode: "341", Agency: "0057", Account: "12345", Wallet: "109", FirstSequence: 1, LastSequence: 99_999_999},
	"bradesco": {BankCode: "237", Agency: "4042", Account: "61900", Wallet: "09", FirstSequence: 1, LastSequence: 99_999_999_999},
	"template": {BankCode: "104", Agency: "1234", Account: "98765", FreeFieldTemplate: "1NNNNNNNNNNNNNNNAAAAKKKKK", FirstSequence: 1, LastSequence: 999},
}

func TestDueFactor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		due    string
		factor int
		err    string
	}{
		{"2025-02-22", 1000, ""},
		{"2025-02-23", 1001, ""},
		{"2025-08-31", 1190, ""},
		{"2026-01-01", 1313, ""},
		{"2026-11-25", 1641, ""},
		{"2049-10-13", 9999, ""},
		{"2025-02-21", 0, "due_date: 2025-02-21 is before 2025-02-22, the first day of the due-date factor's post-2025 base (factor 1000)"},
		{"2016-07-05", 0, "due_date: 2016-07-05 is before 2025-02-22, the first day of the due-date factor's post-2025 base (factor 1000)"},
		{"2049-10-14", 0, "due_date: 2049-10-14 is after 2049-10-13, the last day the due-date factor can express (factor 9999)"},
	} {
		t.Run(tc.due, func(t *testing.T) {
			t.Parallel()
			f, err := boleto.DueFactor(day(tc.due))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("DueFactor(%s) error %v, want %q", tc.due, err, tc.err)
				}
				return
			}
			if err != nil || f != tc.factor {
				t.Fatalf("DueFactor(%s) = %d, %v; want %d", tc.due, f, err, tc.factor)
			}
			back, err := boleto.FactorDate(f)
			if err != nil || !back.Equal(day(tc.due)) {
				t.Fatalf("FactorDate(%d) = %s, %v; want %s", f, back, err, tc.due)
			}
		})
	}
	// A due date in another zone counts by its own civil date.
	sp := time.FixedZone("BRT", -3*3600)
	if f, err := boleto.DueFactor(time.Date(2025, 2, 22, 23, 30, 0, 0, sp)); err != nil || f != 1000 {
		t.Fatalf("DueFactor(2025-02-22 23:30 -03) = %d, %v; want 1000", f, err)
	}
	for _, f := range []int{1, 999, 10000} {
		if _, err := boleto.FactorDate(f); err == nil {
			t.Errorf("FactorDate(%d) succeeded, want an error", f)
		}
	}
	if d, err := boleto.FactorDate(0); err != nil || !d.IsZero() {
		t.Fatalf("FactorDate(0) = %s, %v; want the zero time", d, err)
	}
}

func TestSettingsValidate(t *testing.T) {
	t.Parallel()
	with := func(name string, change func(*boleto.Settings)) boleto.Settings {
		s := settings[name]
		change(&s)
		return s
	}
	for _, tc := range []struct {
		name string
		s    boleto.Settings
		err  string
	}{
		{"bb ok", settings["bb"], ""},
		{"itau ok", settings["itau"], ""},
		{"bradesco ok", settings["bradesco"], ""},
		{"template ok", settings["template"], ""},
		{"agency", with("bb", func(s *boleto.Settings) { s.Agency = "12a" }), `bank.agency: want 4 digits, got "12a"`},
		{"bank code", with("bb", func(s *boleto.Settings) { s.BankCode = "1" }), `bank.code: want 3 digits, got "1"`},
		{"unknown bank", with("bb", func(s *boleto.Settings) { s.BankCode = "104" }), "bank.code: no built-in boleto layout for bank 104 (built in: 001, 237, 341); set bank.free_field_template"},
		{"bb convenio", with("bb", func(s *boleto.Settings) { s.Convenio = "123456" }), `bank.convenio: want 7 digits, got "123456"`},
		{"bb wallet", with("bb", func(s *boleto.Settings) { s.Wallet = "11" }), `bank.wallet: carteira "11" is not supported by the bb-convenio7 layout (want one of [17 18])`},
		{"bb account", with("bb", func(s *boleto.Settings) { s.Account = "123456789" }), `bank.account: want 1 to 8 digits, got "123456789"`},
		{"bb range", with("bb", func(s *boleto.Settings) { s.LastSequence = 10_000_000_000 }), "bank.nosso_numero_last: 10000000000 exceeds 9999999999, the largest sequence the bb-convenio7 layout carries"},
		{"first", with("bb", func(s *boleto.Settings) { s.FirstSequence = 0 }), "bank.nosso_numero_first: must be at least 1, got 0"},
		{"last below first", with("bb", func(s *boleto.Settings) { s.FirstSequence, s.LastSequence = 10, 9 }), "bank.nosso_numero_last: 9 is below bank.nosso_numero_first 10"},
		{"itau wallet", with("itau", func(s *boleto.Settings) { s.Wallet = "198" }), `bank.wallet: carteira "198" is not supported by the itau layout (want one of [109 175])`},
		{"itau wallet digits", with("itau", func(s *boleto.Settings) { s.Wallet = "09" }), `bank.wallet: want 3 digits, got "09"`},
		{"itau account", with("itau", func(s *boleto.Settings) { s.Account = "123456" }), `bank.account: want 1 to 5 digits, got "123456"`},
		{"itau range", with("itau", func(s *boleto.Settings) { s.LastSequence = 100_000_000 }), "bank.nosso_numero_last: 100000000 exceeds 99999999, the largest sequence the itau layout carries"},
		{"bradesco wallet", with("bradesco", func(s *boleto.Settings) { s.Wallet = "9" }), `bank.wallet: want 2 digits, got "9"`},
		{"bradesco account", with("bradesco", func(s *boleto.Settings) { s.Account = "" }), `bank.account: want 1 to 7 digits, got ""`},
		{"template length", with("template", func(s *boleto.Settings) { s.FreeFieldTemplate = "1NNNNNNNNNNNNNNNAAAAKKKKKK" }), `bank.free_field_template: "1NNNNNNNNNNNNNNNAAAAKKKKKK": want 25 characters, got 26`},
		{"template letter", with("template", func(s *boleto.Settings) { s.FreeFieldTemplate = "XNNNNNNNNNNNNNNNAAAAKKKKK" }), `bank.free_field_template: "XNNNNNNNNNNNNNNNAAAAKKKKK": character 1 ('X') is not one of A K W V N or a digit`},
		{"template runs", with("template", func(s *boleto.Settings) { s.FreeFieldTemplate = "NNNNNNNNNN0AAAA0KKKKK0NNN" }), `bank.free_field_template: "NNNNNNNNNN0AAAA0KKKKK0NNN": letter N appears in more than one run`},
		{"template no N", with("template", func(s *boleto.Settings) { s.FreeFieldTemplate = "0000000000000000AAAAKKKKK" }), `bank.free_field_template: "0000000000000000AAAAKKKKK": no N (nosso-número sequence) positions`},
		{"template agency", with("template", func(s *boleto.Settings) { s.FreeFieldTemplate = "1NNNNNNNNNNNNNNNNAAAKKKKK" }), `bank.free_field_template: "1NNNNNNNNNNNNNNNNAAAKKKKK": the agência run is 3 positions, want 4`},
		{"template range", with("template", func(s *boleto.Settings) { s.LastSequence = 1_000_000_000_000_000 }), "bank.nosso_numero_last: 1000000000000000 exceeds 999999999999999, the largest sequence the template layout carries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.s.Validate()
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *billing.FieldError
			if !errors.As(err, &fe) || err.Error() != tc.err {
				t.Fatalf("Validate() = %v, want the FieldError %q", err, tc.err)
			}
			if _, err := boleto.NewIssuer(tc.s); err == nil || err.Error() != tc.err {
				t.Fatalf("NewIssuer() error %v, want %q", err, tc.err)
			}
		})
	}
}

// TestIssue pins exact digits of boletos made under the post-2025 base; the check digits are
// verified again by the independent implementation in crosscheck_test.go.
func TestIssue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		charge  boleto.Charge
		nn      boleto.NossoNumero
		barcode string
		linha   string
	}{
		{
			name:    "bb",
			charge:  boleto.Charge{DueDate: day("2026-03-10"), Amount: money("2246.74"), Sequence: 328},
			nn:      boleto.NossoNumero{Key: "14741660000000328", Printed: "14741660000000328"},
			barcode: "00191138100002246740000001474166000000032817",
			linha:   "00190.00009 01474.166004 00000.328179 1 13810000224674",
		},
		{
			name:    "itau",
			charge:  boleto.Charge{DueDate: day("2026-11-30"), Amount: money("99.90"), Sequence: 12345678},
			nn:      boleto.NossoNumero{Key: "12345678", CheckDigit: "0", Printed: "109/12345678-0"},
			barcode: "34191164600000099901091234567800057123457000",
			linha:   "34191.09123 34567.800056 71234.570001 1 16460000009990",
		},
		{
			name:    "bradesco",
			charge:  boleto.Charge{DueDate: day("2049-10-13"), Amount: money("0.01"), Sequence: 1},
			nn:      boleto.NossoNumero{Key: "00000000001", CheckDigit: "1", Printed: "09/00000000001-1"},
			barcode: "23797999900000000014042090000000000100619000",
			linha:   "23794.04201 90000.000001 01006.190001 7 99990000000001",
		},
		{
			name:    "template",
			charge:  boleto.Charge{DueDate: day("2025-02-22"), Amount: money("150"), Sequence: 42},
			nn:      boleto.NossoNumero{Key: "000000000000042", Printed: "000000000000042"},
			barcode: "10491100000000150001000000000000042123498765",
			linha:   "10491.00009 00000.000042 21234.987655 1 10000000015000",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			is, err := boleto.NewIssuer(settings[tc.name])
			if err != nil {
				t.Fatal(err)
			}
			b, err := is.Issue(tc.charge)
			if err != nil {
				t.Fatal(err)
			}
			refVerify(t, b, tc.charge.DueDate, tc.charge.Amount)
			if b.NossoNumero != tc.nn {
				t.Errorf("nosso número %+v, want %+v", b.NossoNumero, tc.nn)
			}
			if b.Barcode != tc.barcode {
				t.Errorf("barcode %s, want %s", b.Barcode, tc.barcode)
			}
			if got := boleto.FormatLinhaDigitavel(b.LinhaDigitavel); got != tc.linha {
				t.Errorf("linha digitável %s, want %s", got, tc.linha)
			}
			if !b.DueDate.Equal(tc.charge.DueDate) || !b.Amount.Equal(tc.charge.Amount) || b.Bank != settings[tc.name].BankCode {
				t.Errorf("code parts %s %s %s, want %s %s", b.Bank, billing.FormatDate(b.DueDate), b.Amount, billing.FormatDate(tc.charge.DueDate), tc.charge.Amount)
			}
			// What an operator pastes back reads as the same code.
			for _, s := range []string{tc.linha, b.LinhaDigitavel, b.Barcode, " " + tc.linha + "\n"} {
				c, err := boleto.Parse(s)
				if err != nil {
					t.Fatalf("Parse(%q): %v", s, err)
				}
				if c.Barcode != b.Barcode || c.LinhaDigitavel != b.LinhaDigitavel || !c.DueDate.Equal(b.DueDate) || !c.Amount.Equal(b.Amount) || c.FreeField != b.FreeField || c.Factor != b.Factor {
					t.Fatalf("Parse(%q) = %+v, want %+v", s, c, b.Code)
				}
			}
			// The bank's return file names the boleto by its key.
			field := map[string]string{
				"bb":       tc.nn.Key + "   ",
				"itau":     "109" + tc.nn.Key + tc.nn.CheckDigit + "        ",
				"bradesco": "009" + "00000" + tc.nn.Key + tc.nn.CheckDigit,
				"template": tc.nn.Key + "     ",
			}[tc.name]
			if key, ok := is.Layout().ReturnKey(field); !ok || key != tc.nn.Key {
				t.Errorf("ReturnKey(%q) = %q, %v; want %q", field, key, ok, tc.nn.Key)
			}
		})
	}
}

func TestIssueRefuses(t *testing.T) {
	t.Parallel()
	is, err := boleto.NewIssuer(settings["itau"])
	if err != nil {
		t.Fatal(err)
	}
	ok := boleto.Charge{DueDate: day("2026-05-04"), Amount: money("10.00"), Sequence: 7}
	for _, tc := range []struct {
		name   string
		change func(*boleto.Charge)
		err    string
	}{
		{"before the base", func(c *boleto.Charge) { c.DueDate = day("2025-02-21") }, "charges[1].due_date: 2025-02-21 is before 2025-02-22, the first day of the due-date factor's post-2025 base (factor 1000)"},
		{"after the window", func(c *boleto.Charge) { c.DueDate = day("2050-01-01") }, "charges[1].due_date: 2050-01-01 is after 2049-10-13, the last day the due-date factor can express (factor 9999)"},
		{"zero amount", func(c *boleto.Charge) { c.Amount = decimal.Zero }, "charges[1].amount: must be positive, got 0"},
		{"fraction of a cent", func(c *boleto.Charge) { c.Amount = money("10.005") }, "charges[1].amount: want at most two decimal places, got 10.005"},
		{"too large", func(c *boleto.Charge) { c.Amount = money("100000000.00") }, "charges[1].amount: 100000000 exceeds 99999999.99, the largest amount a barcode carries"},
		{"sequence", func(c *boleto.Charge) { c.Sequence = 0 }, "charges[1].sequence: 0 is outside the nosso-número range 1..99999999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bad := ok
			tc.change(&bad)
			out, err := is.IssueAll([]boleto.Charge{ok, bad, ok})
			var fe *billing.FieldError
			if !errors.As(err, &fe) || err.Error() != tc.err || out != nil {
				t.Fatalf("IssueAll() = %d boletos, %v; want the FieldError %q", len(out), err, tc.err)
			}
		})
	}
	// The largest amount fits.
	if _, err := is.Issue(boleto.Charge{DueDate: day("2026-05-04"), Amount: money("99999999.99"), Sequence: 7}); err != nil {
		t.Fatalf("Issue(99999999.99): %v", err)
	}
}

// TestParsePublished reads boletos published with goleto/goleto's tests (boleto_test.go), whose
// factors fall on both sides of the 2025 restart, under the post-2025 base.
func TestParsePublished(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		barcode, linha, due, amount, free string
	}{
		{"70792119000000421480001121154691201045051738", "70790001182115469120410450517387211900000042148", "2025-08-31", "421.48", "0001121154691201045051738"},
		{"02197100000000368626566857200001797430402100", "02196566835720000179074304021004710000000036862", "2025-02-22", "368.62", "6566857200001797430402100"},
		{"02192100100000368626566857200001797430402100", "02196566835720000179074304021004210010000036862", "2025-02-23", "368.62", "6566857200001797430402100"},
		// Printed under the old base (2016-07-05, factor 6846): read under the new one, 24.6 years later.
		{"00191684600002246740000001474166000000032817", "00190000090147416600400000328179168460000224674", "2041-02-24", "2246.74", "0000001474166000000032817"},
	} {
		t.Run(tc.barcode, func(t *testing.T) {
			t.Parallel()
			for _, c := range []func() (boleto.Code, error){
				func() (boleto.Code, error) { return boleto.ParseBarcode(tc.barcode) },
				func() (boleto.Code, error) { return boleto.ParseLinhaDigitavel(tc.linha) },
				func() (boleto.Code, error) { return boleto.ParseLinhaDigitavel(boleto.FormatLinhaDigitavel(tc.linha)) },
			} {
				code, err := c()
				if err != nil {
					t.Fatal(err)
				}
				if code.Barcode != tc.barcode || code.LinhaDigitavel != tc.linha || billing.FormatDate(code.DueDate) != tc.due ||
					code.Amount.StringFixed(2) != tc.amount || code.FreeField != tc.free || code.Bank != tc.barcode[:3] {
					t.Fatalf("got %+v", code)
				}
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	const good = "00190.00009 01474.166004 00000.328179 1 13810000224674"
	for _, tc := range []struct {
		name, in, err string
		parse         func(string) (boleto.Code, error)
	}{
		{"field 1", "00190.00008 01474.166004 00000.328179 1 13810000224674", "linha_digitavel: field 1 check digit is 8, want 9", boleto.ParseLinhaDigitavel},
		{"field 2", "00190.00009 01474.166005 00000.328179 1 13810000224674", "linha_digitavel: field 2 check digit is 5, want 4", boleto.ParseLinhaDigitavel},
		{"field 3", "00190.00009 01474.166004 00000.328178 1 13810000224674", "linha_digitavel: field 3 check digit is 8, want 9", boleto.ParseLinhaDigitavel},
		{"general", "00190.00009 01474.166004 00000.328179 4 13810000224674", "linha_digitavel: general check digit is 4, want 1", boleto.ParseLinhaDigitavel},
		{"amount changed", "00190.00009 01474.166004 00000.328179 1 13810000224675", "linha_digitavel: general check digit is 1, want 7", boleto.ParseLinhaDigitavel},
		{"short", "00190.00009 01474.166004 00000.328179 1 1381000022467", "linha_digitavel: want 47 digits, got 46", boleto.ParseLinhaDigitavel},
		{"letter", "00190.0000x", `linha_digitavel: character 11 ('x') is not a digit, space or dot`, boleto.ParseLinhaDigitavel},
		{"barcode length", "0019513810000224674000000147416600000003281", `barcode: want 44 digits, got "0019513810000224674000000147416600000003281"`, boleto.ParseBarcode},
		{"barcode check digit", "00196138100002246740000001474166000000032817", "barcode: general check digit is 6, want 1", boleto.ParseBarcode},
		{"currency", "00105138100002246740000001474166000000032817", "barcode: currency code is 0, want 9 (real)", boleto.ParseBarcode},
		{"old factor", "00192050000002246740000001474166000000032817", "barcode: due-date factor 0500 is below 1000: under the post-2025 base a factor is 0000 (no due date) or 1000..9999", boleto.ParseBarcode},
		{"neither", "123", "boleto: want a 44-digit barcode or a 47-digit linha digitável, got 3 digits", boleto.Parse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.parse(tc.in)
			var fe *billing.FieldError
			if !errors.As(err, &fe) || err.Error() != tc.err {
				t.Fatalf("parse(%q) = %v, want the FieldError %q", tc.in, err, tc.err)
			}
		})
	}
	if _, err := boleto.ParseLinhaDigitavel(good); err != nil {
		t.Fatalf("the unaltered linha: %v", err)
	}
	// Factor 0000: a boleto without a due date.
	c, err := boleto.ParseBarcode("00194000000002246740000001474166000000032817")
	if err != nil || !c.DueDate.IsZero() || c.Factor != 0 {
		t.Fatalf("factor 0000: %+v, %v; want no due date", c, err)
	}
}
