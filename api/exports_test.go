package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
)

// csvGet GETs path with the test token (and Accept: text/csv when accept) and parses the
// CSV answer, checking its Content-Type.
func (b *bundle) csvGet(path string, accept bool) [][]string {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.server.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if accept {
		req.Header.Set("Accept", "text/csv")
	}
	resp, err := b.server.Client().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		b.t.Fatalf("GET %s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		b.t.Fatalf("GET %s: not CSV: %v\n%s", path, err, raw)
	}
	return rows
}

// TestOverdueInstallmentsCSV: three fixed-day-10 contracts from May 2026, one paid up, one
// with a partial payment; on 2026-07-20 the CSV lists the open installments due before that
// day (with the partial payment deducted from what they ask before late charges), in the same order as the JSON list; on
// 2026-06-15 only those due before it.
func TestOverdueInstallmentsCSV(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	var ids []int64
	for range 3 {
		ids = append(ids, b.contract(plan, map[string]any{"adhesion_date": "2026-05-01", "discount": "9.90",
			"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t))
	}
	b.generate("2026-07-20")
	for seq, paidAt := range []string{"2026-05-11", "2026-06-10", "2026-07-10"} { // on time
		b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(ids[0], "recurring", seq+1)),
			fmt.Sprintf(`{"amount": "90.00", "paid_at": %q}`, paidAt))
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(ids[1], "recurring", 1)),
		`{"amount": "30.00", "paid_at": "2026-07-20"}`)
	header := []string{"installment_id", "contract_id", "kind", "term", "sequence", "nominal_due", "due_date", "days_overdue",
		"amount", "discount", "paid", "unpaid_before_late_charges"}
	row := func(contract int64, seq int, nominal, due string, days int, paid, open string) []string {
		return []string{fmt.Sprint(b.installmentID(contract, "recurring", seq)), fmt.Sprint(contract), "recurring", "1",
			fmt.Sprint(seq), nominal, due, fmt.Sprint(days), "99.90", "9.90", paid, open}
	}
	want := [][]string{header}
	for _, c := range ids[1:] {
		paid, open := "0.00", "90.00"
		if c == ids[1] {
			paid, open = "30.00", "60.00"
		}
		want = append(want,
			row(c, 1, "2026-05-10", "2026-05-11", 70, paid, open), // 10 May 2026 is a Sunday
			row(c, 2, "2026-06-10", "2026-06-10", 40, "0.00", "90.00"),
			row(c, 3, "2026-07-10", "2026-07-10", 10, "0.00", "90.00"))
	}
	slices.SortStableFunc(want[1:], func(x, y []string) int { return strings.Compare(fmt.Sprintf("%09s", x[0]), fmt.Sprintf("%09s", y[0])) })
	for _, path := range []string{"/v1/installments/overdue?on=2026-07-20&format=csv", "/v1/installments/overdue?format=csv"} {
		if got := b.csvGet(path, false); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s:\n got %q\nwant %q", path, got, want)
		}
	}
	if got := b.csvGet("/v1/installments/overdue?on=2026-07-20", true); len(got) != len(want) {
		t.Errorf("Accept: text/csv: %d rows, want %d", len(got), len(want))
	}
	// The JSON page lists the same installments.
	items := b.must(http.StatusOK, "GET", "/v1/installments/overdue?on=2026-07-20", nil).items(t)
	if len(items) != len(want)-1 {
		t.Fatalf("JSON: %d installments, want %d", len(items), len(want)-1)
	}
	for i, it := range items {
		if fmt.Sprint(it["id"]) != want[i+1][0] || it["due_date"] != want[i+1][6] {
			t.Errorf("JSON item %d: %v %v, want %v", i, it["id"], it["due_date"], want[i+1])
		}
	}
	june := b.csvGet("/v1/installments/overdue?on=2026-06-15&format=csv", false)
	if len(june) != 1+4 || june[1][6] != "2026-05-11" || june[1][7] != "35" {
		t.Errorf("on 2026-06-15: %q, want the header and four installments due before it", june)
	}
	for _, c := range []struct{ path, field string }{
		{"/v1/installments/overdue?format=xml", "format"},
		{"/v1/installments/overdue?on=2026-02-30", "on"},
		{"/v1/collections?format=pdf", "format"},
	} {
		if e := b.must(http.StatusBadRequest, "GET", c.path, nil).err(t); e.Field != c.field {
			t.Errorf("%s: %+v, want the field %s", c.path, e, c.field)
		}
	}
}

