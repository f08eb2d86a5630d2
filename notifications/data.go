// Package notifications renders the e-mails billingd sends: the welcome e-mail and the billing
// notices (coming due, overdue, block warning, blocked, unblocked, renewed). Templates are Go
// templates (html/template for the HTML body, text/template for the subject and the plain
// text) over typed data, so a template that does not parse or names a field that does not
// exist is refused when it is saved, never discovered at send time. It also holds what a
// collection notice states (CollectionData) and when collection e-mails may go out (the
// dunning window, NextSendableTime). The package is pure: it does no I/O and reads no clock.
package notifications

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// Notice kinds, as the notices outbox stores them.
const (
	KindWelcome   = "welcome"
	KindComingDue = "coming_due"
	KindOverdue   = "overdue"
	// KindReminder is a collection ladder's reminder, some days before a due date.
	KindReminder = "reminder"
	// KindBlockWarning is the ladder's debt notice (notificação de débito): the kind keeps
	// its name from before the ladder, so operators' templates of it stay in use.
	KindBlockWarning = "block_warning"
	// KindPartialSuspension says the service was reduced.
	KindPartialSuspension = "partial_suspension"
	// KindBlocked says the service was suspended (the ladder's suspension step).
	KindBlocked = "blocked"
	// KindTermination says the contract was terminated for non-payment.
	KindTermination = "termination"
	KindUnblocked   = "unblocked"
	KindRenewed     = "renewed"
	// KindActivationExpired says a contract that waited for its first payment was
	// cancelled because the payment never came (BILLINGD_ACTIVATION_WAIT_DAYS).
	KindActivationExpired = "activation_expired"
)

// Kinds lists every notice kind, in the order operators read them.
var Kinds = []string{KindWelcome, KindComingDue, KindOverdue, KindReminder, KindBlockWarning, KindPartialSuspension, KindBlocked,
	KindTermination, KindUnblocked, KindRenewed, KindActivationExpired}

// IsCollection reports whether notices of kind state the debt and the collection ladder's
// dates (Data.Collection is filled when they are rendered): the reminder, the debt notice,
// the partial and total suspension and the termination.
func IsCollection(kind string) bool {
	switch kind {
	case KindReminder, KindBlockWarning, KindPartialSuspension, KindBlocked, KindTermination:
		return true
	}
	return false
}

// ValidKind reports whether kind is a notice kind.
func ValidKind(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Data is what a template sees: {{.Customer.Name}}, {{.Contract.Price}}, {{.Plan.Name}},
// {{.Installment.DueDate}}, {{.Collection.Total}}. Dates are written dd/mm/yyyy and money
// as R$ 1.234,56.
type Data struct {
	Customer    CustomerData
	Contract    ContractData
	Plan        PlanData
	Installment InstallmentData
	// Collection is what a collection notice states (the debt, the ladder's dates, how
	// to pay); zero for the other kinds (test it with {{if .Collection.Installments}}).
	Collection CollectionData
	// Charge is the grouped charge that collects the installment (coming_due, overdue,
	// reminder), zero when its contract is not billed grouped.
	Charge ChargeData
}

// CustomerData are the customer's fields.
type CustomerData struct {
	ID       int64
	Name     string
	Email    string
	Document string
}

// ContractData are the contract's fields.
type ContractData struct {
	ID             int64
	Status         string
	Price          string
	AdhesionDate   string
	ActivationDate string
	DueDay         int
	PaymentMethod  string
	BillingMethod  string
	TermNumber     int
	TermEnd        string
}

// PlanData are the plan's fields.
type PlanData struct {
	ID                  int64
	Name                string
	Price               string
	Period              string
	InstallmentsPerTerm int
}

// InstallmentData are the fields of the installment a coming-due or overdue notice is
// about; zero for the other kinds (test it with {{if .Installment.ID}}).
type InstallmentData struct {
	ID             int64
	Kind           string
	Term           int
	Sequence       int
	DueDate        string
	Amount         string
	Discount       string
	OnTimeDiscount string
	// AmountDue is the amount less the fixed discount.
	AmountDue    string
	ServiceStart string
	ServiceEnd   string
	// Lines are what the installment is the sum of, in the order they were written:
	// {{range .Installment.Lines}}{{.Description}}: {{.Amount}}{{end}}.
	Lines []LineData
}

// LineData is one line of an installment: its kind (plan, adhesion, discount,
// inactivity_discount, late_fine…), the reason in words, the quantity ("1"), the unit price
// ("" when it has none) and the amount (negative for a discount: -R$ 10,00).
type LineData struct {
	Kind        string
	Description string
	Quantity    string
	UnitPrice   string
	Amount      string
}

// NewData builds a template's data from the billing model; installment may be nil.
func NewData(cust billing.Customer, c billing.Contract, p billing.Plan, inst *Installment) Data {
	d := Data{
		Customer: CustomerData{ID: cust.ID, Name: cust.Name, Email: cust.Email, Document: cust.Document},
		Contract: ContractData{
			ID: c.ID, Status: c.Status, Price: BRL(c.Price), AdhesionDate: BRDate(c.AdhesionDate),
			ActivationDate: BRDate(c.ActivationDate), DueDay: c.Rule.Day, PaymentMethod: c.PaymentMethod,
			BillingMethod: c.BillingMethod, TermNumber: c.TermNumber, TermEnd: BRDate(c.TermEnd),
		},
		Plan: PlanData{ID: p.ID, Name: p.Name, Price: BRL(p.Price), Period: string(p.Period), InstallmentsPerTerm: p.InstallmentsPerTerm},
	}
	if inst != nil {
		d.Installment = InstallmentData{
			ID: inst.ID, Kind: inst.Kind, Term: inst.Term, Sequence: inst.Sequence, DueDate: BRDate(inst.DueDate),
			Amount: BRL(inst.Amount), Discount: BRL(inst.Discount), OnTimeDiscount: BRL(inst.OnTimeDiscount),
			AmountDue: BRL(inst.Amount.Sub(inst.Discount)), ServiceStart: BRDate(inst.ServiceStart), ServiceEnd: BRDate(inst.ServiceEnd),
		}
		for _, l := range inst.Lines {
			ld := LineData{Kind: l.Kind, Description: l.Description, Quantity: strings.Replace(l.Quantity.String(), ".", ",", 1),
				Amount: BRL(l.Amount)}
			if l.UnitPrice != nil {
				ld.UnitPrice = BRL(*l.UnitPrice)
			}
			d.Installment.Lines = append(d.Installment.Lines, ld)
		}
	}
	return d
}

// Installment is the part of an installment a notice shows.
type Installment struct {
	ID                                int64
	Kind                              string
	Term, Sequence                    int
	DueDate, ServiceStart, ServiceEnd time.Time
	Amount, Discount, OnTimeDiscount  decimal.Decimal
	// Lines are the installment's lines (billing.Line), in the order they were written.
	Lines []billing.Line
}

// BRDate writes a date as dd/mm/yyyy; a zero date is "".
func BRDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02/01/2006")
}

