package api_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

func TestCreateRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		asOf string
	}{
		{"as of yesterday", `{"job": "generate-installments", "as_of": "2026-07-19"}`, "2026-07-19"},
		{"as of today by default", `{"job": "generate-installments"}`, "2026-07-20"},
		{"first day of the catch-up window", `{"job": "generate-installments", "as_of": "2026-06-19"}`, "2026-06-19"},
		{"forced before the window", `{"job": "generate-installments", "as_of": "2026-01-01", "force": true}`, "2026-01-01"},
		{"forced in the future", `{"job": "generate-installments", "as_of": "2026-08-01", "force": true}`, "2026-08-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			r := b.must(http.StatusAccepted, "POST", "/v1/runs", tt.body)
			id := r.id(t)
			if loc := r.header.Get("Location"); loc != fmt.Sprintf("/v1/runs/%d", id) {
				t.Errorf("Location %q", loc)
			}
			want := map[string]any{"job": "generate-installments", "as_of": tt.asOf, "trigger": "manual", "state": "queued",
				"batches_total": 0.0, "batches_done": 0.0, "counts": map[string]any{}}
			if got := without(r.body, "id", "river_job_id", "enqueued_at"); !reflect.DeepEqual(got, want) {
				t.Errorf("run %v, want %v", got, want)
			}
			var job, asOf, trigger, kind string
			var riverJob int64
			err := b.pool.QueryRow(context.Background(), `SELECT r.job, r.as_of::text, r.trigger, j.kind, j.id
				FROM job_runs r JOIN river.river_job j ON j.id = r.river_job_id WHERE r.id = $1`, id).
				Scan(&job, &asOf, &trigger, &kind, &riverJob)
			if err != nil {
				t.Fatalf("run %d and its River job: %v", id, err)
			}
			if job != "generate-installments" || asOf != tt.asOf || trigger != "manual" || kind != "sweep" || float64(riverJob) != r.body["river_job_id"] {
				t.Errorf("stored run %s %s %s, River job %d of kind %s; answer %s", job, asOf, trigger, riverJob, kind, r.raw)
			}
			got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/runs/%d", id), nil)
			if !reflect.DeepEqual(got.body, r.body) {
				t.Errorf("GET %v, want %v", got.body, r.body)
			}
		})
	}
}

func TestListRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []float64
	for _, asOf := range []string{"2026-07-18", "2026-07-19", "2026-07-20"} {
		ids = append(ids, float64(b.must(http.StatusAccepted, "POST", "/v1/runs",
			fmt.Sprintf(`{"job": "generate-installments", "as_of": %q}`, asOf)).id(t)))
	}
	b.exec("UPDATE job_runs SET state = 'succeeded' WHERE id = $1", int64(ids[0]))
	// ?from= is a date in the business zone: 2026-07-19 starts at 03:00 UTC.
	b.exec(`UPDATE job_runs SET enqueued_at = CASE id WHEN $1 THEN timestamptz '2026-07-19 02:59:59Z'
		WHEN $2 THEN timestamptz '2026-07-19 03:00:00Z' ELSE timestamptz '2026-07-20 02:59:59Z' END`, int64(ids[0]), int64(ids[1]))
	tests := []struct {
		query     string
		asOf      []string
		nextAfter any
	}{
		{"", []string{"2026-07-20", "2026-07-19", "2026-07-18"}, nil},
		{"?limit=2", []string{"2026-07-20", "2026-07-19"}, ids[1]},
		{fmt.Sprintf("?limit=2&after=%v", ids[1]), []string{"2026-07-18"}, nil},
		{"?state=queued", []string{"2026-07-20", "2026-07-19"}, nil},
		{"?state=succeeded&job=generate-installments", []string{"2026-07-18"}, nil},
		{"?state=failed", nil, nil},
		{"?from=2026-07-19", []string{"2026-07-20", "2026-07-19"}, nil},
		{"?from=2026-07-20", nil, nil},
	}
	for _, tt := range tests {
		r := b.must(http.StatusOK, "GET", "/v1/runs"+tt.query, nil)
		var got []string
		for _, run := range r.items(t) {
			got = append(got, run["as_of"].(string))
		}
		if !reflect.DeepEqual(got, tt.asOf) || r.body["next_after"] != tt.nextAfter {
			t.Errorf("GET /v1/runs%s = %q next_after %v, want %q and %v", tt.query, got, r.body["next_after"], tt.asOf, tt.nextAfter)
		}
	}
}
