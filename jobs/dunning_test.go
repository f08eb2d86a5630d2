package jobs_test

import (
	"fmt"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/notifications"
)

// telecomContract creates a telecom_rgc765 rule (notice 5 days after the due date,
// suspension 15 days after it is sent, termination 75) and a contract of 93.00 on it due
// on the 10th from 2026-03-10, with the inactivity discount the profile requires, and
// generates its installments.
func (b *mailBundle) telecomContract() int64 {
	b.t.Helper()
	rule := b.must(201, "POST", "/v1/blocking-rules", `{"name": "ISP (RGC 765)", "profile": "telecom_rgc765"}`)["id"]
	plan := b.must(201, "POST", "/v1/plans", `{"name": "Fibra 300", "price": "93.00", "period": "monthly", "installments_per_term": 12}`)["id"]
	cust := b.must(201, "POST", "/v1/customers", `{"name": "Ana Souza", "email": "ana@example.com"}`)["id"]
	id := int64(b.must(201, "POST", "/v1/contracts", fmt.Sprintf(`{"customer_id": %v, "plan_id": %v, "adhesion_date": "2026-03-10",
		"due_date_rule": {"kind": "anniversary", "shift": "none"}, "blocking_rule_id": %v, "inactivity_discount": true}`, cust, plan, rule))["id"].(float64))
	b.sweep(jobs.GenerateInstallments, "2026-03-10")
	return id
}

// wakeDeliveries makes the snoozed and retrying delivery jobs run now, as they would once
// the time they wait for comes (the clock of the deliveries is set by the test, River's
// schedule is real time).
func (b *mailBundle) wakeDeliveries() {
	b.t.Helper()
	if _, err := b.pool.Exec(b.ctx, `UPDATE river.river_job SET scheduled_at = now(), state = 'available'
		WHERE kind = 'deliver_notice' AND state IN ('scheduled', 'retryable')`); err != nil {
		b.t.Fatal(err)
	}
}

// lastText returns the plain text of the latest message the SMTP server accepted.
func (b *mailBundle) lastText() (subject, text string) {
	b.t.Helper()
	msgs := b.sink.Messages()
	if len(msgs) == 0 {
		b.t.Fatal("no message")
	}
	m := msgs[len(msgs)-1]
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		b.t.Fatal(err)
	}
	return subject, parts(b.t, m)["text/plain"]
}

