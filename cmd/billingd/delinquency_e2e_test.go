package main

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/daemontest"
)

// TestDelinquencyEndToEnd drives 20 contracts through the API and `billingd run
// block-delinquent --as-of` with the daemon running: activated 20 days ago (A), due on A,
// under a rule of 10 days with a warning 3 days before (a generic ladder), they are warned as of A+7 and
// blocked as of A+10; each payment recorded today unblocks its contract, and the 10 blocked
// days are discounted to the cent from the next installment. The daemon's and the commands'
// clock stands still at the tests' injected start (daemontest.NewClock), so "today" is one
// business date from the first request to the last at any host time; how fast a payment
// unblocks is measured by bench.BenchmarkPaymentToUnblockThroughDaemon.
func TestDelinquencyEndToEnd(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	clock := daemontest.NewClock(t, true)
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_BLOCK_DELINQUENT_ENABLED=false", "BILLINGD_BATCH_SIZE=7",
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
	const n = 20
	contracts := make([]int64, n)
	for i := range contracts {
		if code := d.send("POST", "/v1/customers", fmt.Sprintf(`{"name": "Cliente %d", "email": "c%d@example.com"}`, i, i), &created); code != 201 {
			t.Fatalf("create customer: %d", code)
		}
		body := fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": %q, "due_date_rule": {"kind": "anniversary", "shift": "none"},
			"blocking_rule_id": %d, "inactivity_discount": true}`, created.ID, plan, day(0), rule)
		if code := d.send("POST", "/v1/contracts", body, &created); code != 201 {
			t.Fatalf("create contract: %d", code)
		}
		contracts[i] = created.ID
	}
	run := func(job, asOf, want string) {
		t.Helper()
		code, stdout, stderr := cli(t, env, "run", job, "--as-of", asOf, "--wait")
		m := runLine.FindStringSubmatch(stdout)
		if code != 0 || m == nil || m[2] != "succeeded" || m[3] != want {
			t.Fatalf("run %s --as-of %s: exit %d, want counts %s\nstdout %s\nstderr %s", job, asOf, code, want, stdout, stderr)
		}
	}
	run("generate-installments", day(0), fmt.Sprintf(`{"contracts":%d,"installments_created":%d}`, n, 12*n))
	run("block-delinquent", day(6), `{}`)
	run("block-delinquent", day(7), fmt.Sprintf(`{"contracts_warned":%d}`, n))
	run("block-delinquent", day(9), `{}`) // the debt notice is recorded once; the contract stays at its step
	run("block-delinquent", day(10), fmt.Sprintf(`{"contracts_blocked":%d}`, n))
	run("block-delinquent", day(10), `{}`)
	if got := count(t, pool, "SELECT count(*) FROM notices WHERE kind = 'block_warning'"); got != n {
		t.Fatalf("%d warnings, want %d", got, n)
	}

	type contract struct {
		Status   string `json:"status"`
		Episodes []struct {
			StartedOn string  `json:"started_on"`
			EndedOn   *string `json:"ended_on"`
		} `json:"block_episodes"`
	}
	for _, id := range contracts {
		var c contract
		d.get(fmt.Sprintf("/v1/contracts/%d", id), &c)
		if c.Status != "blocked" || len(c.Episodes) != 1 || c.Episodes[0].StartedOn != day(10) || c.Episodes[0].EndedOn != nil {
			t.Fatalf("contract %d after the block: %+v, want blocked from %s", id, c, day(10))
		}
	}

	for _, id := range contracts {
		var inst struct {
			Items []struct {
				ID       int64  `json:"id"`
				Sequence int    `json:"sequence"`
				Discount string `json:"discount"`
			} `json:"items"`
		}
		d.get(fmt.Sprintf("/v1/contracts/%d/installments?state=open&limit=1", id), &inst)
		// Paid today, 20 days after its due date: 93.00 and 20/30 of 1% a month of interest.
		if code := d.send("POST", fmt.Sprintf("/v1/installments/%d/payments", inst.Items[0].ID),
			fmt.Sprintf(`{"amount": "93.62", "paid_at": %q}`, billing.FormatDate(today)), nil); code != 200 {
			t.Fatalf("payment: %d", code)
		}
		waitFor(t, 30*time.Second, fmt.Sprintf("contract %d unblocked", id), func() bool {
			var c contract
			d.get(fmt.Sprintf("/v1/contracts/%d", id), &c)
			return c.Status == "active"
		})
	}

	// Every contract was blocked from A+10 and unblocked today (A+20): 10 blocked days, A+10
	// to A+19, discounted from its next installment (sequence 2, due A + 1 month), as worked
	// out by hand for the month or months they fall in (blockedDaysDiscount93): 30.00 for 10
	// days of July, 31.00 for 10 of November.
	wantDiscount := blockedDaysDiscount93(t, a.AddDate(0, 0, 10), 10)
	wantReason := func(description string) bool {
		return strings.HasPrefix(description, "inactivity discount: 10 days blocked in block episode ") &&
			strings.Contains(description, " at 93.00 a month ") && strings.HasSuffix(description, " = "+wantDiscount)
	}
	for _, id := range contracts {
		var c struct {
			Status   string `json:"status"`
			Episodes []struct {
				StartedOn   string  `json:"started_on"`
				EndedOn     *string `json:"ended_on"`
				BlockedDays int     `json:"blocked_days"`
			} `json:"block_episodes"`
		}
		d.get(fmt.Sprintf("/v1/contracts/%d", id), &c)
		if c.Status != "active" || len(c.Episodes) != 1 || c.Episodes[0].StartedOn != day(10) || c.Episodes[0].EndedOn == nil ||
			*c.Episodes[0].EndedOn != day(20) || c.Episodes[0].BlockedDays != 10 {
			t.Errorf("contract %d after the payment: %+v, want active, one episode %s to %s of 10 blocked days", id, c, day(10), day(20))
		}
		var inst struct {
			Items []struct {
				Sequence int    `json:"sequence"`
				Amount   string `json:"amount"`
				Discount string `json:"discount"`
				Lines    []struct {
					Kind        string `json:"kind"`
					Description string `json:"description"`
					Amount      string `json:"amount"`
				} `json:"lines"`
			} `json:"items"`
		}
		d.get(fmt.Sprintf("/v1/contracts/%d/installments?state=open&limit=1", id), &inst)
		if len(inst.Items) != 1 || inst.Items[0].Sequence != 2 || inst.Items[0].Amount != "93.00" || inst.Items[0].Discount != wantDiscount {
			t.Errorf("contract %d: next installment %+v, want sequence 2 of 93.00 with discount %s", id, inst.Items, wantDiscount)
			continue
		}
		var lines []string
		inactivity, right := 0, 0
		for _, l := range inst.Items[0].Lines {
			lines = append(lines, l.Kind+" "+l.Amount+" "+l.Description)
			if l.Kind == "inactivity_discount" {
				inactivity++
				if l.Amount == "-"+wantDiscount && wantReason(l.Description) {
					right++
				}
			}
		}
		if inactivity != 1 || right != 1 {
			t.Errorf("contract %d: lines %q, want one inactivity_discount of -%s for 10 days blocked", id, lines, wantDiscount)
		}
	}
	if got := count(t, pool, "SELECT count(*) FROM installment_discounts WHERE blocked_days = 10 AND computed::text = $1 AND amount::text = $1",
		wantDiscount); got != n {
		t.Errorf("%d inactivity discounts of 10 days and %s, want %d", got, wantDiscount, n)
	}
	if got := count(t, pool, "SELECT count(*) FROM notices WHERE kind = 'unblocked'"); got != n {
		t.Errorf("%d unblocked notices, want %d", got, n)
	}

	resp, err := http.Get("http://" + d.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics := readAll(t, resp)
	for _, want := range []string{
		fmt.Sprintf("billingd_payment_unblock_seconds_count %d", n),
		`billingd_contracts{status="blocked"} 0`,
		"billingd_contracts_paid_but_blocked 0",
		fmt.Sprintf("billingd_contract_blocks_total %d", n),
		fmt.Sprintf(`billingd_contract_unblocks_total{reason="payment"} %d`, n),
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, took := d.Stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d after %s", code, took)
	}
}

// TestForcedFutureRunIsUndoneByTodaysRun drives the daemon's block-delinquent (its sweep
// as serve wires it, with the business date now) under the default rule, blocked 10 days
// after the due date: X is due 2 days ago (blocked in 8 days), Y 10 days ago (blocked
// today). A forced run a year ahead blocks both from that date; the run as of today
// unblocks X (not delinquent today) and restarts Y's block on today; a rerun for
// yesterday then changes nothing: today's block of Y stands.
func TestForcedFutureRunIsUndoneByTodaysRun(t *testing.T) {
	t.Parallel()
	url, _ := migratedDB(t)
	clock := daemontest.NewClock(t, true) // today holds for every run, at any host time
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", clock.Env())
	d := startDaemon(t, env)
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	today := clock.Today(sp)
	day := func(offset int) string { return billing.FormatDate(today.AddDate(0, 0, offset)) }
	var created struct {
		ID int64 `json:"id"`
	}
	if code := d.send("POST", "/v1/plans", `{"name": "Fibra", "price": "93.00", "period": "monthly", "installments_per_term": 12}`, &created); code != 201 {
		t.Fatalf("create plan: %d", code)
	}
	plan := created.ID
	contract := func(adhesion string) int64 {
		if code := d.send("POST", "/v1/customers", `{"name": "Cliente", "email": "c@example.com"}`, &created); code != 201 {
			t.Fatalf("create customer: %d", code)
		}
		body := fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": %q, "due_date_rule": {"kind": "anniversary", "shift": "none"}}`,
			created.ID, plan, adhesion)
		if code := d.send("POST", "/v1/contracts", body, &created); code != 201 {
			t.Fatalf("create contract: %d", code)
		}
		return created.ID
	}
	x, y := contract(day(-2)), contract(day(-10))
	run := func(job, asOf, want string, extra ...string) {
		t.Helper()
		code, stdout, stderr := cli(t, env, append([]string{"run", job, "--as-of", asOf, "--wait"}, extra...)...)
		m := runLine.FindStringSubmatch(stdout)
		if code != 0 || m == nil || m[2] != "succeeded" || m[3] != want {
			t.Fatalf("run %s --as-of %s: exit %d, want counts %s\nstdout %s\nstderr %s", job, asOf, code, want, stdout, stderr)
		}
	}
	status := func(id int64) string {
		var c struct {
			Status   string `json:"status"`
			Episodes []struct {
				StartedOn string `json:"started_on"`
			} `json:"block_episodes"`
		}
		d.get(fmt.Sprintf("/v1/contracts/%d", id), &c)
		s := c.Status
		for _, e := range c.Episodes {
			s += " " + e.StartedOn
		}
		return s
	}
	run("generate-installments", day(0), `{"contracts":2,"installments_created":24}`)
	run("block-delinquent", day(365), `{"contracts_blocked":2}`, "--force")
	run("block-delinquent", day(0), `{"blocks_restarted":1,"contracts_unblocked":1}`)
	if got, want := status(x), "active "+day(365); got != want {
		t.Errorf("X after today's run: %q, want %q", got, want)
	}
	if got, want := status(y), "blocked "+day(0); got != want {
		t.Errorf("Y after today's run: %q, want %q", got, want)
	}
	run("block-delinquent", day(-1), `{}`)
	if got, want := status(y), "blocked "+day(0); got != want {
		t.Errorf("Y after a rerun for yesterday: %q, want %q", got, want)
	}
}

