package boleto

import (
	"errors"
	"fmt"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/shopspring/decimal"
)

// Charge is what one installment needs for its boleto.
type Charge struct {
	// DueDate is the installment's due date (its civil date is used).
	DueDate time.Time
	// Amount is the amount due, with at most two decimals.
	Amount decimal.Decimal
	// Sequence is the nosso-número sequence number allocated to the installment, within the
	// settings' FirstSequence..LastSequence.
	Sequence int64
}

// Boleto is the payment instrument of one installment: its nosso número and its code.
type Boleto struct {
	// NossoNumero identifies the boleto at the bank.
	NossoNumero NossoNumero
	// Code holds the barcode, the linha digitável and the parts they carry.
	Code
}

// Issuer makes boletos under one business's validated settings; it holds no other state and
// is safe for concurrent use.
type Issuer struct {
	settings Settings
	layout   Layout
}

// NewIssuer validates settings once and returns an Issuer for them, or the first problem as a
// *billing.FieldError.
func NewIssuer(s Settings) (*Issuer, error) {
	l, err := s.validated()
	if err != nil {
		return nil, err
	}
	return &Issuer{settings: s, layout: l}, nil
}

// Settings returns the issuer's settings.
func (is *Issuer) Settings() Settings { return is.settings }

// Layout returns the layout the issuer's settings selected.
func (is *Issuer) Layout() Layout { return is.layout }

// Issue makes the boleto of one charge. A sequence outside the settings' range, a due date
// outside the factor window and a bad amount are *billing.FieldError values.
func (is *Issuer) Issue(c Charge) (Boleto, error) {
	if c.Sequence < is.settings.FirstSequence || c.Sequence > is.settings.LastSequence {
		return Boleto{}, billing.Fieldf("sequence", "%d is outside the nosso-número range %d..%d",
			c.Sequence, is.settings.FirstSequence, is.settings.LastSequence)
	}
	if c.Amount.Sign() <= 0 {
		return Boleto{}, billing.Fieldf("amount", "must be positive, got %s", c.Amount.String())
	}
	nn, free := is.layout.Compose(is.settings, c.Sequence)
	code, err := NewCode(is.settings.BankCode, c.DueDate, c.Amount, free)
	if err != nil {
		return Boleto{}, err
	}
	return Boleto{NossoNumero: nn, Code: code}, nil
}

// IssueAll makes the boletos of a batch of charges, in order. The first bad charge fails the
// batch with a *billing.FieldError whose field names its index ("charges[3].due_date").
func (is *Issuer) IssueAll(charges []Charge) ([]Boleto, error) {
	out := make([]Boleto, len(charges))
	for i, c := range charges {
		b, err := is.Issue(c)
		if err != nil {
			var fe *billing.FieldError
			if errors.As(err, &fe) {
				return nil, &billing.FieldError{Field: fmt.Sprintf("charges[%d].%s", i, fe.Field), Reason: fe.Reason}
			}
			return nil, fmt.Errorf("charges[%d]: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}
