package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// sendWith sends a request with the given Authorization and extra headers.
func (b *bundle) sendWith(method, path string, body any, auth string, headers map[string]string) response {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		data, ok := body.(string)
		if !ok {
			raw, err := json.Marshal(body)
			if err != nil {
				b.t.Fatal(err)
			}
			data = string(raw)
		}
		rd = strings.NewReader(data)
	}
	req, err := http.NewRequest(method, b.server.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", auth)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return b.do(req)
}

// audit lists the audit log with query (such as "?actor=ops").
func (b *bundle) audit(query string) []map[string]any {
	b.t.Helper()
	return b.must(http.StatusOK, "GET", "/v1/audit"+query, nil).items(b.t)
}

// withoutAt drops the id and the time of an audit record, to compare the rest.
func withoutAt(m map[string]any) map[string]any { return without(m, "id", "at") }

// TestAuditAttributesRunAndTrustUnlock: a manual run and a trust unlock made with the named
// token "ops-ana" are in the audit log under that name and token, with the route, the path
// ids, the status, the reason, the request id and the run's job, date and id; each record was
// written in the transaction of its change (its time is the transaction's: the run's
// enqueued_at, the contract's updated_at).
func TestAuditAttributesRunAndTrustUnlock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.delinquent("2026-07-01", 0)
	b.block("2026-07-11")
	tokenID, token := b.newToken("ops-ana")

	run := b.sendWith("POST", "/v1/runs", `{"job": "block-delinquent", "as_of": "2026-01-05", "force": true,
		"reason": "rerun after the bank's outage"}`, "Bearer "+token, map[string]string{"X-Request-Id": "req-run-1"})
	if run.status != http.StatusAccepted {
		t.Fatalf("run: %d %s", run.status, run.raw)
	}
	unlock := b.sendWith("POST", fmt.Sprintf("/v1/contracts/%d/trust-unlock", c), `{"days": 3, "reason": "promised to pay on Friday"}`,
		"Bearer "+token, map[string]string{"X-Request-Id": "req-unlock-1"})
	if unlock.status != http.StatusOK {
		t.Fatalf("trust unlock: %d %s", unlock.status, unlock.raw)
	}

	got := b.audit("?actor=ops-ana")
	if len(got) != 2 {
		t.Fatalf("audit of ops-ana: %v, want the run and the trust unlock", got)
	}
	wantUnlock := map[string]any{"actor": "ops-ana", "token_id": float64(tokenID), "source": "api", "method": "POST",
		"route": "POST /v1/contracts/{id}/trust-unlock", "path_ids": map[string]any{"id": fmt.Sprint(c)}, "status": 200.0,
		"reason": "promised to pay on Friday", "request_id": "req-unlock-1", "detail": map[string]any{}}
	wantRun := map[string]any{"actor": "ops-ana", "token_id": float64(tokenID), "source": "api", "method": "POST",
		"route": "POST /v1/runs", "path_ids": map[string]any{}, "status": 202.0, "reason": "rerun after the bank's outage",
		"request_id": "req-run-1", "detail": map[string]any{"job": "block-delinquent", "as_of": "2026-01-05", "force": true,
			"run_id": run.body["id"]}}
	for i, want := range []map[string]any{wantUnlock, wantRun} {
		if g := withoutAt(got[i]); !reflect.DeepEqual(g, want) {
			t.Errorf("audit record %d:\n got %v\nwant %v", i, g, want)
		}
	}
	var runInTx, unlockInTx bool
	if err := b.pool.QueryRow(context.Background(), `SELECT
			(SELECT a.at = r.enqueued_at FROM audit_log a JOIN job_runs r ON r.id = (a.detail->>'run_id')::bigint
			 WHERE a.route = 'POST /v1/runs'),
			(SELECT a.at = k.updated_at FROM audit_log a JOIN contracts k ON k.id = (a.path_ids->>'id')::bigint
			 WHERE a.route = 'POST /v1/contracts/{id}/trust-unlock')`).Scan(&runInTx, &unlockInTx); err != nil {
		t.Fatal(err)
	}
	if !runInTx || !unlockInTx {
		t.Errorf("written in the change's transaction: run %t, trust unlock %t", runInTx, unlockInTx)
	}
	// The token's creation is the bootstrap token's, with the name and id, never the token.
	created := b.audit("?route=" + strings.ReplaceAll("POST /v1/tokens", " ", "%20"))
	want := map[string]any{"actor": "bootstrap", "token_id": nil, "source": "api", "method": "POST", "route": "POST /v1/tokens",
		"path_ids": map[string]any{}, "status": 201.0, "reason": nil, "request_id": created[0]["request_id"],
		"detail": map[string]any{"name": "ops-ana", "token_id": float64(tokenID)}}
	if len(created) != 1 || !reflect.DeepEqual(withoutAt(created[0]), want) {
		t.Errorf("token creation: %v, want %v", created, want)
	}
}

