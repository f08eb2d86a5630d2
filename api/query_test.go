package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestUnknownQueryParameter: a query parameter the route does not take is refused with 400
// naming it, on every route and before anything is read or written — `?stauts=blocked` no
// longer lists every contract. The parameters a route takes still work.
func TestUnknownQueryParameter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}})
	before := b.snapshot()
	pathParam := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, route := range b.api.Routes() {
		method, path, _ := strings.Cut(route, " ")
		path = pathParam.ReplaceAllStringFunc(path, func(p string) string {
			if p == "{date}" {
				return "2026-07-20"
			}
			return "1"
		})
		t.Run(route, func(t *testing.T) {
			r := b.with(t).send(method, path+"?stauts=blocked", nil)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", r.status, r.raw)
			}
			if e := r.err(t); e.Field != "stauts" || !strings.Contains(e.Message, "stauts") {
				t.Errorf("error %+v does not name the parameter stauts", e)
			}
		})
	}
	// A known parameter beside it does not save it.
	if r := b.send("GET", "/v1/contracts?limit=10&stauts=blocked", nil); r.status != http.StatusBadRequest || r.err(t).Field != "stauts" {
		t.Errorf("?limit=10&stauts=blocked: %d %s, want 400 naming stauts", r.status, r.raw)
	}
	if after := b.snapshot(); after != before {
		t.Errorf("a refused request wrote:\nbefore %s\nafter  %s", before, after)
	}
	if r := b.must(http.StatusOK, "GET", "/v1/contracts?status=blocked", nil); len(r.items(t)) != 0 {
		t.Errorf("?status=blocked lists %d contracts, want 0", len(r.items(t)))
	}
	if r := b.must(http.StatusOK, "GET", "/v1/contracts?status=active&limit=5", nil); len(r.items(t)) != 1 {
		t.Errorf("?status=active lists %d contracts, want 1", len(r.items(t)))
	}
}
