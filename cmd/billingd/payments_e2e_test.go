package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/cnab240"
	"github.com/billingd/billingd/internal/daemontest"
)

// TestReturnFileThroughDropDirEndToEnd drives the real daemon: three contracts of a
// 10-day blocking rule are blocked; a CNAB 240 return file written with cnab240.Write, with
// settlements of contract 1's overdue installment (93.59 on A+19, worked out by hand: 93.00
// and 19 days of interest), of an unknown nosso número and of contract 3's installment
// cancelled with its contract, is dropped in BILLINGD_PAYMENT_DROP_DIR and imported by
// `billingd run import-payments`: the known installment is paid 93.59 on the file's date,
// contract 1 is unblocked within seconds, contract 2 stays blocked and its installment
// open, the other two settlements are listed by GET /v1/payment-exceptions; the next run
// moves the file to done/, and the same file dropped again changes nothing.
func TestReturnFileThroughDropDirEndToEnd(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	drop := t.TempDir()
	clock := daemontest.NewClock(t, true) // one business date from the first run to the import, at any host time
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_BLOCK_DELINQUENT_ENABLED=false",
		"BILLINGD_IMPORT_PAYMENTS_ENABLED=false", "BILLINGD_PAYMENT_DROP_DIR="+drop,
		"BILLINGD_BANK_CODE=001", "BILLINGD_BANK_AGENCY=1234", "BILLINGD_BANK_ACCOUNT=123456", "BILLINGD_BANK_WALLET=17",
		"BILLINGD_BANK_CONVENIO=1234567", "BILLINGD_BANK_NOSSO_NUMERO_FIRST=1", "BILLINGD_BANK_NOSSO_NUMERO_LAST=9999999999",
		clock.Env())
	d := startDaemon(t, env)

	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	today := clock.Today(sp)
	a := today.AddDate(0, 0, -20)
	day := func(offset int) string { return billing.FormatDate(a.AddDate(0, 0, offset)) }
	var created struct {
		ID int64 `json:"id"`
	}
	if code := d.send("POST", "/v1/blocking-rules", `{"name": "ISP", "block_after_days": 10, "warning_days": 3}`, &created); code != 201 {
		t.Fatalf("create rule: %d", code)
	}
	rule := created.ID
	if code := d.send("POST", "/v1/plans", `{"name": "Fibra", "price": "93.00", "period": "monthly", "installments_per_term": 12}`, &created); code != 201 {
		t.Fatalf("create plan: %d", code)
	}
	plan := created.ID
	contracts := make([]int64, 3)
	for i := range contracts {
		if code := d.send("POST", "/v1/customers", fmt.Sprintf(`{"name": "Cliente %d", "email": "c%d@example.com"}`, i, i), &created); code != 201 {
			t.Fatalf("create customer: %d", code)
		}
		body := fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": %q, "due_date_rule": {"kind": "anniversary", "shift": "none"},
			"blocking_rule_id": %d}`, created.ID, plan, day(0), rule)
		if code := d.send("POST", "/v1/contracts", body, &created); code != 201 {
			t.Fatalf("create contract: %d", code)
		}
		contracts[i] = created.ID
	}
	run := func(job, asOf string) string {
		t.Helper()
		args := []string{"run", job, "--wait"}
		if asOf != "" {
			args = append(args, "--as-of", asOf)
		}
		code, stdout, stderr := cli(t, env, args...)
		m := runLine.FindStringSubmatch(stdout)
		if code != 0 || m == nil || m[2] != "succeeded" {
			t.Fatalf("run %s: exit %d\nstdout %s\nstderr %s", job, code, stdout, stderr)
		}
		return m[3]
	}
	run("generate-installments", day(0))
	run("block-delinquent", day(7))
	run("block-delinquent", day(10))
	type installment struct {
		ID          int64   `json:"id"`
		State       string  `json:"state"`
		PaidAt      string  `json:"paid_at"`
		PaidAmount  *string `json:"paid_amount"`
		Instruments *struct {
			NossoNumero string `json:"nosso_numero"`
		} `json:"instruments"`
		AmountDue struct {
			Balance string `json:"balance"`
		} `json:"amount_due"`
	}
	first := func(contract int64, seq int) installment {
		t.Helper()
		var list struct {
			Items []installment `json:"items"`
		}
		d.get(fmt.Sprintf("/v1/contracts/%d/installments?limit=%d", contract, seq), &list)
		if len(list.Items) < seq || list.Items[seq-1].Instruments == nil {
			t.Fatalf("contract %d installment %d: %+v", contract, seq, list.Items)
		}
		return list.Items[seq-1]
	}
	status := func(id int64) string {
		var c struct {
			Status string `json:"status"`
		}
		d.get(fmt.Sprintf("/v1/contracts/%d", id), &c)
		return c.Status
	}
	if s := status(contracts[0]); s != "blocked" {
		t.Fatalf("contract 1 is %s before the file, want blocked", s)
	}
	if code := d.send("POST", fmt.Sprintf("/v1/contracts/%d/cancel", contracts[2]), fmt.Sprintf(`{"date": %q, "reason_code": "other"}`, day(12)), nil); code != 200 {
		t.Fatalf("cancel contract 3: %d", code)
	}
	known, cancelled := first(contracts[0], 1), first(contracts[2], 2)
	// Contract 1's installment is due on A and paid on A+19: 93.00 and 19 days of 1% a month
	// (93.00 × 1% ÷ 30 × 19 = 0.589 → 0.59), no fine: 93.59.
	const paid = "93.59"
	var due installment
	d.get(fmt.Sprintf("/v1/installments/%d?on=%s", known.ID, day(19)), &due)
	if due.AmountDue.Balance != paid {
		t.Errorf("contract 1's installment asks %s on %s, want %s", due.AmountDue.Balance, day(19), paid)
	}
	mustDate := func(s string) time.Time {
		d, err := billing.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	settle := func(nn, on, amount string) cnab240.Settlement {
		v := decimal.RequireFromString(amount)
		return cnab240.Settlement{Movement: cnab240.Paid, NossoNumero: nn, NominalAmount: v, AmountPaid: v, NetCredited: v,
			DatePaid: mustDate(on), DateCredited: mustDate(on)}
	}
	var file bytes.Buffer
	if err := cnab240.Write(&file, &cnab240.File{BankCode: "001", GeneratedOn: today, Sequence: 41, Settlements: []cnab240.Settlement{
		settle(known.Instruments.NossoNumero, day(19), paid),
		settle("12345679999999999", day(19), "93.00"),
		settle(cancelled.Instruments.NossoNumero, day(19), "93.00"),
	}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(drop, "RET041.ret"), file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if got, want := run("import-payments", ""), `{"duplicates":0,"exceptions":2,"files":1,"payments_recorded":1,"settlements":3}`; got != want {
		t.Errorf("import counts %s, want %s", got, want)
	}
	waitFor(t, 10*time.Second, "contract 1 unblocked", func() bool { return status(contracts[0]) == "active" })
	t.Logf("import → contract unblocked in %s", time.Since(start).Round(time.Millisecond))
	if got := first(contracts[0], 1); got.State != "paid" || got.PaidAt != day(19) || got.PaidAmount == nil || *got.PaidAmount != paid {
		t.Errorf("known installment %s on %s (%v), want paid %s on %s", got.State, got.PaidAt, got.PaidAmount, paid, day(19))
	}
	if s := status(contracts[1]); s != "blocked" {
		t.Errorf("contract 2 is %s, want still blocked", s)
	}
	if s := status(contracts[2]); s != "cancelled" {
		t.Errorf("contract 3 is %s, want cancelled", s)
	}
	if got := first(contracts[1], 1); got.State != "open" {
		t.Errorf("contract 2's installment is %s, want open", got.State)
	}
	if got := first(contracts[2], 2); got.State != "cancelled" {
		t.Errorf("contract 3's second installment is %s, want cancelled", got.State)
	}
	var excs struct {
		Items []struct {
			Reason string `json:"reason"`
			Line   int    `json:"line"`
		} `json:"items"`
	}
	d.get("/v1/payment-exceptions", &excs)
	if got := fmt.Sprint(excs.Items); got != "[{unknown_reference 5} {installment_cancelled 7}]" {
		t.Errorf("exceptions %s", got)
	}
	payments := count(t, pool, "SELECT count(*) FROM payments")
	// The next run moves the file to done/; the same file dropped again changes nothing.
	if got := run("import-payments", ""); got != "{}" {
		t.Errorf("second import counts %s, want none", got)
	}
	if _, err := os.Stat(filepath.Join(drop, "done", "RET041.ret")); err != nil {
		t.Errorf("done/RET041.ret: %v", err)
	}
	if err := os.WriteFile(filepath.Join(drop, "RET041-again.ret"), file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := run("import-payments", ""); got != "{}" {
		t.Errorf("the same file again: counts %s, want none", got)
	}
	if _, err := os.Stat(filepath.Join(drop, "done", "RET041-again.ret")); err != nil {
		t.Errorf("done/RET041-again.ret: %v", err)
	}
	if got := count(t, pool, "SELECT count(*) FROM payments"); got != payments {
		t.Errorf("%d payments after the same file again, want %d", got, payments)
	}
	if got := count(t, pool, "SELECT count(*) FROM payment_exceptions"); got != 2 {
		t.Errorf("%d exceptions after the same file again, want 2", got)
	}
}
