package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

type contractRequest struct {
	CustomerID           int64               `json:"customer_id"`
	PlanID               int64               `json:"plan_id"`
	Price                *string             `json:"price"`
	AdhesionDate         string              `json:"adhesion_date"`
	WaitActivation       bool                `json:"wait_activation"`
	ActivationDate       *string             `json:"activation_date"`
	DueDateRule          billing.DueDateRule `json:"due_date_rule"`
	BillingMethod        *string             `json:"billing_method"`
	PaymentMethod        *string             `json:"payment_method"`
	CardInstallments     *int                `json:"card_installments"`
	Discount             *string             `json:"discount"`
	OnTimeDiscount       *string             `json:"on_time_discount"`
	AdhesionFee          *string             `json:"adhesion_fee"`
	AdhesionInstallments int                 `json:"adhesion_installments"`
	GenerateNow          bool                `json:"generate_now"`
	AutoRenew            *bool               `json:"auto_renew"`
	IgnoreAutoRenewal    bool                `json:"ignore_auto_renewal"`
	RenewalPriceMode     *string             `json:"renewal_price_mode"`
	SuggestedPrice       *string             `json:"suggested_price"`
	BlockingRuleID       *int64              `json:"blocking_rule_id"`
	InactivityDiscount   bool                `json:"inactivity_discount"`
	AllowCredit          bool                `json:"allow_credit"`
	// ActivateOnFirstPayment: the contract waits, its first installment issued, and is
	// active from the day that installment is paid.
	ActivateOnFirstPayment bool `json:"activate_on_first_payment"`
	lateFields
	welcomeFields
}

type contractResponse struct {
	ID                   int64               `json:"id"`
	CustomerID           int64               `json:"customer_id"`
	PlanID               int64               `json:"plan_id"`
	Status               string              `json:"status"`
	Price                string              `json:"price"`
	AdhesionDate         string              `json:"adhesion_date"`
	WaitActivation       bool                `json:"wait_activation"`
	ActivationDate       *string             `json:"activation_date"`
	DueDateRule          billing.DueDateRule `json:"due_date_rule"`
	BillingMethod        string              `json:"billing_method"`
	PaymentMethod        string              `json:"payment_method"`
	CardInstallments     int                 `json:"card_installments"`
	Discount             string              `json:"discount"`
	OnTimeDiscount       string              `json:"on_time_discount"`
	AdhesionFee          string              `json:"adhesion_fee"`
	AdhesionInstallments int                 `json:"adhesion_installments"`
	GenerateNow          bool                `json:"generate_now"`
	AutoRenew            bool                `json:"auto_renew"`
	IgnoreAutoRenewal    bool                `json:"ignore_auto_renewal"`
	RenewalPriceMode     string              `json:"renewal_price_mode"`
	SuggestedPrice       *string             `json:"suggested_price"`
	TermNumber           int                 `json:"term_number"`
	TermEnd              *string             `json:"term_end"`
	PaidThrough          *string             `json:"paid_through"`
	CancelledOn          *string             `json:"cancelled_on"`
	// EndReason says why the contract ended (cancelled, terminated), EndedOn when.
	EndReason *string `json:"end_reason"`
	EndedOn   *string `json:"ended_on"`
	// CancelReason is the code of the catalogue's reason a cancelled contract was cancelled for.
	CancelReason *string `json:"cancel_reason"`
	// ActivateOnFirstPayment and ActivationDeadline: see contractRequest; the deadline is
	// the last day the contract waits for its first payment.
	ActivateOnFirstPayment bool    `json:"activate_on_first_payment"`
	ActivationDeadline     *string `json:"activation_deadline"`
	CreatedAt              string  `json:"created_at"`
	// RenewalState is none, queued or renewed; QueuedOn is when the term entered the renewal queue.
	RenewalState       string            `json:"renewal_state"`
	QueuedOn           *string           `json:"queued_on"`
	BlockingRuleID     *int64            `json:"blocking_rule_id"`
	InactivityDiscount bool              `json:"inactivity_discount"`
	AllowCredit        bool              `json:"allow_credit"`
	Blocked            bool              `json:"blocked"`
	TrustUnlockUntil   *string           `json:"trust_unlock_until"`
	BlockEpisodes      []episodeResponse `json:"block_episodes"`
	// The contract's own late settings; null takes the plan's.
	lateResponse
	// Ladder is the contract's position on its blocking rule's collection ladder today.
	Ladder ladderResponse `json:"ladder"`
	// ScheduledChanges are the contract's changes waiting for their day (cancellable);
	// PausedFrom and PausedUntil its latest pause window.
	ScheduledChanges []changeResponse `json:"scheduled_changes"`
	PausedFrom       *string          `json:"paused_from"`
	PausedUntil      *string          `json:"paused_until"`
}

