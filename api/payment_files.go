package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"regexp"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// MaxPaymentFileBytes bounds an uploaded return file: 64 MiB holds some 130,000 settlements.
const MaxPaymentFileBytes = 64 << 20

// paymentFileName is what a return file's name may hold.
var paymentFileName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)

// paymentFileResponse is a received bank return file and what its import did.
type paymentFileResponse struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	SHA256      string  `json:"sha256"`
	Size        int64   `json:"size"`
	Origin      string  `json:"origin"`
	Status      string  `json:"status"`
	BankCode    string  `json:"bank_code"`
	Settlements int     `json:"settlements"`
	Recorded    int     `json:"recorded"`
	Duplicates  int     `json:"duplicates"`
	Exceptions  int     `json:"exceptions"`
	ReceivedAt  string  `json:"received_at"`
	ImportedAt  *string `json:"imported_at"`
}

func toPaymentFile(f records.PaymentFile) paymentFileResponse {
	out := paymentFileResponse{ID: f.ID, Name: f.Name, SHA256: f.SHA256, Size: f.Size, Origin: f.Origin, Status: f.Status,
		BankCode: f.BankCode, Settlements: f.Settlements, Recorded: f.Recorded, Duplicates: f.Duplicates, Exceptions: f.Exceptions,
		ReceivedAt: f.ReceivedAt.UTC().Format(time.RFC3339)}
	if !f.ImportedAt.IsZero() {
		at := f.ImportedAt.UTC().Format(time.RFC3339)
		out.ImportedAt = &at
	}
	return out
}

// uploadPaymentFile stores a CNAB 240 return file, sent as the raw body (its name in
// ?filename=, "upload-<UTC time>.ret" without it) or as the "file" part of a multipart/form-data body, and enqueues its import
// (201); a file already received answers 200 with it and enqueues nothing. A malformed file
// is refused whole: 422 naming the line and the field, nothing stored.
func (s *Server) uploadPaymentFile(w http.ResponseWriter, r *http.Request) error {
	name, content, err := readPaymentFile(w, r)
	if err != nil {
		return err
	}
	f, created, err := s.store.StorePaymentFile(r.Context(), name, content, s.today())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return respond(w, status, toPaymentFile(f))
}

// readPaymentFile reads the uploaded file's name and content.
func readPaymentFile(w http.ResponseWriter, r *http.Request) (string, []byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxPaymentFileBytes)
	tooLarge := func(err error) error {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &statusError{status: http.StatusRequestEntityTooLarge, code: "too_large", field: "body",
				msg: "body: a return file is at most 64 MiB"}
		}
		return invalid("body", "cannot read the file: %v", err)
	}
	name := r.URL.Query().Get("filename")
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var content []byte
	if mt == "multipart/form-data" {
		if name != "" {
			return "", nil, invalid("filename", "a multipart upload names its file in its file part")
		}
		mr, err := r.MultipartReader()
		if err != nil {
			return "", nil, invalid("body", "not a multipart body: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return "", nil, invalid("file", "required: a part named file")
			}
			if err != nil {
				return "", nil, tooLarge(err)
			}
			if part.FormName() != "file" {
				continue
			}
			name = filepath.Base(part.FileName())
			if content, err = io.ReadAll(part); err != nil {
				return "", nil, tooLarge(err)
			}
			break
		}
	} else {
		var err error
		if content, err = io.ReadAll(r.Body); err != nil {
			return "", nil, tooLarge(err)
		}
	}
	if name == "" && !r.URL.Query().Has("filename") && mt != "multipart/form-data" {
		name = "upload-" + time.Now().UTC().Format("20060102T150405Z") + ".ret"
	}
	if !paymentFileName.MatchString(name) {
		return "", nil, invalid("filename", "want 1 to 200 letters, digits, dots, dashes or underscores, got %q", name)
	}
	if len(content) == 0 {
		return "", nil, invalid("file", "empty")
	}
	return name, content, nil
}

func (s *Server) getPaymentFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := s.store.PaymentFile(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toPaymentFile(f))
}

// paymentExceptionResponse is one entry of the reconciliation list.
type paymentExceptionResponse struct {
	ID            int64   `json:"id"`
	Source        string  `json:"source"`
	FileID        *int64  `json:"file_id"`
	Line          *int    `json:"line"`
	EndToEndID    *string `json:"end_to_end_id"`
	Reference     string  `json:"reference"`
	InstallmentID *int64  `json:"installment_id"`
	Amount        string  `json:"amount"`
	PaidAt        *string `json:"paid_at"`
	Reason        string  `json:"reason"`
	Detail        string  `json:"detail"`
	CreatedAt     string  `json:"created_at"`
}

func toPaymentException(e records.PaymentException) paymentExceptionResponse {
	out := paymentExceptionResponse{ID: e.ID, Source: e.Source, Reference: e.Reference, Amount: money(e.Amount),
		PaidAt: optDate(e.PaidOn), Reason: e.Reason, Detail: e.Detail, CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339)}
	if e.FileID != 0 {
		id, line := e.FileID, e.Line
		out.FileID, out.Line = &id, &line
	}
	if e.EndToEndID != "" {
		e2e := e.EndToEndID
		out.EndToEndID = &e2e
	}
	if e.InstallmentID != 0 {
		id := e.InstallmentID
		out.InstallmentID = &id
	}
	return out
}

// paymentExceptionReasons are the reasons an exception may have.
var paymentExceptionReasons = []string{records.ExceptionUnknownReference, billing.RefusedInstallmentPaid,
	billing.RefusedInstallmentCancelled, billing.RefusedReferenceReused, billing.RefusedAmountNotPositive, billing.RefusedFutureDate,
	billing.RefusedOutOfOrder, billing.RefusedPartial, billing.RefusedAboveDue}

func (s *Server) listPaymentExceptions(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	from, to, err := queryDateRange(r)
	if err != nil {
		return err
	}
	reason := r.URL.Query().Get("reason")
	if reason != "" && !contains(paymentExceptionReasons, reason) {
		return invalid("reason", "want one of %v, got %q", paymentExceptionReasons, reason)
	}
	items, err := s.store.PaymentExceptions(r.Context(), records.PaymentExceptionFilter{From: from, To: to, Reason: reason}, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, items, toPaymentException, func(e paymentExceptionResponse) int64 { return e.ID })
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
