package api

import (
	"context"
	"net/http"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// GroupedChargeStore is what the grouped-charge routes read and write: a customer billed
// grouped has one charge per due date for all its installments falling due that day.
type GroupedChargeStore interface {
	// GroupedCharge returns one charge with its installments and instruments.
	GroupedCharge(ctx context.Context, id int64) (records.GroupedCharge, error)
	// GroupedCharges returns a customer's charges by due date.
	GroupedCharges(ctx context.Context, customerID int64) ([]records.GroupedCharge, error)
	// PayGroupedCharge records a payment of the whole charge as one payment per open
	// installment, each of its own amount; any other amount is a *billing.PaymentRefusal.
	PayGroupedCharge(ctx context.Context, now time.Time, id int64, p records.PaymentIn) ([]records.PaymentResult, error)
}

// groupedChargeResponse is one grouped charge: its customer, due date, what it asks (the sum
// of what its open installments ask by the due date), its state, installments and instruments.
type groupedChargeResponse struct {
	ID           int64                              `json:"id"`
	CustomerID   int64                              `json:"customer_id"`
	DueDate      string                             `json:"due_date"`
	Amount       string                             `json:"amount"`
	State        string                             `json:"state"`
	Installments []groupedChargeInstallmentResponse `json:"installments"`
	Instruments  *instrumentsResponse               `json:"instruments"`
}

// groupedChargeInstallmentResponse is one installment of a grouped charge and what it asks
// by the charge's due date.
type groupedChargeInstallmentResponse struct {
	InstallmentID int64  `json:"installment_id"`
	ContractID    int64  `json:"contract_id"`
	State         string `json:"state"`
	Amount        string `json:"amount"`
}

func toGroupedCharge(g records.GroupedCharge) groupedChargeResponse {
	out := groupedChargeResponse{ID: g.ID, CustomerID: g.CustomerID, DueDate: billing.FormatDate(g.DueDate),
		Amount: money(g.Amount), State: g.State, Installments: make([]groupedChargeInstallmentResponse, len(g.Installments)),
		Instruments: toInstruments(g.Instruments)}
	for i, m := range g.Installments {
		out.Installments[i] = groupedChargeInstallmentResponse{InstallmentID: m.InstallmentID, ContractID: m.ContractID,
			State: m.State, Amount: money(m.Asks)}
	}
	return out
}

// paidGroupedChargeResponse answers a grouped charge's payment: the charge as it stands and
// the payment recorded for each of its installments.
type paidGroupedChargeResponse struct {
	groupedChargeResponse
	Payments []paymentResponse `json:"payments"`
}

func (s *Server) getGroupedCharge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	g, err := s.store.GroupedCharge(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toGroupedCharge(g))
}

func (s *Server) customerGroupedCharges(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.store.Customer(r.Context(), id); err != nil {
		return err
	}
	charges, err := s.store.GroupedCharges(r.Context(), id)
	if err != nil {
		return err
	}
	out := list[groupedChargeResponse]{Items: make([]groupedChargeResponse, len(charges))}
	for i, g := range charges {
		out.Items[i] = toGroupedCharge(g)
	}
	return respond(w, http.StatusOK, out)
}

func (s *Server) payGroupedCharge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req paymentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in, err := req.payment(0)
	if err != nil {
		return err
	}
	if err := billing.CheckPaymentAmount(in.Amount); err != nil {
		return err
	}
	if err := billing.CheckPaymentDate(in.PaidOn, s.today(), s.cfg.Location.String()); err != nil {
		return err
	}
	results, err := s.store.PayGroupedCharge(r.Context(), s.cfg.Now(), id, in)
	if err != nil {
		return err
	}
	g, err := s.store.GroupedCharge(r.Context(), id)
	if err != nil {
		return err
	}
	out := paidGroupedChargeResponse{groupedChargeResponse: toGroupedCharge(g), Payments: make([]paymentResponse, len(results))}
	for i, res := range results {
		out.Payments[i] = toPayment(res.Payment)
	}
	return respond(w, http.StatusOK, out)
}
