package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// listingFixture is a contract with three uses of a monthly benefit (one reversed) and one
// use of a benefit only the contract grants itself.
type listingFixture struct {
	contract, other        int64
	bath, tosa, consult    int64
	u1, u2, u3, u4, uOther int64
	bathBal, consultBal    float64
	reversal               response
}

// newListingFixture: the plan grants Banho 4 a month and Tosa 1 a month with no carência;
// the contract withdraws Tosa (quantity 0) and grants itself Consulta 2 a quarter. The first
// charge is settled on 2026-06-10, so the periods run from the 10th (monthly: 2026-07-10 to
// 2026-08-09; quarterly: 2026-06-10 to 2026-09-09). Uses: Banho on 2026-07-11, 2026-07-15
// (reversed) and 2026-07-20, Consulta on 2026-06-20; another contract uses Banho once.
func newListingFixture(b *bundle) listingFixture {
	b.t.Helper()
	var f listingFixture
	plan := b.plan("99.90", "")
	f.bath = b.benefit("Banho", "30.00", true)
	f.tosa = b.benefit("Tosa", "45.00", true)
	f.consult = b.benefit("Consulta", "120.50", true)
	b.grant(plan, f.bath, 4, 0)
	b.grant(plan, f.tosa, 1, 0)
	f.contract = b.paidContract(plan, "2026-06-01", "2026-06-10", 2)
	f.other = b.paidContract(plan, "2026-06-01", "2026-06-10", 2)
	override := func(benefit int64, body map[string]any) {
		b.must(http.StatusOK, "PUT", fmt.Sprintf("/v1/contracts/%d/benefits/%d", f.contract, benefit), body)
	}
	override(f.tosa, map[string]any{"quantity": 0})
	override(f.consult, map[string]any{"quantity": 2, "renewal_period": "quarterly", "grace_days": 0})
	use := func(contract, benefit int64, usedAt string) response {
		b.t.Helper()
		r := b.use(contract, benefit, usedAt, 1)
		if r.status != http.StatusCreated {
			b.t.Fatalf("use of %d on %s: status %d, body %s", benefit, usedAt, r.status, r.raw)
		}
		return r
	}
	first := use(f.contract, f.bath, "2026-07-11")
	f.u1, f.bathBal = first.id(b.t), first.body["balance_id"].(float64)
	f.u2 = use(f.contract, f.bath, "2026-07-15").id(b.t)
	f.u3 = use(f.contract, f.bath, "2026-07-20").id(b.t)
	consult := use(f.contract, f.consult, "2026-06-20")
	f.u4, f.consultBal = consult.id(b.t), consult.body["balance_id"].(float64)
	f.uOther = use(f.other, f.bath, "2026-07-20").id(b.t)
	f.reversal = b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", f.contract, f.u2), nil)
	return f
}

// TestContractBenefits reads the contract's benefits on several days: the resolved terms,
// and the balance holding the day (a reversed use no longer counts), or null.
func TestContractBenefits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := newListingFixture(b)
	bathBalance := map[string]any{"id": f.bathBal, "period_start": "2026-07-10", "period_end": "2026-08-09", "cycle": nil,
		"granted": 4.0, "used": 2.0, "remaining": 2.0, "next_reset_on": "2026-08-10"}
	consultBalance := map[string]any{"id": f.consultBal, "period_start": "2026-06-10", "period_end": "2026-09-09", "cycle": nil,
		"granted": 2.0, "used": 1.0, "remaining": 1.0, "next_reset_on": "2026-09-10"}
	bath := func(balance any) map[string]any {
		return map[string]any{"benefit_id": float64(f.bath), "benefit_name": "Banho", "active": true, "quantity": 4.0,
			"renewal_period": "monthly", "grace_days": 0.0, "overridden": false, "balance": balance}
	}
	consult := func(balance any) map[string]any {
		return map[string]any{"benefit_id": float64(f.consult), "benefit_name": "Consulta", "active": true, "quantity": 2.0,
			"renewal_period": "quarterly", "grace_days": 0.0, "overridden": true, "balance": balance}
	}
	path := fmt.Sprintf("/v1/contracts/%d/benefits", f.contract)
	tests := []struct {
		name, query string
		items       []map[string]any
		nextAfter   any
	}{
		{"today by default", "", []map[string]any{bath(bathBalance), consult(consultBalance)}, nil},
		{"on a day of the same periods", "?on=2026-08-09", []map[string]any{bath(bathBalance), consult(consultBalance)}, nil},
		{"on a later month without a balance", "?on=2026-08-10", []map[string]any{bath(nil), consult(consultBalance)}, nil},
		{"on the earlier month without a balance", "?on=2026-07-09", []map[string]any{bath(nil), consult(consultBalance)}, nil},
		{"before any balance", "?on=2026-06-09", []map[string]any{bath(nil), consult(nil)}, nil},
		{"first page of one", "?limit=1", []map[string]any{bath(bathBalance)}, float64(f.bath)},
		// Tosa (withdrawn) lies between Banho and Consulta: the page still holds one benefit.
		{"second page of one", fmt.Sprintf("?limit=1&after=%d", f.bath), []map[string]any{consult(consultBalance)}, float64(f.consult)},
		{"past the last page", fmt.Sprintf("?limit=1&after=%d", f.consult), []map[string]any{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.with(t).must(http.StatusOK, "GET", path+tt.query, nil)
			if got := r.items(t); !reflect.DeepEqual(got, tt.items) || r.body["next_after"] != tt.nextAfter {
				t.Errorf("GET %s%s:\n got %s\nwant items %v, next_after %v", path, tt.query, r.raw, tt.items, tt.nextAfter)
			}
		})
	}
}

