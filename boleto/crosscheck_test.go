package boleto_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/boleto"
	"github.com/shopspring/decimal"
)

// This file is a second implementation of the check digits, written differently from the
// package's (weights spelled out per position, a doubling table for modulo 10, the barcode
// re-read from the linha digitável by field positions), used to verify every boleto the
// package makes.

// refBarcodeWeights are the modulo-11 weights of the 43 barcode digits (position 5 removed),
// from the left: 2, 3, …, 9 repeating from the right end.
const refBarcodeWeights = "432" + "98765432" + "98765432" + "98765432" + "98765432" + "98765432"

// refBarcodeDigit is the general check digit as the FEBRABAN layout describes it.
func refBarcodeDigit(b43 string) string {
	sum := 0
	for i := range b43 {
		sum += int(b43[i]-'0') * int(refBarcodeWeights[i]-'0')
	}
	switch dv := 11 - sum%11; dv {
	case 0, 10, 11:
		return "1"
	default:
		return fmt.Sprint(dv)
	}
}

// refDoubled is the digit sum of 2×d for d = 0..9.
var refDoubled = [10]int{0, 2, 4, 6, 8, 1, 3, 5, 7, 9}

// refMod10 doubles every other digit starting from the rightmost.
func refMod10(s string) string {
	sum := 0
	for i := range s {
		d := int(s[i] - '0')
		if (len(s)-1-i)%2 == 0 {
			d = refDoubled[d]
		}
		sum += d
	}
	return fmt.Sprint((10 - sum%10) % 10)
}

// refBradescoDigit is Bradesco's nosso-número digit over carteira (2) + nosso número (11).
func refBradescoDigit(s string) string {
	const weights = "2765432765432"
	sum := 0
	for i := range s {
		sum += int(s[i]-'0') * int(weights[i]-'0')
	}
	switch r := sum % 11; r {
	case 0:
		return "0"
	case 1:
		return "P"
	default:
		return fmt.Sprint(11 - r)
	}
}

// refVerify checks a boleto's linha digitável and barcode with the reference implementation.
func refVerify(t *testing.T, b boleto.Boleto, due time.Time, amount decimal.Decimal) {
	t.Helper()
	l := b.LinhaDigitavel
	fields := []string{l[0:10], l[10:21], l[21:32]}
	for i, f := range fields {
		if got, want := f[len(f)-1:], refMod10(f[:len(f)-1]); got != want {
			t.Fatalf("%s: field %d check digit %s, reference %s", l, i+1, got, want)
		}
	}
	bc := b.Barcode
	if bc != l[0:4]+l[32:33]+l[33:47]+l[4:9]+l[10:20]+l[21:31] {
		t.Fatalf("barcode %s is not linha %s rearranged", bc, l)
	}
	if got, want := bc[4:5], refBarcodeDigit(bc[:4]+bc[5:]); got != want {
		t.Fatalf("%s: general check digit %s, reference %s", bc, got, want)
	}
	days := int(due.Sub(time.Date(1997, 10, 7, 0, 0, 0, 0, time.UTC)).Hours()/24) - 9000 // the 2025 restart moved the base 9000 days on
	if got, want := bc[5:9], fmt.Sprintf("%04d", days); got != want {
		t.Fatalf("%s: factor %s, reference %s", bc, got, want)
	}
	if got, want := bc[9:19], fmt.Sprintf("%010s", strings.Replace(amount.StringFixed(2), ".", "", 1)); got != want {
		t.Fatalf("%s: amount %s, reference %s", bc, got, want)
	}
}

func TestCrosscheckIssued(t *testing.T) {
	t.Parallel()
	for name, s := range settings {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(1, uint64(len(name))))
			is, err := boleto.NewIssuer(s)
			if err != nil {
				t.Fatal(err)
			}
			for range 2000 {
				c := boleto.Charge{
					DueDate:  boleto.FactorBase.AddDate(0, 0, rng.IntN(9000)),
					Amount:   decimal.New(rng.Int64N(9_999_999_999)+1, -2),
					Sequence: s.FirstSequence + rng.Int64N(s.LastSequence-s.FirstSequence+1),
				}
				b, err := is.Issue(c)
				if err != nil {
					t.Fatalf("Issue(%+v): %v", c, err)
				}
				refVerify(t, b, c.DueDate, c.Amount)
				free := b.FreeField
				switch name {
				case "itau":
					nn := fmt.Sprintf("%08d", c.Sequence)
					if want := "109" + nn + refMod10(s.Agency+s.Account+"109"+nn) + s.Agency + s.Account + refMod10(s.Agency+s.Account) + "000"; free != want {
						t.Fatalf("itaú free field %s, reference %s", free, want)
					}
				case "bradesco":
					nn := fmt.Sprintf("%011d", c.Sequence)
					if want := s.Agency + s.Wallet + nn + fmt.Sprintf("%07s", s.Account) + "0"; free != want {
						t.Fatalf("bradesco free field %s, reference %s", free, want)
					}
					if got, want := b.NossoNumero.CheckDigit, refBradescoDigit(s.Wallet+nn); got != want {
						t.Fatalf("bradesco nosso número %s digit %s, reference %s", nn, got, want)
					}
				case "bb":
					if want := "000000" + s.Convenio + fmt.Sprintf("%010d", c.Sequence) + s.Wallet; free != want {
						t.Fatalf("bb free field %s, reference %s", free, want)
					}
				}
			}
		})
	}
}

// TestCrosscheckBradescoPublished pins Bradesco's nosso-número digit against the examples of
// brcobranca spec/brcobranca/boleto/bradesco_spec.rb ("Montar nosso_numero_boleto").
func TestCrosscheckBradescoPublished(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ wallet, nn, printed string }{
		{"06", "00000000525", "06/00000000525-P"},
		{"09", "00000000001", "09/00000000001-1"},
		{"19", "00000000002", "19/00000000002-8"},
		{"19", "00000000006", "19/00000000006-0"},
		{"19", "00000000001", "19/00000000001-P"},
	} {
		s := settings["bradesco"]
		s.Wallet = tc.wallet
		is, err := boleto.NewIssuer(s)
		if err != nil {
			t.Fatal(err)
		}
		seq, err := strconv.ParseInt(tc.nn, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		b, err := is.Issue(boleto.Charge{DueDate: boleto.FactorBase, Amount: decimal.NewFromInt(1), Sequence: seq})
		if err != nil {
			t.Fatal(err)
		}
		if b.NossoNumero.Printed != tc.printed || refBradescoDigit(tc.wallet+tc.nn) != tc.printed[len(tc.printed)-1:] {
			t.Errorf("nosso número %s, reference %s, published %s", b.NossoNumero.Printed, refBradescoDigit(tc.wallet+tc.nn), tc.printed)
		}
	}
}
