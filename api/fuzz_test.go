package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
)

// fuzzServer is the API on a real database with the rows the fuzzed requests can find:
// plan 1, customer 1, contract 1 pending activation, contract 2 active with its
// installments (installment 1 open, installment 2 paid by payment 1), the holiday
// 2026-11-30, benefit 1 granted by plan 1, blocking rule 1 and e-mail template 1.
type fuzzServer struct {
	pool *pgxpool.Pool
	srv  *api.Server
}

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, dbtest.NewURL(f), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(pool.Close)
	logger := slog.New(slog.DiscardHandler)
	store := newStore(f, pool)
	s := &fuzzServer{pool: pool, srv: api.New(api.Config{
		DryRunner: dryRunner(pool, store),
		Store:     store, Jobs: jobs.Names(), Token: testToken, Location: saoPaulo,
		Now: func() time.Time { return testNow }, Logger: logger, CatchUpDays: 31,
		TrustUnlockMaxDays: 7, TrustUnlocksPerEpisode: 1, // the settings' defaults
		DryRunTimeout: 30 * time.Second, DryRunSample: 50,
	})}
	for _, req := range []struct{ path, body string }{
		{"/v1/plans", `{"name": "Plano", "price": "99.90", "period": "monthly", "installments_per_term": 12}`},
		{"/v1/customers", `{"name": "Ana", "email": "ana@example.com"}`},
		{"/v1/contracts", `{"customer_id": 1, "plan_id": 1, "adhesion_date": "2026-07-01", "wait_activation": true, "due_date_rule": {"kind": "fixed_day", "day": 10}}`},
		{"/v1/contracts", `{"customer_id": 1, "plan_id": 1, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "fixed_day", "day": 10}}`},
		{"/v1/holidays", `{"date": "2026-11-30", "name": "Feriado"}`},
		{"/v1/benefits", `{"name": "Banho", "unit_cost": "30.00"}`},
		{"/v1/plans/1/benefits", `{"benefit_id": 1, "quantity": 4, "renewal_period": "monthly"}`},
		{"/v1/blocking-rules", `{"name": "Padrão", "block_after_days": 10, "warning_days": 3}`},
		{"/v1/email-templates", `{"kind": "renewed", "subject": "Renovado", "html_body": "<p>Renovado</p>", "text_body": "Renovado"}`},
	} {
		if code, body := s.post(req.path, []byte(req.body)); code != http.StatusCreated {
			f.Fatalf("fixture %s: %d %s", req.path, code, body)
		}
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := postgres.GenerateSweep{}.Batch(ctx, tx, time.Date(2026, 7, 20, 0, 0, 0, 0, time.UTC), 0, math.MaxInt64)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	if code, body := s.post("/v1/installments/2/payments", []byte(`{"amount": "99.90", "paid_at": "2026-07-20"}`)); code != http.StatusOK {
		f.Fatalf("fixture payment: %d %s", code, body)
	}
	return s
}

// post sends body to path with the token, in process.
func (s *fuzzServer) post(path string, body []byte) (int, []byte) {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { defer close(done); s.srv.ServeHTTP(rec, req) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		panic(fmt.Sprintf("POST %s %q hangs\n%s", path, body, buf[:n]))
	}
	return rec.Code, rec.Body.Bytes()
}

// rows counts the rows of every table a request can write.
func (s *fuzzServer) rows(t *testing.T) string {
	t.Helper()
	var out string
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.pool.QueryRow(ctx, `SELECT concat_ws(',', (SELECT count(*) FROM plans), (SELECT count(*) FROM customers),
		(SELECT count(*) FROM contracts), (SELECT count(*) FROM installments), (SELECT count(*) FROM installments WHERE state <> 'open'),
		(SELECT count(*) FROM contracts WHERE status <> 'active'), (SELECT count(*) FROM holidays), (SELECT count(*) FROM job_runs),
		(SELECT count(*) FROM renewals), (SELECT count(*) FROM blocking_rules), (SELECT count(*) FROM block_episodes),
		(SELECT count(*) FROM benefits), (SELECT count(*) FROM plan_benefits), (SELECT count(*) FROM benefit_usages),
		(SELECT count(*) FROM benefit_balances), (SELECT count(*) FROM email_templates), (SELECT count(*) FROM notices),
		(SELECT count(*) FROM payments), (SELECT count(*) FROM payments WHERE reversed_at IS NOT NULL),
		(SELECT count(*) FROM installment_lines))`).Scan(&out)
	if err != nil {
		st := s.pool.Stat()
		t.Fatalf("count rows: %v (pool: %d acquired of %d)", err, st.AcquiredConns(), st.MaxConns())
	}
	return out
}

