package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestSubjectEvents: adding and ending a subject writes subject.added and subject.ended to
// the events outbox in the same transaction (what an assistance network acts on: who and
// which plate it serves), keyed by the subject, with who or what it is, its plan and price
// and its days; the same end again is a 409 and writes no event; the contract's timeline
// shows both.
func TestSubjectEvents(t *testing.T) {
	t.Parallel()
	b, clock := setupClock(t, "2026-07-20")
	family := b.namedPlan("Assistência Familiar", "49.90")
	essencial := b.namedPlan("Beneficiário Essencial", "19.90")
	tow := b.namedPlan("Auto Guincho 24h", "39.90")
	c := b.contract(family, map[string]any{"adhesion_date": "2026-08-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	path := fmt.Sprintf("/v1/contracts/%d/subjects", c)
	maria := b.must(http.StatusCreated, "POST", path, map[string]any{"kind": "person", "name": "Maria Souza",
		"document": "529.982.247-25", "birth_date": "1980-05-12", "plan_id": essencial}).id(t)
	car := b.must(http.StatusCreated, "POST", path, map[string]any{"kind": "vehicle", "plate": "abc-1d23", "model": "Fiat Uno",
		"plan_id": tow}).id(t)
	clock.set(t, "2026-08-16")
	b.must(http.StatusOK, "DELETE", fmt.Sprintf("%s/%d", path, car), nil)
	before := b.snapshot()
	if r := b.send("DELETE", fmt.Sprintf("%s/%d", path, car), nil); r.status != http.StatusConflict || b.snapshot() != before {
		t.Errorf("ending the car again: %d %s, want 409 writing nothing", r.status, r.raw)
	}
	rows, err := b.pool.Query(context.Background(), `SELECT kind || ' ' || subject_key || ' ' || occurred_on || ' ' || payload::text
		FROM events WHERE contract_id = $1 AND kind LIKE 'subject.%' ORDER BY id`, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "subject events", got, []string{
		fmt.Sprintf(`subject.added subject:%d 2026-07-20 {"kind": "person", "name": "Maria Souza", "price": "19.90", "plan_id": %d, "document": "52998224725", "birth_date": "1980-05-12", "started_on": "2026-07-20", "subject_id": %d}`,
			maria, essencial, maria),
		fmt.Sprintf(`subject.added subject:%d 2026-07-20 {"kind": "vehicle", "name": "", "model": "Fiat Uno", "plate": "ABC1D23", "price": "39.90", "plan_id": %d, "started_on": "2026-07-20", "subject_id": %d}`,
			car, tow, car),
		fmt.Sprintf(`subject.ended subject:%d 2026-08-16 {"kind": "vehicle", "name": "", "model": "Fiat Uno", "plate": "ABC1D23", "price": "39.90", "plan_id": %d, "ended_on": "2026-08-16", "started_on": "2026-07-20", "subject_id": %d}`,
			car, tow, car),
	})
	var timeline []string
	for _, it := range b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/timeline", c), nil).items(t) {
		if k, _ := it["kind"].(string); strings.HasPrefix(k, "subject.") {
			timeline = append(timeline, fmt.Sprintf("%v %v %v", it["on"], k, it["what"]))
		}
	}
	sameRows(t, "timeline", timeline, []string{
		"2026-07-20 subject.added person Maria Souza covered at 19.90 a period",
		"2026-07-20 subject.added vehicle ABC1D23 covered at 39.90 a period",
		"2026-08-16 subject.ended vehicle ABC1D23 no longer covered",
	})
}
