package renewal_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/renewal"
)

// TestThresholdsValidateBoundaries pins each bound of Validate at the value it allows and
// the first it refuses: 0 is a valid threshold and -1 is not, and the renewal threshold may
// equal the queue threshold but not exceed it by one.
func TestThresholdsValidateBoundaries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		t     renewal.Thresholds
		field string // "" for valid
	}{
		{"queue 0, renewal 0", renewal.Thresholds{Queue: 0, Renewal: 0}, ""},
		{"queue -1", renewal.Thresholds{Queue: -1, Renewal: 0}, renewal.FieldQueue},
		{"renewal -1 under queue 0", renewal.Thresholds{Queue: 0, Renewal: -1}, renewal.FieldRenewal},
		{"renewal equal to queue", renewal.Thresholds{Queue: 5, Renewal: 5}, ""},
		{"renewal one above queue", renewal.Thresholds{Queue: 5, Renewal: 6}, renewal.FieldRenewal},
		{"renewal one below queue", renewal.Thresholds{Queue: 5, Renewal: 4}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkField(t, tt.t.Validate(), tt.field)
		})
	}
}

// TestThresholdsValidateForTermLength pins the rule that the queue threshold is below the
// installments of a term: 11 of 12 is allowed, 12 of 12 is not (a fresh term would be
// queued at once), and Validate's own errors come first.
func TestThresholdsValidateForTermLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		t       renewal.Thresholds
		perTerm int
		field   string
	}{
		{"queue one below the term", renewal.Thresholds{Queue: 11, Renewal: 2}, 12, ""},
		{"queue equal to the term", renewal.Thresholds{Queue: 12, Renewal: 2}, 12, renewal.FieldQueue},
		{"queue above the term", renewal.Thresholds{Queue: 13, Renewal: 2}, 12, renewal.FieldQueue},
		{"renewal above queue reported before the term", renewal.Thresholds{Queue: 12, Renewal: 13}, 12, renewal.FieldRenewal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkField(t, tt.t.ValidateFor(tt.perTerm), tt.field)
		})
	}
}

// TestDecideAtEachThreshold walks the open installments of a term down from 5 to 0 under
// queue 3 and renewal 1, so that each threshold is met exactly once and the steps between
// them differ: nothing above 3, queued at 3 and 2, renewed at 1 and 0.
func TestDecideAtEachThreshold(t *testing.T) {
	t.Parallel()
	th := renewal.Thresholds{Queue: 3, Renewal: 1}
	want := map[int]renewal.Step{5: renewal.Nothing, 4: renewal.Nothing, 3: renewal.Queue, 2: renewal.Queue, 1: renewal.Renew, 0: renewal.Renew}
	for open := 5; open >= 0; open-- {
		t.Run(strings.Repeat("o", open), func(t *testing.T) {
			t.Parallel()
			if got := renewal.Decide(open, th); got != want[open] {
				t.Errorf("Decide(%d, %+v) = %d, want %d", open, th, got, want[open])
			}
		})
	}
}

// TestRenewableStatuses checks that every status but cancelled, finished and pending
// activation may be renewed, and that each refusal names its reason.
func TestRenewableStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status string
		why    string // a fragment of the refusal, "" when renewable
	}{
		{billing.StatusActive, ""},
		{billing.StatusBlocked, ""},
		{billing.StatusSuspendedPartial, ""},
		{billing.StatusCancelled, "it is cancelled"},
		{billing.StatusFinished, "it is finished"},
		{billing.StatusPendingActivation, "pending activation"},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			c := renewal.Contract{Status: tt.status, BillingMethod: billing.BillGrouped, AutoRenew: true, TermNumber: 3, GeneratedTerm: 3}
			got := c.ManualRefusal()
			if tt.why == "" && got != "" || tt.why != "" && !strings.Contains(got, tt.why) {
				t.Errorf("ManualRefusal() = %q, want %q", got, tt.why)
			}
			if auto := c.Automatic(); auto != (tt.why == "") {
				t.Errorf("Automatic() = %t, want %t", auto, tt.why == "")
			}
		})
	}
}

// TestRenewableGeneratedTerm pins the generated-term check: a contract whose installments
// are generated through its current term (or beyond) is renewable, one generated only up
// to the term before is not, and the refusal names the current term.
func TestRenewableGeneratedTerm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		term, generate int
		want           string
	}{
		{"generated through the term", 4, 4, ""},
		{"generated beyond the term", 4, 5, ""},
		{"generated to the term before", 4, 3, "the installments of its term 4 are not generated yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := renewal.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, AutoRenew: true,
				TermNumber: tt.term, GeneratedTerm: tt.generate}
			if got := c.ManualRefusal(); got != tt.want {
				t.Errorf("ManualRefusal() = %q, want %q", got, tt.want)
			}
			if got := c.Automatic(); got != (tt.want == "") {
				t.Errorf("Automatic() = %t, want %t", got, tt.want == "")
			}
		})
	}
}

// TestAutomaticNeedsAutoRenew checks that a renewable contract is looked after by the
// sweep only with auto_renew on: the refusal of a manual renewal does not depend on it.
func TestAutomaticNeedsAutoRenew(t *testing.T) {
	t.Parallel()
	c := renewal.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, TermNumber: 1, GeneratedTerm: 1}
	if c.Automatic() {
		t.Error("Automatic() with auto_renew off = true, want false")
	}
	if got := c.ManualRefusal(); got != "" {
		t.Errorf("ManualRefusal() with auto_renew off = %q, want none", got)
	}
}

