package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// TestServiceMonitor decodes the Prometheus Operator's ServiceMonitor as unstructured (its
// CRD has no typed structs here) and checks that it selects the billingd Service in its
// namespace and scrapes /metrics on one of the Service's named ports, keeping billingd's own
// job label as exported_job.
func TestServiceMonitor(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(k8sDir, "servicemonitor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.UnmarshalStrict(data, &obj); err != nil {
		t.Fatalf("servicemonitor.yaml: %v", err)
	}
	sm := unstructured.Unstructured{Object: obj}
	if sm.GetAPIVersion() != "monitoring.coreos.com/v1" || sm.GetKind() != "ServiceMonitor" {
		t.Fatalf("want monitoring.coreos.com/v1 ServiceMonitor, got %s %s", sm.GetAPIVersion(), sm.GetKind())
	}
	svc := only[*corev1.Service](t, loadManifests(t))

	match, _, err := unstructured.NestedStringMap(obj, "spec", "selector", "matchLabels")
	if err != nil || len(match) == 0 {
		t.Fatalf("spec.selector.matchLabels: %v %v", match, err)
	}
	if !labels.SelectorFromSet(match).Matches(labels.Set(svc.Labels)) {
		t.Errorf("selector %v does not match the Service's labels %v", match, svc.Labels)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(obj, "spec", "selector", "matchExpressions"); found {
		t.Errorf("spec.selector.matchExpressions: use matchLabels only")
	}
	names, _, _ := unstructured.NestedStringSlice(obj, "spec", "namespaceSelector", "matchNames")
	if ns := sm.GetNamespace(); ns != "billingd" || !slices.Equal(names, []string{ns}) {
		t.Errorf("namespace %q, namespaceSelector.matchNames %v: want billingd, [billingd]", ns, names)
	}
	if _, found, _ := unstructured.NestedString(obj, "spec", "jobLabel"); found {
		t.Errorf("spec.jobLabel set: the scrape job must stay the Service's name, billingd, which the alert rules use")
	}
	if svc.Name != "billingd" {
		t.Errorf("the Service is %q: the scrape job (its name) must be billingd", svc.Name)
	}

	endpoints, _, err := unstructured.NestedSlice(obj, "spec", "endpoints")
	if err != nil || len(endpoints) != 1 {
		t.Fatalf("spec.endpoints: want exactly one, got %d (%v)", len(endpoints), err)
	}
	ep, _ := endpoints[0].(map[string]any)
	port, _ := ep["port"].(string)
	if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == port }) {
		t.Errorf("endpoint port %q is not a named port of the Service", port)
	}
	if path, _ := ep["path"].(string); path != "/metrics" {
		t.Errorf("endpoint path %q, want /metrics", path)
	}
	if honor, _ := ep["honorLabels"].(bool); honor {
		t.Errorf("honorLabels must be false: billingd's job label is read as exported_job")
	}
}