// TestContractBenefitUsages lists the contract's uses by id, reversed ones included, in the
// shape of the use's answer, page by page and with each filter.
func TestContractBenefitUsages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := newListingFixture(b)
	bathUse := func(id int64, usedAt string, reversedAt any) map[string]any {
		return map[string]any{"id": float64(id), "contract_id": float64(f.contract), "subject_id": nil, "benefit_id": float64(f.bath),
			"used_at": usedAt, "quantity": 1.0, "unit_cost": "30.00", "total_cost": "30.00", "reversed_at": reversedAt,
			"balance_id": f.bathBal, "period_start": "2026-07-10", "period_end": "2026-08-09", "cycle": nil,
			"granted": 4.0, "used": 2.0, "remaining": 2.0, "next_installment_id": nil, "next_installment_due": nil,
			"overage": 0.0, "overage_unit_price": nil, "overage_amount": "0.00", "overage_installment_id": nil}
	}
	u1, u2, u3 := bathUse(f.u1, "2026-07-11", nil), bathUse(f.u2, "2026-07-15", "2026-07-20T15:00:00Z"), bathUse(f.u3, "2026-07-20", nil)
	u4 := map[string]any{"id": float64(f.u4), "contract_id": float64(f.contract), "subject_id": nil, "benefit_id": float64(f.consult),
		"used_at": "2026-06-20", "quantity": 1.0, "unit_cost": "120.50", "total_cost": "120.50", "reversed_at": nil,
		"balance_id": f.consultBal, "period_start": "2026-06-10", "period_end": "2026-09-09", "cycle": nil,
		"granted": 2.0, "used": 1.0, "remaining": 1.0, "next_installment_id": nil, "next_installment_due": nil,
		"overage": 0.0, "overage_unit_price": nil, "overage_amount": "0.00", "overage_installment_id": nil}
	// The reversed use reads as its reversal answered.
	if !reflect.DeepEqual(f.reversal.body, u2) {
		t.Errorf("reversal answered %s, want %v", f.reversal.raw, u2)
	}
	path := fmt.Sprintf("/v1/contracts/%d/benefit-usages", f.contract)
	tests := []struct {
		name, query string
		items       []map[string]any
		nextAfter   any
	}{
		{"every use", "", []map[string]any{u1, u2, u3, u4}, nil},
		{"first page of two", "?limit=2", []map[string]any{u1, u2}, float64(f.u2)},
		{"second page of two", fmt.Sprintf("?limit=2&after=%d", f.u2), []map[string]any{u3, u4}, float64(f.u4)},
		{"past the last page", fmt.Sprintf("?limit=2&after=%d", f.u4), []map[string]any{}, nil},
		{"one benefit", fmt.Sprintf("?benefit_id=%d", f.consult), []map[string]any{u4}, nil},
		{"a benefit without uses", fmt.Sprintf("?benefit_id=%d", f.tosa), []map[string]any{}, nil},
		{"from and to", "?from=2026-07-12&to=2026-07-20", []map[string]any{u2, u3}, nil},
		{"from only", "?from=2026-07-15", []map[string]any{u2, u3}, nil},
		{"to only", "?to=2026-07-11", []map[string]any{u1, u4}, nil},
		{"reversed", "?reversed=true", []map[string]any{u2}, nil},
		{"not reversed", "?reversed=false", []map[string]any{u1, u3, u4}, nil},
		{"every filter", fmt.Sprintf("?benefit_id=%d&from=2026-07-11&to=2026-07-15&reversed=false&limit=1", f.bath), []map[string]any{u1}, float64(f.u1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.with(t).must(http.StatusOK, "GET", path+tt.query, nil)
			if got := r.items(t); !reflect.DeepEqual(got, tt.items) || r.body["next_after"] != tt.nextAfter {
				t.Errorf("GET %s%s:\n got %s\nwant items %v, next_after %v", path, tt.query, r.raw, tt.items, tt.nextAfter)
			}
		})
	}
	// The other contract's use is its own.
	other := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/benefit-usages", f.other), nil).items(t)
	if len(other) != 1 || other[0]["id"] != float64(f.uOther) || other[0]["used"] != 1.0 {
		t.Errorf("the other contract's uses: %v", other)
	}
}

