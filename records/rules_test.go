package records_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/records"
)

// TestCheckReason: an operator's reason is one line of valid UTF-8 of at most 500
// characters (not bytes); empty is allowed.
func TestCheckReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, reason, err string
	}{
		{"empty", "", ""},
		{"a sentence", "cliente prometeu pagar até sexta", ""},
		{"500 characters of two bytes each", strings.Repeat("ã", 500), ""},
		{"501 characters", strings.Repeat("a", 501), "at most 500 characters, got 501"},
		{"invalid UTF-8", "caf\xe9", "not valid UTF-8"},
		{"a line break", "linha 1\nlinha 2", "must not contain control characters (line breaks included)"},
		{"a tab", "a\tb", "must not contain control characters (line breaks included)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := records.CheckReason(tc.reason)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("CheckReason: %v, want nil", err)
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Errorf("CheckReason = %v, want %q", err, tc.err)
			}
		})
	}
}

// TestAuditDetail: a context without an audit record takes no detail and carries none; one
// with a record gets the detail on that very record, its map made on the first detail.
func TestAuditDetail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	records.AddAuditDetail(ctx, "run_id", int64(7)) // no record: nothing to do, no panic
	if e := records.AuditOf(ctx); e != nil {
		t.Fatalf("AuditOf(background) = %+v, want nil", e)
	}
	if e := records.AuditOf(records.WithAudit(ctx, nil)); e != nil {
		t.Fatalf("AuditOf(WithAudit(nil)) = %+v, want nil", e)
	}
	e := &records.AuditEntry{Actor: "ana", Route: "POST /v1/runs"}
	ctx = records.WithAudit(ctx, e)
	if got := records.AuditOf(ctx); got != e {
		t.Fatalf("AuditOf = %p, want the record %p", got, e)
	}
	records.AddAuditDetail(ctx, "run_id", int64(7))
	records.AddAuditDetail(ctx, "job", "renew-contracts")
	if len(e.Detail) != 2 || e.Detail["run_id"] != int64(7) || e.Detail["job"] != "renew-contracts" {
		t.Errorf("Detail = %v, want run_id 7 and job renew-contracts", e.Detail)
	}
}

// TestPageSize: 100 when the limit is unset, negative or above 500; the limit otherwise.
func TestPageSize(t *testing.T) {
	t.Parallel()
	for limit, want := range map[int]int{-1: 100, 0: 100, 1: 1, 250: 250, 500: 500, 501: 100} {
		if got := (records.Page{After: 9, Limit: limit}).Size(); got != want {
			t.Errorf("Page{Limit: %d}.Size() = %d, want %d", limit, got, want)
		}
	}
}

// TestCancellationReasonGiven: a reference names a reason by id or by code.
func TestCancellationReasonGiven(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ref  records.CancellationReasonRef
		want bool
	}{
		{records.CancellationReasonRef{}, false},
		{records.CancellationReasonRef{ID: 3}, true},
		{records.CancellationReasonRef{Code: "moved"}, true},
		{records.CancellationReasonRef{ID: 3, Code: "moved"}, true},
	} {
		if got := tc.ref.Given(); got != tc.want {
			t.Errorf("%+v.Given() = %v, want %v", tc.ref, got, tc.want)
		}
	}
}

// TestRunFinishedAndDuration: only succeeded and failed runs are finished; a run's duration
// is from its start to its finish, zero while either is missing.
func TestRunFinishedAndDuration(t *testing.T) {
	t.Parallel()
	for state, want := range map[string]bool{records.RunQueued: false, records.RunRunning: false, records.RunSucceeded: true, records.RunFailed: true} {
		if got := (records.Run{State: state}).Finished(); got != want {
			t.Errorf("run %s: Finished() = %v, want %v", state, got, want)
		}
	}
	start := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
	end := time.Date(2026, 11, 25, 5, 2, 30, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		start, end *time.Time
		want       time.Duration
	}{
		{"finished", &start, &end, 150 * time.Second},
		{"running", &start, nil, 0},
		{"never started", nil, &end, 0},
		{"queued", nil, nil, 0},
	} {
		if got := (records.Run{StartedAt: tc.start, FinishedAt: tc.end}).Duration(); got != tc.want {
			t.Errorf("%s: Duration() = %s, want %s", tc.name, got, tc.want)
		}
	}
}
