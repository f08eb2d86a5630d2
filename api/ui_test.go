package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/api"
)

// chromium returns the Chromium the browser test drives: BILLINGD_CHROMIUM (make test sets
// it with scripts/ensure-chromium.sh), else chromium on PATH. The test installs nothing and
// fails without one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("BILLINGD_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("no Chromium: run scripts/ensure-chromium.sh (make test does) or set BILLINGD_CHROMIUM")
	return ""
}

// browse runs headless Chromium on url with args (--dump-dom, --screenshot=…) and returns
// its standard output.
func browse(t *testing.T, bin, url string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// uiServer serves the operator pages of b behind the River UI's guard, as the daemon does.
func uiServer(t *testing.T, b *bundle) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/ui/", b.api.GuardOperatorUI(b.api.OperatorPages()))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// TestOperatorPagesInChromium: the must-show contract's page and the day's figures, rendered
// by the daemon's handler and read by real headless Chromium (the DOM asserted, a
// screenshot saved in the test's artifact directory), with the token as basic auth.
func TestOperatorPagesInChromium(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	b := setup(t)
	c, _ := lifeScenario(t, b, func(string) {})
	ts := uiServer(t, b)
	base := strings.Replace(ts.URL, "http://", "http://operator:"+testToken+"@", 1)

	dom := browse(t, bin, fmt.Sprintf("%s/ui/contracts/%d?on=2026-07-20", base, c), "--dump-dom")
	for _, want := range []string{
		`<h1>Contract 1 on 2026-07-20: <span class="state" id="status">active</span></h1>`,
		`<td>renewal</td><td class="state">renewed</td><td>2026-07-02</td>`,
		`<h2>Timeline (24 entries)</h2>`,
		`<td>2026-06-21</td><td>2026-06-21 10:00</td><td>payment.recorded</td><td class="n">93.62</td><td>payment 1 of 93.62 from api on installment 1</td>`,
		`<td>2026-06-11</td><td>2026-06-11 09:15</td><td>contract.suspended</td>`,
		`<td>2026-07-02</td><td>2026-07-02 03:00</td><td>renewal.renewed</td><td class="n">93.00</td>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("contract page lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
	shot := filepath.Join(t.ArtifactDir(), "contract.png")
	browse(t, bin, fmt.Sprintf("%s/ui/contracts/%d?on=2026-07-20", base, c), "--screenshot="+shot, "--window-size=1400,2400")
	if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
		t.Errorf("screenshot %s: %v (%v bytes)", shot, err, st)
	}
	t.Logf("screenshot of the contract page: %s", shot)

	dom = browse(t, bin, base+"/ui/today?on=2026-07-01", "--dump-dom")
	for _, want := range []string{
		`<h1>Collection on 2026-07-01</h1>`,
		`<tr><td>Billed</td><td class="n">1</td><td class="n">62.00</td>`,
		`<tr><td>Collected</td><td class="n">1</td><td class="n">62.00</td>`,
		`<tr><td>Overdue</td><td class="n">0</td><td class="n">0.00</td>`,
		`<p>No contract is on the ladder.</p>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("today page lacks %s\nDOM:\n%s", want, dom)
		}
	}
	shot = filepath.Join(t.ArtifactDir(), "today.png")
	browse(t, bin, base+"/ui/today?on=2026-07-01", "--screenshot="+shot, "--window-size=1200,900")
	t.Logf("screenshot of the today page: %s", shot)
}

// TestOperatorPagesGuard: the pages require a token, carry the CSP and answer bad input as
// the API does (4xx JSON naming the field); they take no writes.
func TestOperatorPagesGuard(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	ts := uiServer(t, b)
	get := func(method, path, auth string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body)
	}
	bearer := "Bearer " + testToken
	for _, tc := range []struct {
		method, path, auth string
		status             int
		body               string
	}{
		{"GET", fmt.Sprintf("/ui/contracts/%d", c), "", http.StatusUnauthorized, ""},
		{"GET", fmt.Sprintf("/ui/contracts/%d", c), "Bearer wrong", http.StatusUnauthorized, ""},
		{"GET", fmt.Sprintf("/ui/contracts/%d", c), bearer, http.StatusOK, "<h1>Contract 1 on 2026-07-20:"},
		{"GET", "/ui/contracts/abc", bearer, http.StatusBadRequest, `"field":"id"`},
		{"GET", "/ui/contracts/999", bearer, http.StatusNotFound, `contract 999`},
		{"GET", fmt.Sprintf("/ui/contracts/%d?on=2026-02-30", c), bearer, http.StatusBadRequest, `"field":"on"`},
		{"GET", fmt.Sprintf("/ui/contracts/%d?limit=3", c), bearer, http.StatusBadRequest, `"field":"limit"`},
		{"GET", "/ui/today?on=yesterday", bearer, http.StatusBadRequest, `"field":"on"`},
		{"GET", "/ui/today?contract=x", bearer, http.StatusBadRequest, `"field":"contract"`},
		{"GET", "/ui/today", bearer, http.StatusOK, "<h1>Collection on 2026-07-20</h1>"},
		{"GET", "/ui/nothing", bearer, http.StatusNotFound, `no page GET /ui/nothing`},
		{"GET", "/ui/today?contract=1", bearer, http.StatusOK, "<h1>Contract 1 on 2026-07-20:"}, // redirected
	} {
		status, header, body := get(tc.method, tc.path, tc.auth)
		if status != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("%s %s (%q): %d %s; want %d with %s", tc.method, tc.path, tc.auth, status, body, tc.status, tc.body)
		}
		if status != http.StatusUnauthorized && header.Get("Content-Security-Policy") != api.UIContentSecurityPolicy {
			t.Errorf("%s %s: CSP %q", tc.method, tc.path, header.Get("Content-Security-Policy"))
		}
	}
	b.exec("UPDATE contracts SET ladder_step = 'suspension', ladder_step_since = '2026-07-15' WHERE id = $1", c)
	if _, _, body := get("GET", "/ui/today", bearer); !strings.Contains(body, `<tr><td>suspension</td><td class="n">1</td></tr>`) {
		t.Errorf("today page without the contract at the suspension step:\n%s", body)
	}
	if !strings.HasPrefix(api.UIContentSecurityPolicy, "default-src 'none'; style-src 'sha256-") {
		t.Errorf("CSP %q", api.UIContentSecurityPolicy)
	}
	// A write from elsewhere is refused by the guard; a same-origin one finds no page.
	req, _ := http.NewRequest("POST", ts.URL+"/ui/today", strings.NewReader("a=b"))
	req.Header.Set("Authorization", bearer)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", ts.URL+"/ui/today", strings.NewReader("{}"))
	req.Header.Set("Authorization", bearer)
	req.Header.Set("Content-Type", "application/json")
	if resp, err = ts.Client().Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /ui/today: %d, want 404 (no page takes a write)", resp.StatusCode)
	}
}
