package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// One-off charges and recurring add-ons of a contract (issue 19 item 6).

// maxIdempotencyKey bounds a charge's idempotency key, in bytes.
const maxIdempotencyKey = 200

type chargeRequest struct {
	Description    string  `json:"description"`
	Amount         string  `json:"amount"`
	Installments   *int    `json:"installments"`
	IdempotencyKey *string `json:"idempotency_key"`
}

type chargePartResponse struct {
	InstallmentID int64  `json:"installment_id"`
	DueDate       string `json:"due_date"`
	Amount        string `json:"amount"`
	Description   string `json:"description"`
}

type chargeResponse struct {
	ID             int64                `json:"id"`
	ContractID     int64                `json:"contract_id"`
	Description    string               `json:"description"`
	Amount         string               `json:"amount"`
	Installments   int                  `json:"installments"`
	IdempotencyKey *string              `json:"idempotency_key"`
	CreatedAt      string               `json:"created_at"`
	Parts          []chargePartResponse `json:"parts"`
}

func toCharge(c records.Charge) chargeResponse {
	out := chargeResponse{ID: c.ID, ContractID: c.ContractID, Description: c.Description, Amount: money(c.Amount),
		Installments: c.Installments, CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339), Parts: []chargePartResponse{}}
	if c.IdempotencyKey != "" {
		out.IdempotencyKey = &c.IdempotencyKey
	}
	for _, p := range c.Parts {
		out.Parts = append(out.Parts, chargePartResponse{InstallmentID: p.InstallmentID, DueDate: billing.FormatDate(p.DueDate),
			Amount: money(p.Amount), Description: p.Description})
	}
	return out
}

// createCharge bills a one-off charge on the contract's next open installments: 201 with
// the charge and its parts, or 200 with the charge an earlier request with the same
// idempotency key made.
func (s *Server) createCharge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req chargeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c := billing.OneOffCharge{Description: strings.TrimSpace(req.Description), Installments: 1}
	if req.Installments != nil {
		c.Installments = *req.Installments
	}
	if c.Amount, err = parseMoneyField("amount", req.Amount); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	var key string
	if req.IdempotencyKey != nil {
		key = *req.IdempotencyKey
		if strings.TrimSpace(key) == "" || len(key) > maxIdempotencyKey || strings.ContainsRune(key, 0) {
			return billing.Fieldf("idempotency_key", "want 1 to %d characters without NUL, not blank", maxIdempotencyKey)
		}
	}
	out, created, err := s.store.CreateCharge(r.Context(), id, c, key, s.today())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return respond(w, status, toCharge(out))
}

func (s *Server) listCharges(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	cs, err := s.store.Charges(r.Context(), id, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, cs, toCharge, func(c chargeResponse) int64 { return c.ID })
}

type addonRequest struct {
	Description string `json:"description"`
	Price       string `json:"price"`
	From        string `json:"from"`
}

type addonResponse struct {
	ID          int64   `json:"id"`
	ContractID  int64   `json:"contract_id"`
	Description string  `json:"description"`
	Price       string  `json:"price"`
	From        string  `json:"from"`
	Until       *string `json:"until"`
	CreatedAt   string  `json:"created_at"`
}

func toAddon(a records.Addon) addonResponse {
	return addonResponse{ID: a.ID, ContractID: a.ContractID, Description: a.Description, Price: money(a.Price),
		From: billing.FormatDate(a.From), Until: optDate(a.Until), CreatedAt: a.CreatedAt.UTC().Format(time.RFC3339)}
}

// createAddon starts a recurring add-on (from defaults to today).
func (s *Server) createAddon(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req addonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	a := billing.Addon{Description: strings.TrimSpace(req.Description), From: s.today()}
	if a.Price, err = parseMoneyField("price", req.Price); err != nil {
		return err
	}
	if req.From != "" {
		if a.From, err = parseDateField("from", req.From); err != nil {
			return err
		}
	}
	if err := a.Validate(); err != nil {
		return err
	}
	out, err := s.store.CreateAddon(r.Context(), id, a)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toAddon(out))
}

// endAddon ends an add-on on ?until= (its last active day; today when omitted).
func (s *Server) endAddon(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v := r.PathValue("addon_id")
	addonID, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil || addonID < 1 {
		return invalid("addon_id", "want a positive whole number, got %q", v)
	}
	until, err := queryDate(r, "until")
	if err != nil {
		return err
	}
	if until.IsZero() {
		until = s.today()
	}
	out, err := s.store.EndAddon(r.Context(), id, addonID, until)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toAddon(out))
}

func (s *Server) listAddons(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	as, err := s.store.Addons(r.Context(), id, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, as, toAddon, func(a addonResponse) int64 { return a.ID })
}
