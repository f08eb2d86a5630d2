package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/jobs"
)

// loadDemo runs psql on scripts/demo.sql as `make run` does, in a session whose time zone
// is UTC (the database's date, a day ahead of São Paulo's from 21:00 there), with vars
// as psql variables; it returns the pending demo contract and its adhesion date.
func loadDemo(t *testing.T, b *bundle, vars ...string) (int64, time.Time) {
	t.Helper()
	args := []string{b.pool.Config().ConnString(), "-q", "-X"}
	for _, v := range vars {
		args = append(args, "-v", v)
	}
	cmd := exec.Command("psql", append(args, "-f", "../scripts/demo.sql")...)
	cmd.Env = append(os.Environ(), "PGTZ=UTC")
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("psql -f scripts/demo.sql: %v\n%s", err, out)
	}
	var id int64
	var adhesion time.Time
	if err := b.pool.QueryRow(context.Background(), `SELECT id, adhesion_date FROM contracts
		WHERE status = 'pending_activation'`).Scan(&id, &adhesion); err != nil {
		t.Fatal(err)
	}
	return id, adhesion
}

// TestDemoDataAtNightInSaoPaulo loads the demo data at 22:30 in São Paulo (the next day in
// UTC) and activates the pending demo contract through the API as of that day: its adhesion
// date is the business date, not the database's.
func TestDemoDataAtNightInSaoPaulo(t *testing.T) {
	t.Parallel()
	b := setup(t)
	night := time.Date(2026, 7, 20, 22, 30, 0, 0, saoPaulo) // 2026-07-21 01:30 UTC
	ts := httptest.NewServer(api.New(api.Config{Store: b.store, Jobs: jobs.Names(), Token: testToken, Location: saoPaulo,
		Now: func() time.Time { return night }, Logger: slog.New(slog.DiscardHandler), CatchUpDays: 31}))
	t.Cleanup(ts.Close)
	b.server = ts

	// What `make run` computes at that moment: the business date in BILLINGD_TIMEZONE.
	today := billing.FormatDate(billing.DateOf(night, saoPaulo))
	id, adhesion := loadDemo(t, b, "today="+today)
	if got := billing.FormatDate(adhesion); got != "2026-07-20" {
		t.Fatalf("pending demo contract adheres on %s, want 2026-07-20", got)
	}
	r := b.must(http.StatusOK, "POST", "/v1/contracts/"+itoa(id)+"/activate", `{"date": "2026-07-20"}`)
	if r.body["status"] != "active" || r.body["activation_date"] != "2026-07-20" {
		t.Errorf("activated %s, want active from 2026-07-20", r.raw)
	}
}

// TestDemoDataUsesTheBusinessTimeZone loads the demo data the way `make run` does, naming
// the business time zone, in a zone whose date differs from UTC's right now: the pending
// contract adheres on that zone's date.
func TestDemoDataUsesTheBusinessTimeZone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// UTC−12 is a day behind UTC before noon UTC, UTC+14 a day ahead from 10:00 UTC.
	zone := "Etc/GMT-14"
	if time.Now().UTC().Hour() < 11 {
		zone = "Etc/GMT+12"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().In(loc).Format(time.DateOnly)
	_, adhesion := loadDemo(t, b, "timezone="+zone)
	after := time.Now().In(loc).Format(time.DateOnly)
	if got := billing.FormatDate(adhesion); got != before && got != after {
		t.Errorf("pending demo contract adheres on %s, want %s, the date in %s (UTC: %s)", got, before, zone,
			time.Now().UTC().Format(time.DateOnly))
	}
}
