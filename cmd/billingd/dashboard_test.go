package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDashboardBusinessMetricsExported: every billingd_business_* series the Grafana
// dashboard (deploy/grafana/billingd.json) reads is on the daemon's /metrics from its first
// scrape, read from the database (issue 17 item 5).
func TestDashboardBusinessMetricsExported(t *testing.T) {
	t.Parallel()
	dashboard, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "billingd.json"))
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`billingd_business_[a-z_]+`).FindAllString(string(dashboard), -1)
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) < 8 {
		t.Fatalf("the dashboard reads %d business series (%v), want the 8 of postgres/business_metrics.go", len(names), names)
	}
	url, _ := migratedDB(t)
	d := startDaemon(t, baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_SEND_NOTICES_ENABLED=false"))
	metrics := metricsText(t, d)
	for _, name := range names {
		if !strings.Contains(metrics, "\n"+name+" ") {
			t.Errorf("/metrics lacks %s, which the dashboard reads", name)
		}
	}
	if !strings.Contains(metrics, "\nbillingd_business_billed_amount 0\n") {
		t.Errorf("/metrics: want billingd_business_billed_amount 0 on an empty book")
	}
}
