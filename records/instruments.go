package records

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/pix"
)

// PaymentSettings are the business's instrument settings: its boleto settings at its bank and
// its PIX receiver. A nil part makes no instrument of that kind; both nil, installments have
// no instruments.
type PaymentSettings struct {
	Boleto *boleto.Settings
	PIX    *pix.Receiver
}

// Instruments are how an installment is paid: its boleto (nosso número, barcode, linha
// digitável) and its PIX copy-and-paste with its txid, each "" where the business's settings
// make none. Amount and DueDate are what the codes carry.
type Instruments struct {
	Amount             decimal.Decimal
	DueDate            time.Time
	BankCode           string
	NossoNumero        string
	NossoNumeroPrinted string
	Barcode            string
	LinhaDigitavel     string
	TxID               string
	PixCopyPaste       string
	MadeAt             time.Time
}
