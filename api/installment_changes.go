package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// installmentPatchRequest is the body of PATCH /v1/installments/{id}: a new nominal due date,
// a new amount (what the installment asks: amount less discount), or both, and the reason
// (required).
type installmentPatchRequest struct {
	DueDate *string `json:"due_date"`
	Amount  *string `json:"amount"`
	Reason  string  `json:"reason"`
}

// installmentCancelRequest is the body of POST /v1/installments/{id}/cancel.
type installmentCancelRequest struct {
	Reason string `json:"reason"`
}

// installmentChangeResponse is one recorded change of an installment.
type installmentChangeResponse struct {
	ID            int64   `json:"id"`
	InstallmentID int64   `json:"installment_id"`
	ContractID    int64   `json:"contract_id"`
	Kind          string  `json:"kind"`
	OldDueDate    *string `json:"old_due_date"`
	NewDueDate    *string `json:"new_due_date"`
	OldAmount     *string `json:"old_amount"`
	NewAmount     *string `json:"new_amount"`
	Reason        string  `json:"reason"`
	Actor         string  `json:"actor"`
	CreatedAt     string  `json:"created_at"`
}

// changeReason checks the required reason of a change to one installment and puts it in the
// request's audit record.
func changeReason(r *http.Request, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", billing.Fieldf("reason", "required: why the installment changes, in words")
	}
	if err := auditReason(r, reason); err != nil {
		return "", err
	}
	return reason, nil
}

func (s *Server) patchInstallment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req installmentPatchRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p := records.InstallmentPatch{Today: s.today()}
	if req.DueDate == nil && req.Amount == nil {
		return billing.Fieldf("due_date", "required: due_date, amount or both")
	}
	if req.DueDate != nil {
		if p.DueDate, err = parseDateField("due_date", *req.DueDate); err != nil {
			return err
		}
	}
	if req.Amount != nil {
		total, err := parseMoneyField("amount", *req.Amount)
		if err != nil {
			return err
		}
		p.Total = &total
	}
	if p.Reason, err = changeReason(r, req.Reason); err != nil {
		return err
	}
	in, err := s.store.ChangeInstallment(r.Context(), id, p)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toInstallment(in))
}

func (s *Server) cancelInstallment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req installmentCancelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reason, err := changeReason(r, req.Reason)
	if err != nil {
		return err
	}
	in, err := s.store.CancelInstallment(r.Context(), id, reason)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toInstallment(in))
}

func (s *Server) installmentChanges(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	changes, err := s.store.InstallmentChanges(r.Context(), id)
	if err != nil {
		return err
	}
	out := list[installmentChangeResponse]{Items: make([]installmentChangeResponse, len(changes))}
	for i, c := range changes {
		out.Items[i] = installmentChangeResponse{ID: c.ID, InstallmentID: c.InstallmentID, ContractID: c.ContractID, Kind: c.Kind,
			OldDueDate: optDate(c.OldDueDate), NewDueDate: optDate(c.NewDueDate), OldAmount: optMoney(c.OldTotal),
			NewAmount: optMoney(c.NewTotal), Reason: c.Reason, Actor: c.Actor, CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339)}
	}
	return respond(w, http.StatusOK, out)
}
