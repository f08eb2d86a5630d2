package deploy_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// The tests of this file pin what kube-score found critical in the manifests: an image
// tagged latest pulled IfNotPresent, no ephemeral-storage requests and limits, and no
// NetworkPolicy.

// TestImagesPinned checks that the kustomization pins the image to a tag (never latest)
// that every container uses, pulled Always.
func TestImagesPinned(t *testing.T) {
	t.Parallel()
	var k struct {
		Images []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
			Digest  string `json:"digest"`
		} `json:"images"`
	}
	data, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	pinned := map[string]bool{}
	for _, im := range k.Images {
		if (im.NewTag == "" || im.NewTag == "latest") && im.Digest == "" {
			t.Errorf("kustomization image %s: newTag %q; pin a release tag (or a digest), never latest", im.Name, im.NewTag)
			continue
		}
		pinned[im.Name] = true
	}
	for name, tpl := range podTemplates(loadManifests(t)) {
		for _, c := range append(tpl.Spec.InitContainers, tpl.Spec.Containers...) {
			if !pinned[c.Image] {
				t.Errorf("%s/%s: image %q is not one the kustomization pins (%v)", name, c.Name, c.Image, pinned)
			}
			if c.ImagePullPolicy != corev1.PullAlways {
				t.Errorf("%s/%s: imagePullPolicy %q, want Always", name, c.Name, c.ImagePullPolicy)
			}
		}
	}
}

// TestEphemeralStorage checks that every container requests and limits ephemeral storage,
// the limit covering the pod's emptyDir volumes (they count against it).
func TestEphemeralStorage(t *testing.T) {
	t.Parallel()
	for name, tpl := range podTemplates(loadManifests(t)) {
		var emptyDirs resource.Quantity
		for _, v := range tpl.Spec.Volumes {
			if v.EmptyDir != nil {
				if v.EmptyDir.SizeLimit == nil {
					t.Errorf("%s: emptyDir %s needs a sizeLimit", name, v.Name)
					continue
				}
				emptyDirs.Add(*v.EmptyDir.SizeLimit)
			}
		}
		for _, c := range append(tpl.Spec.InitContainers, tpl.Spec.Containers...) {
			req, okReq := c.Resources.Requests[corev1.ResourceEphemeralStorage]
			lim, okLim := c.Resources.Limits[corev1.ResourceEphemeralStorage]
			if !okReq || !okLim || req.IsZero() || lim.Cmp(req) < 0 {
				t.Errorf("%s/%s: ephemeral-storage request %v and limit %v: want both, limit ≥ request", name, c.Name, req.String(), lim.String())
				continue
			}
			if lim.Cmp(emptyDirs) <= 0 {
				t.Errorf("%s/%s: ephemeral-storage limit %s must exceed the pod's emptyDir sizeLimits (%s) plus logs",
					name, c.Name, lim.String(), emptyDirs.String())
			}
		}
	}
}

// policyPorts lists a NetworkPolicy's ports as "PROTO/PORT" (a named port as its name).
func policyPorts(ports []networkingv1.NetworkPolicyPort) []string {
	var out []string
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		port := "any"
		if p.Port != nil {
			port = p.Port.String()
		}
		out = append(out, fmt.Sprintf("%s/%s", proto, port))
	}
	slices.Sort(out)
	return out
}

// TestNetworkPolicy checks that every pod is selected by a NetworkPolicy that restricts
// both directions: the daemon takes HTTP on 8080 only and reaches only PostgreSQL, SMTP
// and DNS; the migrate Job takes nothing and reaches only PostgreSQL and DNS.
func TestNetworkPolicy(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	var policies []*networkingv1.NetworkPolicy
	for _, m := range ms {
		if p, ok := m.obj.(*networkingv1.NetworkPolicy); ok {
			policies = append(policies, p)
		}
	}
	dns := []string{"TCP/53", "UDP/53"}
	want := map[string]struct{ ingress, egress []string }{
		"Deployment/billingd":  {[]string{"TCP/8080"}, append([]string{"TCP/25", "TCP/465", "TCP/5432", "TCP/587"}, dns...)},
		"Job/billingd-migrate": {nil, append([]string{"TCP/5432"}, dns...)},
	}
	for name, tpl := range podTemplates(ms) {
		var ingress, egress []string
		var types []networkingv1.PolicyType
		for _, p := range policies {
			sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
			if err != nil {
				t.Fatalf("NetworkPolicy %s: %v", p.Name, err)
			}
			if sel.Empty() || !sel.Matches(labels.Set(tpl.Labels)) {
				continue
			}
			types = append(types, p.Spec.PolicyTypes...)
			for _, r := range p.Spec.Ingress {
				if len(r.Ports) == 0 {
					t.Errorf("NetworkPolicy %s: an ingress rule without ports opens every port of %s", p.Name, name)
				}
				ingress = append(ingress, policyPorts(r.Ports)...)
			}
			for _, r := range p.Spec.Egress {
				if len(r.Ports) == 0 {
					t.Errorf("NetworkPolicy %s: an egress rule without ports opens every port from %s", p.Name, name)
				}
				egress = append(egress, policyPorts(r.Ports)...)
			}
		}
		if !slices.Contains(types, networkingv1.PolicyTypeIngress) || !slices.Contains(types, networkingv1.PolicyTypeEgress) {
			t.Errorf("%s: no NetworkPolicy selects it for both Ingress and Egress (policyTypes %v)", name, types)
			continue
		}
		slices.Sort(ingress)
		slices.Sort(egress)
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: no expectation for its network policy", name)
			continue
		}
		slices.Sort(w.ingress)
		slices.Sort(w.egress)
		if fmt.Sprint(ingress) != fmt.Sprint(w.ingress) || fmt.Sprint(egress) != fmt.Sprint(w.egress) {
			t.Errorf("%s: ingress %v egress %v, want ingress %v egress %v", name, ingress, egress, w.ingress, w.egress)
		}
		// The ingress port is the container's HTTP port, the one BILLINGD_HTTP_ADDR binds.
		for _, c := range tpl.Spec.Containers {
			for _, port := range c.Ports {
				if got := fmt.Sprintf("%s/%d", port.Protocol, port.ContainerPort); !slices.Contains(ingress, got) {
					t.Errorf("%s/%s: container port %s is not allowed in", name, c.Name, got)
				}
			}
		}
	}
}

// TestGoModulesTidy runs `go mod tidy -diff` on billingd's module and on this one: no
// module required that nothing imports, none imported directly but marked indirect.
func TestGoModulesTidy(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"..", "."} {
		cmd := exec.Command("go", "mod", "tidy", "-diff")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go mod tidy -diff in %s: %v; go.mod and go.sum need:\n%s", dir, err, strings.TrimSpace(string(out)))
		}
	}
}
