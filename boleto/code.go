package boleto

import (
	"strconv"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/shopspring/decimal"
)

// Lengths of the two textual forms of a boleto.
const (
	// BarcodeLength is the number of digits of a barcode.
	BarcodeLength = 44
	// LinhaDigitavelLength is the number of digits of a linha digitável, without separators.
	LinhaDigitavelLength = 47
)

// maxCents is the largest amount the barcode's ten amount digits carry: 99,999,999.99.
const maxCents = 9_999_999_999

// Code is a boleto's barcode decoded into its parts, with both textual forms.
type Code struct {
	// Bank is the three-digit bank code (compe), e.g. "001".
	Bank string
	// Factor is the due-date factor; 0 for a boleto without a due date.
	Factor int
	// DueDate is the day Factor names under the post-2025 base; zero when Factor is 0.
	DueDate time.Time
	// Amount is the amount in reais with two decimals; zero for a boleto whose payer types it.
	Amount decimal.Decimal
	// FreeField is the bank's 25 digits (positions 20–44 of the barcode).
	FreeField string
	// Barcode is the 44-digit barcode.
	Barcode string
	// LinhaDigitavel is the 47-digit linha digitável without separators.
	LinhaDigitavel string
}

// NewCode assembles the barcode and linha digitável of a boleto of bank, due on due, for
// amount, with the bank's 25-digit free field.
//
// It refuses a bank that is not three digits, a due date outside the post-2025 factor window,
// an amount that is negative, has more than two decimals or exceeds 99,999,999.99, and a free
// field that is not 25 digits, each with a *billing.FieldError.
func NewCode(bank string, due time.Time, amount decimal.Decimal, freeField string) (Code, error) {
	if len(bank) != 3 || !billing.AllDigits(bank) {
		return Code{}, billing.Fieldf("bank.code", "want 3 digits, got %q", bank)
	}
	factor, err := DueFactor(due)
	if err != nil {
		return Code{}, err
	}
	cents, err := amountCents(amount)
	if err != nil {
		return Code{}, err
	}
	if len(freeField) != 25 || !billing.AllDigits(freeField) {
		return Code{}, billing.Fieldf("free_field", "want 25 digits, got %q", freeField)
	}
	y, m, d := due.Date()
	bc := assembleBarcode(bank, factor, cents, freeField)
	return Code{
		Bank:           bank,
		Factor:         factor,
		DueDate:        time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		Amount:         decimal.New(cents, -2),
		FreeField:      freeField,
		Barcode:        bc,
		LinhaDigitavel: linhaFromBarcode(bc),
	}, nil
}

// amountCents returns amount in cents, refusing negative amounts, fractions of a cent and
// amounts beyond the barcode's ten digits.
func amountCents(amount decimal.Decimal) (int64, error) {
	cents := amount.Shift(2)
	switch {
	case amount.Sign() < 0:
		return 0, billing.Fieldf("amount", "must not be negative, got %s", amount.String())
	case !cents.Equal(cents.Truncate(0)):
		return 0, billing.Fieldf("amount", "want at most two decimal places, got %s", amount.String())
	case cents.GreaterThan(decimal.NewFromInt(maxCents)):
		return 0, billing.Fieldf("amount", "%s exceeds 99999999.99, the largest amount a barcode carries", amount.String())
	}
	return cents.IntPart(), nil
}

// assembleBarcode writes the 44-digit barcode from its parts, computing the general check digit.
func assembleBarcode(bank string, factor int, cents int64, freeField string) string {
	b := make([]byte, 0, BarcodeLength)
	b = append(b, bank...)
	b = append(b, '9', '0') // the check digit's place, set below
	b = appendPadded(b, strconv.Itoa(factor), 4)
	b = appendPadded(b, strconv.FormatInt(cents, 10), 10)
	b = append(b, freeField...)
	b[4] = barcodeCheckDigit(string(b[:4]) + string(b[5:]))
	return string(b)
}

// linhaFromBarcode rearranges a valid 44-digit barcode into the 47-digit linha digitável.
func linhaFromBarcode(bc string) string {
	f1 := bc[0:4] + bc[19:24]
	f2 := bc[24:34]
	f3 := bc[34:44]
	var b strings.Builder
	b.Grow(LinhaDigitavelLength)
	b.WriteString(f1)
	b.WriteByte(mod10(f1))
	b.WriteString(f2)
	b.WriteByte(mod10(f2))
	b.WriteString(f3)
	b.WriteByte(mod10(f3))
	b.WriteByte(bc[4])
	b.WriteString(bc[5:19])
	return b.String()
}

