package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/migrations"
	"github.com/billingd/billingd/postgres"
)

// beforeLadder is the last migration before the collection ladder's.
const beforeLadder = 15

// TestMigrationKeepsTheDates: existing blocking rules and contracts, written under the
// schema before the ladder and part-way through their delinquency, migrate to the
// equivalent generic ladder; from then on the ladder's block-delinquent warns (records the
// debt notice) and blocks every contract on exactly the days the sweep of before would
// have. Two copies of one database run side by side: one keeps the schema of before and
// its sweep (delinquency.Decide over block_after_days, warning_days and
// min_overdue_installments, as block-delinquent ran it), the other is migrated and runs
// postgres.BlockSweep; each day both sweep as of that date, and every contract's warning
// (its block_warning notice and the installment it names) and block date must be equal.
// The rules cover warnings and none, K = 2, a prepaid contract, due dates moved by
// weekends, and contracts already warned or blocked when the migration runs.
func TestMigrationKeepsTheDates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	oldURL := dbtest.NewEmptyURL(t)
	old := openPool(t, oldURL)
	if _, err := migrations.ApplyThrough(ctx, old, slog.New(slog.DiscardHandler), beforeLadder); err != nil {
		t.Fatal(err)
	}
	seedBeforeLadder(t, old)
	first := date("2026-01-01")
	cut := date("2026-01-20") // the migration runs after the run of this day
	last := date("2026-03-31")
	seen := newObservations()
	for d := first; !d.After(cut); d = d.AddDate(0, 0, 1) {
		legacySweep(t, old, d)
		seen.observe(t, "old", old, d)
	}
	old.Close()
	newURL := cloneDatabase(t, oldURL)
	old = openPool(t, oldURL)
	migrated := openPool(t, newURL)
	if _, err := migrations.Apply(ctx, migrated, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	seen.copyAs("new", "old")
	checkMigratedRules(t, migrated)
	sweep := postgres.BlockSweep{}
	for d := cut.AddDate(0, 0, 1); !d.After(last); d = d.AddDate(0, 0, 1) {
		legacySweep(t, old, d)
		seen.observe(t, "old", old, d)
		err := pgx.BeginFunc(ctx, migrated, func(tx pgx.Tx) error {
			starts, err := sweep.Plan(ctx, tx, d, 1000)
			if err != nil || len(starts) == 0 {
				return err
			}
			_, err = sweep.Batch(ctx, tx, d, starts[0], math.MaxInt64)
			return err
		})
		if err != nil {
			t.Fatalf("ladder sweep as of %s: %v", billing.FormatDate(d), err)
		}
		seen.observe(t, "new", migrated, d)
	}
	if len(seen.at["old"]) == 0 {
		t.Fatal("the sweep of before warned and blocked nothing: the scenario tests nothing")
	}
	var warned, blocked, migratedBlocked int
	for key, day := range seen.at["old"] {
		if got, ok := seen.at["new"][key]; !ok || !got.Equal(day) {
			t.Errorf("%s: the sweep of before on %s, the ladder's on %s", key, billing.FormatDate(day), billing.FormatDate(got))
		}
		switch {
		case key.kind == "block_warning":
			warned++
		case day.After(cut):
			blocked++
		default:
			migratedBlocked++
		}
	}
	for key, day := range seen.at["new"] {
		if _, ok := seen.at["old"][key]; !ok {
			t.Errorf("%s: the ladder's on %s, the sweep of before never", key, billing.FormatDate(day))
		}
	}
	if blocked == 0 || migratedBlocked == 0 || warned == 0 {
		t.Errorf("%d warnings, %d blocks after the migration, %d before it: the scenario should have each", warned, blocked, migratedBlocked)
	}
	if !t.Failed() {
		t.Logf("%d warnings and %d blocks on the same days (%d blocks made before the migration)", warned, blocked+migratedBlocked, migratedBlocked)
	}
}

