package scripts

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoConflictMarkers fails when a file git tracks holds a merge's conflict markers: a
// merge resolved by hand once left a block of them in docs/api.md, which no other check read.
func TestNoConflictMarkers(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 100 {
		t.Fatalf("git ls-files listed %d files, want the repository's (at least 100)", len(files))
	}
	for _, name := range files {
		f, err := os.Open(filepath.Join("..", name))
		if os.IsNotExist(err) { // deleted in the work tree, not yet committed
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for line := 1; sc.Scan(); line++ {
			if text := sc.Text(); strings.HasPrefix(text, "<<<<<<< ") || strings.HasPrefix(text, ">>>>>>> ") {
				t.Errorf("%s:%d: a merge conflict marker: %q", name, line, text)
			}
		}
		if err := sc.Err(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		_ = f.Close()
	}
}
