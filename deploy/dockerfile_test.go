package deploy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// dockerInstruction is one instruction of a Dockerfile: its keyword and arguments.
type dockerInstruction struct {
	cmd, args string
}

// readDockerfile returns the instructions of the repository's Dockerfile, continuation
// lines joined and comments dropped.
func readDockerfile(t *testing.T) []dockerInstruction {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatalf("the repository needs a Dockerfile: %v", err)
	}
	var out []dockerInstruction
	var cur string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if body, more := strings.CutSuffix(trimmed, `\`); more {
			cur += body + " "
			continue
		}
		cur += trimmed
		cmd, args, _ := strings.Cut(cur, " ")
		out = append(out, dockerInstruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur = ""
	}
	return out
}

var pinnedImageRE = regexp.MustCompile(`^[a-z0-9./_-]+(:\d+\.\d+\.\d+[a-z0-9.-]*)?(@sha256:[0-9a-f]{64})?$`)

// TestDockerfile checks the image build offline (docker is not needed): pinned base images,
// the build stage on go.mod's Go version, a static trimmed build, and a final stage that runs
// billingd serve as the non-root user the Kubernetes manifests ask for.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	ins := readDockerfile(t)
	gomod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goVersion == nil {
		t.Fatal("go.mod has no go line")
	}

	var stages [][]dockerInstruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			stages = append(stages, nil)
			image := strings.Fields(in.args)[0]
			pinned := image == "scratch" || (pinnedImageRE.MatchString(image) && (strings.Contains(image, "@sha256:") ||
				regexp.MustCompile(`:\d+\.\d+\.\d+`).MatchString(image)))
			if !pinned {
				t.Errorf("FROM %s: pin the base image to an exact version (x.y.z) or a digest", image)
			}
			if strings.HasPrefix(image, "golang:") && !strings.HasPrefix(image, "golang:"+string(goVersion[1])) {
				t.Errorf("FROM %s: the build stage must use go.mod's Go %s", image, goVersion[1])
			}
		}
		if len(stages) == 0 {
			continue
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build (a build stage and a final stage), found %d stages", len(stages))
	}

	built := false
	for _, in := range ins {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			built = true
			if !strings.Contains(in.args, "CGO_ENABLED=0") || !strings.Contains(in.args, "-trimpath") || !strings.Contains(in.args, "./cmd/billingd") {
				t.Errorf("RUN %s: build ./cmd/billingd with CGO_ENABLED=0 and -trimpath", in.args)
			}
			// .git is not in the build context: the version comes in as build arguments.
			for _, x := range []string{"-X main.version=${VERSION}", "-X main.revision=${REVISION}"} {
				if !strings.Contains(in.args, x) {
					t.Errorf("RUN %s: pass %s to -ldflags (what billingd version and billingd_build_info report)", in.args, x)
				}
			}
		}
	}
	if !built {
		t.Error("no RUN go build in the Dockerfile")
	}
	args := map[string]bool{}
	for _, in := range stages[0] {
		if in.cmd == "ARG" {
			name, _, _ := strings.Cut(in.args, "=")
			args[name] = true
		}
	}
	if !args["VERSION"] || !args["REVISION"] {
		t.Errorf("the build stage declares ARG %v; want VERSION and REVISION", args)
	}

	final := map[string]string{}
	for _, in := range stages[len(stages)-1] {
		final[in.cmd] = in.args
	}
	user := final["USER"]
	uid, _, _ := strings.Cut(user, ":")
	if user == "" || uid == "root" || uid == "0" || !regexp.MustCompile(`^\d+$`).MatchString(uid) {
		t.Errorf("final stage USER %q: run as a numeric non-root user (runAsNonRoot needs a number)", user)
	}
	d := only[*appsv1.Deployment](t, loadManifests(t))
	if sc := d.Spec.Template.Spec.SecurityContext; sc != nil && sc.RunAsUser != nil && fmt.Sprint(*sc.RunAsUser) != uid {
		t.Errorf("final stage USER %s, but the Deployment runs as %d", uid, *sc.RunAsUser)
	}
	if e := final["ENTRYPOINT"]; !regexp.MustCompile(`^\["/?[a-z/]*billingd"\]$`).MatchString(e) {
		t.Errorf("ENTRYPOINT %s: want the billingd binary in exec form", e)
	}
	if c := final["CMD"]; c != `["serve"]` {
		t.Errorf(`CMD %s: want ["serve"]`, c)
	}
}