// barcodeFromLinha rearranges a 47-digit linha digitável into the barcode (check digits not verified).
func barcodeFromLinha(l string) string {
	return l[0:4] + l[32:33] + l[33:47] + l[4:9] + l[10:20] + l[21:31]
}

// FormatLinhaDigitavel writes a 47-digit linha digitável the way it is printed:
// "00190.00009 01474.166004 00000.328179 1 68460000224674". Any other input is returned unchanged.
func FormatLinhaDigitavel(l string) string {
	if len(l) != LinhaDigitavelLength || !billing.AllDigits(l) {
		return l
	}
	return l[0:5] + "." + l[5:10] + " " + l[10:15] + "." + l[15:21] + " " + l[21:26] + "." + l[26:32] + " " + l[32:33] + " " + l[33:47]
}

// Parse reads a barcode (44 digits) or a linha digitável (47 digits), as pasted by an
// operator: surrounding white space, and spaces and dots between digits, are ignored.
func Parse(s string) (Code, error) {
	d, err := digitsOf("boleto", s)
	if err != nil {
		return Code{}, err
	}
	switch len(d) {
	case BarcodeLength:
		return parseBarcodeDigits("boleto", d)
	case LinhaDigitavelLength:
		return parseLinhaDigits("boleto", d)
	}
	return Code{}, billing.Fieldf("boleto", "want a 44-digit barcode or a 47-digit linha digitável, got %d digits", len(d))
}

// ParseBarcode reads a 44-digit barcode, verifying its general check digit, currency and
// due-date factor. Surrounding white space is ignored.
func ParseBarcode(s string) (Code, error) {
	d := strings.TrimSpace(s)
	if len(d) != BarcodeLength || !billing.AllDigits(d) {
		return Code{}, billing.Fieldf("barcode", "want %d digits, got %q", BarcodeLength, clip(d))
	}
	return parseBarcodeDigits("barcode", d)
}

// ParseLinhaDigitavel reads a 47-digit linha digitável, verifying the check digits of its
// first three fields, the general check digit, currency and due-date factor. Surrounding
// white space, and spaces and dots between digits, are ignored.
func ParseLinhaDigitavel(s string) (Code, error) {
	d, err := digitsOf("linha_digitavel", s)
	if err != nil {
		return Code{}, err
	}
	if len(d) != LinhaDigitavelLength {
		return Code{}, billing.Fieldf("linha_digitavel", "want %d digits, got %d", LinhaDigitavelLength, len(d))
	}
	return parseLinhaDigits("linha_digitavel", d)
}

// digitsOf returns the digits of s, ignoring surrounding white space and the spaces and dots
// that separate the printed fields; any other character is refused.
func digitsOf(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '.':
		default:
			return "", billing.Fieldf(field, "character %d (%q) is not a digit, space or dot", i+1, rune(c))
		}
	}
	return b.String(), nil
}

// parseLinhaDigits verifies the three field check digits of a 47-digit linha digitável and
// reads the barcode it rearranges.
func parseLinhaDigits(field, l string) (Code, error) {
	fields := [3]struct{ body, dv string }{{l[0:9], l[9:10]}, {l[10:20], l[20:21]}, {l[21:31], l[31:32]}}
	for i, f := range fields {
		if want := mod10(f.body); f.dv[0] != want {
			return Code{}, billing.Fieldf(field, "field %d check digit is %s, want %c", i+1, f.dv, want)
		}
	}
	return parseBarcodeDigits(field, barcodeFromLinha(l))
}

// parseBarcodeDigits verifies a 44-digit barcode and decodes it.
func parseBarcodeDigits(field, bc string) (Code, error) {
	if bc[3] != '9' {
		return Code{}, billing.Fieldf(field, "currency code is %c, want 9 (real)", bc[3])
	}
	if want := barcodeCheckDigit(bc[:4] + bc[5:]); bc[4] != want {
		return Code{}, billing.Fieldf(field, "general check digit is %c, want %c", bc[4], want)
	}
	factor, _ := strconv.Atoi(bc[5:9])
	if factor != 0 && factor < MinFactor {
		return Code{}, billing.Fieldf(field, "due-date factor %04d is below %d: under the post-2025 base a factor is 0000 (no due date) or %d..%d", factor, MinFactor, MinFactor, MaxFactor)
	}
	due, _ := FactorDate(factor) // 0 or 1000..9999: never an error
	cents, _ := strconv.ParseInt(bc[9:19], 10, 64)
	return Code{
		Bank:           bc[0:3],
		Factor:         factor,
		DueDate:        due,
		Amount:         decimal.New(cents, -2),
		FreeField:      bc[19:44],
		Barcode:        bc,
		LinhaDigitavel: linhaFromBarcode(bc),
	}, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
