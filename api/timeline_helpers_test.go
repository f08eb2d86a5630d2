package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/timeline"
)

// stampedColumns are the columns that record when billingd wrote a row: the scenario tests
// run their days in a second, so each step stamps the rows it wrote with its day's time.
var stampedColumns = [][2]string{{"installments", "created_at"}, {"installment_lines", "created_at"},
	{"notices", "created_at"}, {"notices", "failed_at"}, {"payments", "recorded_at"}, {"events", "created_at"}, {"renewals", "created_at"},
	{"renewals", "updated_at"}, {"audit_log", "at"}, {"block_episodes", "created_at"}, {"benefit_usages", "created_at"},
	{"installment_redates", "at"}}

// stepClock stamps the rows written since its last stamp with a São Paulo time, as if the
// step had run then (payments' append-only trigger is bypassed for the stamp only, with
// session_replication_role in the stamp's own transaction).
type stepClock struct {
	b    *bundle
	mark time.Time
}

func newStepClock(b *bundle) *stepClock {
	c := &stepClock{b: b}
	c.mark = c.now()
	return c
}

func (c *stepClock) now() time.Time {
	var t time.Time
	if err := c.b.pool.QueryRow(context.Background(), "SELECT clock_timestamp()").Scan(&t); err != nil {
		c.b.t.Fatal(err)
	}
	return t
}

// stamp sets every stamped column written since the last stamp to at ("2006-01-02 15:04").
func (c *stepClock) stamp(at string) {
	c.b.t.Helper()
	ts, err := time.ParseInLocation("2006-01-02 15:04", at, saoPaulo)
	if err != nil {
		c.b.t.Fatal(err)
	}
	err = pgx.BeginFunc(context.Background(), c.b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), "SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
		for _, tc := range stampedColumns {
			if _, err := tx.Exec(context.Background(), fmt.Sprintf("UPDATE %s SET %s = $1 WHERE %s >= $2", tc[0], tc[1], tc[1]), ts, c.mark); err != nil {
				return fmt.Errorf("stamp %s.%s: %w", tc[0], tc[1], err)
			}
		}
		return nil
	})
	if err != nil {
		c.b.t.Fatal(err)
	}
	c.mark = c.now()
}

// timelineRows is a timeline as "on hh:mm kind | what | reason | rule | amount source" rows
// (hh:mm in São Paulo, "--:--" without an instant), lines under their installment.
func timelineRows(t *testing.T, raw []byte) []string {
	t.Helper()
	var tl struct {
		Truncated bool `json:"truncated"`
		Items     []struct {
			On     string           `json:"on"`
			At     *time.Time       `json:"at"`
			Kind   string           `json:"kind"`
			What   string           `json:"what"`
			Reason string           `json:"reason"`
			Rule   string           `json:"rule"`
			IDs    map[string]int64 `json:"ids"`
			Amount *string          `json:"amount"`
			Source string           `json:"source"`
			Lines  []struct {
				Kind   string `json:"kind"`
				Amount string `json:"amount"`
			} `json:"lines"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &tl); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range tl.Items {
		at := "--:--"
		if e.At != nil {
			at = e.At.In(saoPaulo).Format("15:04")
		}
		names := slices.Sorted(maps.Keys(e.IDs))
		ids := make([]string, len(names))
		for i, n := range names {
			ids[i] = fmt.Sprintf("%s=%d", n, e.IDs[n])
		}
		row := fmt.Sprintf("%s %s %s {%s} | %s | %s | %s", e.On, at, e.Kind, strings.Join(ids, " "), e.What, e.Reason, e.Rule)
		if e.Amount != nil {
			row += " | " + *e.Amount
		}
		if e.Source != "" {
			row += " " + e.Source
		}
		for _, l := range e.Lines {
			row += fmt.Sprintf(" [%s %s]", l.Kind, l.Amount)
		}
		out = append(out, row)
	}
	if tl.Truncated {
		out = append(out, "truncated")
	}
	return out
}

// explainRows is an explanation as "topic: state (since) | reason | rule" rows and
// "overdue ..." rows.
func explainRows(t *testing.T, raw []byte) []string {
	t.Helper()
	var e struct {
		Status   string `json:"status"`
		Verdicts []struct {
			Topic  string  `json:"topic"`
			State  string  `json:"state"`
			Since  *string `json:"since"`
			Reason string  `json:"reason"`
			Rule   string  `json:"rule"`
		} `json:"verdicts"`
		Overdue []struct {
			Sequence     int    `json:"sequence"`
			DueDate      string `json:"due_date"`
			OverdueSince string `json:"overdue_since"`
			Amount       string `json:"amount"`
		} `json:"overdue"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	out := []string{"status " + e.Status}
	for _, v := range e.Verdicts {
		since := ""
		if v.Since != nil {
			since = " since " + *v.Since
		}
		out = append(out, fmt.Sprintf("%s: %s%s | %s | %s", v.Topic, v.State, since, v.Reason, v.Rule))
	}
	for _, o := range e.Overdue {
		out = append(out, fmt.Sprintf("overdue %d due %s since %s %s", o.Sequence, o.DueDate, o.OverdueSince, o.Amount))
	}
	return out
}

// checkRows fails t with a diff of got against want.
func checkRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	n := max(len(got), len(want))
	for i := range n {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s row %d:\n got %s\nwant %s", what, i, g, w)
		}
	}
}

// The example of `billingd contract` in docs/operations.md, between these markers.
const (
	exampleBegin = "<!-- billingd contract example: begin (TestTimelineMustShow keeps it true) -->\n"
	exampleEnd   = "<!-- billingd contract example: end -->"
)

// checkCLIExample renders the contract as `billingd contract ID` does today (the same store
// reads and timeline.WriteText) and compares it with the example in docs/operations.md;
// BILLINGD_UPDATE_GOLDEN=1 rewrites the example instead.
func checkCLIExample(t *testing.T, b *bundle, contract int64) {
	t.Helper()
	ctx := context.Background()
	today := billing.DateOf(testNow, saoPaulo)
	e, err := b.store.Explain(ctx, contract, today, defaultThresholds)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := b.store.Timeline(ctx, contract, records.DefaultTimelineLimit, today)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := timeline.WriteText(&out, e, tl, saoPaulo); err != nil {
		t.Fatal(err)
	}
	const doc = "../docs/operations.md"
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	begin, end := strings.Index(text, exampleBegin), strings.Index(text, exampleEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s lacks the markers of the billingd contract example", doc)
	}
	block := fmt.Sprintf("```\n$ billingd contract %d\n%s```\n", contract, out.String())
	if os.Getenv("BILLINGD_UPDATE_GOLDEN") == "1" {
		text = text[:begin+len(exampleBegin)] + block + text[end:]
		if err := os.WriteFile(doc, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := text[begin+len(exampleBegin) : end]; got != block {
		t.Errorf("the billingd contract example in %s is out of date (BILLINGD_UPDATE_GOLDEN=1 rewrites it); the output now:\n%s", doc, block)
	}
}

// dec parses a decimal.
func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// day parses a date.
func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := billing.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
