package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// forecastBody is the part of a forecast's answer the tests read.
type forecastBody struct {
	From         string           `json:"from"`
	Until        string           `json:"until"`
	Installments []map[string]any `json:"installments"`
	Renewals     []struct {
		Term      int    `json:"term"`
		QueuedOn  string `json:"queued_on"`
		RenewedOn string `json:"renewed_on"`
		NewTerm   int    `json:"new_term"`
		Price     string `json:"price"`
	} `json:"renewals"`
	Quotas []struct {
		BenefitID   int64  `json:"benefit_id"`
		PeriodStart string `json:"period_start"`
		PeriodEnd   string `json:"period_end"`
		Granted     int    `json:"granted"`
	} `json:"quotas"`
	TotalDue string `json:"total_due"`
}

func (b *bundle) forecast(contract int64, until string) forecastBody {
	b.t.Helper()
	r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/forecast?until=%s", contract, until), nil)
	var f forecastBody
	if err := json.Unmarshal(r.raw, &f); err != nil {
		b.t.Fatalf("forecast %s: %v", r.raw, err)
	}
	return f
}

// installmentKey renders what generation decides of an installment, lines included, from
// a forecast's or the installments list's JSON.
func installmentKey(it map[string]any) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v %v/%v service %v..%v nominal %v due %v amount %v discount %v on-time %v", it["kind"], it["term"],
		it["sequence"], it["service_start"], it["service_end"], it["nominal_due"], it["due_date"], it["amount"],
		it["discount"], it["on_time_discount"])
	lines, _ := it["lines"].([]any)
	for _, l := range lines {
		m := l.(map[string]any)
		fmt.Fprintf(&sb, " | %v %q x%v @%v = %v", m["kind"], m["description"], m["quantity"], m["unit_price"], m["amount"])
	}
	return sb.String()
}

// playForecast does what the forecast assumes, with the real sweeps: each installment of
// the forecast is paid on its due date (marked paid and its contract flagged for renewal,
// as a payment does; the API refuses payments dated in the future), and renew-contracts
// and generate-installments run as of that day. It then returns the contract's installments
// due until the forecast's end, as the API lists them, and its renewals.
func (b *bundle) playForecast(contract int64, f forecastBody) ([]string, []string) {
	b.t.Helper()
	var days []string
	for _, it := range f.Installments {
		if d := it["due_date"].(string); !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	for _, d := range days {
		b.generate(d)
		b.exec(`UPDATE installments SET state = 'paid', paid_at = $2, paid_amount = amount - discount
			WHERE contract_id = $1 AND state = 'open' AND due_date = $2`, contract, d)
		b.exec(`UPDATE contracts SET renewal_check = true WHERE id = $1`, contract)
		b.renew(d)
	}
	b.generate(f.Until)
	var got []string
	items := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/installments?limit=500", contract), nil).items(b.t)
	slices.SortStableFunc(items, func(x, y map[string]any) int { return strings.Compare(x["due_date"].(string), y["due_date"].(string)) })
	for _, it := range items {
		if it["due_date"].(string) <= f.Until {
			got = append(got, installmentKey(it))
		}
	}
	var renewals []string
	for _, r := range b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/renewals?contract_id=%d", contract), nil).items(b.t) {
		if r["renewed_on"] != nil {
			renewals = append(renewals, fmt.Sprintf("term %v queued %v renewed %v into %v at %v", r["term"], r["queued_on"],
				r["renewed_on"], r["new_term"], r["price"]))
		}
	}
	return got, renewals
}

