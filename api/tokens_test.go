package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/jobs"
)

// newToken creates a named token with the bootstrap token and returns its value.
func (b *bundle) newToken(name string) (id int64, token string) {
	b.t.Helper()
	r := b.must(http.StatusCreated, "POST", "/v1/tokens", map[string]any{"name": name})
	token, _ = r.body["token"].(string)
	return r.id(b.t), token
}

// TestNamedTokenLifecycle: a named token is 32 random bytes shown once, kept as its SHA-256
// only; it authenticates like the bootstrap token and its use is recorded; revoked, it is
// refused with 401 and its name is free again. A second live token of the same name is a 409.
func TestNamedTokenLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.must(http.StatusCreated, "POST", "/v1/tokens", `{"name": "ops-ana"}`)
	token, _ := r.body["token"].(string)
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, api.TokenPrefix))
	if !strings.HasPrefix(token, "bld_") || err != nil || len(raw) != 32 {
		t.Fatalf("token %q: want bld_ and 32 bytes in base64url (%v)", token, err)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	id := r.id(t)
	if r.header.Get("Location") != fmt.Sprintf("/v1/tokens/%d", id) || r.body["name"] != "ops-ana" ||
		r.body["created_by"] != "bootstrap" || r.body["last_used_at"] != nil || r.body["revoked_at"] != nil {
		t.Errorf("created token: %s (Location %q)", r.raw, r.header.Get("Location"))
	}
	// Only the hash is stored, and the token appears nowhere in the database.
	var hash []byte
	if err := b.pool.QueryRow(context.Background(), "SELECT token_hash FROM api_tokens WHERE id = $1", id).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(token)); !bytes.Equal(hash, sum[:]) {
		t.Errorf("stored hash %x, want the SHA-256 of the token", hash)
	}
	b.requireNowhereInDatabase(token)
	if r := b.must(http.StatusOK, "GET", "/v1/tokens", nil); strings.Contains(string(r.raw), token) || strings.Contains(string(r.raw), "hash") {
		t.Errorf("the list shows the token or its hash: %s", r.raw)
	}

	if r := b.sendAs("GET", "/v1/plans", nil, "Bearer "+token); r.status != http.StatusOK {
		t.Fatalf("request with the named token: %d %s", r.status, r.raw)
	}
	items := b.must(http.StatusOK, "GET", "/v1/tokens", nil).items(t)
	if len(items) != 1 || items[0]["last_used_at"] == nil {
		t.Errorf("after use: %v, want last_used_at set", items)
	}
	// last_used_at is written at most once a minute.
	lastUsed := func() time.Time {
		var at time.Time
		if err := b.pool.QueryRow(context.Background(), "SELECT last_used_at FROM api_tokens WHERE id = $1", id).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	first := lastUsed()
	b.sendAs("GET", "/v1/plans", nil, "Bearer "+token)
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("a second use within the minute moved last_used_at from %s to %s", first, got)
	}
	b.exec("UPDATE api_tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1", id)
	stale := lastUsed()
	b.sendAs("GET", "/v1/plans", nil, "Bearer "+token)
	if got := lastUsed(); !got.After(stale) {
		t.Errorf("a use a minute later left last_used_at at %s", got)
	}
	if r := b.sendAs("POST", "/v1/tokens", `{"name": "ops-ana"}`, "Bearer "+token); r.status != http.StatusConflict ||
		!strings.Contains(r.err(t).Message, `already named "ops-ana"`) {
		t.Errorf("second live token of the same name: %d %s", r.status, r.raw)
	}

	revoked := b.sendAs("DELETE", fmt.Sprintf("/v1/tokens/%d", id), nil, "Bearer "+token)
	if revoked.status != http.StatusOK || revoked.body["revoked_at"] == nil || revoked.body["revoked_by"] != "ops-ana" {
		t.Fatalf("revoke: %d %s", revoked.status, revoked.raw)
	}
	r = b.sendAs("GET", "/v1/plans", nil, "Bearer "+token)
	if r.status != http.StatusUnauthorized || r.err(t).Message != "the bearer token was revoked" ||
		r.header.Get("WWW-Authenticate") != `Bearer realm="billingd"` {
		t.Errorf("request with the revoked token: %d %s", r.status, r.raw)
	}
	again := b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/tokens/%d", id), nil)
	if !reflect.DeepEqual(again.body, revoked.body) {
		t.Errorf("revoking again changed the token: %s, was %s", again.raw, revoked.raw)
	}
	b.must(http.StatusNotFound, "DELETE", "/v1/tokens/999", nil)
	if _, second := b.newToken("ops-ana"); second == token {
		t.Error("a new token repeats the revoked one")
	}
	// A token of the right shape that was never made, and garbage, are refused alike.
	for _, wrong := range []string{api.TokenPrefix + strings.Repeat("A", 43), api.TokenPrefix + "short", token + "x"} {
		if r := b.sendAs("GET", "/v1/plans", nil, "Bearer "+wrong); r.status != http.StatusUnauthorized ||
			r.err(t).Message != "missing or wrong bearer token" {
			t.Errorf("token %q: %d %s", wrong, r.status, r.raw)
		}
	}
}