// TestAuditRecordsRefusedRequests: a refused request to a write route is in the audit log
// with its status (written right after the answer, as no change committed), a request that
// only reads is not, and one without a valid token is not.
func TestAuditRecordsRefusedRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	path := fmt.Sprintf("/v1/contracts/%d/trust-unlock", c)
	base := len(b.audit(""))
	b.must(http.StatusUnprocessableEntity, "POST", path, map[string]any{"days": 1, "reason": "line one\nline two"})
	b.must(http.StatusUnprocessableEntity, "POST", path, map[string]any{"days": 1, "reason": strings.Repeat("x", 501)})
	b.must(http.StatusConflict, "POST", path, `{"days": 1, "reason": "the customer called"}`)
	b.must(http.StatusNotFound, "DELETE", "/v1/tokens/999", nil)
	b.must(http.StatusOK, "GET", "/v1/contracts", nil)
	b.sendAs("POST", path, `{"days": 1}`, "Bearer wrong")
	got := b.audit("")
	if len(got)-base != 4 {
		t.Fatalf("%d new audit records, want 4: %v", len(got)-base, got)
	}
	for i, want := range []struct {
		route  string
		status float64
		reason any
	}{
		{"DELETE /v1/tokens/{id}", 404, nil},
		{"POST /v1/contracts/{id}/trust-unlock", 409, "the customer called"},
		{"POST /v1/contracts/{id}/trust-unlock", 422, nil},
		{"POST /v1/contracts/{id}/trust-unlock", 422, nil},
	} {
		if got[i]["route"] != want.route || got[i]["status"] != want.status || got[i]["reason"] != want.reason || got[i]["actor"] != "bootstrap" {
			t.Errorf("record %d: %v, want %s %v reason %v", i, got[i], want.route, want.status, want.reason)
		}
	}
}

// TestAuditFilters: ?actor= and ?route= match exactly, ?from= and ?to= are business dates
// (2026-07-19 in São Paulo runs from 03:00 UTC to 03:00 UTC the next day), and the list pages
// newest first; an unknown route is refused naming it.
func TestAuditFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, token := b.newToken("ops-bia")                                                               // 1: bootstrap, POST /v1/tokens
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2026-12-08", "name": "Feriado"}`) // 2
	if r := b.sendAs("POST", "/v1/runs", `{"job": "send-notices"}`, "Bearer "+token); r.status != http.StatusAccepted {
		t.Fatalf("run: %d %s", r.status, r.raw) // 3: ops-bia
	}
	if r := b.sendAs("DELETE", "/v1/holidays/2026-12-08", nil, "Bearer "+token); r.status != http.StatusNoContent {
		t.Fatalf("delete holiday: %d %s", r.status, r.raw) // 4: ops-bia
	}
	b.exec(`UPDATE audit_log SET at = CASE id WHEN 1 THEN timestamptz '2026-07-19 02:59:59Z' WHEN 2 THEN timestamptz '2026-07-19 03:00:00Z'
		WHEN 3 THEN timestamptz '2026-07-20 02:59:59Z' ELSE timestamptz '2026-07-20 03:00:00Z' END`)
	ids := func(items []map[string]any) string {
		var out []string
		for _, it := range items {
			out = append(out, fmt.Sprint(it["id"]))
		}
		return strings.Join(out, ",")
	}
	for query, want := range map[string]string{
		"":                                    "4,3,2,1",
		"?actor=ops-bia":                      "4,3",
		"?actor=bootstrap":                    "2,1",
		"?actor=ops":                          "",
		"?route=POST%20/v1/runs":              "3",
		"?route=DELETE%20/v1/holidays/{date}": "4",
		"?from=2026-07-19":                    "4,3,2",
		"?to=2026-07-19":                      "3,2,1",
		"?from=2026-07-19&to=2026-07-19":      "3,2",
		"?actor=ops-bia&to=2026-07-19":        "3",
		"?limit=2":                            "4,3",
		"?limit=2&after=3":                    "2,1",
	} {
		if got := ids(b.audit(query)); got != want {
			t.Errorf("GET /v1/audit%s: ids %s, want %s", query, got, want)
		}
	}
	if r := b.must(http.StatusOK, "GET", "/v1/audit?limit=2", nil); r.body["next_after"] != 3.0 {
		t.Errorf("next_after %v, want 3", r.body["next_after"])
	}
	for query, field := range map[string]string{
		"?route=GET%20/v1/plans":                "route",
		"?route=POST%20/v1/nothing":             "route",
		"?from=2026-07-20&to=2026-07-19":        "to",
		"?actor=ops&limit=501":                  "limit",
		"?who=ops":                              "who",
		"?route=POST%20/riverui/api/jobs/retry": "",
	} {
		r := b.send("GET", "/v1/audit"+query, nil)
		if field == "" {
			if r.status != http.StatusOK {
				t.Errorf("%s: %d %s", query, r.status, r.raw)
			}
			continue
		}
		if r.status != http.StatusBadRequest || r.err(t).Field != field {
			t.Errorf("%s: %d %s, want 400 naming %s", query, r.status, r.raw, field)
		}
	}
}