func toContract(c billing.Contract) contractResponse {
	out := contractResponse{
		ID: c.ID, CustomerID: c.CustomerID, PlanID: c.PlanID, Status: c.Status, Price: money(c.Price),
		AdhesionDate: billing.FormatDate(c.AdhesionDate), WaitActivation: c.WaitActivation,
		ActivationDate: optDate(c.ActivationDate), DueDateRule: c.Rule, BillingMethod: c.BillingMethod,
		PaymentMethod: c.PaymentMethod, CardInstallments: c.CardInstallments, Discount: money(c.Discount),
		OnTimeDiscount: money(c.OnTimeDiscount), AdhesionFee: money(c.AdhesionFee),
		AdhesionInstallments: c.AdhesionInstallments, GenerateNow: c.GenerateNow, AutoRenew: c.AutoRenew,
		IgnoreAutoRenewal: c.IgnoreAutoRenewal, RenewalPriceMode: c.RenewalPriceMode,
		SuggestedPrice: optMoney(c.SuggestedPrice), TermNumber: c.TermNumber, TermEnd: optDate(c.TermEnd),
		PaidThrough: optDate(c.PaidThrough), CancelledOn: optDate(c.CancelledOn), EndedOn: optDate(c.EndedOn),
		CreatedAt:    c.CreatedAt.UTC().Format(time.RFC3339),
		RenewalState: c.RenewalState, QueuedOn: optDate(c.QueuedOn),
		BlockingRuleID:     c.BlockingRuleID,
		InactivityDiscount: c.InactivityDiscount, AllowCredit: c.AllowCredit, Blocked: c.Status == billing.StatusBlocked,
		BlockEpisodes: []episodeResponse{}, lateResponse: toLate(c.Late),
	}
	if out.RenewalState == "" {
		out.RenewalState = records.RenewalNone
	}
	if c.EndReason != "" {
		out.EndReason = &c.EndReason
	}
	if c.CancelReason != "" {
		out.CancelReason = &c.CancelReason
	}
	out.ActivateOnFirstPayment, out.ActivationDeadline = c.ActivateOnFirstPayment, optDate(c.ActivationDeadline)
	return out
}

// contract turns a request into a contract, naming the first bad field.
func (req contractRequest) contract() (billing.Contract, error) {
	c := billing.Contract{
		CustomerID: req.CustomerID, PlanID: req.PlanID, WaitActivation: req.WaitActivation, Rule: req.DueDateRule,
		BillingMethod: billing.BillPerInstallment, PaymentMethod: "boleto", CardInstallments: 1,
		AdhesionInstallments: req.AdhesionInstallments, GenerateNow: req.GenerateNow, AutoRenew: true,
		IgnoreAutoRenewal: req.IgnoreAutoRenewal, RenewalPriceMode: billing.RenewAtPlanPrice,
		InactivityDiscount: req.InactivityDiscount, AllowCredit: req.AllowCredit,
		ActivateOnFirstPayment: req.ActivateOnFirstPayment,
	}
	if req.CustomerID < 1 {
		return c, billing.Fieldf("customer_id", "required: the id of an existing customer")
	}
	if err := req.settings(&c.Late); err != nil {
		return c, err
	}
	if req.PlanID < 1 {
		return c, billing.Fieldf("plan_id", "required: the id of an existing plan")
	}
	if req.BlockingRuleID != nil {
		if *req.BlockingRuleID < 1 {
			return c, billing.Fieldf("blocking_rule_id", "want the id of an existing blocking rule, or omit it for the default rule")
		}
		c.BlockingRuleID = req.BlockingRuleID
	}
	var err error
	if c.Price, err = optMoneyField("price", req.Price, decimal.Zero); err != nil {
		return c, err
	}
	if c.AdhesionDate, err = parseDateField("adhesion_date", req.AdhesionDate); err != nil {
		return c, err
	}
	if req.ActivationDate != nil {
		if c.ActivationDate, err = parseDateField("activation_date", *req.ActivationDate); err != nil {
			return c, err
		}
	}
	if req.DueDateRule.Kind == "" {
		return c, billing.Fieldf("due_date_rule.kind", "required: fixed_day, anniversary or prepaid_fixed_day")
	}
	if req.BillingMethod != nil {
		c.BillingMethod = *req.BillingMethod
	}
	if req.PaymentMethod != nil {
		c.PaymentMethod = *req.PaymentMethod
	}
	if req.CardInstallments != nil {
		c.CardInstallments = *req.CardInstallments
	}
	if c.Discount, err = optMoneyField("discount", req.Discount, decimal.Zero); err != nil {
		return c, err
	}
	if c.OnTimeDiscount, err = optMoneyField("on_time_discount", req.OnTimeDiscount, decimal.Zero); err != nil {
		return c, err
	}
	if c.AdhesionFee, err = optMoneyField("adhesion_fee", req.AdhesionFee, decimal.Zero); err != nil {
		return c, err
	}
	if req.AutoRenew != nil {
		c.AutoRenew = *req.AutoRenew
	}
	if req.RenewalPriceMode != nil {
		c.RenewalPriceMode = *req.RenewalPriceMode
	}
	if req.SuggestedPrice != nil {
		p, err := parseMoneyField("suggested_price", *req.SuggestedPrice)
		if err != nil {
			return c, err
		}
		c.SuggestedPrice = &p
	}
	return c, nil
}

