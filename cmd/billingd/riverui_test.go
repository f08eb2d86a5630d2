package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/daemontest"
)

// TestRiverUIRefusesCrossSiteChanges sends the real River UI of a running daemon what a
// hostile page can make a browser send with the operator's cached Basic credentials (a
// text/plain form post to its delete endpoint): 403 naming the reason, and the job is still
// there. A body over the API's limit gets 413. The UI's own request (same origin) still
// deletes the job.
func TestRiverUIRefusesCrossSiteChanges(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	// A running injected clock: the date sent is read before the daemon reads its own, so it
	// is never after the daemon's today, even when midnight passes in between.
	clock := daemontest.NewClock(t, false)
	d := startDaemon(t, baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", clock.Env()))
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	if code := d.send(http.MethodPost, "/v1/runs", fmt.Sprintf(`{"job": "generate-installments", "as_of": %q}`,
		clock.Now().In(sp).Format(time.DateOnly)), nil); code != http.StatusAccepted {
		t.Fatalf("POST /v1/runs: %d", code)
	}
	waitFor(t, 60*time.Second, "the run to finish", func() bool {
		return count(t, pool, "SELECT count(*) FROM job_runs WHERE state = 'succeeded'") == 1
	})
	job := count(t, pool, "SELECT max(id) FROM river.river_job WHERE kind = 'sweep'")
	jobs := func() int { return count(t, pool, "SELECT count(*) FROM river.river_job WHERE id = $1", job) }

	post := func(body string, headers map[string]string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, "http://"+d.Addr()+"/riverui/api/jobs/delete", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("anyone", testToken)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("answer of %d is not JSON: %v", resp.StatusCode, err)
		}
		return resp.StatusCode, out
	}
	form := fmt.Sprintf(`{"ids":["%d"],"x":"="}`+"\r\n", job)
	for _, tc := range []struct {
		name    string
		body    string
		headers map[string]string
		status  int
		field   string
	}{
		{"cross-site text/plain form post", form, map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, 403, "Origin"},
		{"the same from a browser with Sec-Fetch-Site", form,
			map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, 403, "Sec-Fetch-Site"},
		{"text/plain without origin headers", form, map[string]string{"Content-Type": "text/plain"}, 403, "Content-Type"},
		{"body over 64 KiB", fmt.Sprintf(`{"ids":["%d"]}`, job) + strings.Repeat(" ", 64<<10),
			map[string]string{"Content-Type": "application/json"}, 413, "body"},
	} {
		code, body := post(tc.body, tc.headers)
		if code != tc.status || body["field"] != tc.field || body["message"] == "" {
			t.Errorf("%s: %d %v, want %d naming %s", tc.name, code, body, tc.status, tc.field)
		}
		if jobs() != 1 {
			t.Fatalf("%s: job %d was deleted", tc.name, job)
		}
	}
	// The UI's own page posts its JSON as text/plain, from the same origin: that still works.
	code, body := post(fmt.Sprintf(`{"ids":["%d"]}`, job), map[string]string{"Content-Type": "text/plain;charset=UTF-8",
		"Origin": "http://" + d.Addr(), "Sec-Fetch-Site": "same-origin"})
	if code != http.StatusOK || jobs() != 0 {
		t.Errorf("the UI's own delete: %d %v, job rows left %d", code, body, jobs())
	}
}
