package billing

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"
)

// MaxMoneyIntegerDigits is the largest number of integer digits ParseMoney accepts (a numeric(14,2) column).
const MaxMoneyIntegerDigits = 12

// ParseMoney parses a non-negative plain decimal amount with at most two decimal places.
//
// Accepted: "99.90", "100", "0.5", "0". Rejected, each with the reason in the
// error: empty, a sign, exponents, commas, spaces, "1." and ".5", leading
// zeros ("01"), more than two decimals and more than MaxMoneyIntegerDigits
// integer digits. The error does not name the field: the caller prefixes it.
func ParseMoney(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Decimal{}, errors.New(`must not be empty (want a plain decimal like "99.90")`)
	}
	if s[0] == '-' {
		return decimal.Decimal{}, fmt.Errorf("must not be negative, got %q", clip(s))
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !AllDigits(intPart) || (hasDot && !AllDigits(frac)) {
		return decimal.Decimal{}, fmt.Errorf(`invalid amount %q: want a plain decimal like "99.90" (digits, optionally "." and one or two decimals)`, clip(s))
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return decimal.Decimal{}, fmt.Errorf("must not have leading zeros, got %q", clip(s))
	}
	if len(intPart) > MaxMoneyIntegerDigits {
		return decimal.Decimal{}, fmt.Errorf("must have at most %d integer digits, got %d", MaxMoneyIntegerDigits, len(intPart))
	}
	if len(frac) > 2 {
		return decimal.Decimal{}, fmt.Errorf("must have at most two decimal places, got %q", clip(s))
	}
	d, err := decimal.NewFromString(s)
	if err != nil { // unreachable after the checks above; kept for safety
		return decimal.Decimal{}, fmt.Errorf("invalid amount %q: %w", clip(s), err)
	}
	return d, nil
}

// RoundCents rounds d to two decimal places, half away from zero (0.005 → 0.01, −0.005 → −0.01).
func RoundCents(d decimal.Decimal) decimal.Decimal {
	return d.Round(2)
}

// SplitExact splits total into n parts that add up to total exactly, with the remainder cents on the first part.
//
// 100.00 in 3 gives 33.34, 33.33, 33.33; 0.02 in 3 gives 0.02, 0.00, 0.00.
// It fails when n < 1, total is negative or total has more than two decimals.
func SplitExact(total decimal.Decimal, n int) ([]decimal.Decimal, error) {
	if n < 1 {
		return nil, fmt.Errorf("split into %d parts: want at least 1", n)
	}
	if total.Sign() < 0 {
		return nil, fmt.Errorf("split %s: total must not be negative", total.String())
	}
	cents := total.Shift(2)
	if !cents.Equal(cents.Truncate(0)) {
		return nil, fmt.Errorf("split %s: total must have at most two decimal places", total.String())
	}
	q, r := new(big.Int).QuoRem(cents.BigInt(), big.NewInt(int64(n)), new(big.Int))
	base := decimal.NewFromBigInt(q, -2)
	parts := make([]decimal.Decimal, n)
	parts[0] = decimal.NewFromBigInt(new(big.Int).Add(q, r), -2)
	for i := 1; i < n; i++ {
		parts[i] = base
	}
	return parts, nil
}

// FormatMoney formats d with exactly two decimal places ("33.40"), rounding half away from zero.
func FormatMoney(d decimal.Decimal) string {
	return d.StringFixed(2)
}

// AllDigits reports whether s is non-empty and only ASCII digits: the test every numeric
// field of the payment formats (boleto, PIX, CNAB 240) and every decimal string passes.
func AllDigits[T string | []byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