func (s *Server) createContract(w http.ResponseWriter, r *http.Request) error {
	var req contractRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := req.contract()
	if err != nil {
		return err
	}
	welcome, err := req.welcome()
	if err != nil {
		return err
	}
	out, err := s.store.CreateContract(r.Context(), c, req.Price == nil, welcome)
	if err != nil {
		return err
	}
	return s.writeContracts(w, r, http.StatusCreated, out)
}

func (s *Server) listContracts(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	customer, err := queryInt(r, "customer_id")
	if err != nil {
		return err
	}
	status, err := queryEnum(r, "status", billing.ContractStatuses)
	if err != nil {
		return err
	}
	cs, err := s.store.Contracts(r.Context(), records.ContractFilter{CustomerID: customer, Status: status}, pg)
	if err != nil {
		return err
	}
	render, err := s.contractRenderer(r, cs...)
	if err != nil {
		return err
	}
	return respondPage(w, pg, cs, render, func(c contractResponse) int64 { return c.ID })
}

func (s *Server) getContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.store.Contract(r.Context(), id)
	if err != nil {
		return err
	}
	return s.writeContracts(w, r, http.StatusOK, c)
}

type dateRequest struct {
	Date string `json:"date"`
}

// decisionRequest is the body of an operator's decision on a contract (renew): the date it
// takes effect (optional) and the reason, kept in the audit log (optional).
type decisionRequest struct {
	Date   string `json:"date"`
	Reason string `json:"reason"`
}

// cancelRequest is the body of a contract's cancellation: a decision with the reason of the
// catalogue it is cancelled for, by id or by code (required unless
// BILLINGD_CANCEL_REASON_REQUIRED=false).
type cancelRequest struct {
	Date       string `json:"date"`
	Reason     string `json:"reason"`
	ReasonID   int64  `json:"reason_id"`
	ReasonCode string `json:"reason_code"`
}

func (s *Server) activateContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req dateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	on, err := parseDateField("date", req.Date)
	if err != nil {
		return err
	}
	c, err := s.store.ActivateContract(r.Context(), id, on)
	if err != nil {
		return err
	}
	return s.writeContracts(w, r, http.StatusOK, c)
}

func (s *Server) cancelContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	on := s.today()
	var reason records.CancellationReasonRef
	if r.ContentLength != 0 {
		var req cancelRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		if req.Date != "" {
			if on, err = parseDateField("date", req.Date); err != nil {
				return err
			}
		}
		if err := auditReason(r, req.Reason); err != nil {
			return err
		}
		switch {
		case req.ReasonID < 0:
			return billing.Fieldf("reason_id", "want the id of a cancellation reason, got %d", req.ReasonID)
		case req.ReasonID != 0 && req.ReasonCode != "":
			return billing.Fieldf("reason_code", "give reason_id or reason_code, not both")
		}
		reason = records.CancellationReasonRef{ID: req.ReasonID, Code: strings.TrimSpace(req.ReasonCode)}
	}
	if !reason.Given() && !s.cfg.CancelReasonOptional {
		return billing.Fieldf("reason", "required: the reason the contract is cancelled for, as reason_id or reason_code of the catalogue (GET /v1/cancellation-reasons lists them)")
	}
	c, err := s.store.CancelContract(r.Context(), id, on, reason)
	if err != nil {
		return err
	}
	return s.writeContracts(w, r, http.StatusOK, c)
}

