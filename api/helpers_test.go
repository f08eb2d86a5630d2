package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

const testToken = "test-token-0123456789"

// saoPaulo is the business time zone of every test server.
var saoPaulo = func() *time.Location {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		panic(err)
	}
	return loc
}()

// changeDefaults are the contract changes' settings at their defaults.
var changeDefaults = records.ChangeSettings{DueChangeProration: billing.ProrationCharge, DueChangeMinDays: 180, PauseMinMonths: 12}

// testNow is the fixed clock of every test server: 2026-07-20 12:00 in São Paulo.
var testNow = time.Date(2026, 7, 20, 12, 0, 0, 0, saoPaulo)

// bundle is one test's API server on its own migrated database.
type bundle struct {
	t      *testing.T
	pool   *pgxpool.Pool
	store  *postgres.Store
	server *httptest.Server
	api    *api.Server
}

// setup starts an API server on a fresh database, configured as in production.
func setup(t *testing.T) *bundle {
	t.Helper()
	return setupStore(t, nil)
}

// setupStore is setup with the store changed by configure (when not nil) before the server
// starts, as a setting would change it (BILLINGD_PARTIAL_PAYMENTS=false:
// RefusePartialPayments).
func setupStore(t *testing.T, configure func(*postgres.Store)) *bundle {
	t.Helper()
	return setupWith(t, configure, nil)
}

// setupWith is setupStore with the API's configuration also changed by configureAPI (when
// not nil), as a setting would change it (BILLINGD_CANCEL_REASON_REQUIRED=false:
// CancelReasonOptional).
func setupWith(t *testing.T, configure func(*postgres.Store), configureAPI func(*api.Config)) *bundle {
	t.Helper()
	pool, err := postgres.Open(context.Background(), dbtest.NewURL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	logger := slog.New(slog.DiscardHandler)
	store := newStore(t, pool)
	if configure != nil {
		configure(store)
	}
	cfg := api.Config{
		Store: store, Jobs: jobs.Names(), Token: testToken, Location: saoPaulo,
		Now: func() time.Time { return testNow }, Logger: logger, CatchUpDays: 31,
		TrustUnlockMaxDays: 7, TrustUnlocksPerEpisode: 1, // the settings' defaults
		DryRunner: dryRunner(pool, store), DryRunTimeout: 30 * time.Second, DryRunSample: 50,
		Changes:           changeDefaults,
		RenewalThresholds: renewal.Thresholds{Queue: 3, Renewal: 2},
	}
	if configureAPI != nil {
		configureAPI(&cfg)
	}
	srv := api.New(cfg)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { checkLedger(t, pool) })
	return &bundle{t: t, pool: pool, store: store, server: ts, api: srv}
}

// checkLedger fails t unless every installment's lines sum to its cached totals
// (postgres.LinesOffTotals): run when every API test ends.
func checkLedger(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	// On a connection of its own: a test may have closed the pool on purpose.
	conn, err := pgx.Connect(context.Background(), pool.Config().ConnString())
	if err != nil {
		t.Errorf("ledger invariant: %v", err)
		return
	}
	defer conn.Close(context.Background())
	var off int64
	if err := conn.QueryRow(context.Background(), postgres.LinesOffTotals).Scan(&off); err != nil {
		t.Errorf("ledger invariant: %v", err)
		return
	}
	if off != 0 {
		t.Errorf("ledger invariant: %d installment(s) whose lines do not sum to their amount and discount", off)
	}
}

