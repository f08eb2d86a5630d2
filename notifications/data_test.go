package notifications

import (
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

func TestValidKind(t *testing.T) {
	t.Parallel()
	for _, kind := range Kinds {
		if !ValidKind(kind) {
			t.Errorf("%s: not a valid kind", kind)
		}
	}
	for _, kind := range []string{"", "Overdue", "overdue ", "block-warning", "notice"} {
		if ValidKind(kind) {
			t.Errorf("%q: a valid kind", kind)
		}
	}
}

func TestIsCollection(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]bool{KindReminder: true, KindBlockWarning: true, KindPartialSuspension: true, KindBlocked: true,
		KindTermination: true, KindWelcome: false, KindComingDue: false, KindOverdue: false, KindUnblocked: false, KindRenewed: false,
		KindActivationExpired: false} {
		if IsCollection(kind) != want {
			t.Errorf("%s: collection %v, want %v", kind, !want, want)
		}
	}
}

func TestMessageID(t *testing.T) {
	t.Parallel()
	if got := MessageID(42, KindOverdue, "mail.example.com.br"); got != "notice-42.overdue@mail.example.com.br" {
		t.Errorf("with a domain: %s", got)
	}
	if got := MessageID(7, KindWelcome, ""); got != "notice-7.welcome@billingd.invalid" {
		t.Errorf("without a domain: %s", got)
	}
}

// TestNewDataWritesTheInstallmentAndItsLines checks every field NewData fills, the lines
// with and without a unit price.
func TestNewDataWritesTheInstallmentAndItsLines(t *testing.T) {
	t.Parallel()
	m := decimal.RequireFromString
	day := func(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC) }
	unit := m("0.33")
	c := billing.Contract{ID: 5, Status: billing.StatusActive, Price: m("1099.9"), AdhesionDate: day(2026, 7, 1),
		ActivationDate: day(2026, 7, 3), Rule: billing.DueDateRule{Day: 10}, PaymentMethod: "pix", BillingMethod: billing.BillPerInstallment,
		TermNumber: 2, TermEnd: day(2027, 6, 30)}
	inst := &Installment{ID: 9, Kind: "recurring", Term: 2, Sequence: 14, DueDate: day(2026, 8, 10),
		ServiceStart: day(2026, 8, 1), ServiceEnd: day(2026, 8, 31),
		Amount: m("1099.90"), Discount: m("100"), OnTimeDiscount: m("5.5"),
		Lines: []billing.Line{
			{Kind: "plan", Description: "plano", Quantity: m("1"), Amount: m("1099.90")},
			{Kind: "late_interest", Description: "juros", Quantity: m("3.5"), UnitPrice: &unit, Amount: m("1.16")},
			{Kind: "discount", Description: "desconto", Quantity: m("1"), Amount: m("-100")},
		}}
	got := NewData(billing.Customer{ID: 3, Name: "Ana", Email: "ana@example.com", Document: "123.456.789-09"}, c,
		billing.Plan{ID: 4, Name: "Anual", Price: m("1099.90"), Period: "monthly", InstallmentsPerTerm: 12}, inst)
	want := Data{
		Customer: CustomerData{ID: 3, Name: "Ana", Email: "ana@example.com", Document: "123.456.789-09"},
		Contract: ContractData{ID: 5, Status: billing.StatusActive, Price: "R$ 1.099,90", AdhesionDate: "01/07/2026",
			ActivationDate: "03/07/2026", DueDay: 10, PaymentMethod: "pix", BillingMethod: billing.BillPerInstallment,
			TermNumber: 2, TermEnd: "30/06/2027"},
		Plan: PlanData{ID: 4, Name: "Anual", Price: "R$ 1.099,90", Period: "monthly", InstallmentsPerTerm: 12},
		Installment: InstallmentData{ID: 9, Kind: "recurring", Term: 2, Sequence: 14, DueDate: "10/08/2026",
			Amount: "R$ 1.099,90", Discount: "R$ 100,00", OnTimeDiscount: "R$ 5,50", AmountDue: "R$ 999,90",
			ServiceStart: "01/08/2026", ServiceEnd: "31/08/2026",
			Lines: []LineData{
				{Kind: "plan", Description: "plano", Quantity: "1", UnitPrice: "", Amount: "R$ 1.099,90"},
				{Kind: "late_interest", Description: "juros", Quantity: "3,5", UnitPrice: "R$ 0,33", Amount: "R$ 1,16"},
				{Kind: "discount", Description: "desconto", Quantity: "1", UnitPrice: "", Amount: "-R$ 100,00"},
			}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NewData:\n got %+v\nwant %+v", got, want)
	}
	if got := NewData(billing.Customer{Name: "Ana"}, billing.Contract{}, billing.Plan{}, nil); !reflect.DeepEqual(got.Installment, InstallmentData{}) {
		t.Errorf("no installment: %+v", got.Installment)
	}
}