// TestDebtNoticeWaitsForTheDunningWindow: the telecom debt notice recorded on Sunday
// 2026-03-15 is not sent on a Sunday (CDC art. 42): its delivery is held until Monday
// 08:00, the start of the dunning window, and goes out on Monday at 09:30. Its e-mail
// states the amount owed that day (93.00 and 6 days of interest at 1% a month: R$ 93,19),
// the suspension date counted from the day it was sent (31/03/2026, not 30/03) and the
// termination date (30/05/2026); the sweep suspends the contract on 03-31, not earlier, and
// the suspension's e-mail states the amount of that day.
func TestDebtNoticeWaitsForTheDunningWindow(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	w := notifications.DefaultDunningWindow(saoPaulo)
	b.window = &w
	b.setClock("2026-03-15 10:00") // a Sunday
	b.start(b.sink.URL())
	c := b.telecomContract()
	if got := b.sweep(jobs.BlockDelinquent, "2026-03-15"); got["contracts_warned"] != 1 {
		t.Fatalf("counts %v, want the debt notice", got)
	}
	b.waitFor("the notice held", func() bool { return len(b.logsWith("collection notice held until the dunning window opens")) == 1 })
	if until := b.logsWith("collection notice held until the dunning window opens")[0]["until"]; until != "2026-03-16T08:00:00-03:00" {
		t.Errorf("held until %v, want Monday 08:00", until)
	}
	b.waitFor("the delivery snoozed", func() bool {
		return b.count(`SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice' AND state = 'scheduled'`) == 1
	})
	if b.sink.Count() != 0 || b.count(`SELECT count(*) FROM notices WHERE state = 'pending'`) != 1 {
		t.Fatalf("%d e-mails; want the notice held, pending and unsent", b.sink.Count())
	}
	if got := b.metric("billingd_notices_held_total", "block_warning"); got != 1 {
		t.Errorf("held metric %v", got)
	}
	b.setClock("2026-03-16 09:30")
	b.wakeDeliveries()
	b.waitFor("the debt notice sent", func() bool { return b.sink.Count() == 1 })
	b.settled()
	var sentAt time.Time
	if err := b.pool.QueryRow(b.ctx, `SELECT sent_at FROM notices WHERE contract_id = $1 AND kind = 'block_warning'`, c).Scan(&sentAt); err != nil {
		t.Fatal(err)
	}
	if !sentAt.Equal(at("2026-03-16 09:30")) {
		t.Errorf("sent at %s, want Monday 09:30", sentAt.In(saoPaulo))
	}
	subject, text := b.lastText()
	for _, want := range []string{"Parcela 1/12, vencimento 10/03/2026: R$ 93,00 + multa R$ 0,00 + juros R$ 0,19 = R$ 93,19",
		"Total em aberto: R$ 93,19", "suspenso a partir de 31/03/2026", "rescindido a partir de 30/05/2026",
		"restabelecido em até 1 dia após a confirmação do pagamento"} {
		if !strings.Contains(text, want) {
			t.Errorf("the debt notice lacks %q:\n%s", want, text)
		}
	}
	if subject != fmt.Sprintf("Aviso de débito: contrato nº %d, R$ 93,19 em aberto", c) {
		t.Errorf("subject %q", subject)
	}
	b.setClock("2026-03-30 10:00")
	if got := b.sweep(jobs.BlockDelinquent, "2026-03-30"); len(got) != 0 {
		t.Errorf("as of 03-30, 14 days after the notice: %v", got)
	}
	b.setClock("2026-03-31 10:00")
	if got := b.sweep(jobs.BlockDelinquent, "2026-03-31"); got["contracts_blocked"] != 1 {
		t.Fatalf("as of 03-31: %v, want the suspension", got)
	}
	b.waitFor("the suspension's e-mail", func() bool { return b.sink.Count() == 2 })
	_, text = b.lastText()
	for _, want := range []string{"foi suspenso por falta de pagamento em 31/03/2026", "Total em aberto: R$ 93,65",
		"rescindido a partir de 30/05/2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("the suspension's e-mail lacks %q:\n%s", want, text)
		}
	}
}

// TestUnsentNoticeMovesTheDates: with the SMTP server down on the notice's day, the
// notice is not sent and the telecom contract is not suspended 15 days later; sent the next
// day, the notice is rendered again for that day (amount and dates), and the suspension
// comes 15 days after it.
func TestUnsentNoticeMovesTheDates(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	w := notifications.DefaultDunningWindow(saoPaulo)
	b.window = &w
	b.setClock("2026-03-16 10:00") // a Monday
	b.start(b.sink.URL())
	c := b.telecomContract()
	b.sink.Down()
	b.sweep(jobs.BlockDelinquent, "2026-03-16")
	b.waitFor("a failed attempt", func() bool {
		return b.count(`SELECT count(*) FROM notices WHERE contract_id = $1 AND attempts > 0 AND state = 'rendered'`, c) == 1
	})
	b.setClock("2026-03-31 10:00")
	if got := b.sweep(jobs.BlockDelinquent, "2026-03-31"); len(got) != 0 {
		t.Errorf("as of 03-31, the notice unsent: %v, want no suspension", got)
	}
	b.setClock("2026-03-17 11:00")
	b.sink.Up()
	b.wakeDeliveries()
	b.waitFor("the debt notice sent", func() bool { return b.sink.Count() == 1 })
	_, text := b.lastText()
	for _, want := range []string{"Valores em aberto em 17/03/2026", "Total em aberto: R$ 93,22", "suspenso a partir de 01/04/2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("the debt notice sent on 03-17 lacks %q:\n%s", want, text)
		}
	}
	b.setClock("2026-04-01 10:00")
	if got := b.sweep(jobs.BlockDelinquent, "2026-03-31"); len(got) != 0 {
		t.Errorf("as of 03-31: %v, want nothing", got)
	}
	if got := b.sweep(jobs.BlockDelinquent, "2026-04-01"); got["contracts_blocked"] != 1 {
		t.Errorf("as of 04-01: %v, want the suspension", got)
	}
}