// discount93 is the inactivity discount of k blocked days (the index) in a month of 28, 29,
// 30 or 31 days at 93.00 a month, worked out by hand: 93.00 ÷ days of the month × k, half-up
// to the cent. 93.00 ÷ 31 = 3.00 and 93.00 ÷ 30 = 3.10 a day exactly; February's are not
// (93.00 × 10 ÷ 28 = 33.214… → 33.21; 93.00 × 7 ÷ 28 = 23.25; 93.00 × 10 ÷ 29 = 32.068… → 32.07).
var discount93 = map[int][11]string{
	28: {"0.00", "3.32", "6.64", "9.96", "13.29", "16.61", "19.93", "23.25", "26.57", "29.89", "33.21"},
	29: {"0.00", "3.21", "6.41", "9.62", "12.83", "16.03", "19.24", "22.45", "25.66", "28.86", "32.07"},
	30: {"0.00", "3.10", "6.20", "9.30", "12.40", "15.50", "18.60", "21.70", "24.80", "27.90", "31.00"},
	31: {"0.00", "3.00", "6.00", "9.00", "12.00", "15.00", "18.00", "21.00", "24.00", "27.00", "30.00"},
}

// blockedDaysDiscount93 returns the hand-worked inactivity discount at 93.00 a month of days
// blocked days from from: the days are split by calendar month and each month's share read
// from discount93. At most one month of a stretch of 10 days or fewer is February, whose
// neighbours' shares are exact, so adding the rounded shares is rounding the sum once.
// Blocked 2026-11-20 to 2026-11-29: 10 of November's 30 days = 31.00; 2026-02-25 to
// 2026-03-06: 4 of February's 28 (13.29) and 6 of March's 31 (18.00) = 31.29.
func blockedDaysDiscount93(t *testing.T, from time.Time, days int) string {
	t.Helper()
	if days < 1 || days > 10 {
		t.Fatalf("blockedDaysDiscount93 works out 1 to 10 blocked days, not %d", days)
	}
	total := decimal.Zero
	for d, left := from, days; left > 0; {
		y, m, _ := d.Date()
		first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		monthDays := first.AddDate(0, 1, -1).Day()
		k := min(left, monthDays-d.Day()+1)
		total = total.Add(decimal.RequireFromString(discount93[monthDays][k]))
		d, left = first.AddDate(0, 1, 0), left-k
	}
	return total.StringFixed(2)
}

// TestBlockedDaysDiscount93 pins the hand-worked discounts TestDelinquencyEndToEnd expects
// on the dates it runs at: 10 days blocked from the given day at 93.00 a month.
func TestBlockedDaysDiscount93(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		from, want string
	}{
		{"2026-07-10", "30.00"}, // 10 of July's 31 (the tests' injected date, 2026-07-20)
		{"2026-11-20", "31.00"}, // 10 of November's 30
		{"2026-06-25", "30.60"}, // 6 of June's 30 (18.60) and 4 of July's 31 (12.00)
		{"2026-02-22", "32.25"}, // 7 of February's 28 (23.25) and 3 of March's 31 (9.00)
		{"2028-02-24", "31.24"}, // 6 of February's 29 (19.24) and 4 of March's 31 (12.00)
	} {
		from, err := billing.ParseDate(tt.from)
		if err != nil {
			t.Fatal(err)
		}
		if got := blockedDaysDiscount93(t, from, 10); got != tt.want {
			t.Errorf("10 days from %s: %s, want %s", tt.from, got, tt.want)
		}
	}
}
