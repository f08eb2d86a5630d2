package api

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

type paymentRequest struct {
	Amount string `json:"amount"`
	PaidAt string `json:"paid_at"`
	// Reference is the client's name for the payment (optional): posting the same
	// reference again records nothing twice and answers as the first time.
	Reference *string `json:"reference"`
}

// clientReference is what a client's payment reference may hold: it is stored as
// "api:<reference>", and a colon is left to the references billingd makes itself.
var clientReference = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

// paymentResponse is one payment: its amount and date, its source and reference, how it was
// imputed (principal, fine, interest, credit) and its reversal.
type paymentResponse struct {
	ID             int64   `json:"id"`
	InstallmentID  int64   `json:"installment_id"`
	ContractID     int64   `json:"contract_id"`
	Amount         string  `json:"amount"`
	PaidAt         string  `json:"paid_at"`
	Source         string  `json:"source"`
	Reference      *string `json:"reference"`
	Principal      string  `json:"principal"`
	Fine           string  `json:"fine"`
	Interest       string  `json:"interest"`
	Credit         string  `json:"credit"`
	RecordedAt     string  `json:"recorded_at"`
	Reversed       bool    `json:"reversed"`
	ReversedAt     *string `json:"reversed_at"`
	ReversalReason *string `json:"reversal_reason"`
}

func toPayment(p records.Payment) paymentResponse {
	out := paymentResponse{ID: p.ID, InstallmentID: p.InstallmentID, ContractID: p.ContractID, Amount: money(p.Amount),
		PaidAt: billing.FormatDate(p.PaidOn), Source: p.Source, Principal: money(p.Principal), Fine: money(p.Fine),
		Interest: money(p.Interest), Credit: money(p.Credit), RecordedAt: p.RecordedAt.UTC().Format(time.RFC3339),
		Reversed: p.Reversed()}
	if p.Reference != "" {
		ref := p.Reference
		out.Reference = &ref
	}
	if p.Reversed() {
		at, reason := p.ReversedAt.UTC().Format(time.RFC3339), p.ReversalReason
		out.ReversedAt, out.ReversalReason = &at, &reason
	}
	return out
}

// paidInstallmentResponse answers a payment: the installment as it stands, its balance on
// the payment's date (zero when settled) and the payment as recorded.
type paidInstallmentResponse struct {
	installmentResponse
	Balance string          `json:"balance"`
	Payment paymentResponse `json:"payment"`
}

func (s *Server) recordPayment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req paymentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in, err := req.payment(id)
	if err != nil {
		return err
	}
	if err := billing.CheckPaymentAmount(in.Amount); err != nil {
		return err
	}
	if err := billing.CheckPaymentDate(in.PaidOn, s.today(), s.cfg.Location.String()); err != nil {
		return err
	}
	results, err := s.store.RecordPayments(r.Context(), s.cfg.Now(), s.cfg.Location, []records.PaymentIn{in})
	if err != nil {
		return err
	}
	res := results[0]
	if r := res.Refused; r != nil {
		if errors.Is(r, billing.ErrConflict) && r.Field != "id" {
			// A reference already used for another payment: 409 naming the reference.
			return &statusError{status: http.StatusConflict, code: "conflict", field: r.Field, msg: r.Error()}
		}
		return r
	}
	inst, due, err := s.store.InstallmentDue(r.Context(), id, res.Payment.PaidOn)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, paidInstallmentResponse{installmentResponse: toInstallment(inst),
		Balance: money(due.Balance), Payment: toPayment(res.Payment)})
}

// payment turns a request into the payment to record, naming the first bad field.
func (req paymentRequest) payment(installment int64) (records.PaymentIn, error) {
	in := records.PaymentIn{InstallmentID: installment, Source: billing.SourceAPI}
	var err error
	if in.Amount, err = parseMoneyField("amount", req.Amount); err != nil {
		return in, err
	}
	if in.PaidOn, err = parseDateField("paid_at", req.PaidAt); err != nil {
		return in, err
	}
	if req.Reference != nil {
		if !clientReference.MatchString(*req.Reference) {
			return in, billing.Fieldf("reference", "want 1 to 100 letters, digits, '.', '_' or '-', got %q", clip(*req.Reference))
		}
		in.Reference = "api:" + *req.Reference
	}
	return in, nil
}

// clip shortens a value quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// amountDueResponse is what an installment asks on a date, with its parts
// (billing.AmountDueOn).
type amountDueResponse struct {
	On             string `json:"on"`
	Amount         string `json:"amount"`
	Discount       string `json:"discount"`
	OnTimeDiscount string `json:"on_time_discount"`
	Fine           string `json:"fine"`
	Interest       string `json:"interest"`
	Paid           string `json:"paid"`
	Principal      string `json:"principal"`
	Balance        string `json:"balance"`
	Credit         string `json:"credit"`
	GraceDay       string `json:"grace_day"`
	Late           bool   `json:"late"`
	DaysLate       int    `json:"days_late"`
	// SettledOn is the date of the payment that settled the installment; null while open.
	SettledOn *string `json:"settled_on"`
}

func toAmountDue(d billing.AmountDue) amountDueResponse {
	return amountDueResponse{On: billing.FormatDate(d.On), Amount: money(d.Amount), Discount: money(d.Discount),
		OnTimeDiscount: money(d.OnTimeDiscount), Fine: money(d.Fine), Interest: money(d.Interest), Paid: money(d.Paid),
		Principal: money(d.Principal), Balance: money(d.Balance), Credit: money(d.Credit), GraceDay: billing.FormatDate(d.GraceDay),
		Late: d.Late, DaysLate: d.DaysLate, SettledOn: optDate(d.SettledOn)}
}

// installmentDueResponse is an installment with what it asks on a date.
type installmentDueResponse struct {
	installmentResponse
	AmountDue amountDueResponse `json:"amount_due"`
}

func (s *Server) getInstallment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	on, err := queryDate(r, "on")
	if err != nil {
		return err
	}
	if on.IsZero() {
		on = s.today()
	}
	inst, due, err := s.store.InstallmentDue(r.Context(), id, on)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, installmentDueResponse{installmentResponse: toInstallment(inst), AmountDue: toAmountDue(due)})
}

func (s *Server) listPayments(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	var f records.PaymentFilter
	if f.InstallmentID, err = queryInt(r, "installment_id"); err != nil {
		return err
	}
	if f.ContractID, err = queryInt(r, "contract_id"); err != nil {
		return err
	}
	ps, err := s.store.Payments(r.Context(), f, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, ps, toPayment, func(p paymentResponse) int64 { return p.ID })
}

func (s *Server) getPayment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.store.Payment(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toPayment(p))
}

type reversalRequest struct {
	// Reason says why the payment is reversed (a chargeback, a returned PIX): required.
	Reason string `json:"reason"`
}

// reversalResponse answers a reversal: the payment, reversed, and its installment as it
// stands afterwards (open again when its other payments no longer cover it).
type reversalResponse struct {
	Payment     paymentResponse     `json:"payment"`
	Installment installmentResponse `json:"installment"`
}

func (s *Server) reversePayment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req reversalRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" || len(reason) > 500 || hasNUL(reason) {
		return billing.Fieldf("reason", "required: why the payment is reversed, at most 500 characters, without NUL characters")
	}
	p, inst, err := s.store.ReversePayment(r.Context(), id, reason, s.cfg.Now(), s.cfg.Location)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, reversalResponse{Payment: toPayment(p), Installment: toInstallment(inst)})
}