// forecastDates returns each forecast installment as "term/sequence service_start..service_end
// nominal_due due_date amount", preceded by its kind unless recurring and followed by its
// discount and on-time discount unless both are zero.
func forecastDates(f forecastBody) []string {
	var out []string
	for _, it := range f.Installments {
		k := fmt.Sprintf("%v/%v %v..%v %v %v %v", it["term"], it["sequence"], it["service_start"], it["service_end"],
			it["nominal_due"], it["due_date"], it["amount"])
		if it["discount"] != "0.00" || it["on_time_discount"] != "0.00" {
			k += fmt.Sprintf(" -%v -%v", it["discount"], it["on_time_discount"])
		}
		if it["kind"] != "recurring" {
			k = fmt.Sprintf("%v ", it["kind"]) + k
		}
		out = append(out, k)
	}
	return out
}

// forecastKeys returns the forecast's installments and renewals in playForecast's terms.
func forecastKeys(f forecastBody) ([]string, []string) {
	var ins, ren []string
	for _, it := range f.Installments {
		ins = append(ins, installmentKey(it))
	}
	for _, r := range f.Renewals {
		ren = append(ren, fmt.Sprintf("term %d queued %s renewed %s into %d at %s", r.Term, r.QueuedOn, r.RenewedOn, r.NewTerm, r.Price))
	}
	return ins, ren
}

// compareForecast fails t unless the forecast equals what the sweeps produced, installment
// by installment.
func compareForecast(t *testing.T, f forecastBody, gotIns, gotRen []string) {
	t.Helper()
	wantIns, wantRen := forecastKeys(f)
	if len(wantIns) != len(gotIns) {
		t.Errorf("forecast %d installments, the sweeps produced %d", len(wantIns), len(gotIns))
	}
	for i := range min(len(wantIns), len(gotIns)) {
		if wantIns[i] != gotIns[i] {
			t.Errorf("installment %d:\nforecast %s\nproduced %s", i, wantIns[i], gotIns[i])
		}
	}
	if !slices.Equal(wantRen, gotRen) {
		t.Errorf("renewals:\nforecast %q\nproduced %q", wantRen, gotRen)
	}
}

