package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/pgcluster"
)

// TestDatabaseDown stops PostgreSQL (a throwaway cluster) under a running daemon: the API
// answers 503 with Retry-After instead of 500, and /readyz, which anyone may call, says
// that the database check failed without naming the database user, host or port (the log
// has the detail). Once PostgreSQL is back both answer 200 again.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	pg := pgcluster.New(t)
	env := baseEnv(pg.URL(), "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false")
	if code, _, stderr := cli(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	d := startDaemon(t, env)
	get := func(path string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+d.Addr()+path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body)
	}
	if code, _, body := get("/v1/plans"); code != http.StatusOK {
		t.Fatalf("/v1/plans before: %d %s", code, body)
	}

	if err := pg.Stop("fast"); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"postgres@", "user=", "127.0.0.1", fmt.Sprint(pg.Port())}
	for _, path := range []string{"/v1/plans", "/v1/contracts/1", "/v1/runs"} {
		code, header, body := get(path)
		if code != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
			t.Errorf("%s with PostgreSQL down: %d, Retry-After %q, body %s; want 503 with Retry-After", path, code,
				header.Get("Retry-After"), body)
		}
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s names %q: %s", path, s, body)
			}
		}
	}
	// The first calls meet pooled connections the shutdown terminated, the later ones a
	// refused connection: neither may show the connection string.
	for range 3 {
		code, _, body := get("/readyz")
		var ready struct {
			Ready  bool              `json:"ready"`
			Checks map[string]string `json:"checks"`
		}
		if err := json.Unmarshal([]byte(body), &ready); err != nil {
			t.Fatalf("/readyz body %q: %v", body, err)
		}
		if code != http.StatusServiceUnavailable || ready.Ready || ready.Checks["database"] != "unreachable" {
			t.Errorf("/readyz with PostgreSQL down: %d %s; want 503 with the database check \"unreachable\"", code, body)
		}
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("/readyz names %q: %s", s, body)
			}
		}
	}
	if len(d.LogsWith("readiness check failed")) == 0 {
		t.Errorf("the log has no \"readiness check failed\" line with the detail: %v", d.Messages())
	}

	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the API and /readyz to answer 200 again", func() bool {
		a, _, _ := get("/v1/plans")
		r, _, _ := get("/readyz")
		return a == http.StatusOK && r == http.StatusOK
	})
}
