package notifications

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// CollectionData is what a collection notice states so that it can be lawful (RGC
// 765/2023 art. 71: the amount owed, the suspension date, the consequences, how to
// restore the service): {{range .Collection.Installments}}{{.DueDate}} {{.AmountDue}}{{end}},
// {{.Collection.Total}}, {{.Collection.SuspensionDate}}. Dates are dd/mm/aaaa and money
// R$ 1.234,56; a date the ladder does not have is "" (test it with {{if}}).
type CollectionData struct {
	// OnDate is the day the amounts are computed for.
	OnDate string
	// Installments are the installments owed, oldest first.
	Installments []OwedInstallmentData
	// Total is what settles them all on OnDate.
	Total string
	// PartialSuspensionDate, SuspensionDate and TerminationDate are the ladder's dates
	// ("" when the ladder has no such step, or while it waits for the notice to be sent).
	PartialSuspensionDate string
	SuspensionDate        string
	TerminationDate       string
	// RestoreWithinDays and RestoreDeadline say how soon the service is restored after
	// the payment is known ("em até 1 dia após a confirmação do pagamento").
	RestoreWithinDays int
	RestoreDeadline   string
	// FinePercent and MonthlyInterestPercent are the late charges ("2,00%", "1,00%").
	FinePercent            string
	MonthlyInterestPercent string
}

// OwedInstallmentData is one installment a collection notice lists.
type OwedInstallmentData struct {
	ID int64
	// Number is "3/12" (sequence / installments per term), or "3" when the term is unknown.
	Number   string
	Sequence int
	DueDate  string
	// Amount, Discount, Fine, Interest and Paid are amount_due's parts; AmountDue is what
	// settles the installment on the notice's date.
	Amount    string
	Discount  string
	Fine      string
	Interest  string
	Paid      string
	AmountDue string
	// Instruments are how to pay it, where the installment has them.
	Instruments InstrumentData
}

// InstrumentData are an installment's payment instruments; "" where it has none.
type InstrumentData struct {
	DigitableLine string
	Barcode       string
	PixCopyPaste  string
}

// Collection is what NewCollectionData formats: the ladder's dates and, per installment
// owed, billing.AmountDueOn's figures on the notice's date.
type Collection struct {
	On                                               time.Time
	Installments                                     []OwedInstallment
	PartialSuspensionOn, SuspensionOn, TerminationOn time.Time
	RestoreWithinDays                                int
	Late                                             billing.LateRule
}

// OwedInstallment is one installment owed, with what it asks on the notice's date.
type OwedInstallment struct {
	ID                  int64
	Sequence            int
	InstallmentsPerTerm int
	DueDate             time.Time
	Due                 billing.AmountDue
	Instruments         InstrumentData
}

// NewCollectionData formats a collection notice's data in the Portuguese defaults.
func NewCollectionData(c Collection) CollectionData {
	out := CollectionData{
		OnDate: BRDate(c.On), PartialSuspensionDate: BRDate(c.PartialSuspensionOn), SuspensionDate: BRDate(c.SuspensionOn),
		TerminationDate: BRDate(c.TerminationOn), RestoreWithinDays: c.RestoreWithinDays,
		FinePercent: BRPercent(c.Late.FinePercent), MonthlyInterestPercent: BRPercent(c.Late.MonthlyInterestPercent),
	}
	if c.RestoreWithinDays > 0 {
		out.RestoreDeadline = fmt.Sprintf("em até %s após a confirmação do pagamento", BRDays(c.RestoreWithinDays))
	}
	total := decimal.Zero
	for _, in := range c.Installments {
		number := fmt.Sprint(in.Sequence)
		if in.InstallmentsPerTerm > 0 {
			number = fmt.Sprintf("%d/%d", in.Sequence, in.InstallmentsPerTerm)
		}
		due := in.Due
		out.Installments = append(out.Installments, OwedInstallmentData{
			ID: in.ID, Number: number, Sequence: in.Sequence, DueDate: BRDate(in.DueDate),
			Amount: BRL(due.Amount), Discount: BRL(due.Discount.Add(due.OnTimeDiscount)), Fine: BRL(due.Fine),
			Interest: BRL(due.Interest), Paid: BRL(due.Paid), AmountDue: BRL(due.Balance), Instruments: in.Instruments,
		})
		total = total.Add(due.Balance)
	}
	out.Total = BRL(total)
	return out
}

// BRPercent writes a percentage the Brazilian way: 2,00%.
func BRPercent(d decimal.Decimal) string {
	return strings.Replace(d.StringFixed(2), ".", ",", 1) + "%"
}

// BRDays writes a number of days in Portuguese: 1 dia, 15 dias.
func BRDays(n int) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d dia", n)
	}
	return fmt.Sprintf("%d dias", n)
}
