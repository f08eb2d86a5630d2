package boleto

import (
	"github.com/billingd/billingd/billing"
)

// Settings are one business's boleto settings at its bank. Field errors name them as
// "bank.code", "bank.agency", "bank.account", "bank.wallet", "bank.convenio",
// "bank.nosso_numero_first", "bank.nosso_numero_last" and "bank.free_field_template".
type Settings struct {
	// BankCode is the three-digit bank code (compe): "001" Banco do Brasil, "237" Bradesco, "341" Itaú.
	BankCode string
	// Agency is the four-digit agência, without its check digit.
	Agency string
	// Account is the conta corrente without its check digit; layouts left-pad it with zeros.
	Account string
	// Wallet is the carteira of the collection contract ("17", "09", "109").
	Wallet string
	// Convenio is the collection agreement number where the layout carries one (Banco do Brasil: 7 digits).
	Convenio string
	// FirstSequence and LastSequence bound the nosso-número sequence numbers the bank assigned
	// to the business; every installment gets its own number in this range.
	FirstSequence, LastSequence int64
	// FreeFieldTemplate, when set, selects the generic TemplateLayout for any bank instead of
	// the built-in layout of BankCode (see TemplateLayout for its letters).
	FreeFieldTemplate string
}

// Layout returns the layout the settings select: the generic template when
// FreeFieldTemplate is set, otherwise the built-in layout of BankCode.
func (s Settings) Layout() (Layout, error) {
	if s.FreeFieldTemplate != "" {
		return NewTemplateLayout(s.FreeFieldTemplate)
	}
	if len(s.BankCode) != 3 || !billing.AllDigits(s.BankCode) {
		return nil, billing.Fieldf("bank.code", "want 3 digits, got %q", s.BankCode)
	}
	l, ok := builtinLayouts[s.BankCode]
	if !ok {
		return nil, billing.Fieldf("bank.code", "no built-in boleto layout for bank %s (built in: 001, 237, 341); set bank.free_field_template", s.BankCode)
	}
	return l, nil
}

// Validate checks the settings against the layout they select and returns the first problem
// as a *billing.FieldError.
func (s Settings) Validate() error {
	_, err := s.validated()
	return err
}

// validated checks the settings and returns their layout.
func (s Settings) validated() (Layout, error) {
	if len(s.BankCode) != 3 || !billing.AllDigits(s.BankCode) {
		return nil, billing.Fieldf("bank.code", "want 3 digits, got %q", s.BankCode)
	}
	if len(s.Agency) != 4 || !billing.AllDigits(s.Agency) {
		return nil, billing.Fieldf("bank.agency", "want 4 digits, got %q", s.Agency)
	}
	l, err := s.Layout()
	if err != nil {
		return nil, err
	}
	if err := l.Validate(s); err != nil {
		return nil, err
	}
	switch max := l.MaxSequence(); {
	case s.FirstSequence < 1:
		return nil, billing.Fieldf("bank.nosso_numero_first", "must be at least 1, got %d", s.FirstSequence)
	case s.LastSequence < s.FirstSequence:
		return nil, billing.Fieldf("bank.nosso_numero_last", "%d is below bank.nosso_numero_first %d", s.LastSequence, s.FirstSequence)
	case s.LastSequence > max:
		return nil, billing.Fieldf("bank.nosso_numero_last", "%d exceeds %d, the largest sequence the %s layout carries", s.LastSequence, max, l.Name())
	}
	return l, nil
}

// checkDigits returns a FieldError unless v is between 1 and max ASCII digits.
func checkDigits(field, v string, max int) error {
	if v == "" || len(v) > max || !billing.AllDigits(v) {
		return billing.Fieldf(field, "want 1 to %d digits, got %q", max, v)
	}
	return nil
}

// checkExactDigits returns a FieldError unless v is exactly n ASCII digits.
func checkExactDigits(field, v string, n int) error {
	if len(v) != n || !billing.AllDigits(v) {
		return billing.Fieldf(field, "want %d digits, got %q", n, v)
	}
	return nil
}

// checkWallet returns a FieldError unless wallet is one of allowed (any when allowed is empty).
func checkWallet(layout, wallet string, allowed []string) error {
	if len(allowed) == 0 {
		return nil
	}
	for _, a := range allowed {
		if wallet == a {
			return nil
		}
	}
	return billing.Fieldf("bank.wallet", "carteira %q is not supported by the %s layout (want one of %v)", wallet, layout, allowed)
}
