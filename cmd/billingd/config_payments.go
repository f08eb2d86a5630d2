package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/pix"
)

// paymentSettings are the settings of payments in: the business's boleto and PIX settings
// (instruments are made only when they are set), the drop directory of bank return files and
// the PIX webhook's secret. They are read after the others (Settings appends them).
func paymentSettings() []Setting {
	bank := func(name, doc string, field func(s *boleto.Settings) *string) Setting {
		return text(name, "", func(c *Config, v string) error {
			if v != "" {
				*field(c.bankSettings()) = v
			}
			return nil
		}, doc)
	}
	sequence := func(name, doc string, field func(s *boleto.Settings) *int64) Setting {
		return text(name, "", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return fmt.Errorf("want a whole number from 1, got %q", v)
			}
			*field(c.bankSettings()) = n
			return nil
		}, doc)
	}
	pixText := func(name, doc string, field func(r *pix.Receiver) *string) Setting {
		return text(name, "", func(c *Config, v string) error {
			if v != "" {
				*field(c.pixReceiver()) = v
			}
			return nil
		}, doc)
	}
	return []Setting{
		bank("BILLINGD_BANK_CODE", "the business's bank for boletos, three digits (001 Banco do Brasil, 237 Bradesco, 341 Itaú; another with BILLINGD_BANK_FREE_FIELD_TEMPLATE); "+
			"empty with every other BILLINGD_BANK_* setting: installments have no boleto",
			func(s *boleto.Settings) *string { return &s.BankCode }),
		bank("BILLINGD_BANK_AGENCY", "the agência, four digits without its check digit", func(s *boleto.Settings) *string { return &s.Agency }),
		bank("BILLINGD_BANK_ACCOUNT", "the conta corrente, without its check digit", func(s *boleto.Settings) *string { return &s.Account }),
		bank("BILLINGD_BANK_WALLET", "the carteira of the collection contract (e.g. 17, 09, 109)", func(s *boleto.Settings) *string { return &s.Wallet }),
		bank("BILLINGD_BANK_CONVENIO", "the convênio, where the layout carries one (Banco do Brasil: 7 digits)", func(s *boleto.Settings) *string { return &s.Convenio }),
		sequence("BILLINGD_BANK_NOSSO_NUMERO_FIRST", "first nosso-número sequence number the bank assigned to the business (each installment takes the next one)",
			func(s *boleto.Settings) *int64 { return &s.FirstSequence }),
		sequence("BILLINGD_BANK_NOSSO_NUMERO_LAST", "last nosso-número sequence number the bank assigned; generation fails, naming it, once the range is used up",
			func(s *boleto.Settings) *int64 { return &s.LastSequence }),
		bank("BILLINGD_BANK_FREE_FIELD_TEMPLATE", "the free field's layout spelled in letters for a bank without a built-in layout (see docs/payments.md); empty: the bank's built-in layout",
			func(s *boleto.Settings) *string { return &s.FreeFieldTemplate }).
			then(func(c *Config) error {
				if c.Payments.Boleto == nil {
					return nil
				}
				return settingError("BILLINGD_BANK_", c.Payments.Boleto.Validate())
			}),
		pixText("BILLINGD_PIX_KEY", "the business's PIX key as the DICT stores it (CPF, CNPJ, e-mail, +55 phone or random key); empty with every other BILLINGD_PIX_* setting: installments have no PIX payload",
			func(r *pix.Receiver) *string { return &r.Key }),
		pixText("BILLINGD_PIX_RECEIVER_NAME", "the receiver's name in the PIX payload (at most 25 characters once accents are removed)", func(r *pix.Receiver) *string { return &r.Name }),
		pixText("BILLINGD_PIX_CITY", "the receiver's city in the PIX payload (at most 15 characters once accents are removed)", func(r *pix.Receiver) *string { return &r.City }),
		pixText("BILLINGD_PIX_TXID_PREFIX", "1 to 6 upper-case letters starting every txid (the txid is the prefix and the installment id)", func(r *pix.Receiver) *string { return &r.TxIDPrefix }).
			then(func(c *Config) error {
				if c.Payments.PIX == nil {
					return nil
				}
				return settingError("BILLINGD_PIX_", c.Payments.PIX.Validate())
			}),
		text("BILLINGD_PAYMENT_DROP_DIR", "", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if st, err := os.Stat(v); err != nil || !st.IsDir() {
				return fmt.Errorf("want an existing directory, got %q", v)
			}
			c.PaymentDropDir = v
			return nil
		}, "directory import-payments takes bank return files (CNAB 240) from: each is stored, imported and moved to its done/ subdirectory, "+
			"or to refused/ with a .error file when malformed; empty: no drop directory, and import-payments is not scheduled (files come by "+
			"POST /v1/payment-files only, each upload enqueuing its own run)"),
		text("BILLINGD_PIX_WEBHOOK_SECRET", "", func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return errors.New("too short: use at least 16 characters")
			}
			c.PixWebhookSecret = v
			return nil
		}, "the secret the PSP sends in the X-Webhook-Secret header of POST /v1/pix/webhook (at least 16 characters); empty: the webhook answers 404").secret(),
	}
}

// bankSettings returns the boleto settings being read, making them on the first bank setting.
func (c *Config) bankSettings() *boleto.Settings {
	if c.Payments.Boleto == nil {
		c.Payments.Boleto = &boleto.Settings{}
	}
	return c.Payments.Boleto
}

// pixReceiver returns the PIX receiver being read, making it on the first PIX setting.
func (c *Config) pixReceiver() *pix.Receiver {
	if c.Payments.PIX == nil {
		c.Payments.PIX = &pix.Receiver{}
	}
	return c.Payments.PIX
}

// settingError names the environment variable of a *billing.FieldError of the boleto or pix
// settings ("bank.agency" → BILLINGD_BANK_AGENCY).
func settingError(prefix string, err error) error {
	var fe *billing.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	_, name, _ := strings.Cut(fe.Field, ".")
	return &configError{setting: prefix + strings.ToUpper(name), err: errors.New(fe.Reason)}
}