// TestOverdueInstallmentsCSVStreamsEveryPage: 60 seeded contracts with twelve installments
// each overdue: the CSV holds all 720 over several pages of the store, each once, each
// contract's twelve on their hand-worked dates and days overdue.
func TestOverdueInstallmentsCSVStreamsEveryPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := dbtest.SeedContracts(context.Background(), b.pool, 60, mustDate(t, "2025-01-15")); err != nil {
		t.Fatal(err)
	}
	b.generate("2025-01-15")
	rows := b.csvGet("/v1/installments/overdue?on=2026-07-20&format=csv", false)
	if len(rows) != 1+720 {
		t.Fatalf("%d rows, want the header and 720", len(rows))
	}
	// Each contract's twelve, by sequence, worked out by hand: nominally due on the 10th from
	// February 2025, on the next business day (2025-05-10 and 2026-01-10 Saturdays, 2025-08-10
	// a Sunday), and the days from that day to 2026-07-20 (2026-01-12: 31+28+31+30+31+30+8 = 189).
	dues := map[string]string{
		"1": "2025-02-10 2025-02-10 525", "2": "2025-03-10 2025-03-10 497", "3": "2025-04-10 2025-04-10 466",
		"4": "2025-05-10 2025-05-12 434", "5": "2025-06-10 2025-06-10 405", "6": "2025-07-10 2025-07-10 375",
		"7": "2025-08-10 2025-08-11 343", "8": "2025-09-10 2025-09-10 313", "9": "2025-10-10 2025-10-10 283",
		"10": "2025-11-10 2025-11-10 252", "11": "2025-12-10 2025-12-10 222", "12": "2026-01-10 2026-01-12 189",
	}
	seen := map[string]bool{}
	perContract := map[string]int{}
	for _, r := range rows[1:] {
		if seen[r[0]] {
			t.Errorf("installment %s listed twice", r[0])
		}
		seen[r[0]] = true
		perContract[r[1]]++
		if r[2] != "recurring" || r[3] != "1" || strings.Join(r[5:8], " ") != dues[r[4]] || r[8] != "99.90" || r[9] != "0.00" ||
			r[10] != "0.00" || r[11] != "99.90" {
			t.Errorf("row %q: want recurring 1 %s with 99.90 open (nominal, due, days overdue %s)", r, r[4], dues[r[4]])
		}
	}
	for contract, n := range perContract {
		if n != 12 {
			t.Errorf("contract %s has %d rows, want 12", contract, n)
		}
	}
	if len(perContract) != 60 {
		t.Errorf("%d contracts listed, want 60", len(perContract))
	}
}

// TestCollectionsCSV: the contracts at the debt notice step as CSV, each row the JSON list's
// entry, with Accept: text/csv or ?format=csv.
func TestCollectionsCSV(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.ladderRule(`{"name": "ISP (RGC 765)", "profile": "telecom_rgc765"}`)
	c1 := b.delinquent("2026-03-10", rule)
	c2 := b.delinquent("2026-03-10", rule)
	b.block("2026-03-15")
	b.sendDebtNotice(c1, "2026-03-16 08:00")
	header := []string{"contract_id", "customer_id", "status", "step", "since", "profile", "next_step", "next_step_on",
		"days_in_default", "trigger_installment_id", "notice_sent_on", "trust_unlock_until"}
	items := b.must(http.StatusOK, "GET", "/v1/collections?step=debt_notice", nil).items(t)
	if len(items) != 2 {
		t.Fatalf("JSON: %v, want two contracts", items)
	}
	for _, path := range []string{"/v1/collections?step=debt_notice&format=csv", "/v1/collections?step=debt_notice"} {
		rows := b.csvGet(path, !strings.Contains(path, "format"))
		if len(rows) != 3 || !slices.Equal(rows[0], header) {
			t.Fatalf("%s: %q", path, rows)
		}
		// Both due 2026-03-10 and at the debt notice since 03-15, the profile's fifth day. c1's
		// notice sent on 03-16 put its suspension on 03-31 and its termination 75 days after the
		// notice, on 05-30: today, 2026-07-20, both are past, so no step follows. c2's notice,
		// unsent, leaves its suspension waiting, undated. days_in_default is health_9656's
		// alone: empty.
		for i, c := range []struct {
			id         int64
			next, sent string
		}{{c1, "", "2026-03-16"}, {c2, "suspension", ""}} {
			want := []string{fmt.Sprint(c.id), fmt.Sprint(items[i]["customer_id"]), "active", "debt_notice", "2026-03-15",
				"telecom_rgc765", c.next, "", "", fmt.Sprint(b.installmentID(c.id, "recurring", 1)), c.sent, ""}
			if !slices.Equal(rows[i+1], want) {
				t.Errorf("%s row %d: %q, want %q", path, i+1, rows[i+1], want)
			}
		}
	}
	rows := b.csvGet("/v1/collections?step=debt_notice&format=csv", false)
	if rows[1][0] != fmt.Sprint(c1) || rows[1][10] != "2026-03-16" || rows[2][0] != fmt.Sprint(c2) || rows[2][10] != "" {
		t.Errorf("rows %q: want contract %d (notice sent 2026-03-16) then %d (unsent)", rows, c1, c2)
	}
	if empty := b.csvGet("/v1/collections?step=termination&format=csv", false); len(empty) != 1 {
		t.Errorf("no contract at termination: %q, want the header alone", empty)
	}
}

// mustDate parses a YYYY-MM-DD date or fails t.
func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := billing.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