// TestOperatorUIAcceptsNamedTokens: the River UI takes a named token as the basic-auth
// password like the bootstrap token, refuses it once revoked, and records each change in
// the audit log under the token's name with the job ids.
func TestOperatorUIAcceptsNamedTokens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tokenID, token := b.newToken("ops-caio")
	ui := httptest.NewServer(b.api.GuardOperatorUI(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status": "ok"}`)
	})))
	t.Cleanup(ui.Close)
	send := func(method, password, body string) int {
		req, err := http.NewRequest(method, ui.URL+"/riverui/api/jobs/retry", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("caio", password)
		resp, err := ui.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("401 without a basic challenge: %q", resp.Header.Get("WWW-Authenticate"))
		}
		return resp.StatusCode
	}
	if got := send("GET", token, ""); got != http.StatusOK {
		t.Errorf("GET with the named token: %d", got)
	}
	if got := send("POST", token, `{"ids": ["7", "9"]}`); got != http.StatusOK {
		t.Errorf("POST with the named token: %d", got)
	}
	records := b.audit("?actor=ops-caio")
	want := map[string]any{"actor": "ops-caio", "token_id": float64(tokenID), "source": "riverui", "method": "POST",
		"route": "POST /riverui/api/jobs/retry", "path_ids": map[string]any{}, "status": 200.0, "reason": nil,
		"request_id": records[0]["request_id"], "detail": map[string]any{"ids": []any{"7", "9"}}}
	if len(records) != 1 || !reflect.DeepEqual(withoutAt(records[0]), want) {
		t.Errorf("audit of the UI: %v, want %v", records, want)
	}
	b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/tokens/%d", tokenID), nil)
	if got := send("GET", token, ""); got != http.StatusUnauthorized {
		t.Errorf("GET with the revoked token: %d, want 401", got)
	}
	if got := send("GET", testToken, ""); got != http.StatusOK {
		t.Errorf("GET with the bootstrap token: %d", got)
	}
}

// TestBootstrapTokenComparedInConstantTime keeps the bootstrap token's comparison in
// constant time: authenticate (api/auth.go) compares it with subtle.ConstantTimeCompare, and
// no == or != anywhere in the package's code has the configured token or a credential on
// either side.
func TestBootstrapTokenComparedInConstantTime(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	secretish := func(e ast.Expr) bool {
		found := false
		ast.Inspect(e, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ConstantTimeCompare" {
					return false // its result, 1 or 0, says nothing of the token
				}
			case *ast.SelectorExpr:
				if n.Sel.Name == "Token" {
					found = true
				}
			case *ast.Ident:
				if n.Name == "given" || n.Name == "password" || n.Name == "bearer" {
					found = true
				}
			}
			return true
		})
		return found
	}
	constantTime := false
	for _, pkg := range pkgs {
		for name, file := range pkg.Files {
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BinaryExpr:
					if (n.Op == token.EQL || n.Op == token.NEQ) && (secretish(n.X) || secretish(n.Y)) {
						if lit, ok := n.Y.(*ast.BasicLit); ok && lit.Value == `""` {
							return true // an emptiness check leaks nothing
						}
						t.Errorf("%s: %s compares a token with %s", name, fset.Position(n.Pos()), n.Op)
					}
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ConstantTimeCompare" {
						for _, arg := range n.Args {
							if secretish(arg) {
								constantTime = true
							}
						}
					}
				}
				return true
			})
		}
	}
	if !constantTime {
		t.Error("no subtle.ConstantTimeCompare of the bootstrap token in package api")
	}
}
