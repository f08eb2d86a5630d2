package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestRenewContractsLeavesPackageContractsToTheirCycles is issue 19's package rule against
// renew-contracts: seed 003's package (one installment a term) paid on 2026-03-05 has no open
// installment left in its term, yet neither the sweep (on any day) nor an operator renews it,
// and /explain says why. Its next charge is the one its cycle makes: using the cycle's
// services up on 2026-04-11 creates installment 2, itemised, due on 2026-05-11 (day 10 is a
// Sunday), and a renew-contracts run after that still changes nothing.
func TestRenewContractsLeavesPackageContractsToTheirCycles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pkg, bath, nails, ears := b.petPackage(nil)
	contract := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	want := []string{"recurring 1 2026-03-10 190.00 paid"}
	for _, day := range []string{"2026-03-05", "2026-04-10", "2026-09-01"} {
		if got := b.renew(day); got["queued"] != 0 || got["renewed"] != 0 || got["installments_created"] != 0 {
			t.Errorf("renew-contracts as of %s: %v, want nothing queued or renewed", day, got)
		}
		if got := b.installments(contract); !reflect.DeepEqual(got, want) {
			t.Errorf("installments after renew-contracts as of %s: %q, want %q", day, got, want)
		}
	}
	r := b.send("POST", fmt.Sprintf("/v1/contracts/%d/renew", contract), map[string]any{"date": "2026-03-06"})
	if r.status != http.StatusConflict || !strings.Contains(string(r.raw), "it is a package contract") {
		t.Errorf("renew by hand: %d %s, want 409 saying it is a package contract", r.status, r.raw)
	}
	var verdict string
	for _, row := range explainRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/explain?on=2026-03-06", contract), nil).raw) {
		if strings.HasPrefix(row, "renewal:") {
			verdict = row
		}
	}
	if !strings.HasPrefix(verdict, "renewal: not renewed automatically | it is not renewed: it is a package contract: a new cycle's charge comes when the cycle's services are used up") {
		t.Errorf("explain's renewal verdict %q, want not renewed automatically because it is a package contract", verdict)
	}

	// The cycle's own charge: every service used up on 2026-04-11.
	for _, u := range []struct {
		benefit  int64
		quantity int
	}{{bath, 4}, {nails, 2}, {ears, 2}} {
		if r := b.use(contract, u.benefit, "2026-04-11", u.quantity); r.status != http.StatusCreated {
			t.Fatalf("use %d ×%d: %d %s", u.benefit, u.quantity, r.status, r.raw)
		}
	}
	want = []string{"recurring 1 2026-03-10 190.00 paid", "recurring 2 2026-05-11 190.00 open"}
	if got := b.installments(contract); !reflect.DeepEqual(got, want) {
		t.Errorf("installments after cycle 1 is used up: %q, want %q", got, want)
	}
	wantLines := []string{
		"plan 140.00 × 4 at 35.00: Banho ×4, package cycle 2: uses from 2026-04-11",
		"plan 30.00 × 2 at 15.00: Corte de Unhas ×2, package cycle 2: uses from 2026-04-11",
		"plan 20.00 × 2 at 10.00: Limpeza de Ouvido ×2, package cycle 2: uses from 2026-04-11",
	}
	if got := b.linesOf(contract, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of cycle 2's installment %q, want %q", got, wantLines)
	}
	if got := b.renew("2026-04-11"); got["renewed"] != 0 || got["installments_created"] != 0 {
		t.Errorf("renew-contracts after the cycle: %v, want nothing", got)
	}
	if got := b.installments(contract); !reflect.DeepEqual(got, want) {
		t.Errorf("installments after a last renew-contracts: %q, want %q", got, want)
	}
	b.linesSumToTotals(contract, "190.00")
}
