package deploy_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const k8sDir = "kubernetes"

// manifest is one decoded Kubernetes object and the file it came from.
type manifest struct {
	file string
	obj  runtime.Object
}

// secretSettings must only ever arrive through their *_FILE variant (Secret: true
// in Settings(), cmd/billingd/config.go). Which names are settings at all is
// checked in the main module, by TestSettingsDocumented in
// cmd/billingd/settings_test.go (`make check-deploy-settings`).
var secretSettings = []string{"DATABASE_URL", "BILLINGD_API_TOKEN", "BILLINGD_SMTP_URL"}

// isSecretFile reports whether name is NAME_FILE for a secret setting NAME.
func isSecretFile(name string) bool {
	base, ok := strings.CutSuffix(name, "_FILE")
	return ok && slices.Contains(secretSettings, base)
}

var (
	secretKeyRE   = regexp.MustCompile(`(?i)(password|passwd|secret|token|credential|private_key|api_key)`)
	secretValueRE = regexp.MustCompile(`(?i)(://[^/@\s:]+:[^/@\s]+@|bearer\s+\S)`)
)

// operatorManifests are custom resources of optional operators (the Prometheus Operator's
// ServiceMonitor): applied separately, decoded by their own tests.
var operatorManifests = []string{"servicemonitor.yaml"}

// loadManifests strictly decodes every document of every *.yaml file in
// deploy/kubernetes (except kustomization.yaml): unknown fields, duplicate
// fields and wrong types are errors.
func loadManifests(t *testing.T) []manifest {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
		policyv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatalf("register scheme: %v", err)
		}
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []manifest
	for _, file := range files {
		if base := filepath.Base(file); base == "kustomization.yaml" || slices.Contains(operatorManifests, base) {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for i := 0; ; i++ {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d: %v", file, i, err)
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			obj, _, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				t.Errorf("%s: document %d: %v", file, i, err)
				continue
			}
			out = append(out, manifest{file: file, obj: obj})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no manifests found in %s", k8sDir)
	}
	return out
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// only returns the single object of type T, failing if there is not exactly one.
func only[T runtime.Object](t *testing.T, ms []manifest) T {
	t.Helper()
	var found []T
	for _, m := range ms {
		if o, ok := m.obj.(T); ok {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("want exactly one %T, found %d", zero, len(found))
	}
	return found[0]
}

func TestManifestsDecodeStrictly(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	kinds := map[string]bool{}
	for _, m := range ms {
		kinds[fmt.Sprintf("%T", m.obj)] = true
	}
	for _, want := range []string{"*v1.Deployment", "*v1.Service", "*v1.PodDisruptionBudget", "*v1.Job", "*v1.ConfigMap", "*v1.Secret"} {
		if !kinds[want] {
			t.Errorf("no %s among the manifests", want)
		}
	}
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	t.Parallel()
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Namespace  string   `json:"namespace"`
		Resources  []string `json:"resources"`
		Images     []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
		} `json:"images"`
	}
	data, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.Kind != "Kustomization" || k.Namespace == "" {
		t.Errorf("kustomization.yaml: kind=%q namespace=%q", k.Kind, k.Namespace)
	}
	files, _ := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	for _, f := range files {
		base := filepath.Base(f)
		switch {
		case base == "kustomization.yaml":
		case slices.Contains(operatorManifests, base):
			if slices.Contains(k.Resources, base) {
				t.Errorf("%s needs an operator's CRD; it must not be in kustomization.yaml (apply -k would fail without the operator)", base)
			}
		case strings.HasSuffix(base, ".example.yaml"):
			if slices.Contains(k.Resources, base) {
				t.Errorf("%s is an example with placeholder secrets; it must not be in kustomization.yaml", base)
			}
		case !slices.Contains(k.Resources, base):
			t.Errorf("%s is not listed in kustomization.yaml resources", base)
		}
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join(k8sDir, r)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", r, err)
		}
	}
}

