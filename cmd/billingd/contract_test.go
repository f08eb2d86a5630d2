package main

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// TestContractCLI: `billingd contract ID` needs no daemon: it prints the explain and the
// timeline of a contract generated on 2026-06-01 (one installment re-dated by a holiday)
// as text and as the API's JSON, and refuses
// a missing, bad or unknown id, a bad date, a bad output and a bad limit with exit status 2
// and one line.
func TestContractCLI(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	ctx := context.Background()
	if _, err := dbtest.SeedContracts(ctx, pool, 1, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := postgres.GenerateSweep{}.Batch(ctx, tx, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 0, math.MaxInt64)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Installment 10, nominally due Wednesday 2027-03-10, moves to Thursday 2027-03-11 when
	// that day is made a holiday: the timeline prints the re-dating under the 12 issued.
	store := &postgres.Store{Pool: pool, Location: time.UTC}
	if moved, err := store.AddHoliday(ctx, billing.Holiday{Date: time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC), Name: "Aniversário da cidade"}); err != nil || moved != 1 {
		t.Fatalf("add holiday: %d moved, %v; want 1", moved, err)
	}
	env := baseEnv(url)

	code, stdout, stderr := cli(t, env, "contract", "1", "--on", "2026-07-20")
	if code != 0 {
		t.Fatalf("text: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Contract 1 on 2026-07-20: active\n", "collection:   suspended since 2026-06-20\n",
		"Overdue on 2026-07-20:\n", "Timeline (13 entries):\n", "installment.issued",
		"  installment.redated  ", "  installment 10 moved from 2027-03-10 to 2027-03-11\n",
		"  why: 2027-03-10 was made a holiday, Aniversário da cidade (next business day rule)\n",
		"  rule: due_date_rule fixed_day 10, shift next\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "installment.issued"); n != 12 {
		t.Errorf("%d installments issued in the text, want 12", n)
	}

	code, stdout, stderr = cli(t, env, "contract", "1", "--on", "2026-07-20", "--limit", "5", "--output", "json")
	if code != 0 {
		t.Fatalf("json: exit %d: %s", code, stderr)
	}
	var out struct {
		Explain struct {
			On       string `json:"on"`
			Status   string `json:"status"`
			Verdicts []struct {
				Topic string `json:"topic"`
				State string `json:"state"`
			} `json:"verdicts"`
		} `json:"explain"`
		Timeline struct {
			Truncated bool             `json:"truncated"`
			Items     []map[string]any `json:"items"`
		} `json:"timeline"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("json output %q: %v", stdout, err)
	}
	if out.Explain.On != "2026-07-20" || out.Explain.Status != "active" || len(out.Explain.Verdicts) != 4 ||
		out.Explain.Verdicts[0].Topic != "collection" || !out.Timeline.Truncated || len(out.Timeline.Items) != 5 {
		t.Errorf("json: %+v", out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"contract"}, "billingd: contract: want a contract id (billingd contract ID)\n"},
		{[]string{"contract", "abc"}, "billingd: contract: the id must be a positive whole number, got \"abc\"\n"},
		{[]string{"contract", "0"}, "billingd: contract: the id must be a positive whole number, got \"0\"\n"},
		{[]string{"contract", "999"}, "billingd: contract: no contract with id 999\n"},
		{[]string{"contract", "1", "--on", "2026-02-30"}, "billingd: contract: --on: "},
		{[]string{"contract", "1", "--output", "xml"}, "billingd: contract: --output: want text or json, got \"xml\"\n"},
		{[]string{"contract", "1", "--limit", "0"}, "billingd: contract: --limit: want 1 to 5000, got 0\n"},
		{[]string{"contract", "1", "2"}, "billingd: contract: unexpected argument \"2\"\n"},
	} {
		code, stdout, stderr := cli(t, env, tc.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}