type installmentResponse struct {
	ID             int64   `json:"id"`
	ContractID     int64   `json:"contract_id"`
	Kind           string  `json:"kind"`
	Term           int     `json:"term"`
	Sequence       int     `json:"sequence"`
	ServiceStart   *string `json:"service_start"`
	ServiceEnd     *string `json:"service_end"`
	NominalDue     string  `json:"nominal_due"`
	DueDate        string  `json:"due_date"`
	Amount         string  `json:"amount"`
	Discount       string  `json:"discount"`
	OnTimeDiscount string  `json:"on_time_discount"`
	State          string  `json:"state"`
	PaidAt         *string `json:"paid_at"`
	PaidAmount     *string `json:"paid_amount"`
	// Paid is what the installment's payments not reversed add up to (partial payments included).
	Paid string `json:"paid"`
	// Credit is the part of paid_amount above what settled the installment (allow_credit); null unless paid.
	Credit *string `json:"credit"`
	// Lines are what the installment is the sum of: amount is the sum of the positive lines,
	// discount minus the sum of the negative ones.
	Lines []lineResponse `json:"lines"`
	// Instruments are the installment's boleto and PIX; null when it has none.
	Instruments *instrumentsResponse `json:"instruments"`
}

// instrumentsResponse is how an installment is paid: its boleto and its PIX copy-and-paste,
// each null where the business's settings make none.
type instrumentsResponse struct {
	Amount             string  `json:"amount"`
	DueDate            string  `json:"due_date"`
	BankCode           *string `json:"bank_code"`
	NossoNumero        *string `json:"nosso_numero"`
	NossoNumeroPrinted *string `json:"nosso_numero_printed"`
	Barcode            *string `json:"barcode"`
	LinhaDigitavel     *string `json:"linha_digitavel"`
	TxID               *string `json:"txid"`
	PixCopyPaste       *string `json:"pix_copy_paste"`
}

func toInstruments(in *records.Instruments) *instrumentsResponse {
	if in == nil {
		return nil
	}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return &instrumentsResponse{Amount: money(in.Amount), DueDate: billing.FormatDate(in.DueDate),
		BankCode: opt(in.BankCode), NossoNumero: opt(in.NossoNumero), NossoNumeroPrinted: opt(in.NossoNumeroPrinted),
		Barcode: opt(in.Barcode), LinhaDigitavel: opt(in.LinhaDigitavel), TxID: opt(in.TxID), PixCopyPaste: opt(in.PixCopyPaste)}
}

// lineResponse is one line of an installment: what it charges (a positive amount) or
// discounts (a negative one) and why.
type lineResponse struct {
	Kind        string  `json:"kind"`
	Description string  `json:"description"`
	Quantity    string  `json:"quantity"`
	UnitPrice   *string `json:"unit_price"`
	Amount      string  `json:"amount"`
}

func toLines(lines []billing.Line) []lineResponse {
	out := make([]lineResponse, len(lines))
	for i, l := range lines {
		out[i] = lineResponse{Kind: l.Kind, Description: l.Description, Quantity: l.Quantity.String(),
			UnitPrice: optMoney(l.UnitPrice), Amount: money(l.Amount)}
	}
	return out
}

func toInstallment(i records.Installment) installmentResponse {
	out := installmentResponse{
		ID: i.ID, ContractID: i.ContractID, Kind: string(i.Kind), Term: i.Term, Sequence: i.Sequence,
		ServiceStart: optDate(i.ServiceStart), ServiceEnd: optDate(i.ServiceEnd),
		NominalDue: billing.FormatDate(i.NominalDue), DueDate: billing.FormatDate(i.DueDate),
		Amount: money(i.Amount), Discount: money(i.Discount), OnTimeDiscount: money(i.OnTimeDiscount),
		State: i.State, PaidAt: optDate(i.PaidAt), PaidAmount: optMoney(i.PaidAmount), Paid: money(i.Paid), Lines: toLines(i.Lines),
		Instruments: toInstruments(i.Instruments),
	}
	if i.State == records.InstallmentPaid {
		credit := money(i.Credit)
		out.Credit = &credit
	}
	return out
}

func (s *Server) contractInstallments(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.store.Contract(r.Context(), id); err != nil {
		return err
	}
	return s.installments(w, r, id)
}

func (s *Server) listInstallments(w http.ResponseWriter, r *http.Request) error {
	contract, err := queryInt(r, "contract_id")
	if err != nil {
		return err
	}
	return s.installments(w, r, contract)
}

func (s *Server) installments(w http.ResponseWriter, r *http.Request, contract int64) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	f := records.InstallmentFilter{ContractID: contract}
	if f.State, err = queryEnum(r, "state", records.InstallmentStates); err != nil {
		return err
	}
	if f.DueFrom, err = queryDate(r, "due_from"); err != nil {
		return err
	}
	if f.DueTo, err = queryDate(r, "due_to"); err != nil {
		return err
	}
	items, err := s.store.Installments(r.Context(), f, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, items, toInstallment, func(i installmentResponse) int64 { return i.ID })
}