// BRL writes an amount as Brazilian reais: R$ 1.234,56.
func BRL(d decimal.Decimal) string {
	s := d.Abs().StringFixed(2)
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	sign := ""
	if d.IsNegative() {
		sign = "-"
	}
	return fmt.Sprintf("%sR$ %s,%s", sign, b.String(), cents)
}

// sampleData is every field set, so that validation executes every branch that tests one.
func sampleData() Data {
	return Data{
		Customer: CustomerData{ID: 1, Name: "Ana Souza", Email: "ana@example.com", Document: "123.456.789-09"},
		Contract: ContractData{ID: 1, Status: billing.StatusActive, Price: "R$ 99,90", AdhesionDate: "01/07/2026",
			ActivationDate: "01/07/2026", DueDay: 10, PaymentMethod: "boleto", BillingMethod: billing.BillPerInstallment,
			TermNumber: 1, TermEnd: "30/06/2027"},
		Plan: PlanData{ID: 1, Name: "Plano Mensal", Price: "R$ 99,90", Period: "monthly", InstallmentsPerTerm: 12},
		Installment: InstallmentData{ID: 1, Kind: "recurring", Term: 1, Sequence: 1, DueDate: "10/07/2026",
			Amount: "R$ 99,90", Discount: "R$ 0,00", OnTimeDiscount: "R$ 0,00", AmountDue: "R$ 99,90",
			ServiceStart: "01/07/2026", ServiceEnd: "31/07/2026",
			Lines: []LineData{{Kind: "plan", Description: "plan, term 1 installment 1: service 2026-07-01 to 2026-07-31",
				Quantity: "1", UnitPrice: "R$ 99,90", Amount: "R$ 99,90"}}},
		Collection: CollectionData{OnDate: "20/07/2026", Total: "R$ 102,23",
			Installments: []OwedInstallmentData{{ID: 1, Number: "1/12", Sequence: 1, DueDate: "10/07/2026", Amount: "R$ 99,90",
				Discount: "R$ 0,00", Fine: "R$ 2,00", Interest: "R$ 0,33", Paid: "R$ 0,00", AmountDue: "R$ 102,23",
				Instruments: InstrumentData{DigitableLine: "00190.00009 01234.567004 00000.001016 1 15150000009990",
					Barcode: "00191151500000099900000001234567000000000101", PixCopyPaste: "00020101021226...6304ABCD"}}},
			PartialSuspensionDate: "25/07/2026", SuspensionDate: "04/08/2026", TerminationDate: "03/10/2026",
			RestoreWithinDays: 1, RestoreDeadline: "em até 1 dia após a confirmação do pagamento",
			FinePercent: "2,00%", MonthlyInterestPercent: "1,00%"},
	}
}
