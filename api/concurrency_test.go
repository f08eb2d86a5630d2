package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentPaymentAndCancel pays an installment and cancels its contract at the same
// moment, for many contracts at once: each request succeeds or gets a 409 that says why
// (never a 500 from a deadlock), and the final state is the one of the winner. The
// installment is due after the cancellation date, so whichever commits first decides it:
// paid (and kept by the cancellation) or cancelled (and the payment refused).
func TestConcurrentPaymentAndCancel(t *testing.T) {
	t.Parallel()
	const pairs = 30
	b := setup(t)
	plan := b.plan("99.90", "")
	contracts := make([]int64, pairs)
	for i := range contracts {
		contracts[i] = b.contract(plan, map[string]any{"adhesion_date": "2026-07-01",
			"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	}
	b.generate("2026-07-20")
	installments := make([]int64, pairs)
	for i, c := range contracts {
		installments[i] = b.installmentID(c, "recurring", 2) // due 2026-08-10, after the cancellation date
	}

	pay := make([]response, pairs)
	cancel := make([]response, pairs)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range contracts {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			pay[i] = b.send("POST", fmt.Sprintf("/v1/installments/%d/payments", installments[i]),
				`{"amount": "99.90", "paid_at": "2026-07-20"}`)
		}()
		go func() {
			defer wg.Done()
			<-start
			cancel[i] = b.send("POST", fmt.Sprintf("/v1/contracts/%d/cancel", contracts[i]), `{"date": "2026-07-20", "reason_code": "other"}`)
		}()
	}
	close(start)
	wg.Wait()

	outcomes := map[string]int{}
	for i, c := range contracts {
		outcomes[fmt.Sprintf("pay=%d cancel=%d", pay[i].status, cancel[i].status)]++
		for _, r := range []struct {
			what string
			resp response
		}{{"payment", pay[i]}, {"cancellation", cancel[i]}} {
			switch r.resp.status {
			case http.StatusOK:
			case http.StatusConflict:
				if e := r.resp.err(t); e.Error != "conflict" || !strings.Contains(e.Message, "conflict: ") {
					t.Errorf("contract %d: %s refused with %s, want a conflict that says why", c, r.what, r.resp.raw)
				}
			default:
				t.Errorf("contract %d: %s answered %d %s, want 200 or 409", c, r.what, r.resp.status, r.resp.raw)
			}
		}
		var status, instState string
		var openAfter int
		if err := b.pool.QueryRow(context.Background(), `SELECT c.status, i.state,
				(SELECT count(*) FROM installments o WHERE o.contract_id = c.id AND o.state = 'open' AND o.due_date > '2026-07-20')
			FROM contracts c JOIN installments i ON i.contract_id = c.id WHERE i.id = $1`, installments[i]).
			Scan(&status, &instState, &openAfter); err != nil {
			t.Fatal(err)
		}
		if paid := pay[i].status == http.StatusOK; paid != (instState == "paid") {
			t.Errorf("contract %d: payment answered %d but installment %d is %s", c, pay[i].status, installments[i], instState)
		}
		if cancel[i].status == http.StatusOK {
			if status != "cancelled" || openAfter != 0 {
				t.Errorf("contract %d: cancelled (200) but status %s with %d open installments due after 2026-07-20", c, status, openAfter)
			}
			if pay[i].status != http.StatusOK && instState != "cancelled" {
				t.Errorf("contract %d: payment refused, cancellation done, yet installment %d is %s", c, installments[i], instState)
			}
		} else if status != "active" {
			t.Errorf("contract %d: cancellation refused but status %s", c, status)
		}
	}
	t.Logf("outcomes of %d payment+cancel pairs: %v", pairs, outcomes)
}
