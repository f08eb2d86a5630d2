package deploy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// exposedMetrics are the series billingd exports (fixed names), plus the
// histogram's derived series and what Prometheus itself provides.
var exposedMetrics = map[string]bool{
	"billingd_job_runs_total":                         true,
	"billingd_job_duration_seconds_bucket":            true,
	"billingd_job_duration_seconds_sum":               true,
	"billingd_job_duration_seconds_count":             true,
	"billingd_job_last_success_timestamp_seconds":     true,
	"billingd_job_enabled":                            true,
	"billingd_queue_jobs":                             true,
	"billingd_contracts":                              true,
	"billingd_installments_overdue":                   true,
	"billingd_contracts_due_not_generated":            true,
	"billingd_contracts_paid_but_blocked":             true,
	"billingd_notices_sent_total":                     true,
	"billingd_notices_failed_total":                   true,
	"billingd_notices_unconfirmed_total":              true,
	"billingd_notices_undelivered":                    true,
	"billingd_notices_retrying":                       true,
	"billingd_notices_oldest_undelivered_age_seconds": true,
	"billingd_collection_contracts":                   true,
	"billingd_collection_transitions_total":           true,
	"billingd_collection_notices_unsent_past_step":    true,
	"billingd_notices_held_total":                     true,
	// The business dashboards' SQL exporter (postgres/business_metrics.go).
	"billingd_business_billed_amount":        true,
	"billingd_business_billed_installments":  true,
	"billingd_business_collected_amount":     true,
	"billingd_business_collected_payments":   true,
	"billingd_business_overdue_amount":       true,
	"billingd_business_overdue_installments": true,
	"billingd_business_renewals_today":       true,
	"billingd_business_bank_file_exceptions": true,
	// Events and webhooks (postgres/metrics.go, jobs/webhooks.go).
	"billingd_webhook_deliveries_total":           true,
	"billingd_webhook_oldest_undelivered_seconds": true,
	"billingd_webhook_pending_deliveries":         true,
	"billingd_events_unpublished":                 true,
}

// businessPanelMetrics are the series the business dashboard must show (issue 17 item 5):
// billed, collected and overdue amounts, contracts per ladder step, renewals, e-mails sent
// and failed, bank-file exceptions. cmd/billingd's TestDashboardBusinessMetricsExported
// checks that the daemon's /metrics exports the billingd_business_* ones.
var businessPanelMetrics = []string{
	"billingd_business_billed_amount", "billingd_business_collected_amount", "billingd_business_overdue_amount",
	"billingd_collection_contracts", "billingd_business_renewals_today", "billingd_notices_sent_total",
	"billingd_notices_failed_total", "billingd_business_bank_file_exceptions",
}

// TestBusinessPanels: the dashboard's business row has a panel reading each series of
// businessPanelMetrics, each a series billingd exports.
func TestBusinessPanels(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	used := map[string]bool{}
	inRow := false
	for _, p := range allPanels(d.Panels) {
		if p.Type == "row" {
			inRow = strings.HasPrefix(p.Title, "Business")
			continue
		}
		if !inRow {
			continue
		}
		for _, tg := range p.Targets {
			for _, name := range metricRE.FindAllString(tg.Expr, -1) {
				used[name] = true
			}
		}
	}
	for _, m := range businessPanelMetrics {
		if !used[m] {
			t.Errorf("no panel of the Business row reads %s", m)
		}
		if !exposedMetrics[m] {
			t.Errorf("%s is not a series billingd exports", m)
		}
	}
}

// hourlyJobs get the 2h window in the rules; every other job is daily (26h).
var hourlyJobs = []string{"block-delinquent"}

// absentJobRE finds absent() of a selector naming a billingd job: jobs billingd
// does not have are not exported, so such a term would fire forever.
var absentJobRE = regexp.MustCompile(`absent\s*\([^)]*exported_job`)

