package pix

import (
	"errors"
	"fmt"

	"github.com/billingd/billingd/billing"
	"github.com/shopspring/decimal"
)

// Receiver is one business's PIX settings. Field errors name them "pix.key",
// "pix.receiver_name", "pix.city" and "pix.txid_prefix".
type Receiver struct {
	// Key is the business's PIX key as the DICT stores it.
	Key string
	// Name is the receiver's name; normalised (see NormalizeText), at most 25 characters.
	Name string
	// City is the receiver's city; normalised, at most 15 characters.
	City string
	// TxIDPrefix starts every txid of the business: 1 to 6 upper-case letters.
	TxIDPrefix string
}

// Validate checks the receiver and returns the first problem as a *billing.FieldError.
func (r Receiver) Validate() error {
	_, err := r.normalized()
	return err
}

// normalized validates r and returns it with its name and city normalised.
func (r Receiver) normalized() (Receiver, error) {
	if _, err := ValidateKey(r.Key); err != nil {
		return Receiver{}, err
	}
	name, err := NormalizeText("pix.receiver_name", r.Name, MaxNameLength)
	if err != nil {
		return Receiver{}, err
	}
	city, err := NormalizeText("pix.city", r.City, MaxCityLength)
	if err != nil {
		return Receiver{}, err
	}
	if err := ValidateTxIDPrefix(r.TxIDPrefix); err != nil {
		return Receiver{}, err
	}
	return Receiver{Key: r.Key, Name: name, City: city, TxIDPrefix: r.TxIDPrefix}, nil
}

// Charge is what one installment needs for its PIX payload.
type Charge struct {
	// InstallmentID is the installment's id; it makes the txid.
	InstallmentID int64
	// Amount is the amount due, positive with at most two decimals.
	Amount decimal.Decimal
}

// CopyPaste is the PIX instrument of one installment.
type CopyPaste struct {
	// TxID identifies the installment in the payment's notification.
	TxID string
	// BRCode is the copy-and-paste payload (also the content of the QR code).
	BRCode string
}

// Issuer makes payloads for one business's validated receiver; it is safe for concurrent use.
type Issuer struct {
	receiver Receiver
}

// NewIssuer validates and normalises the receiver once, or returns the first problem as a
// *billing.FieldError.
func NewIssuer(r Receiver) (*Issuer, error) {
	n, err := r.normalized()
	if err != nil {
		return nil, err
	}
	return &Issuer{receiver: n}, nil
}

// Receiver returns the issuer's receiver with its name and city normalised.
func (is *Issuer) Receiver() Receiver { return is.receiver }

// Issue makes the payload of one charge: the receiver's key, name and city, the amount and
// the installment's txid. A bad id or amount is a *billing.FieldError.
func (is *Issuer) Issue(c Charge) (CopyPaste, error) {
	txid, err := TxID(is.receiver.TxIDPrefix, c.InstallmentID)
	if err != nil {
		return CopyPaste{}, err
	}
	if c.Amount.Sign() <= 0 || !c.Amount.Equal(c.Amount.Round(2)) || len(c.Amount.StringFixed(2)) > 13 {
		return CopyPaste{}, billing.Fieldf("amount", "want a positive amount with at most two decimals and 13 characters, got %s", c.Amount.String())
	}
	code, err := Encode(Payload{
		Key:    is.receiver.Key,
		Amount: decimal.NewNullDecimal(c.Amount),
		Name:   is.receiver.Name,
		City:   is.receiver.City,
		TxID:   txid,
	})
	if err != nil {
		return CopyPaste{}, err
	}
	return CopyPaste{TxID: txid, BRCode: code}, nil
}

// IssueAll makes the payloads of a batch of charges, in order. The first bad charge fails the
// batch with a *billing.FieldError whose field names its index ("charges[3].amount").
func (is *Issuer) IssueAll(charges []Charge) ([]CopyPaste, error) {
	out := make([]CopyPaste, len(charges))
	for i, c := range charges {
		cp, err := is.Issue(c)
		if err != nil {
			var fe *billing.FieldError
			if errors.As(err, &fe) {
				return nil, &billing.FieldError{Field: fmt.Sprintf("charges[%d].%s", i, fe.Field), Reason: fe.Reason}
			}
			return nil, fmt.Errorf("charges[%d]: %w", i, err)
		}
		out[i] = cp
	}
	return out, nil
}