// TestManualRefusalAlreadyRenewed checks the refusal of a second renewal of a term that a
// renewal created: it names the term, and a term not created by a renewal is not refused
// even when it is queued.
func TestManualRefusalAlreadyRenewed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		renewed, queued bool
		want            string
	}{
		{"renewed, not queued", true, false, "it was already renewed for its term: term 2 was created by a renewal and has not entered the renewal queue yet"},
		{"renewed and queued", true, true, ""},
		{"not renewed, queued", false, true, ""},
		{"not renewed, not queued", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := renewal.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, TermNumber: 2, GeneratedTerm: 2,
				RenewedIntoCurrent: tt.renewed, QueuedForCurrent: tt.queued}
			if got := c.ManualRefusal(); got != tt.want {
				t.Errorf("ManualRefusal() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPlanOverride checks a plan's own thresholds: both or neither, and when both, valid
// for the plan's term length.
func TestPlanOverride(t *testing.T) {
	t.Parallel()
	n := func(v int) *int { return &v }
	tests := []struct {
		name           string
		queue, renewal *int
		perTerm        int
		field          string
		reason         string // a fragment of the reason, for the "both or neither" errors
	}{
		{"neither", nil, nil, 12, "", ""},
		{"neither, even for a 1-installment term", nil, nil, 1, "", ""},
		{"both valid", n(4), n(1), 12, "", ""},
		{"queue only", n(4), nil, 12, renewal.FieldRenewal, "required with renewal_queue_threshold"},
		{"renewal only", nil, n(1), 12, renewal.FieldQueue, "required with renewal_threshold"},
		{"both, renewal above queue", n(1), n(2), 12, renewal.FieldRenewal, ""},
		{"both, queue not below the term", n(6), n(2), 6, renewal.FieldQueue, "below the plan's 6 installments per term"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := renewal.PlanOverride(tt.queue, tt.renewal, tt.perTerm)
			checkField(t, err, tt.field)
			if tt.reason != "" && (err == nil || !strings.Contains(err.Error(), tt.reason)) {
				t.Errorf("error %v, want it to say %q", err, tt.reason)
			}
		})
	}
}

// TestPriceCoversBothDiscounts checks that the renewal price must cover the regular and
// the on-time discount together: at the plan price of 119.90, discounts of 100.00 + 19.90
// are covered exactly and 100.00 + 19.91 are not (119.91 > 119.90).
func TestPriceCoversBothDiscounts(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	tests := []struct {
		name             string
		discount, onTime string
		want             string
	}{
		{"exactly covered", "100.00", "19.90", "119.90"},
		{"one cent short", "100.00", "19.91", ""},
		{"on-time discount alone too big", "0", "119.91", ""},
		{"no discounts", "0", "0", "119.90"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := renewal.Price(billing.RenewAtPlanPrice, d("119.90"), nil, d(tt.discount), d(tt.onTime))
			if tt.want == "" {
				checkField(t, err, "price")
				if err != nil && !strings.Contains(err.Error(), "renewal price 119.90 does not cover the discounts") {
					t.Errorf("error %v, want it to name the price", err)
				}
				return
			}
			if err != nil || billing.FormatMoney(got) != tt.want {
				t.Errorf("Price = %s, %v; want %s", billing.FormatMoney(got), err, tt.want)
			}
		})
	}
}

// TestNextTermWithoutInstallments checks that a spec giving no installments (0 per term)
// is an error naming the term that would follow the current one (term 3 after term 2).
func TestNextTermWithoutInstallments(t *testing.T) {
	t.Parallel()
	spec := billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, Period: billing.Monthly,
		Start: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), PerTerm: 0, Price: decimal.RequireFromString("119.90")}
	items, end, err := renewal.NextTerm(spec, 2, nil)
	if err == nil || !strings.Contains(err.Error(), "no installments for term 3") {
		t.Fatalf("NextTerm = %d items, %v; want the error for term 3", len(items), err)
	}
	if items != nil || !end.IsZero() {
		t.Errorf("NextTerm returned %d items ending %v with its error", len(items), end)
	}
}

// checkField fails t unless err is a billing.FieldError on field, or nil when field is "".
func checkField(t *testing.T, err error, field string) {
	t.Helper()
	var fe *billing.FieldError
	switch {
	case field == "" && err != nil:
		t.Errorf("unexpected error %v", err)
	case field != "" && (!errors.As(err, &fe) || fe.Field != field):
		t.Errorf("error %v, want a field error on %s", err, field)
	}
}

// TestPackageContractIsNotRenewed pins issue 19's package rule: a package contract's charges
// come from its cycles, so neither the sweep nor an operator renews it, whatever its other
// columns say; the same contract on a plan is renewed.
func TestPackageContractIsNotRenewed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pkg     bool
		wantWhy string
	}{
		{"a plan's contract", false, ""},
		{"a package's contract", true, "it is a package contract: a new cycle's charge comes when the cycle's services are used up (or on its date), not from a renewal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := renewal.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, AutoRenew: true,
				TermNumber: 1, GeneratedTerm: 1, Package: tt.pkg}
			if got := c.ManualRefusal(); got != tt.wantWhy {
				t.Errorf("ManualRefusal() = %q, want %q", got, tt.wantWhy)
			}
			if got := c.Automatic(); got != (tt.wantWhy == "") {
				t.Errorf("Automatic() = %t, want %t", got, tt.wantWhy == "")
			}
		})
	}
}
