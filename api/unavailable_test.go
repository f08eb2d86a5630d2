package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/postgres"
)

// TestDatabaseDownIs503: while the database cannot be reached (a pool on a loopback port
// nobody listens on), every request that needs it answers 503 with Retry-After and an error
// that names neither the database user, host nor port — not a 500.
func TestDatabaseDownIs503(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	pool, err := pgxpool.New(context.Background(), "postgres://billing_owner@127.0.0.1:"+port+"/billingd?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	srv := httptest.NewServer(api.New(api.Config{Store: &postgres.Store{Pool: pool}, Token: testToken, Location: saoPaulo,
		Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler), CatchUpDays: 31}))
	t.Cleanup(srv.Close)
	b := &bundle{t: t, server: srv}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/v1/plans", ""},
		{"GET", "/v1/contracts/1", ""},
		{"POST", "/v1/customers", `{"name": "Ana Souza", "email": "ana@example.com"}`},
		{"POST", "/v1/installments/1/payments", `{"amount": "99.90", "paid_at": "2026-07-10"}`},
		{"GET", "/v1/runs", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := b.with(t).send(tc.method, tc.path, body)
			if r.status != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503; body %s", r.status, r.raw)
			}
			if got := r.header.Get("Retry-After"); got == "" {
				t.Errorf("no Retry-After header")
			}
			if e := r.err(t); e.Error != "unavailable" {
				t.Errorf("error %q, want unavailable", e.Error)
			}
			for _, secret := range []string{"billing_owner", "127.0.0.1", port} {
				if strings.Contains(string(r.raw), secret) {
					t.Errorf("the answer names %q: %s", secret, r.raw)
				}
			}
		})
	}
}
