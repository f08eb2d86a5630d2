package pix

import (
	"strconv"

	"github.com/billingd/billingd/billing"
)

// MaxTxIDPrefix is the longest txid prefix: with the 19 digits of the largest installment id
// it makes a txid of 25 characters, the most field 62-05 holds.
const MaxTxIDPrefix = 6

// ValidateTxIDPrefix checks a business's txid prefix: 1 to MaxTxIDPrefix upper-case letters
// A–Z; otherwise a *billing.FieldError on "pix.txid_prefix".
func ValidateTxIDPrefix(prefix string) error {
	if prefix == "" || len(prefix) > MaxTxIDPrefix {
		return billing.Fieldf("pix.txid_prefix", "want 1 to %d upper-case letters, got %q", MaxTxIDPrefix, prefix)
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; c < 'A' || c > 'Z' {
			return billing.Fieldf("pix.txid_prefix", "want 1 to %d upper-case letters A-Z, got %q", MaxTxIDPrefix, prefix)
		}
	}
	return nil
}

// TxID returns the txid of installment id under a business's prefix: the prefix followed by
// the id in decimal ("BLD1234567"). It fails on a bad prefix or an id below 1.
func TxID(prefix string, installmentID int64) (string, error) {
	if err := ValidateTxIDPrefix(prefix); err != nil {
		return "", err
	}
	if installmentID < 1 {
		return "", billing.Fieldf("installment_id", "must be at least 1, got %d", installmentID)
	}
	return prefix + strconv.FormatInt(installmentID, 10), nil
}

// ParseTxID returns the installment id a txid made by TxID under prefix carries; ok is false
// for any other txid (another prefix, leading zeros, letters after the prefix, overflow).
func ParseTxID(prefix, txid string) (installmentID int64, ok bool) {
	if len(txid) <= len(prefix) || txid[:len(prefix)] != prefix || ValidateTxIDPrefix(prefix) != nil {
		return 0, false
	}
	digits := txid[len(prefix):]
	if digits[0] == '0' || !billing.AllDigits(digits) {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	return id, true
}