type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Record      string            `json:"record"`
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			For         string            `json:"for"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("prometheus", "billingd.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.UnmarshalStrict(data, &rf); err != nil {
		t.Fatalf("billingd.rules.yml: %v", err)
	}
	return rf
}

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Inputs []any `json:"__inputs"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource json.RawMessage          `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		RefID      string          `json:"refId"`
		Expr       string          `json:"expr"`
		Datasource json.RawMessage `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // collapsed rows
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("grafana", "billingd.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("billingd.json: %v", err)
	}
	return d
}

func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

var knownPanelTypes = []string{"row", "stat", "timeseries", "table", "bargauge", "gauge", "text", "heatmap", "state-timeline"}

// TestDashboardStructure: the dashboard parses, and every panel is well-formed
// and uses the ${datasource} variable, never a hard-coded datasource UID, so
// it imports into any Grafana.
func TestDashboardStructure(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion == 0 {
		t.Errorf("dashboard needs uid, title and schemaVersion")
	}
	if len(d.Inputs) > 0 {
		t.Error("dashboard was exported 'for sharing' (__inputs); export it plain with the ${datasource} variable")
	}
	if !slices.ContainsFunc(d.Templating.List, func(v struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Query any    `json:"query"`
	}) bool {
		return v.Name == "datasource" && v.Type == "datasource" && v.Query == "prometheus"
	}) {
		t.Error("dashboard needs a templating variable 'datasource' of type datasource, query prometheus")
	}

	wantDS := datasourceRef{Type: "prometheus", UID: "${datasource}"}
	checkDS := func(where string, raw json.RawMessage) {
		if len(raw) == 0 || string(raw) == "null" {
			return // inherits the panel's datasource
		}
		var ds datasourceRef
		if err := json.Unmarshal(raw, &ds); err != nil || ds != wantDS {
			t.Errorf("%s: datasource %s, want %+v", where, raw, wantDS)
		}
	}

	ids := map[int]bool{}
	exprs := 0
	for _, p := range allPanels(d.Panels) {
		where := p.Title
		if p.Title == "" {
			t.Errorf("panel %d has no title", p.ID)
		}
		if p.ID == 0 || ids[p.ID] {
			t.Errorf("%s: panel id %d missing or duplicated", where, p.ID)
		}
		ids[p.ID] = true
		if !slices.Contains(knownPanelTypes, p.Type) {
			t.Errorf("%s: unknown panel type %q", where, p.Type)
		}
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: bad gridPos %+v", where, g)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Datasource) == 0 {
			t.Errorf("%s: panel has no datasource", where)
		}
		checkDS(where, p.Datasource)
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel has no targets", where)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			checkDS(where+"/"+tg.RefID, tg.Datasource)
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: refId %q missing or duplicated", where, tg.RefID)
			}
			refs[tg.RefID] = true
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s/%s: empty expr", where, tg.RefID)
			}
			exprs++
		}
	}
	if exprs == 0 {
		t.Error("dashboard has no queries")
	}
}

var (
	metricRE = regexp.MustCompile(`\bbillingd[_:][A-Za-z0-9_:]*`)
	// billingd's `job` label is stored as exported_job (see billingd.rules.yml).
	jobLabelRE = regexp.MustCompile(`billingd[_:][A-Za-z0-9_:]*\{[^}]*\bjob\s*[=!]~?\s*"[^"]*-`)
	byJobRE    = regexp.MustCompile(`\b(by|without)\s*\([^)]*\bjob\b[^)]*\)`)
)

// TestMetricNames: every billingd series used by the rules and the dashboard
// is one billingd exports or a recording rule defined in billingd.rules.yml,
// and billingd's job label is used as exported_job.
func TestMetricNames(t *testing.T) {
	t.Parallel()
	rf := loadRules(t)
	known := map[string]bool{}
	for k := range exposedMetrics {
		known[k] = true
	}
	used := map[string]string{} // expr -> where
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				known[r.Record] = true
			}
			used[r.Expr] = "rule " + r.Record + r.Alert
		}
	}
	for _, p := range allPanels(loadDashboard(t).Panels) {
		for _, tg := range p.Targets {
			used[tg.Expr] = "panel " + p.Title
		}
	}
	for expr, where := range used {
		for _, name := range metricRE.FindAllString(expr, -1) {
			if !known[name] {
				t.Errorf("%s: unknown series %s", where, name)
			}
		}
		if jobLabelRE.MatchString(expr) || byJobRE.MatchString(expr) {
			t.Errorf("%s: selects/aggregates billingd jobs by `job`; Prometheus stores that label as exported_job: %s", where, expr)
		}
	}
}