// TestBenefitListingBadInput: unknown contracts and bad query parameters get their exact
// status, name the field, and write nothing.
func TestBenefitListingBadInput(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	f := newListingFixture(fx)
	benefitsPath := fmt.Sprintf("/v1/contracts/%d/benefits", f.contract)
	uses := fmt.Sprintf("/v1/contracts/%d/benefit-usages", f.contract)
	tests := []badCase{
		{"benefits of unknown contract", "GET", "/v1/contracts/999999/benefits", nil, 404, "id"},
		{"benefits of contract 0", "GET", "/v1/contracts/0/benefits", nil, 400, "id"},
		{"benefits on 2026-02-30", "GET", benefitsPath + "?on=2026-02-30", nil, 400, "on"},
		{"benefits on a non-date", "GET", benefitsPath + "?on=today", nil, 400, "on"},
		{"benefits on year 3000", "GET", benefitsPath + "?on=3000-01-01", nil, 400, "on"},
		{"benefits limit over 500", "GET", benefitsPath + "?limit=501", nil, 400, "limit"},
		{"benefits after not a number", "GET", benefitsPath + "?after=x", nil, 400, "after"},
		{"uses of unknown contract", "GET", "/v1/contracts/999999/benefit-usages", nil, 404, "id"},
		{"uses of contract x", "GET", "/v1/contracts/x/benefit-usages", nil, 400, "id"},
		{"uses benefit_id not a number", "GET", uses + "?benefit_id=x", nil, 400, "benefit_id"},
		{"uses benefit_id negative", "GET", uses + "?benefit_id=-1", nil, 400, "benefit_id"},
		{"uses from 2026-02-30", "GET", uses + "?from=2026-02-30", nil, 400, "from"},
		{"uses to not a date", "GET", uses + "?to=20260720", nil, 400, "to"},
		{"uses to before from", "GET", uses + "?from=2026-07-02&to=2026-07-01", nil, 400, "to"},
		{"uses reversed yes", "GET", uses + "?reversed=yes", nil, 400, "reversed"},
		{"uses reversed 1", "GET", uses + "?reversed=1", nil, 400, "reversed"},
		{"uses limit over 500", "GET", uses + "?limit=501", nil, 400, "limit"},
		{"uses after negative", "GET", uses + "?after=-5", nil, 400, "after"},
	}
	start := fx.benefitRows()
	t.Run("cases", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := fx.with(t).send(tc.method, tc.path, tc.body)
				if r.status != tc.status {
					t.Fatalf("%s %s: status %d, want %d; body %s", tc.method, tc.path, r.status, tc.status, r.raw)
				}
				if e := r.err(t); e.Field != tc.field || (tc.status != 404 && !strings.Contains(e.Message, tc.field)) {
					t.Errorf("error %+v, want field %q named in the message", e, tc.field)
				}
			})
		}
	})
	if end := fx.benefitRows(); end != start {
		t.Errorf("the bad requests wrote:\nbefore %s\nafter  %s", start, end)
	}
}
