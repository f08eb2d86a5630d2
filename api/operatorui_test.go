package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/billingd/billingd/api"
)

// TestGuardOperatorUI sends the River UI's guard, through a real HTTP server, the requests
// a hostile page can make a browser send with the operator's cached Basic credentials, the
// ones the UI itself sends, and bodies around the limit: a refused request never reaches
// the UI and gets a JSON error naming the header (or body) and why.
func TestGuardOperatorUI(t *testing.T) {
	t.Parallel()
	var reached sync.Map // the X-Test-Case of each request the UI got
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			t.Errorf("UI reading the body: %v", err)
		}
		reached.Store(r.Header.Get("X-Test-Case"), true)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "ok", "read": n})
	})
	srv := httptest.NewServer(setup(t).api.GuardOperatorUI(ui))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	self := "http://" + host
	deleteBody := `{"ids":["1"],"x":"="}` + "\r\n"

	tests := []struct {
		name    string
		method  string
		path    string
		headers map[string]string // Authorization is basic with the token unless set to ""
		body    string
		status  int
		field   string
		reason  string // in the message
	}{
		// What a hostile page makes a browser send.
		{"cross-site text/plain form post (the reproduction)", "POST", "/riverui/api/jobs/delete",
			map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
			deleteBody, 403, "Sec-Fetch-Site", "cross-site"},
		{"cross-site JSON post", "POST", "/riverui/api/jobs/cancel",
			map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, `{"ids":["1"]}`, 403, "Sec-Fetch-Site", "cross-site"},
		{"same-site but another origin", "POST", "/riverui/api/jobs/retry",
			map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-site", "Origin": "http://ops.example"},
			`{"ids":["1"]}`, 403, "Sec-Fetch-Site", "same-site"},
		{"foreign Origin from a browser without Sec-Fetch-Site", "POST", "/riverui/api/jobs/delete",
			map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, deleteBody, 403, "Origin", "evil.example"},
		{"foreign Origin on JSON", "POST", "/riverui/api/jobs/delete",
			map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, `{"ids":["1"]}`, 403, "Origin", "evil.example"},
		{"opaque Origin (sandboxed frame)", "POST", "/riverui/api/jobs/delete",
			map[string]string{"Content-Type": "text/plain", "Origin": "null"}, deleteBody, 403, "Origin", "null"},
		{"same host, another port", "POST", "/riverui/api/jobs/delete",
			map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:1"}, `{"ids":["1"]}`, 403, "Origin", "127.0.0.1:1"},
		{"cross-site PUT without a body", "PUT", "/riverui/api/queues/default/pause",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 403, "Sec-Fetch-Site", "cross-site"},
		{"cross-site DELETE", "DELETE", "/riverui/api/anything",
			map[string]string{"Origin": "http://evil.example"}, "", 403, "Origin", "evil.example"},
		{"form post from a browser that sends neither header", "POST", "/riverui/api/jobs/delete",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "ids=1", 403, "Content-Type", "application/json"},
		{"text/plain without origin headers", "POST", "/riverui/api/jobs/delete",
			map[string]string{"Content-Type": "text/plain"}, deleteBody, 403, "Content-Type", "application/json"},
		{"no Content-Type without origin headers", "POST", "/riverui/api/jobs/delete", nil, `{"ids":["1"]}`, 403, "Content-Type", "application/json"},
		// What the River UI itself sends (its job actions post text/plain; pause has no body).
		{"UI job action from its own page", "POST", "/riverui/api/jobs/delete",
			map[string]string{"Content-Type": "text/plain;charset=UTF-8", "Origin": self, "Sec-Fetch-Site": "same-origin"}, `{"ids":["1"]}`, 200, "", ""},
		{"UI pause from its own page", "PUT", "/riverui/api/queues/default/pause",
			map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin"}, "", 200, "", ""},
		{"older browser with its own Origin only", "POST", "/riverui/api/jobs/retry",
			map[string]string{"Content-Type": "text/plain;charset=UTF-8", "Origin": self}, `{"ids":["1"]}`, 200, "", ""},
		{"JSON from a script (curl)", "POST", "/riverui/api/jobs/retry",
			map[string]string{"Content-Type": "application/json"}, `{"ids":["1"]}`, 200, "", ""},
		{"JSON with a charset", "POST", "/riverui/api/jobs/retry",
			map[string]string{"Content-Type": "application/json; charset=utf-8"}, `{"ids":["1"]}`, 200, "", ""},
		{"user-initiated (Sec-Fetch-Site none) JSON", "POST", "/riverui/api/jobs/retry",
			map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "none"}, `{"ids":["1"]}`, 200, "", ""},
		// Reading is never refused for its origin: a cross-site GET changes nothing.
		{"cross-site GET", "GET", "/riverui/api/jobs", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, "", 200, "", ""},
		{"HEAD", "HEAD", "/riverui/", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 200, "", ""},
		// The API's body limit.
		{"body of exactly 64 KiB", "POST", "/riverui/api/jobs/retry", map[string]string{"Content-Type": "application/json"},
			strings.Repeat(" ", api.MaxBodyBytes), 200, "", ""},
		{"body over 64 KiB", "POST", "/riverui/api/jobs/retry", map[string]string{"Content-Type": "application/json"},
			strings.Repeat(" ", api.MaxBodyBytes+1), 413, "body", "65536"},
		// The token comes first.
		{"no credentials", "POST", "/riverui/api/jobs/delete", map[string]string{"Authorization": "", "Content-Type": "application/json"},
			`{"ids":["1"]}`, 401, "", "credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth("operator", testToken)
			req.Header.Set("X-Test-Case", tt.name)
			for k, v := range tt.headers {
				if v == "" {
					req.Header.Del(k)
					continue
				}
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
			_, got := reached.Load(tt.name)
			if got != (tt.status == http.StatusOK) {
				t.Errorf("reached the UI: %v, want %v", got, tt.status == http.StatusOK)
			}
			if tt.status == http.StatusOK {
				return
			}
			var e apiErr
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("body %q is not a JSON error: %v", raw, err)
			}
			if e.Field != tt.field || !strings.Contains(e.Message, tt.reason) {
				t.Errorf("error %+v, want field %q and a message naming %q", e, tt.field, tt.reason)
			}
		})
	}
	// A chunked body (no Content-Length) over the limit is refused as well.
	req, _ := http.NewRequest("POST", srv.URL+"/riverui/api/jobs/retry", io.MultiReader(strings.NewReader(strings.Repeat(" ", api.MaxBodyBytes)), strings.NewReader("  ")))
	req.ContentLength = -1
	req.SetBasicAuth("operator", testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the limit: status %d, want 413", resp.StatusCode)
	}
}
