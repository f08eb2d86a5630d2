package timeline_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTimelineIsPure keeps package timeline a domain package: no database driver, job queue
// or HTTP among its dependencies, and no clock read in its sources.
func TestTimelineIsPure(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"github.com/jackc/pgx", "github.com/riverqueue/river", "riverqueue.com/", "net/http"} {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("package timeline depends on %s", dep)
			}
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "time.Now") {
			t.Errorf("%s reads the clock (time.Now): the caller gives the dates", f)
		}
	}
}
