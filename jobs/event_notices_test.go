package jobs_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/billingd/billingd/jobs"
)

// TestEventNoticesDeliveredPromptly: the notices written by an event — block-delinquent's
// warning and block, the unblock after a payment, a trust unlock, renew-contracts' renewal
// and a renewal by hand — reach the SMTP server as soon as their transaction commits,
// without waiting for a send-notices run; a send-notices run afterwards sends nothing again.
func TestEventNoticesDeliveredPromptly(t *testing.T) {
	t.Parallel()
	t.Run("block, unblock after a payment", func(t *testing.T) {
		t.Parallel()
		b := setupMail(t, false)
		b.t = t
		id := b.contract("") // fixed day 10: the first installment is due 2026-07-10
		b.sweep(jobs.GenerateInstallments, "2026-07-01")
		b.sweep(jobs.BlockDelinquent, "2026-07-17") // the default rule warns 7 days after the due date
		b.waitFor("the block warning", func() bool { return b.sink.Count() == 1 })
		b.sweep(jobs.BlockDelinquent, "2026-07-20") // and blocks 10 days after it
		b.waitFor("the blocked notice", func() bool { return b.sink.Count() == 2 })
		inst := b.count("SELECT id FROM installments WHERE contract_id = $1 AND sequence = 1 AND kind = 'recurring'", id)
		// 10 days late: 99.90 and 0.33 of interest (1% a month, 1/30 of it a day).
		b.must(200, "POST", fmt.Sprintf("/v1/installments/%d/payments", inst), `{"amount": "100.23", "paid_at": "2026-07-20"}`)
		b.waitFor("the unblocked notice", func() bool { return b.sink.Count() == 3 })
		b.settled()
		kinds := b.noticeKinds()
		if want := []string{"block_warning", "blocked", "unblocked"}; !slices.Equal(kinds, want) {
			t.Errorf("sent notices %q, want %q", kinds, want)
		}
		if n := b.count("SELECT count(*) FROM job_runs WHERE job = 'send-notices'"); n != 0 {
			t.Errorf("%d send-notices runs", n)
		}
		b.sweep(jobs.SendNotices, "2026-07-20")
		b.settled()
		if got := b.sink.Count(); got != 3 {
			t.Errorf("%d e-mails after send-notices, want still 3", got)
		}
	})
	t.Run("trust unlock, renewals", func(t *testing.T) {
		t.Parallel()
		b := setupMail(t, false)
		b.t = t
		id := b.contract("")
		b.sweep(jobs.GenerateInstallments, "2026-07-01")
		b.sweep(jobs.BlockDelinquent, "2026-07-20")
		b.waitFor("the blocked notice", func() bool { return b.sink.Count() == 1 })
		b.must(200, "POST", fmt.Sprintf("/v1/contracts/%d/trust-unlock", id), `{"days": 3}`)
		b.waitFor("the trust unlock's unblocked notice", func() bool { return b.sink.Count() == 2 })
		b.must(200, "POST", fmt.Sprintf("/v1/contracts/%d/renew", id), `{"date": "2026-07-20"}`)
		b.waitFor("the manual renewal's notice", func() bool { return b.sink.Count() == 3 })

		// A one-installment term renews once its installment is paid.
		plan := b.must(201, "POST", "/v1/plans", `{"name": "Avulso", "price": "50.00", "period": "monthly", "installments_per_term": 1}`)["id"]
		cust := b.must(201, "POST", "/v1/customers", `{"name": "Bruno Lima", "email": "bruno@example.com"}`)["id"]
		other := int64(b.must(201, "POST", "/v1/contracts", fmt.Sprintf(`{"customer_id": %v, "plan_id": %v, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "fixed_day", "day": 10}}`, cust, plan))["id"].(float64))
		b.sweep(jobs.GenerateInstallments, "2026-07-01")
		inst := b.count("SELECT id FROM installments WHERE contract_id = $1 AND kind = 'recurring'", other)
		b.must(200, "POST", fmt.Sprintf("/v1/installments/%d/payments", inst), `{"amount": "50.00", "paid_at": "2026-07-05"}`)
		b.sweep(jobs.RenewContracts, "2026-07-05")
		b.waitFor("renew-contracts' notice", func() bool { return b.sink.Count() == 4 })
		b.settled()
		if want := []string{"blocked", "unblocked", "renewed", "renewed"}; !slices.Equal(b.noticeKinds(), want) {
			t.Errorf("sent notices %q, want %q", b.noticeKinds(), want)
		}
		if n := b.count("SELECT count(*) FROM job_runs WHERE job = 'send-notices'"); n != 0 {
			t.Errorf("%d send-notices runs", n)
		}
	})
}

// noticeKinds returns the kinds of the sent notices, in the order they were sent.
func (b *mailBundle) noticeKinds() []string {
	b.t.Helper()
	rows, err := b.pool.Query(b.ctx, "SELECT kind FROM notices WHERE state = 'sent' ORDER BY sent_at, id")
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			b.t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}