// check sends body to path and holds the API to its promise on hostile input: never a
// panic or a 5xx; a 2xx with a JSON object, or a 4xx with a JSON error that names the field
// (for an unreadable or invalid body) and nothing written.
func (s *fuzzServer) check(t *testing.T, path string, body []byte) {
	t.Helper()
	before := s.rows(t)
	code, raw := s.post(path, body)
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatalf("POST %s %q: status %d, body %q is not a JSON object", path, body, code, raw)
	}
	switch {
	case code >= 200 && code < 300:
		return
	case code >= 400 && code < 500:
		msg, _ := obj["message"].(string)
		if obj["error"] == nil || msg == "" {
			t.Fatalf("POST %s %q: %d without error and message: %s", path, body, code, raw)
		}
		if field, _ := obj["field"].(string); field == "" && (code == 400 || code == 413 || code == 422) {
			t.Fatalf("POST %s %q: %d names no field: %s", path, body, code, raw)
		}
		if after := s.rows(t); after != before {
			t.Fatalf("POST %s %q: %d but rows changed from %s to %s", path, body, code, before, after)
		}
	default:
		t.Fatalf("POST %s %q: status %d, want 2xx or 4xx: %s", path, body, code, raw)
	}
}

// FuzzDecodeContractRequest sends arbitrary bytes as the body of POST /v1/contracts.
func FuzzDecodeContractRequest(f *testing.F) {
	s := newFuzzServer(f)
	f.Add([]byte(`{"customer_id": 1, "plan_id": 1, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s.check(t, "/v1/contracts", body)
	})
}

// FuzzPaymentAmount posts payments of installment 1 with arbitrary amount, date and
// reference strings (the payment parsers: billing.ParseMoney, the date, the reference) and
// holds the payment path to its promise: never a 5xx; a 2xx answers the payment as
// recorded, its amount the one posted, its parts adding up to it, the installment's lines
// summing to its totals; a 4xx names the field and writes nothing (check).
func FuzzPaymentAmount(f *testing.F) {
	s := newFuzzServer(f)
	f.Add("50.00", "2026-07-20", "")
	f.Add("0.01", "2026-07-10", "erp-1")
	f.Add("99.9", "2026-07-11", "a.b_c-d")
	f.Add("100.23", "2026-07-20", "erp-1")
	f.Fuzz(func(t *testing.T, amount, paidAt, reference string) {
		req := map[string]any{"amount": amount, "paid_at": paidAt}
		if reference != "" {
			req["reference"] = reference
		}
		body, err := json.Marshal(req)
		if err != nil {
			return // not valid UTF-8: FuzzRequestBodies sends raw bytes
		}
		s.check(t, "/v1/installments/1/payments", body)
		code, raw := s.post("/v1/installments/1/payments", body) // again: a duplicate, a conflict or a second payment
		if code < 200 || code >= 300 {
			return
		}
		var got struct {
			Payment struct {
				Amount, Principal, Fine, Interest, Credit string
			} `json:"payment"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		want, err := billing.ParseMoney(amount)
		p := got.Payment
		if err != nil || p.Amount != billing.FormatMoney(want) {
			t.Fatalf("posted %q, recorded %s", amount, p.Amount)
		}
		var sum decimal.Decimal
		for _, part := range []string{p.Principal, p.Fine, p.Interest, p.Credit} {
			sum = sum.Add(decimal.RequireFromString(part))
		}
		if !sum.Equal(want) {
			t.Fatalf("the parts of %s add up to %s: %+v", amount, sum, p)
		}
		var off int64
		if err := s.pool.QueryRow(context.Background(), postgres.LinesOffTotals).Scan(&off); err != nil || off != 0 {
			t.Fatalf("ledger invariant: %d off (%v)", off, err)
		}
	})
}

