package postgres

import (
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// numericTexts returns ds as decimal texts that PostgreSQL reads as the same numerics, their
// scale kept (99.90, not 99.9), for a statement that casts them ($n::text[]::numeric[]).
// A large batch passes its amounts so: pgx's binary encoding of a decimal goes through
// big.Int, 1.2 µs a value against 0.14 µs for its text, and a 5,000-settlement chunk of a
// return file passes ten such arrays.
func numericTexts(ds []decimal.Decimal) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = numericText(d)
	}
	return out
}

// nullNumericTexts is numericTexts of nullable decimals (NULL stays NULL).
func nullNumericTexts(ds []decimal.NullDecimal) []pgtype.Text {
	out := make([]pgtype.Text, len(ds))
	for i, d := range ds {
		if d.Valid {
			out[i] = pgtype.Text{String: numericText(d.Decimal), Valid: true}
		}
	}
	return out
}

// numericText is d as PostgreSQL reads it back: its digits at its own scale.
func numericText(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}
