package api

import (
	"encoding/csv"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// CSV exports (issue 17 item 5): GET /v1/installments/overdue and GET /v1/collections answer
// RFC 4180 CSV with a header row — decimal strings with a point, dates YYYY-MM-DD — when
// asked with Accept: text/csv or ?format=csv. The export streams: it reads the store a page
// at a time (csvPageSize rows) and flushes each page, so memory does not grow with the list.

// csvPageSize is how many rows a CSV export reads from the store at a time.
const csvPageSize = 500

// exportFormats are the answers ?format= asks for.
var exportFormats = []string{"csv", "json"}

// wantsCSV reports whether the request asks for CSV (Accept: text/csv or ?format=csv), and
// refuses a format other than csv or json.
func wantsCSV(r *http.Request) (bool, error) {
	f, err := queryEnum(r, "format", exportFormats)
	if err != nil || f != "" {
		return f == "csv", err
	}
	return strings.Contains(r.Header.Get("Accept"), "text/csv"), nil
}

// csvStream writes a CSV answer row by row, flushing the HTTP response after each page.
type csvStream struct {
	w  http.ResponseWriter
	cw *csv.Writer
}

// startCSV writes the headers and the header row of a CSV answer named filename.
func startCSV(w http.ResponseWriter, filename string, header []string) *csvStream {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.WriteHeader(http.StatusOK)
	s := &csvStream{w: w, cw: csv.NewWriter(w)}
	_ = s.cw.Write(header)
	return s
}

func (s *csvStream) row(cells ...string) { _ = s.cw.Write(cells) }

// flush sends what is buffered to the client.
func (s *csvStream) flush() {
	s.cw.Flush()
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
}

// optCell renders an optional value as an empty cell when nil.
func optCell(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}

// overdueInstallments is GET /v1/installments/overdue?on=D (default today): the
// installments still open that were due before D, as a page of installments (JSON) or the
// whole list (CSV).
func (s *Server) overdueInstallments(w http.ResponseWriter, r *http.Request) error {
	asCSV, err := wantsCSV(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
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
	f := records.InstallmentFilter{State: records.InstallmentOpen, DueTo: on.AddDate(0, 0, -1)}
	if !asCSV {
		items, err := s.store.Installments(r.Context(), f, pg)
		if err != nil {
			return err
		}
		return respondPage(w, pg, items, toInstallment, func(i installmentResponse) int64 { return i.ID })
	}
	// Read the first page before answering, so that a failure is still an error answer.
	pg.Limit = csvPageSize
	items, err := s.store.Installments(r.Context(), f, pg)
	if err != nil {
		return err
	}
	out := startCSV(w, "overdue-"+billing.FormatDate(on)+".csv", []string{"installment_id", "contract_id", "kind", "term",
		"sequence", "nominal_due", "due_date", "days_overdue", "amount", "discount", "paid", "unpaid_before_late_charges"})
	for {
		for _, it := range items {
			open := it.Amount.Sub(it.Discount).Sub(it.Paid)
			out.row(strconv.FormatInt(it.ID, 10), strconv.FormatInt(it.ContractID, 10), string(it.Kind),
				strconv.Itoa(it.Term), strconv.Itoa(it.Sequence), billing.FormatDate(it.NominalDue), billing.FormatDate(it.DueDate),
				strconv.Itoa(daysBetween(it.DueDate, on)), money(it.Amount), money(it.Discount), money(it.Paid), money(open))
		}
		out.flush()
		if len(items) < csvPageSize {
			return nil
		}
		pg.After = items[len(items)-1].ID
		if items, err = s.store.Installments(r.Context(), f, pg); err != nil {
			s.logStreamError(r, err)
			return nil
		}
	}
}

// daysBetween returns the whole days from a to b (civil dates).
func daysBetween(a, b time.Time) int { return int(b.Sub(a).Hours() / 24) }

// collectionsCSV writes GET /v1/collections as CSV: every contract on the ladder (at step,
// when given) with its position, a page of the store at a time.
func (s *Server) collectionsCSV(w http.ResponseWriter, r *http.Request, f records.CollectionFilter) error {
	pg := records.Page{Limit: csvPageSize}
	entries, err := s.store.Collections(r.Context(), f, s.today(), pg)
	if err != nil {
		return err
	}
	name := "collections.csv"
	if f.Step != "" {
		name = "collections-" + f.Step + ".csv"
	}
	out := startCSV(w, name, []string{"contract_id", "customer_id", "status", "step", "since", "profile", "next_step",
		"next_step_on", "days_in_default", "trigger_installment_id", "notice_sent_on", "trust_unlock_until"})
	for {
		for _, e := range entries {
			c := toCollection(e)
			var days, trigger string
			if c.Ladder.DaysInDefault != nil {
				days = strconv.Itoa(*c.Ladder.DaysInDefault)
			}
			if c.Ladder.TriggerInstallmentID != nil {
				trigger = strconv.FormatInt(*c.Ladder.TriggerInstallmentID, 10)
			}
			out.row(strconv.FormatInt(c.ContractID, 10), strconv.FormatInt(c.CustomerID, 10), c.Status, c.Step, optCell(c.Since),
				c.Ladder.Profile, optCell(c.Ladder.NextStep), optCell(c.Ladder.NextStepOn), days, trigger,
				optCell(c.Ladder.NoticeSentOn), optCell(c.Ladder.TrustUnlockUntil))
		}
		out.flush()
		if len(entries) < csvPageSize {
			return nil
		}
		pg.After = entries[len(entries)-1].ContractID
		if entries, err = s.store.Collections(r.Context(), f, s.today(), pg); err != nil {
			s.logStreamError(r, err)
			return nil
		}
	}
}

// logStreamError logs a failure after a CSV answer has started and aborts the answer: the
// status is already sent, so net/http's http.ErrAbortHandler is the one way to end the
// response as broken (the connection is cut, no final chunk) rather than as a short list
// that looks complete.
func (s *Server) logStreamError(r *http.Request, err error) {
	reqID, _ := r.Context().Value(requestIDKey{}).(string)
	s.cfg.Logger.ErrorContext(r.Context(), "csv export cut short", slog.String("request_id", reqID),
		slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	panic(http.ErrAbortHandler)
}
