package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/billingd/billingd/records"
)

//go:embed ui/*.html ui/style.css
var uiFiles embed.FS

var (
	uiTemplates = template.Must(template.ParseFS(uiFiles, "ui/*.html"))
	uiStyle     = func() string {
		b, err := uiFiles.ReadFile("ui/style.css")
		if err != nil {
			panic(err)
		}
		return string(b)
	}()
	// UIContentSecurityPolicy is the CSP of the operator pages: nothing but their own inline
	// style (by its hash) and forms to themselves; no script at all, no frames.
	UIContentSecurityPolicy = func() string {
		sum := sha256.Sum256([]byte(uiStyle))
		return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
			"'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	}()
)

// uiPage is what every page's template gets.
type uiPage struct {
	Title string
	Style template.CSS
	Zone  string
	loc   *time.Location
}

// Clock shows an instant as the business time zone's date and time.
func (p uiPage) Clock(t time.Time) string { return t.In(p.loc).Format("2006-01-02 15:04") }

// OperatorPages returns the operator's read-only pages, to be served behind GuardOperatorUI
// (the API's tokens as basic auth): GET /ui/contracts/{id}?on=D, a contract's explain and
// timeline (the answers of GET /v1/contracts/{id}/explain and /timeline), and GET
// /ui/today?on=D, the day's collection figures (billed, collected, overdue) and the
// contracts per ladder step. Server-rendered, no script; every answer carries the CSP
// UIContentSecurityPolicy. Bad input is answered as by the API (4xx JSON naming the field).
func (s *Server) OperatorPages() http.Handler {
	mux := http.NewServeMux()
	page := func(h handler) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", UIContentSecurityPolicy)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Referrer-Policy", "no-referrer")
			w.Header().Set("Cache-Control", "no-store")
			if err := h(w, r); err != nil {
				s.fail(w, r, err)
			}
		}
	}
	mux.HandleFunc("GET /ui/contracts/{id}", page(s.contractPage))
	mux.HandleFunc("GET /ui/today", page(s.todayPage))
	mux.HandleFunc("GET /ui/{$}", page(func(w http.ResponseWriter, r *http.Request) error {
		http.Redirect(w, r, "/ui/today", http.StatusSeeOther)
		return nil
	}))
	mux.HandleFunc("/", page(func(w http.ResponseWriter, r *http.Request) error {
		return &statusError{status: http.StatusNotFound, code: "not_found", msg: "no page " + r.Method + " " + r.URL.Path}
	}))
	return mux
}

func (s *Server) uiPage(title string) uiPage {
	return uiPage{Title: title, Style: template.CSS(uiStyle), Zone: s.cfg.Location.String(), loc: s.cfg.Location}
}

// render executes a page's template into a buffer first, so that a failure answers 500
// instead of half a page.
func render(w http.ResponseWriter, name string, data any) error {
	var buf bytes.Buffer
	if err := uiTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := buf.WriteTo(w)
	return err
}

func (s *Server) contractPage(w http.ResponseWriter, r *http.Request) error {
	if err := (route{query: []string{"on"}}).checkQuery(r.URL.Query()); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	on, err := s.explainDate(r)
	if err != nil {
		return err
	}
	e, err := s.store.Explain(r.Context(), id, on, s.cfg.RenewalThresholds)
	if err != nil {
		return err
	}
	t, err := s.store.Timeline(r.Context(), id, records.DefaultTimelineLimit, s.today())
	if err != nil {
		return err
	}
	return render(w, "contract", struct {
		uiPage
		Explain  ExplanationJSON
		Timeline TimelineJSON
	}{s.uiPage(fmt.Sprintf("Contract %d", id)), ToExplanationJSON(e), ToTimelineJSON(t)})
}

// figureJSON is a figure as the page shows it.
type figureJSON struct {
	Count  int64
	Amount string
}

func toFigure(f records.Figure) figureJSON {
	return figureJSON{Count: f.Count, Amount: money(f.Amount)}
}

func (s *Server) todayPage(w http.ResponseWriter, r *http.Request) error {
	if err := (route{query: []string{"on", "contract"}}).checkQuery(r.URL.Query()); err != nil {
		return err
	}
	if v := r.URL.Query().Get("contract"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			return invalid("contract", "want a positive whole number, got %q", v)
		}
		http.Redirect(w, r, fmt.Sprintf("/ui/contracts/%d", id), http.StatusSeeOther)
		return nil
	}
	on, err := s.explainDate(r)
	if err != nil {
		return err
	}
	f, err := s.store.DayFigures(r.Context(), on)
	if err != nil {
		return err
	}
	type figures struct {
		On                         string
		Billed, Collected, Overdue figureJSON
		Steps                      []records.StepCount
	}
	return render(w, "today", struct {
		uiPage
		Figures figures
	}{s.uiPage("Today"), figures{On: f.On.Format(time.DateOnly), Billed: toFigure(f.Billed), Collected: toFigure(f.Collected),
		Overdue: toFigure(f.Overdue), Steps: f.Steps}})
}
