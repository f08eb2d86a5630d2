package deploy_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unit is a parsed systemd unit: "Section.Key" -> values in order.
type unit map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: bad line %q", path, line)
			}
			key := section + "." + strings.TrimSpace(k)
			u[key] = append(u[key], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u unit) one(t *testing.T, key string) string {
	t.Helper()
	v := u[key]
	if len(v) != 1 {
		t.Fatalf("want exactly one %s, got %q", key, v)
	}
	return v[0]
}

var spanRE = regexp.MustCompile(`^(\d+)\s*(us|ms|s|sec|m|min|h|hr)?$`)

// parseSpan parses the simple systemd time spans used here ("60s", "1min 30s", "90").
func parseSpan(t *testing.T, s string) time.Duration {
	t.Helper()
	units := map[string]time.Duration{"": time.Second, "s": time.Second, "sec": time.Second, "us": time.Microsecond,
		"ms": time.Millisecond, "m": time.Minute, "min": time.Minute, "h": time.Hour, "hr": time.Hour}
	var d time.Duration
	for _, f := range strings.Fields(s) {
		m := spanRE.FindStringSubmatch(f)
		if m == nil {
			t.Fatalf("cannot parse time span %q", s)
		}
		n, _ := strconv.Atoi(m[1])
		d += time.Duration(n) * units[m[2]]
	}
	return d
}

// envExample returns the settings in billingd.env.example: active ones, and
// commented-out "#KEY=default" lines (documented defaults).
func envExample(t *testing.T) (active, defaults map[string]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("systemd", "billingd.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	active, defaults = map[string]string{}, map[string]string{}
	kv := regexp.MustCompile(`^(#?)([A-Z][A-Z0-9_]*)=(.*)$`)
	for _, line := range strings.Split(string(data), "\n") {
		m := kv.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		if m[1] == "#" {
			defaults[m[2]] = m[3]
		} else {
			active[m[2]] = m[3]
		}
	}
	return active, defaults
}

func TestSystemdEnvExample(t *testing.T) {
	t.Parallel()
	// That it documents every setting, and names no other, is checked by
	// TestSettingsDocumented in cmd/billingd (main module).
	active, _ := envExample(t)
	for k := range active {
		if strings.HasSuffix(k, "_FILE") {
			t.Errorf("billingd.env.example sets %s: secret files come from the units' LoadCredential=", k)
		}
	}
	for _, k := range secretSettings {
		if _, ok := active[k]; ok {
			t.Errorf("billingd.env.example sets secret %s: use a systemd credential (%s_FILE)", k, k)
		}
	}
}

func TestSystemdUnits(t *testing.T) {
	t.Parallel()
	svc := parseUnit(t, filepath.Join("systemd", "billingd.service"))
	mig := parseUnit(t, filepath.Join("systemd", "billingd-migrate.service"))

	if got := svc.one(t, "Service.Type"); got != "notify" {
		t.Errorf("billingd.service Type=%s, want notify", got)
	}
	if got := svc.one(t, "Service.ExecStart"); !strings.HasSuffix(got, "/billingd serve") {
		t.Errorf("billingd.service ExecStart=%s, want .../billingd serve", got)
	}
	if wd := parseSpan(t, svc.one(t, "Service.WatchdogSec")); wd <= 0 {
		t.Error("billingd.service needs WatchdogSec")
	}

	// The stop timeout must leave room for the daemon's own graceful stop.
	active, defaults := envExample(t)
	raw, ok := active["BILLINGD_SHUTDOWN_TIMEOUT"]
	if !ok {
		raw, ok = defaults["BILLINGD_SHUTDOWN_TIMEOUT"]
	}
	if !ok {
		t.Fatal("billingd.env.example must document BILLINGD_SHUTDOWN_TIMEOUT")
	}
	shutdown, err := time.ParseDuration(raw)
	if err != nil {
		t.Fatalf("BILLINGD_SHUTDOWN_TIMEOUT %q: %v", raw, err)
	}
	if stop := parseSpan(t, svc.one(t, "Service.TimeoutStopSec")); stop <= shutdown {
		t.Errorf("TimeoutStopSec %v must exceed BILLINGD_SHUTDOWN_TIMEOUT %v", stop, shutdown)
	}

	if got := mig.one(t, "Service.Type"); got != "oneshot" {
		t.Errorf("billingd-migrate.service Type=%s, want oneshot", got)
	}
	if got := mig.one(t, "Service.ExecStart"); !strings.HasSuffix(got, "/billingd migrate") {
		t.Errorf("billingd-migrate.service ExecStart=%s, want .../billingd migrate", got)
	}
	for _, key := range []string{"Unit.Requires", "Unit.After"} {
		if !slices.ContainsFunc(svc[key], func(v string) bool { return slices.Contains(strings.Fields(v), "billingd-migrate.service") }) {
			t.Errorf("billingd.service must have %s=billingd-migrate.service", key)
		}
	}

	for name, u := range map[string]unit{"billingd.service": svc, "billingd-migrate.service": mig} {
		if got := u.one(t, "Service.EnvironmentFile"); got != "/etc/billingd/billingd.env" {
			t.Errorf("%s: EnvironmentFile=%s", name, got)
		}
		for _, k := range []string{"DynamicUser", "NoNewPrivileges", "ProtectSystem", "PrivateTmp"} {
			if len(u["Service."+k]) == 0 {
				t.Errorf("%s: missing hardening directive %s", name, k)
			}
		}
		// Every %d/ID reference has a LoadCredential=ID:..., and vice versa.
		creds := map[string]bool{}
		for _, lc := range u["Service.LoadCredential"] {
			id, _, _ := strings.Cut(lc, ":")
			creds[id] = false
		}
		for _, env := range u["Service.Environment"] {
			k, v, _ := strings.Cut(env, "=")
			if slices.Contains(secretSettings, k) {
				t.Errorf("%s: Environment=%s puts a secret in the unit; use %s_FILE=%%d/ID", name, k, k)
			}
			if strings.HasSuffix(k, "_FILE") && !isSecretFile(k) {
				t.Errorf("%s: Environment=%s is not the _FILE variant of a secret setting %v", name, k, secretSettings)
			}
			if id, ok := strings.CutPrefix(v, "%d/"); ok {
				if _, loaded := creds[id]; !loaded {
					t.Errorf("%s: %s refers to credential %q but no LoadCredential=%s:...", name, k, id, id)
				}
				creds[id] = true
			}
		}
		for id, used := range creds {
			if !used {
				t.Errorf("%s: LoadCredential=%s is never passed via Environment=..._FILE=%%d/%s", name, id, id)
			}
		}
	}
}