// TestAlertsDocumentedAndTested: every alert has severity, summary,
// description and a runbook naming an operator command, and the unit-test
// file covers it both firing and not firing.
func TestAlertsDocumentedAndTested(t *testing.T) {
	t.Parallel()
	rf := loadRules(t)
	data, err := os.ReadFile(filepath.Join("prometheus", "billingd.rules.test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var tf struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string           `json:"alertname"`
				ExpAlerts []map[string]any `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(data, &tf); err != nil {
		t.Fatalf("billingd.rules.test.yml: %v", err)
	}
	firing, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tf.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}

	alerts := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !slices.Contains([]string{"critical", "warning"}, r.Labels["severity"]) {
				t.Errorf("%s: severity label must be critical or warning", r.Alert)
			}
			for _, a := range []string{"summary", "description", "runbook"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: missing %s annotation", r.Alert, a)
				}
			}
			rb := r.Annotations["runbook"]
			if !strings.Contains(rb, "billingd status") && !strings.Contains(rb, "billingd run ") {
				t.Errorf("%s: runbook must name an operator command (billingd status / billingd run JOB --as-of YYYY-MM-DD --wait)", r.Alert)
			}
			if strings.Contains(rb, "billingd run ") && !strings.Contains(rb, "--as-of YYYY-MM-DD --wait") {
				t.Errorf("%s: runbook's billingd run must show --as-of YYYY-MM-DD --wait", r.Alert)
			}
			if !firing[r.Alert] {
				t.Errorf("%s: no unit test expects it to fire", r.Alert)
			}
			if !silent[r.Alert] {
				t.Errorf("%s: no unit test expects it not to fire", r.Alert)
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alerts in billingd.rules.yml")
	}

	// The hourly jobs must appear in the rules (their 2h window); no rule may
	// absent() a job by name (never succeeded = gauge 0; nothing exported at
	// all = BillingdMetricsAbsent).
	all, _ := os.ReadFile(filepath.Join("prometheus", "billingd.rules.yml"))
	for _, j := range hourlyJobs {
		if !bytes.Contains(all, []byte(`"`+j+`"`)) {
			t.Errorf("billingd.rules.yml does not mention hourly job %q (2h window rules)", j)
		}
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if absentJobRE.MatchString(r.Expr) {
				t.Errorf("%s%s: absent() of a named job fires for jobs billingd does not have; use the gauge == 0", r.Record, r.Alert)
			}
		}
	}
}

// TestDashboardPlotsWhatTheDocsPromise: the panels docs/operations.md promises are on the
// dashboard — e-mail sent and failed, the outbox, the collection ladder — each plotting its
// metric, and the River queue.
func TestDashboardPlotsWhatTheDocsPromise(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	plotted := map[string][]string{}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			for _, m := range metricRE.FindAllString(tg.Expr, -1) {
				plotted[m] = append(plotted[m], p.Title)
			}
		}
	}
	for _, m := range []string{
		"billingd_notices_sent_total", "billingd_notices_failed_total", "billingd_notices_undelivered",
		"billingd_notices_retrying", "billingd_notices_oldest_undelivered_age_seconds",
		"billingd_collection_contracts", "billingd_collection_transitions_total", "billingd_collection_notices_unsent_past_step",
		"billingd:queue_jobs:max", "billingd_contracts_paid_but_blocked",
	} {
		if len(plotted[m]) == 0 {
			t.Errorf("no dashboard panel plots %s", m)
		}
	}
}