// seedBeforeLadder writes, under the schema before the ladder, blocking rules of every
// shape and 60 contracts on them with their installments.
func seedBeforeLadder(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO blocking_rules (name, block_after_days, min_overdue_installments, warning_days) VALUES
		('no warning', 20, 1, 0), ('two late', 15, 2, 5), ('short', 5, 1, 1), ('warned the day after', 3, 1, 2)`)
	exec(`INSERT INTO plans (name, price, period, installments_per_term) VALUES ('Mensal', 93.00, 'monthly', 12)`)
	exec(`INSERT INTO customers (name, email) SELECT 'Cliente ' || g, 'c' || g || '@example.com' FROM generate_series(1, 60) g`)
	// Rule: the default (NULL) and the four others, in turn; due dates 1 to 12 January,
	// anniversary without shift, or fixed day with the shift to the next business day
	// (10 and 11 January 2026 are a weekend); every seventh contract prepaid.
	exec(`INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, activation_date, due_rule_kind,
			due_day, due_shift, status, generation_due_on, blocking_rule_id)
		SELECT g, 1, 93.00, a, false, a,
			CASE WHEN g % 7 = 0 THEN 'prepaid_fixed_day' WHEN g % 3 = 0 THEN 'fixed_day' ELSE 'anniversary' END,
			CASE WHEN g % 7 = 0 OR g % 3 = 0 THEN extract(day FROM a)::int END,
			CASE WHEN g % 3 = 0 THEN 'next' ELSE 'none' END, 'active', a,
			(ARRAY[NULL, 2, 3, 4, 5])[g % 5 + 1]
		FROM generate_series(1, 60) g, LATERAL (SELECT date '2026-01-01' + (g % 12) AS a) d`)
	// Today's generation also reads what later migrations added (021: the service anchor
	// and the scheduled contract changes; 024: the add-ons; 025: the contracts' subjects):
	// empty stand-ins for this one run, dropped after it.
	exec(`ALTER TABLE contracts ADD COLUMN service_anchor date`)
	exec(`CREATE TABLE contract_changes (id bigint, contract_id bigint, kind text, status text, effective_on date, to_value jsonb)`)
	exec(`CREATE TABLE contract_addons (id bigint, contract_id bigint, description text, price numeric, active_from date,
		active_until date, created_at timestamptz)`)
	exec(`CREATE TABLE contract_subjects (id bigint, contract_id bigint, price numeric, line_description text, started_on date,
		ended_on date)`)
	// The generation alone: the schema of before has no activation deadline to expire.
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := postgres.GenerateBatch(ctx, tx, date("2026-01-12"), 1, math.MaxInt64)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	exec(`DROP TABLE contract_changes`)
	exec(`DROP TABLE contract_addons`)
	exec(`DROP TABLE contract_subjects`)
	exec(`ALTER TABLE contracts DROP COLUMN service_anchor`)
	// Prepaid contracts pay their first installment; every fourth contract pays its
	// second on time, so that its delinquency starts later.
	exec(`UPDATE installments i SET state = 'paid', paid_at = i.due_date, paid_amount = i.amount FROM contracts c
		WHERE c.id = i.contract_id AND i.kind = 'recurring'
		  AND ((c.due_rule_kind = 'prepaid_fixed_day' AND i.sequence = 1) OR (c.id % 4 = 0 AND i.sequence = 2))`)
}

// legacySweep is block-delinquent as it ran before the ladder, as of asOf, restricted to
// its warnings and blocks (the scenario has no payment and no trust unlock): each active
// contract with an installment overdue is decided with delinquency.Decide over its rule's
// block_after_days, min_overdue_installments and warning_days; a warning records the
// block_warning notice of the triggering installment, a block opens the episode, its
// segment and its blocked notice and blocks the contract.
func legacySweep(t *testing.T, pool *pgxpool.Pool, asOf time.Time) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT c.id, c.due_rule_kind = 'prepaid_fixed_day', r.block_after_days, r.min_overdue_installments,
			r.warning_days, e.id, e.started_on,
			array(SELECT row(i.id, i.kind, i.sequence, i.due_date, i.service_start)::text FROM installments i
				WHERE i.contract_id = c.id AND installment_overdue(i.state, i.due_date, $1) ORDER BY i.id)
		FROM contracts c
		JOIN blocking_rules r ON r.id = coalesce(c.blocking_rule_id, (SELECT id FROM blocking_rules WHERE is_default))
		LEFT JOIN block_episodes e ON e.contract_id = c.id AND e.ended_on IS NULL
		WHERE c.status IN ('active', 'blocked') ORDER BY c.id`, asOf)
	if err != nil {
		t.Fatal(err)
	}
	type decision struct {
		contract int64
		d        delinquency.Decision
	}
	var decisions []decision
	for rows.Next() {
		var (
			id        int64
			st        delinquency.State
			episode   *int64
			startedOn pgtype.Date
			open      []string
		)
		if err := rows.Scan(&id, &st.Prepaid, &st.Rule.BlockAfterDays, &st.Rule.MinOverdue, &st.Rule.WarningDays, &episode, &startedOn,
			&open); err != nil {
			t.Fatal(err)
		}
		if episode != nil {
			st.Episode = &delinquency.Episode{ID: *episode, StartedOn: startedOn.Time, Blocked: true}
		}
		for _, o := range open {
			st.Open = append(st.Open, parseInstallmentRow(t, o))
		}
		decisions = append(decisions, decision{id, delinquency.Decide(st, asOf, asOf)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, d := range decisions {
		var err error
		switch d.d.Action {
		case delinquency.Warn:
			_, err = pool.Exec(ctx, `INSERT INTO notices (contract_id, kind, reference) VALUES ($1, 'block_warning', $2)
				ON CONFLICT DO NOTHING`, d.contract, strconv.FormatInt(d.d.Block.Trigger.ID, 10))
		case delinquency.BlockNow:
			_, err = pool.Exec(ctx, `WITH e AS (INSERT INTO block_episodes (contract_id, installment_id, started_on, reason)
					VALUES ($1, $2, $3, $4) RETURNING id, contract_id, started_on),
				s AS (INSERT INTO block_segments (episode_id, blocked_from) SELECT id, started_on FROM e),
				n AS (INSERT INTO notices (contract_id, kind, reference) SELECT contract_id, 'blocked', id::text FROM e)
				UPDATE contracts SET status = 'blocked' WHERE id = $1`, d.contract, d.d.Block.Trigger.ID, asOf, d.d.Block.Reason)
		case delinquency.None:
		default:
			t.Fatalf("contract %d as of %s: the scenario has no %s", d.contract, billing.FormatDate(asOf), d.d.Action)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// parseInstallmentRow reads a row(id, kind, sequence, due_date, service_start)::text.
func parseInstallmentRow(t *testing.T, s string) delinquency.Installment {
	t.Helper()
	var in delinquency.Installment
	var kind, due, start string
	if _, err := fmt.Sscanf(s, "(%d,%s", &in.ID, &kind); err != nil {
		t.Fatalf("installment row %q: %v", s, err)
	}
	parts := splitRow(s)
	in.Kind = billing.InstallmentKind(parts[1])
	seq, err := strconv.Atoi(parts[2])
	if err != nil {
		t.Fatalf("installment row %q: %v", s, err)
	}
	in.Sequence, due, start = seq, parts[3], parts[4]
	in.Due = date(due)
	if start != "" {
		in.ServiceStart = date(start)
	}
	return in
}

// splitRow splits a composite's text form "(a,b,c)" into its fields.
func splitRow(s string) []string {
	var out []string
	field := ""
	for _, r := range s[1 : len(s)-1] {
		if r == ',' {
			out = append(out, field)
			field = ""
			continue
		}
		field += string(r)
	}
	return append(out, field)
}

// observation names one thing the sweeps do to a contract: its warning (kind block_warning,
// ref the installment it is about) or its block (kind blocked).
type observation struct {
	contract int64
	kind     string
	ref      string
}

func (o observation) String() string {
	return fmt.Sprintf("contract %d %s %s", o.contract, o.kind, o.ref)
}

// observations are the day each database first showed each observation.
type observations struct {
	at map[string]map[observation]time.Time
}

func newObservations() *observations {
	return &observations{at: map[string]map[observation]time.Time{"old": {}, "new": {}}}
}

// observe records, for database which, the warnings and blocks first seen after the run
// as of day: a warning on the day its notice appears, a block on its episode's start.
func (o *observations) observe(t *testing.T, which string, pool *pgxpool.Pool, day time.Time) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT contract_id, 'block_warning', reference, NULL::date FROM notices WHERE kind = 'block_warning'
		UNION ALL SELECT contract_id, 'blocked', '', started_on FROM block_episodes`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ob observation
		var started pgtype.Date
		if err := rows.Scan(&ob.contract, &ob.kind, &ob.ref, &started); err != nil {
			t.Fatal(err)
		}
		if _, ok := o.at[which][ob]; ok {
			continue
		}
		o.at[which][ob] = day
		if started.Valid {
			o.at[which][ob] = started.Time
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// copyAs makes database to have seen what from has seen so far (the copy before the
// migration).
func (o *observations) copyAs(to, from string) {
	for k, v := range o.at[from] {
		o.at[to][k] = v
	}
}

// checkMigratedRules checks that every rule migrated to the generic ladder worked out by
// hand (the warning as the debt notice block_after_days − warning_days after the due date,
// the suspension warning_days after it; without a warning, no notice and the suspension
// block_after_days after the due date), and reads back the same dates.
func checkMigratedRules(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	store := &postgres.Store{Pool: pool}
	rules, err := store.BlockingRules(context.Background(), postgres.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 5 {
		t.Fatalf("%d rules, want 5", len(rules))
	}
	generic := func(minOverdue, notice, suspension int) delinquency.Ladder {
		return delinquency.Ladder{Profile: delinquency.Generic, MinOverdue: minOverdue, ReminderDays: []int{},
			NoticeDays: notice, SuspensionDays: suspension}
	}
	ladders := map[string]delinquency.Ladder{
		"Default: blocked 10 days after the due date, warned 3 days before": generic(1, 10-3, 3),
		"no warning":           generic(1, 0, 20),
		"two late":             generic(2, 15-5, 5),
		"short":                generic(1, 5-1, 1),
		"warned the day after": generic(1, 3-2, 2),
	}
	for _, r := range rules {
		want, ok := ladders[r.Name]
		if !ok {
			t.Errorf("rule %q is not one of the scenario's", r.Name)
			continue
		}
		if !ladderEqual(r.Ladder, want) {
			t.Errorf("rule %q (%d days, warned %d before): ladder %+v, want %+v", r.Name, r.BlockAfterDays, r.WarningDays, r.Ladder, want)
		}
		if days, warning := r.Ladder.Reading(); days != r.BlockAfterDays || warning != r.WarningDays {
			t.Errorf("rule %q reads back as %d and %d days", r.Name, days, warning)
		}
	}
}

func ladderEqual(a, b delinquency.Ladder) bool {
	return a.Profile == b.Profile && a.MinOverdue == b.MinOverdue && slices.Equal(a.ReminderDays, b.ReminderDays) &&
		a.NoticeDays == b.NoticeDays && a.PartialSuspensionDays == b.PartialSuspensionDays &&
		a.SuspensionDays == b.SuspensionDays && a.TerminationDays == b.TerminationDays
}

// openPool opens a pool on url, closed when the test ends.
func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// cloneDatabase copies the database at src (no connection may be open on it) into a new
// one, dropped when the test ends, and returns its URL.
func cloneDatabase(t *testing.T, src string) string {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	from := u.Path[1:]
	name := from + "_migrated"
	admin, err := pgx.Connect(ctx, dbtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, from)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), dbtest.AdminURL()); err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u.Path = "/" + name
	return u.String()
}
