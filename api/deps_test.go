package api

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenDeps are the import path prefixes the API must not depend on: the database driver
// and the job queue belong to the store and its follow-ups (postgres, jobs), which the API
// reaches only through the Store interface.
var forbiddenDeps = []string{"github.com/jackc/pgx", "github.com/riverqueue/river", "riverqueue.com/"}

// TestAPIDependsOnNoDriverNorQueue keeps the API on the store's interface: the dependency
// closure of package api (go list -deps, test files left out) holds neither pgx nor River.
// A failure names the chain of imports that brings one in.
func TestAPIDependsOnNoDriverNorQueue(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the dependencies: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		imports[fields[0]] = fields[1:]
	}
	const self = "github.com/billingd/billingd/api"
	if _, ok := imports[self]; !ok {
		t.Fatalf("go list -deps did not list %s", self)
	}
	// Breadth first from api, remembering through which package each was reached.
	via := map[string]string{self: ""}
	queue := []string{self}
	for len(queue) > 0 {
		pkg := queue[0]
		queue = queue[1:]
		for _, bad := range forbiddenDeps {
			if strings.HasPrefix(pkg, bad) {
				chain := []string{pkg}
				for p := via[pkg]; p != ""; p = via[p] {
					chain = append([]string{p}, chain...)
				}
				t.Errorf("api depends on %s: %s", pkg, strings.Join(chain, " → "))
			}
		}
		for _, imp := range imports[pkg] {
			if _, seen := via[imp]; !seen {
				via[imp] = pkg
				queue = append(queue, imp)
			}
		}
	}
}
