package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
)

// TestHolidayChangeWaitsForCalendarReaders: a transaction that loaded the calendar to
// compute due dates (as generation does) holds the holidays lock until it ends, so a holiday
// added meanwhile waits for it: the change's re-dating then sees the installments that
// transaction created.
func TestHolidayChangeWaitsForCalendarReaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reader, err := b.pool.Begin(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback(b.ctx) //nolint:errcheck // committed below
	cal, err := postgres.LoadCalendar(b.ctx, reader)
	if err != nil {
		t.Fatal(err)
	}
	if !cal.IsBusinessDay(date("2027-03-10")) {
		t.Fatal("2027-03-10 is a holiday before any was added")
	}
	added := make(chan error, 1)
	go func() {
		_, err := b.store.AddHoliday(b.ctx, billing.Holiday{Date: date("2027-03-10"), Name: "Feriado"})
		added <- err
	}()
	// The change waits on the advisory lock while the reader's transaction is open.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		select {
		case err := <-added:
			t.Fatalf("the holiday was added (%v) while a calendar reader's transaction was open", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the holiday change never waited for the calendar reader")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := reader.Commit(b.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-added; err != nil {
		t.Fatalf("add holiday after the reader committed: %v", err)
	}
	if _, err := b.store.AddHoliday(b.ctx, billing.Holiday{Date: date("2027-03-10"), Name: "Outro"}); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("adding it again: %v, want ErrConflict", err)
	}
}