func TestDeployment(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	d := only[*appsv1.Deployment](t, ms)
	cm := only[*corev1.ConfigMap](t, ms)

	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		t.Fatalf("deployment selector: %v", err)
	}
	if sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("deployment selector %q does not match template labels %v", sel, d.Spec.Template.Labels)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("want at least 2 replicas, got %v", d.Spec.Replicas)
	}
	ru := d.Spec.Strategy.RollingUpdate
	if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil ||
		ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 || ru.MaxSurge == nil || ru.MaxSurge.IntValue() != 1 {
		t.Errorf("want RollingUpdate with maxUnavailable 0 and maxSurge 1, got %+v", d.Spec.Strategy)
	}

	for _, c := range d.Spec.Template.Spec.Containers {
		if c.ReadinessProbe == nil || c.LivenessProbe == nil {
			t.Errorf("container %s: needs readiness and liveness probes", c.Name)
			continue
		}
		if p := c.LivenessProbe.HTTPGet; p == nil || p.Path != "/healthz" {
			t.Errorf("container %s: liveness must GET /healthz (no DB check)", c.Name)
		}
		if p := c.ReadinessProbe.HTTPGet; p == nil || p.Path != "/readyz" {
			t.Errorf("container %s: readiness must GET /readyz", c.Name)
		}
		if c.StartupProbe == nil || c.StartupProbe.HTTPGet == nil || c.StartupProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("container %s: startup probe must GET /healthz", c.Name)
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("container %s: needs memory requests and limits", c.Name)
		}
		checkProbePortsExist(t, c)
	}

	// Shutdown budget: preStop sleep + BILLINGD_SHUTDOWN_TIMEOUT < grace period.
	raw, ok := cm.Data["BILLINGD_SHUTDOWN_TIMEOUT"]
	if !ok {
		t.Fatal("ConfigMap must set BILLINGD_SHUTDOWN_TIMEOUT (the grace period is checked against it)")
	}
	shutdown, err := time.ParseDuration(raw)
	if err != nil {
		t.Fatalf("BILLINGD_SHUTDOWN_TIMEOUT %q: %v", raw, err)
	}
	var preStop time.Duration
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
			preStop = max(preStop, time.Duration(c.Lifecycle.PreStop.Sleep.Seconds)*time.Second)
		}
	}
	grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	if grace == nil {
		t.Fatal("terminationGracePeriodSeconds must be set explicitly")
	}
	if g := time.Duration(*grace) * time.Second; g <= shutdown+preStop {
		t.Errorf("terminationGracePeriodSeconds %v must exceed BILLINGD_SHUTDOWN_TIMEOUT %v + preStop %v", g, shutdown, preStop)
	}

	if addr := cm.Data["BILLINGD_HTTP_ADDR"]; !strings.HasPrefix(addr, "0.0.0.0:") && !strings.HasPrefix(addr, ":") {
		t.Errorf("BILLINGD_HTTP_ADDR %q: in Kubernetes bind all interfaces (0.0.0.0:PORT) or probes fail", addr)
	} else {
		port := addr[strings.LastIndex(addr, ":")+1:]
		if !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports, func(p corev1.ContainerPort) bool {
			return fmt.Sprint(p.ContainerPort) == port
		}) {
			t.Errorf("BILLINGD_HTTP_ADDR port %s is not a containerPort", port)
		}
	}
}

func checkProbePortsExist(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			continue
		}
		port := p.HTTPGet.Port
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
			return cp.Name == port.String() || cp.ContainerPort == port.IntVal
		}) {
			t.Errorf("container %s: probe port %s is not a container port", c.Name, port.String())
		}
	}
}

// podTemplates returns every pod template (Deployment and Job).
func podTemplates(ms []manifest) map[string]corev1.PodTemplateSpec {
	out := map[string]corev1.PodTemplateSpec{}
	for _, m := range ms {
		switch o := m.obj.(type) {
		case *appsv1.Deployment:
			out["Deployment/"+o.Name] = o.Spec.Template
		case *batchv1.Job:
			out["Job/"+o.Name] = o.Spec.Template
		}
	}
	return out
}

func TestPodSecurity(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	templates := podTemplates(ms)
	if len(templates) < 2 {
		t.Fatalf("want the Deployment and the migrate Job, found %d pod templates", len(templates))
	}
	for name, tpl := range templates {
		spec := tpl.Spec
		psc := spec.SecurityContext
		podNonRoot := psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot
		if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod needs seccompProfile RuntimeDefault", name)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s: automountServiceAccountToken must be false", name)
		}
		for _, c := range append(spec.InitContainers, spec.Containers...) {
			sc := c.SecurityContext
			// The container's setting overrides the pod's.
			nonRoot := podNonRoot
			if sc != nil && sc.RunAsNonRoot != nil {
				nonRoot = *sc.RunAsNonRoot
			}
			if !nonRoot {
				t.Errorf("%s/%s: runAsNonRoot must be true (pod or container)", name, c.Name)
			}
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s/%s: allowPrivilegeEscalation must be false", name, c.Name)
			}
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s/%s: readOnlyRootFilesystem must be true", name, c.Name)
			}
			if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
				t.Errorf("%s/%s: capabilities must drop ALL", name, c.Name)
			}
		}
		// A non-root user can read a secret volume with a restrictive mode
		// only through its group: fsGroup must be set.
		for _, v := range spec.Volumes {
			if v.Secret != nil && v.Secret.DefaultMode != nil && *v.Secret.DefaultMode&0o004 == 0 &&
				(psc == nil || psc.FSGroup == nil) {
				t.Errorf("%s: secret volume %s has mode %#o but no fsGroup: the non-root user cannot read it", name, v.Name, *v.Secret.DefaultMode)
			}
		}
	}
}