// bodyRoutes are the other routes that read a JSON body, with ids the fixture has.
var bodyRoutes = []string{
	"/v1/plans", "/v1/customers", "/v1/contracts/1/activate", "/v1/contracts/2/cancel",
	"/v1/installments/1/payments", "/v1/holidays", "/v1/runs", "/v1/contracts/2/renew", "/v1/blocking-rules",
	"/v1/contracts/2/trust-unlock", "/v1/contracts/2/due-date-rule", "/v1/contracts/2/plan-change", "/v1/contracts/2/pause",
	"/v1/contracts/2/resume", "/v1/contracts/2/changes/1/cancel", "/v1/benefits", "/v1/plans/1/benefits", "/v1/contracts/2/benefit-usages",
	"/v1/contracts/2/charges", "/v1/contracts/2/addons",
	"/v1/email-templates", "/v1/tokens", "/v1/payments/1/reverse", "/v1/simulations?until=2027-07-20", "/v1/webhooks",
	"/v1/installments/1/cancel", "/v1/grouped-charges/1/payments", "/v1/cancellation-reasons", "/v1/contracts/2/subjects",
}

// FuzzRequestBodies sends arbitrary bytes as the body of every other route that reads one.
func FuzzRequestBodies(f *testing.F) {
	s := newFuzzServer(f)
	f.Add(uint8(6), []byte(`{"job": "generate-installments", "as_of": "2026-07-20"}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		s.check(t, bodyRoutes[int(route)%len(bodyRoutes)], body)
	})
}

// TestFuzzRoutesReadBodies keeps bodyRoutes in step with the routes that read a body.
func TestFuzzRoutesReadBodies(t *testing.T) {
	t.Parallel()
	var want []string
	for _, r := range (&api.Server{}).Routes() {
		// The return file upload reads a file, not JSON: FuzzParseReturnFile fuzzes its parser.
		if strings.HasPrefix(r, "POST ") && r != "POST /v1/contracts" && r != "POST /v1/payment-files" {
			want = append(want, strings.TrimPrefix(r, "POST "))
		}
	}
	got := make([]string, len(bodyRoutes))
	for i, p := range bodyRoutes {
		path, _, _ := strings.Cut(p, "?")
		got[i] = strings.NewReplacer("changes/1/", "changes/{change_id}/", "/1/", "/{id}/", "/2/", "/{id}/").Replace(path)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("FuzzRequestBodies covers %v, want every POST route but contracts: %v", got, want)
	}
}

// FuzzTimelineQuery: any contract id, limit and date given to GET /v1/contracts/{id}/timeline
// and /explain answers 200, 400 naming the parameter or 404, always JSON, never a 500.
func FuzzTimelineQuery(f *testing.F) {
	s := newFuzzServer(f)
	f.Add("2", "10", "2026-07-20")
	f.Add("1", "", "")
	f.Add("0", "5001", "2026-02-30")
	f.Add("9999999999999999999", "-1", "20260720")
	f.Fuzz(func(t *testing.T, id, limit, on string) {
		for _, path := range []string{
			"/v1/contracts/" + url.PathEscape(id) + "/timeline?limit=" + url.QueryEscape(limit),
			"/v1/contracts/" + url.PathEscape(id) + "/explain?on=" + url.QueryEscape(on),
		} {
			req := httptest.NewRequest(http.MethodGet, "http://billingd"+path, nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			rec := httptest.NewRecorder()
			s.srv.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusMovedPermanently, http.StatusTemporaryRedirect: // a path with dot segments, cleaned by the mux
				continue
			case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed:
			default:
				t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("GET %s: %d, body not JSON: %q", path, rec.Code, rec.Body)
			}
		}
	})
}