// TestForecastPrepaidDay15EqualsGeneration: seed 004's prepaid day-15 contract, activated on
// 2026-06-01 with its first term generated; the forecast until 2027-12-31 (its open
// installments, its renewal into term 2 when its open installments fall to 2, term 2 at the
// plan's price) is what generation and renewal produce when each installment is paid on its
// due date.
func TestForecastPrepaidDay15EqualsGeneration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("150.00", "")
	id := b.contract(plan, map[string]any{"adhesion_date": "2026-06-01", "price": "140.00",
		"due_date_rule": map[string]any{"kind": "prepaid_fixed_day", "day": 15}}).id(t)
	b.generate("2026-07-20")
	f := b.forecast(id, "2027-12-31")
	ins, _ := forecastKeys(f)
	if len(ins) != 12+7 {
		t.Fatalf("forecast %d installments, want 19 (term 1 and term 2 to December 2027): %q", len(ins), ins)
	}
	for i, want := range []string{
		`recurring 1/1 service 2026-06-01..2026-07-31 nominal 2026-06-01 due 2026-06-01 amount 140.00 discount 0.00 on-time 0.00 | plan "plan, term 1 installment 1: service 2026-06-01 to 2026-07-31" x1 @140.00 = 140.00`,
		`recurring 1/2 service 2026-08-01..2026-08-31 nominal 2026-07-15 due 2026-07-15 amount 140.00 discount 0.00 on-time 0.00 | plan "plan, term 1 installment 2: service 2026-08-01 to 2026-08-31" x1 @140.00 = 140.00`,
		`recurring 1/3 service 2026-09-01..2026-09-30 nominal 2026-08-15 due 2026-08-17 amount 140.00 discount 0.00 on-time 0.00 | plan "plan, term 1 installment 3: service 2026-09-01 to 2026-09-30" x1 @140.00 = 140.00`,
	} {
		if ins[i] != want {
			t.Errorf("installment %d:\n got %s\nwant %s", i, ins[i], want)
		}
	}
	// Every one, worked out by hand: the first bills June and July 2026 on activation; each
	// next one a month of service, nominally due on the 15th of the month before, on the next
	// business day (2026-08-15, 2027-05-15 Saturdays; 2026-11-15, 2027-08-15 Sundays;
	// 2027-11-15 a holiday); term 2, from July 2027, at the plan's 150.00.
	wantAll := []string{
		"1/1 2026-06-01..2026-07-31 2026-06-01 2026-06-01 140.00", "1/2 2026-08-01..2026-08-31 2026-07-15 2026-07-15 140.00",
		"1/3 2026-09-01..2026-09-30 2026-08-15 2026-08-17 140.00", "1/4 2026-10-01..2026-10-31 2026-09-15 2026-09-15 140.00",
		"1/5 2026-11-01..2026-11-30 2026-10-15 2026-10-15 140.00", "1/6 2026-12-01..2026-12-31 2026-11-15 2026-11-16 140.00",
		"1/7 2027-01-01..2027-01-31 2026-12-15 2026-12-15 140.00", "1/8 2027-02-01..2027-02-28 2027-01-15 2027-01-15 140.00",
		"1/9 2027-03-01..2027-03-31 2027-02-15 2027-02-15 140.00", "1/10 2027-04-01..2027-04-30 2027-03-15 2027-03-15 140.00",
		"1/11 2027-05-01..2027-05-31 2027-04-15 2027-04-15 140.00", "1/12 2027-06-01..2027-06-30 2027-05-15 2027-05-17 140.00",
		"2/13 2027-07-01..2027-07-31 2027-06-15 2027-06-15 150.00", "2/14 2027-08-01..2027-08-31 2027-07-15 2027-07-15 150.00",
		"2/15 2027-09-01..2027-09-30 2027-08-15 2027-08-16 150.00", "2/16 2027-10-01..2027-10-31 2027-09-15 2027-09-15 150.00",
		"2/17 2027-11-01..2027-11-30 2027-10-15 2027-10-15 150.00", "2/18 2027-12-01..2027-12-31 2027-11-15 2027-11-16 150.00",
		"2/19 2028-01-01..2028-01-31 2027-12-15 2027-12-15 150.00",
	}
	if got := forecastDates(f); !slices.Equal(got, wantAll) {
		t.Errorf("forecast installments (term/sequence service nominal due amount)\n got %q\nwant %q", got, wantAll)
	}
	if f.Installments[0]["source"] != "existing" || f.Installments[12]["source"] != "renewal" {
		t.Errorf("sources %v and %v, want existing and renewal", f.Installments[0]["source"], f.Installments[12]["source"])
	}
	if len(f.Renewals) != 1 || f.Renewals[0].QueuedOn != "2027-02-15" || f.Renewals[0].RenewedOn != "2027-03-15" ||
		f.Renewals[0].Price != "150.00" {
		t.Errorf("renewals %+v, want term 1 queued 2027-02-15, renewed 2027-03-15 at 150.00", f.Renewals)
	}
	if f.TotalDue != "2730.00" { // 12 × 140.00 + 7 × 150.00
		t.Errorf("total_due %s, want 2730.00", f.TotalDue)
	}
	gotIns, gotRen := b.playForecast(id, f)
	compareForecast(t, f, gotIns, gotRen)
}

// fixedDay31Body is a fixed-day-31 contract activated on 2027-01-31 with a discount, an
// on-time discount and an adhesion fee in two installments: term 2 runs over February 2028.
func fixedDay31Body(customer, plan int64) map[string]any {
	return map[string]any{"customer_id": customer, "plan_id": plan, "adhesion_date": "2027-01-31", "price": "120.00",
		"discount": "10.00", "on_time_discount": "5.00", "adhesion_fee": "100.01", "adhesion_installments": 2,
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 31}}
}