func TestConfigMapHasNoSecrets(t *testing.T) {
	t.Parallel()
	cm := only[*corev1.ConfigMap](t, loadManifests(t))
	for k, v := range cm.Data {
		if strings.HasSuffix(k, "_FILE") {
			continue
		}
		if slices.Contains(secretSettings, k) || secretKeyRE.MatchString(k) {
			t.Errorf("ConfigMap key %s holds a secret: put it in the Secret and use %s_FILE", k, k)
		}
		if secretValueRE.MatchString(v) {
			t.Errorf("ConfigMap key %s has a credential-looking value", k)
		}
	}
	if len(cm.BinaryData) > 0 {
		t.Error("ConfigMap must not carry binaryData")
	}
}

// TestSecretFiles checks that every *_FILE path points into a mounted secret
// volume whose key exists in secret.example.yaml, and that secrets never
// arrive as plain env vars.
func TestSecretFiles(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	secret := only[*corev1.Secret](t, ms)
	keys := map[string]bool{}
	for k := range secret.StringData {
		keys[k] = true
	}
	for k := range secret.Data {
		keys[k] = true
	}
	for name, tpl := range podTemplates(ms) {
		vols := map[string]corev1.Volume{}
		for _, v := range tpl.Spec.Volumes {
			vols[v.Name] = v
		}
		for _, c := range tpl.Spec.Containers {
			for _, e := range c.Env {
				if slices.Contains(secretSettings, e.Name) {
					t.Errorf("%s/%s: %s as a plain env var; use %s_FILE", name, c.Name, e.Name, e.Name)
				}
				if !strings.HasSuffix(e.Name, "_FILE") {
					continue
				}
				if !isSecretFile(e.Name) {
					t.Errorf("%s/%s: %s is not the _FILE variant of a secret setting %v", name, c.Name, e.Name, secretSettings)
				}
				ok := false
				for _, vm := range c.VolumeMounts {
					v, found := vols[vm.Name]
					if !found || v.Secret == nil || !strings.HasPrefix(e.Value, vm.MountPath+"/") {
						continue
					}
					key := strings.TrimPrefix(e.Value, vm.MountPath+"/")
					if v.Secret.SecretName != secret.Name {
						t.Errorf("%s/%s: volume %s mounts secret %q, the example defines %q", name, c.Name, vm.Name, v.Secret.SecretName, secret.Name)
					}
					if len(v.Secret.Items) > 0 {
						ok = slices.ContainsFunc(v.Secret.Items, func(kp corev1.KeyToPath) bool { return kp.Path == key && keys[kp.Key] })
					} else {
						ok = keys[key]
					}
				}
				if !ok {
					t.Errorf("%s/%s: %s=%s is not a key of a mounted %s volume", name, c.Name, e.Name, e.Value, secret.Name)
				}
			}
		}
	}
}

func TestServiceAndPDBSelectTheDeployment(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	d := only[*appsv1.Deployment](t, ms)
	svc := only[*corev1.Service](t, ms)
	pdb := only[*policyv1.PodDisruptionBudget](t, ms)
	podLabels := labels.Set(d.Spec.Template.Labels)

	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service selector %v does not match the Deployment's pods %v", svc.Spec.Selector, podLabels)
	}
	for _, p := range svc.Spec.Ports {
		if !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports, func(cp corev1.ContainerPort) bool {
			return cp.Name == p.TargetPort.String() || cp.ContainerPort == p.TargetPort.IntVal
		}) {
			t.Errorf("Service port %s targets %s, which is not a container port", p.Name, p.TargetPort.String())
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(podLabels) {
		t.Errorf("PodDisruptionBudget selector %v does not match the Deployment's pods (%v)", pdb.Spec.Selector, err)
	}
	// The migrate Job's pods must not be selected (they would count as replicas).
	job := only[*batchv1.Job](t, ms)
	if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(job.Spec.Template.Labels)) {
		t.Error("the Service selects the migrate Job's pods")
	}
	if len(job.Spec.Template.Spec.Containers) != 1 || !slices.Equal(job.Spec.Template.Spec.Containers[0].Args, []string{"migrate"}) {
		t.Error("the migrate Job must run exactly one container with args [migrate]")
	}
}
