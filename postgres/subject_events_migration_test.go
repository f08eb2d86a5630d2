package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/migrations"
)

// TestSubjectEventsMigrationWidensEveryKindEndpoints: migration 032 lets the outbox take
// subject.added and subject.ended, and an endpoint that took every kind there was before it
// (the list an endpoint registered without kinds gets) takes them too, while one that chose
// some kinds keeps its choice.
func TestSubjectEventsMigrationWidensEveryKindEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openPool(t, dbtest.NewEmptyURL(t))
	if _, err := migrations.ApplyThrough(ctx, pool, slog.New(slog.DiscardHandler), 31); err != nil {
		t.Fatal(err)
	}
	every := `{installment.issued,installment.paid,installment.reversed,contract.activated,contract.suspended,contract.restored,contract.terminated,contract.renewed}`
	if _, err := pool.Exec(ctx, `INSERT INTO webhook_endpoints (url, secret, kinds) VALUES
		('https://erp.example.com/all', 'whsec-0123456789abcdef', $1::text[]),
		('https://noc.example.com/ladder', 'whsec-0123456789abcdef', '{contract.suspended,contract.restored}')`, every); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO events (kind, contract_id, subject_key, occurred_on) VALUES ('subject.added', 1, 'subject:1', '2026-07-20')`); err == nil || !strings.Contains(err.Error(), "events_kind_check") {
		t.Errorf("a subject.added event before migration 032: %v, want events_kind_check refusing it", err)
	}
	if _, err := migrations.Apply(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	var got []string
	rows, err := pool.Query(ctx, `SELECT url || ' ' || kinds::text FROM webhook_endpoints ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	want := []string{
		"https://erp.example.com/all " + every[:len(every)-1] + ",subject.added,subject.ended}",
		"https://noc.example.com/ladder {contract.suspended,contract.restored}",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("endpoints after migration 032:\n got %q\nwant %q", got, want)
	}
	var ok bool
	if err := pool.QueryRow(ctx, `SELECT convalidated FROM pg_constraint WHERE conname = 'events_kind_check'`).Scan(&ok); err != nil || !ok {
		t.Errorf("events_kind_check validated %t (%v), want true", ok, err)
	}
}
