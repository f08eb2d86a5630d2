package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/dbtest"
)

// TestOperatorEndpoints checks what an operator and Prometheus see: the River UI behind the
// token, /metrics clean for promtool, and the last success read from job_runs on the first
// scrape after a restart.
func TestOperatorEndpoints(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	finished := time.Date(2026, 11, 20, 5, 0, 7, 0, time.UTC)
	if _, err := pool.Exec(context.Background(), `INSERT INTO job_runs (job, as_of, trigger, slot, state, started_at, finished_at)
		VALUES ('generate-installments', '2026-11-20', 'schedule', $1, 'succeeded', $1, $2)`, finished.Add(-7*time.Second), finished); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_SEND_NOTICES_ENABLED=false",
		"BILLINGD_RESET_BENEFIT_QUOTAS_ENABLED=true"))

	get := func(path string, auth func(*http.Request)) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+d.Addr()+path, nil)
		if auth != nil {
			auth(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, readAll(t, resp)
	}
	basic := func(pw string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth("operator", pw) } }

	metrics := func() string {
		code, body := get("/metrics", nil)
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		return body
	}
	first := metrics()
	if want := `billingd_job_last_success_timestamp_seconds{job="generate-installments"} 1.795150807e+09`; !strings.Contains(first, want) {
		t.Errorf("first scrape lacks %s", want)
	}
	// A disabled job keeps its last success but says it is disabled, so it does not page.
	for _, want := range []string{`billingd_job_enabled{job="generate-installments"} 0`, `billingd_job_enabled{job="reset-benefit-quotas"} 1`} {
		if !strings.Contains(first, want) {
			t.Errorf("first scrape lacks %s", want)
		}
	}
	for _, tc := range []struct {
		name string
		path string
		auth func(*http.Request)
		want int
	}{
		{"UI without credentials", "/riverui/", nil, http.StatusUnauthorized},
		{"UI with a wrong password", "/riverui/", basic("wrong-password-0123456789"), http.StatusUnauthorized},
		{"UI with the token as password", "/riverui/", basic(testToken), http.StatusOK},
		{"UI API with a bearer token", "/riverui/api/queues", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken) }, http.StatusOK},
		{"API without token", "/v1/plans", nil, http.StatusUnauthorized},
	} {
		if code, body := get(tc.path, tc.auth); code != tc.want {
			t.Errorf("%s: GET %s = %d, want %d: %.200s", tc.name, tc.path, code, tc.want, body)
		}
	}

	// promtool lints the exposition format and the metric names.
	promtool, err := exec.Command("../../scripts/ensure-promtool.sh").Output()
	if err != nil {
		t.Fatalf("promtool is required (scripts/ensure-promtool.sh): %v", err)
	}
	scrape := filepath.Join(t.TempDir(), "metrics.txt")
	if err := os.WriteFile(scrape, []byte(metrics()), 0o600); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(scrape)
	defer f.Close()
	cmd := exec.Command(strings.TrimSpace(string(promtool)), "check", "metrics")
	cmd.Stdin = f
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	// A rerun through the API: 202 with the run, its outcome and counts at GET /v1/runs/{id}.
	if _, err := dbtest.SeedContracts(context.Background(), pool, 7, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	var run struct {
		ID      int64            `json:"id"`
		Job     string           `json:"job"`
		AsOf    string           `json:"as_of"`
		Trigger string           `json:"trigger"`
		State   string           `json:"state"`
		Counts  map[string]int64 `json:"counts"`
	}
	if code := d.send(http.MethodPost, "/v1/runs", `{"job": "generate-installments", "as_of": "2026-11-20"}`, &run); code != http.StatusAccepted {
		t.Fatalf("POST /v1/runs: %d", code)
	}
	path := fmt.Sprintf("/v1/runs/%d", run.ID)
	waitFor(t, 60*time.Second, "the API's run to finish", func() bool {
		d.get(path, &run)
		return run.State == "succeeded" || run.State == "failed"
	})
	if run.State != "succeeded" || run.Trigger != "manual" || run.AsOf != "2026-11-20" ||
		run.Counts["contracts"] != 7 || run.Counts["installments_created"] != 84 {
		t.Fatalf("GET %s = %+v", path, run)
	}
	if code, _ := d.Stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