// newStore returns the store of pool as the daemon builds it: with River follow-ups.
func newStore(tb testing.TB, pool *pgxpool.Pool) *postgres.Store {
	tb.Helper()
	followUps, err := jobs.NewFollowUps(slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	return &postgres.Store{Pool: pool, FollowUps: followUps, Location: saoPaulo}
}

// dryRunner returns the runner of the daemon's sweeps (as cmd/billingd wires them, with the
// settings' defaults) for the API's dry runs.
func dryRunner(pool *pgxpool.Pool, store *postgres.Store) *jobs.Runner {
	return &jobs.Runner{Pool: pool, Store: store, Location: saoPaulo, Now: func() time.Time { return testNow },
		Logger: slog.New(slog.DiscardHandler), BatchSize: 2000, Sweeps: map[string]jobs.Sweep{
			jobs.GenerateInstallments: postgres.GenerateSweep{FollowUps: store.FollowUps},
			jobs.RenewContracts:       postgres.RenewSweep{Thresholds: renewal.Thresholds{Queue: 3, Renewal: 2}, FollowUps: store.FollowUps},
			jobs.BlockDelinquent: postgres.BlockSweep{FollowUps: store.FollowUps,
				Today: func() time.Time { return billing.DateOf(testNow, saoPaulo) }},
			jobs.ResetBenefitQuotas: postgres.ResetBenefitQuotasSweep{},
			jobs.SendNotices:        postgres.NoticeSweep{DaysBeforeDue: 3, FollowUps: store.FollowUps},
			jobs.ImportPayments: postgres.ImportPaymentsSweep{Store: store, Now: func() time.Time { return testNow },
				Logger: slog.New(slog.DiscardHandler)},
		}}
}

// with returns the bundle reporting to t, for a parallel subtest.
func (b *bundle) with(t *testing.T) *bundle {
	c := *b
	c.t = t
	return &c
}

// response is a decoded API answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// apiErr is the JSON error body.
type apiErr struct {
	Error     string `json:"error"`
	Field     string `json:"field"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

func (r response) err(t *testing.T) apiErr {
	t.Helper()
	var e apiErr
	if err := json.Unmarshal(r.raw, &e); err != nil {
		t.Fatalf("error body %q: %v", r.raw, err)
	}
	if e.Error == "" || e.Message == "" || e.RequestID == "" {
		t.Errorf("error body %s lacks error, message or request_id", r.raw)
	}
	return e
}

// items returns the items of a list answer.
func (r response) items(t *testing.T) []map[string]any {
	t.Helper()
	var l struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(r.raw, &l); err != nil {
		t.Fatalf("list body %q: %v", r.raw, err)
	}
	return l.Items
}

// id returns the body's "id" as an int64.
func (r response) id(t *testing.T) int64 {
	t.Helper()
	v, ok := r.body["id"].(float64)
	if !ok {
		t.Fatalf("no id in %s", r.raw)
	}
	return int64(v)
}

// send sends body (a string, []byte or a value to marshal; nil for none) with the test token.
func (b *bundle) send(method, path string, body any) response {
	b.t.Helper()
	return b.sendAs(method, path, body, "Bearer "+testToken)
}

// sendAs sends a request with the given Authorization header ("" for none).
func (b *bundle) sendAs(method, path string, body any, auth string) response {
	b.t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	case []byte:
		rd = bytes.NewReader(v)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, b.server.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return b.do(req)
}

// do sends req as it is and decodes the answer.
func (b *bundle) do(req *http.Request) response {
	b.t.Helper()
	method, path := req.Method, req.URL.Path
	resp, err := b.server.Client().Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if got := resp.Header.Get("Content-Type"); got != "application/json" {
			b.t.Errorf("%s %s: Content-Type %q, want application/json", method, path, got)
		}
		if err := json.Unmarshal(raw, &out.body); err != nil {
			b.t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
		}
	}
	return out
}

// must sends a request and fails the test unless the status is want.
func (b *bundle) must(want int, method, path string, body any) response {
	b.t.Helper()
	r := b.send(method, path, body)
	if r.status != want {
		b.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.raw)
	}
	return r
}

// counts is the number of rows of every table the API writes.
type counts map[string]int

var countedTables = []string{"customers", "plans", "contracts", "installments", "installment_lines", "payments", "holidays",
	"job_runs", "river.river_job", "email_templates", "notices", "events", "webhook_endpoints"}

func (b *bundle) counts() counts {
	b.t.Helper()
	out := counts{}
	for _, table := range countedTables {
		var n int
		if err := b.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			b.t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// snapshot is a digest of every row the API can change, to prove a request wrote nothing.
func (b *bundle) snapshot() string {
	b.t.Helper()
	var sb strings.Builder
	fmt.Fprint(&sb, b.counts())
	for _, q := range []string{
		"SELECT coalesce(string_agg(c::text, '|' ORDER BY id), '') FROM contracts c",
		"SELECT coalesce(string_agg(i::text, '|' ORDER BY id), '') FROM installments i",
		"SELECT coalesce(string_agg(l::text, '|' ORDER BY id), '') FROM installment_lines l",
		"SELECT coalesce(string_agg(p::text, '|' ORDER BY id), '') FROM payments p",
		"SELECT coalesce(string_agg(h::text, '|' ORDER BY day), '') FROM holidays h",
		"SELECT coalesce(string_agg(r::text, '|' ORDER BY id), '') FROM installment_redates r",
	} {
		var s string
		if err := b.pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
			b.t.Fatalf("%s: %v", q, err)
		}
		sb.WriteString("\n" + s)
	}
	return sb.String()
}

// generate runs the generate-installments sweep over every contract as of asOf, as River would.
func (b *bundle) generate(asOf string) map[string]int64 {
	b.t.Helper()
	return b.sweepBatch("generate-installments", postgres.GenerateSweep{}, asOf)
}

// sweepBatch runs one batch of sweep over every contract as of asOf in its own transaction and
// returns its counts; name says which sweep failed.
func (b *bundle) sweepBatch(name string, sweep jobs.Sweep, asOf string) map[string]int64 {
	b.t.Helper()
	day, err := billing.ParseDate(asOf)
	if err != nil {
		b.t.Fatal(err)
	}
	var got map[string]int64
	err = pgx.BeginFunc(context.Background(), b.pool, func(tx pgx.Tx) error {
		got, err = sweep.Batch(context.Background(), tx, day, 0, math.MaxInt64)
		return err
	})
	if err != nil {
		b.t.Fatalf("%s as of %s: %v", name, asOf, err)
	}
	return got
}

// exec runs a statement on the test database.
func (b *bundle) exec(sql string, args ...any) {
	b.t.Helper()
	if _, err := b.pool.Exec(context.Background(), sql, args...); err != nil {
		b.t.Fatalf("%s: %v", sql, err)
	}
}

// plan creates a monthly plan of 12 installments at price (minimum minPrice when not empty).
func (b *bundle) plan(price, minPrice string) int64 {
	b.t.Helper()
	body := map[string]any{"name": "Plano Mensal", "price": price, "period": "monthly", "installments_per_term": 12}
	if minPrice != "" {
		body["min_price"] = minPrice
	}
	return b.must(http.StatusCreated, "POST", "/v1/plans", body).id(b.t)
}

// customer creates a customer.
func (b *bundle) customer() int64 {
	b.t.Helper()
	return b.must(http.StatusCreated, "POST", "/v1/customers",
		map[string]any{"name": "Ana Souza", "email": "ana@example.com", "document": "123.456.789-09"}).id(b.t)
}

// contract creates a contract for a new customer on plan with the fields of extra.
func (b *bundle) contract(plan int64, extra map[string]any) response {
	b.t.Helper()
	body := map[string]any{"customer_id": b.customer(), "plan_id": plan}
	for k, v := range extra {
		body[k] = v
	}
	return b.must(http.StatusCreated, "POST", "/v1/contracts", body)
}

// installments lists a contract's installments as (kind, sequence, due_date, amount, state) rows.
func (b *bundle) installments(contract int64) []string {
	b.t.Helper()
	r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/installments", contract), nil)
	var out []string
	for _, it := range r.items(b.t) {
		out = append(out, fmt.Sprintf("%s %v %s %s %s", it["kind"], it["sequence"], it["due_date"], it["amount"], it["state"]))
	}
	return out
}

// linesOf returns the lines of a contract's installment of kind and sequence, as the API
// shows them, one "kind amount [× quantity at unit_price]: description" row each.
func (b *bundle) linesOf(contract int64, kind string, sequence int) []string {
	b.t.Helper()
	r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/installments?limit=500", contract), nil)
	for _, it := range r.items(b.t) {
		if it["kind"] != kind || it["sequence"] != float64(sequence) {
			continue
		}
		out := []string{}
		for _, raw := range it["lines"].([]any) {
			l := raw.(map[string]any)
			row := fmt.Sprintf("%s %s", l["kind"], l["amount"])
			if l["quantity"] != "1" || l["unit_price"] != nil {
				row += fmt.Sprintf(" × %v at %v", l["quantity"], l["unit_price"])
			}
			out = append(out, row+": "+l["description"].(string))
		}
		return out
	}
	b.t.Fatalf("no %s installment %d of contract %d", kind, sequence, contract)
	return nil
}

// installmentID returns the id of a contract's installment of kind and sequence.
func (b *bundle) installmentID(contract int64, kind string, sequence int) int64 {
	b.t.Helper()
	var id int64
	err := b.pool.QueryRow(context.Background(),
		"SELECT id FROM installments WHERE contract_id = $1 AND kind = $2 AND sequence = $3", contract, kind, sequence).Scan(&id)
	if err != nil {
		b.t.Fatalf("installment %s %d of contract %d: %v", kind, sequence, contract, err)
	}
	return id
}