// TestTokenNames: a name is the audit log's actor, so it is refused when empty, in capitals,
// with other characters, too long or "bootstrap", naming the field.
func TestTokenNames(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, name := range []string{"", "Ops", "ops ana", "cli:ana", "bootstrap", strings.Repeat("a", 64), "-ops"} {
		r := b.send("POST", "/v1/tokens", map[string]any{"name": name})
		if r.status != http.StatusUnprocessableEntity || r.err(t).Field != "name" {
			t.Errorf("name %q: %d %s", name, r.status, r.raw)
		}
	}
	b.must(http.StatusCreated, "POST", "/v1/tokens", map[string]any{"name": strings.Repeat("a", 63)})
	var n int
	if err := b.pool.QueryRow(context.Background(), "SELECT count(*) FROM api_tokens").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d tokens stored (%v), want the one valid", n, err)
	}
}

// requireNowhereInDatabase fails the test when any row of any table holds s.
func (b *bundle) requireNowhereInDatabase(s string) {
	b.t.Helper()
	rows, err := b.pool.Query(context.Background(), `SELECT table_schema || '.' || table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema IN ('public', 'river')`)
	if err != nil {
		b.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			b.t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, table := range tables {
		var n int
		if err := b.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table+" r WHERE strpos(r::text, $1) > 0", s).Scan(&n); err != nil {
			b.t.Fatal(err)
		}
		if n > 0 {
			b.t.Errorf("%d rows of %s hold the token", n, table)
		}
	}
}

// TestTokensNeverLogged runs a token's life — created, used, used wrongly, revoked, refused,
// at the API and at the River UI, with a database error in between — on a server logging
// everything at debug level: no log line holds the token, nor the bootstrap token.
func TestTokensNeverLogged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	logs := &syncWriter{w: &bytes.Buffer{}}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := api.New(api.Config{Store: b.store, Jobs: jobs.Names(), Token: testToken, Location: saoPaulo,
		Now: func() time.Time { return testNow }, Logger: logger, CatchUpDays: 31, TrustUnlockMaxDays: 7, TrustUnlocksPerEpisode: 1,
		DryRunner: dryRunner(b.pool, b.store), DryRunTimeout: time.Nanosecond, DryRunSample: 5})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	ui := httptest.NewServer(srv.GuardOperatorUI(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	t.Cleanup(ui.Close)
	b.server = ts
	_, token := b.newToken("ops-log")
	for _, req := range []struct{ method, path, body, auth string }{
		{"GET", "/v1/plans", "", "Bearer " + token},
		{"POST", "/v1/runs", `{"job": "generate-installments", "dry_run": true}`, "Bearer " + token}, // 504: logged?
		{"GET", "/v1/plans/999", "", "Bearer " + token},
		{"GET", "/v1/plans", "", "Bearer " + token + "x"},
		{"DELETE", "/v1/tokens/1", "", "Bearer " + token},
		{"GET", "/v1/plans", "", "Bearer " + token},
	} {
		b.sendAs(req.method, req.path, nilIfEmpty(req.body), req.auth)
	}
	for _, password := range []string{testToken, token} {
		req, err := http.NewRequest("POST", ui.URL+"/riverui/api/jobs/retry", strings.NewReader(`{"ids": ["1"]}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("ops", password)
		resp, err := ui.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// The database goes away under a request with the token: the 503 is logged.
	b.pool.Close()
	b.sendAs("GET", "/v1/plans", nil, "Bearer "+token)
	b.sendAs("POST", "/v1/tokens", `{"name": "ops-late"}`, "Bearer "+testToken) // and its audit record fails
	if !strings.Contains(logs.String(), "look up token") || !strings.Contains(logs.String(), "audit record not written") {
		t.Fatalf("the failures were not logged: the test proves nothing:\n%s", logs.String())
	}
	for _, secret := range []string{token, testToken, strings.TrimPrefix(token, api.TokenPrefix)} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a log line holds a token:\n%s", logs.String())
		}
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// syncWriter serialises writes to w (the server logs from its handlers' goroutines).
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