// TestForecastFixedDay31LeapFebruaryEqualsGeneration: a fixed-day-31 contract whose second
// term crosses the leap February of 2028 (due on the 29th, a city holiday the operator
// added: moved to 1 March), forecast from 2026-07-20 before anything is generated, equals
// what generation and renewal later produce, lines included; the simulation of the same
// body forecasts the same.
func TestForecastFixedDay31LeapFebruaryEqualsGeneration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2028-02-29", "name": "Feriado municipal"}`)
	plan := b.plan("150.00", "")
	body := fixedDay31Body(b.customer(), plan)
	sim := b.must(http.StatusOK, "POST", "/v1/simulations?until=2028-06-30", body)
	id := b.must(http.StatusCreated, "POST", "/v1/contracts", body).id(t)
	f := b.forecast(id, "2028-06-30")
	var simulated forecastBody
	if err := json.Unmarshal(sim.raw, &simulated); err != nil {
		t.Fatal(err)
	}
	fi, fr := forecastKeys(f)
	si, sr := forecastKeys(simulated)
	if !slices.Equal(fi, si) || !slices.Equal(fr, sr) {
		t.Errorf("simulation differs from the contract's forecast:\n%q\n%q", si, fi)
	}
	// Every one, worked out by hand: the adhesion fee in two, the odd cent on the first
	// (50.01, 50.00), due with the first two; the 31st or the month's last day, on the next
	// business day (2027-01-31, 2027-02-28, 2027-10-31 Sundays; 2027-07-31 a Saturday;
	// 2028-02-29 Carnival and the operator's holiday; 2028-04-30 a Sunday and 05-01 a
	// holiday), each serving to the day before the next; 120.00 less 10.00 and 5.00 on time,
	// term 2 at the plan's 150.00.
	wantAll := []string{
		"adhesion 1/1 <nil>..<nil> 2027-01-31 2027-02-01 50.01",
		"1/1 2027-01-31..2027-02-27 2027-01-31 2027-02-01 120.00 -10.00 -5.00",
		"adhesion 1/2 <nil>..<nil> 2027-02-28 2027-03-01 50.00",
		"1/2 2027-02-28..2027-03-30 2027-02-28 2027-03-01 120.00 -10.00 -5.00",
		"1/3 2027-03-31..2027-04-29 2027-03-31 2027-03-31 120.00 -10.00 -5.00",
		"1/4 2027-04-30..2027-05-30 2027-04-30 2027-04-30 120.00 -10.00 -5.00",
		"1/5 2027-05-31..2027-06-29 2027-05-31 2027-05-31 120.00 -10.00 -5.00",
		"1/6 2027-06-30..2027-07-30 2027-06-30 2027-06-30 120.00 -10.00 -5.00",
		"1/7 2027-07-31..2027-08-30 2027-07-31 2027-08-02 120.00 -10.00 -5.00",
		"1/8 2027-08-31..2027-09-29 2027-08-31 2027-08-31 120.00 -10.00 -5.00",
		"1/9 2027-09-30..2027-10-30 2027-09-30 2027-09-30 120.00 -10.00 -5.00",
		"1/10 2027-10-31..2027-11-29 2027-10-31 2027-11-01 120.00 -10.00 -5.00",
		"1/11 2027-11-30..2027-12-30 2027-11-30 2027-11-30 120.00 -10.00 -5.00",
		"1/12 2027-12-31..2028-01-30 2027-12-31 2027-12-31 120.00 -10.00 -5.00",
		"2/13 2028-01-31..2028-02-28 2028-01-31 2028-01-31 150.00 -10.00 -5.00",
		"2/14 2028-02-29..2028-03-30 2028-02-29 2028-03-01 150.00 -10.00 -5.00",
		"2/15 2028-03-31..2028-04-29 2028-03-31 2028-03-31 150.00 -10.00 -5.00",
		"2/16 2028-04-30..2028-05-30 2028-04-30 2028-05-02 150.00 -10.00 -5.00",
		"2/17 2028-05-31..2028-06-29 2028-05-31 2028-05-31 150.00 -10.00 -5.00",
		"2/18 2028-06-30..2028-07-30 2028-06-30 2028-06-30 150.00 -10.00 -5.00",
	}
	if got := forecastDates(f); !slices.Equal(got, wantAll) {
		t.Errorf("forecast installments (term/sequence service nominal due amount discounts)\n got %q\nwant %q", got, wantAll)
	}
	var feb string
	for _, k := range fi {
		if strings.Contains(k, "nominal 2028-02-29") {
			feb = k
		}
	}
	want := `recurring 2/14 service 2028-02-29..2028-03-30 nominal 2028-02-29 due 2028-03-01 amount 150.00 discount 10.00 on-time 5.00 | plan "plan, term 2 installment 14: service 2028-02-29 to 2028-03-30" x1 @150.00 = 150.00 | discount "fixed discount" x1 @<nil> = -10.00`
	if feb != want {
		t.Errorf("leap February installment\n got %s\nwant %s", feb, want)
	}
	if len(fi) != 2+12+6 {
		t.Errorf("forecast %d installments, want 20 (2 adhesion, term 1, term 2 to June 2028)", len(fi))
	}
	if f.TotalDue != "2260.01" { // 100.01 + 12 × 110.00 + 6 × 140.00
		t.Errorf("total_due %s, want 2260.01", f.TotalDue)
	}
	gotIns, gotRen := b.playForecast(id, f)
	compareForecast(t, f, gotIns, gotRen)
}

// TestForecastBadInput: until is required, not before today and at most ten years ahead;
// a simulation's body is validated as a contract's creation (422 naming the field) and
// nothing is written.
func TestForecastBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("150.00", "")
	customer := b.customer()
	id := b.contract(plan, map[string]any{"adhesion_date": "2026-06-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	before := b.snapshot()
	path := fmt.Sprintf("/v1/contracts/%d/forecast", id)
	good := fixedDay31Body(customer, plan)
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for x, y := range good {
			m[x] = y
		}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"no until", "GET", path, nil, 422, "until"},
		{"until before today", "GET", path + "?until=2026-07-19", nil, 422, "until"},
		{"until beyond ten years", "GET", path + "?until=2036-07-21", nil, 422, "until"},
		{"until not a date", "GET", path + "?until=2026-13-01", nil, 400, "until"},
		{"unknown query", "GET", path + "?until=2027-01-01&x=1", nil, 400, "x"},
		{"no contract", "GET", "/v1/contracts/999999/forecast?until=2027-01-01", nil, 404, "id"},
		{"simulation without until", "POST", "/v1/simulations", good, 422, "until"},
		{"simulation no plan", "POST", "/v1/simulations?until=2027-01-01", with("plan_id", 999999), 422, "plan_id"},
		{"simulation no customer", "POST", "/v1/simulations?until=2027-01-01", with("customer_id", 999999), 422, "customer_id"},
		{"simulation bad rule", "POST", "/v1/simulations?until=2027-01-01",
			with("due_date_rule", map[string]any{"kind": "fixed_day", "day": 32}), 422, "due_date_rule.day"},
		{"simulation discounts above price", "POST", "/v1/simulations?until=2027-01-01", with("discount", "200.00"), 422, "discount"},
		{"simulation unknown field", "POST", "/v1/simulations?until=2027-01-01", with("colour", "red"), 400, "colour"},
	} {
		r := b.send(c.method, c.path, c.body)
		if r.status != c.status || r.err(t).Field != c.field {
			t.Errorf("%s: %d %s, want %d naming %s", c.name, r.status, r.raw, c.status, c.field)
		}
	}
	if after := b.snapshot(); after != before {
		t.Errorf("bad forecasts wrote: %v, then %v", before, after)
	}
	// Ten years ahead to the day is allowed.
	b.must(http.StatusOK, "GET", path+"?until=2036-07-20", nil)
}
