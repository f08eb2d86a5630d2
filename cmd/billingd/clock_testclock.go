//go:build testclock

package main

import (
	"os"
	"strings"
	"time"
)

// TestNowFile is the environment variable that, in a binary built with the tag testclock
// (the end-to-end tests' build, internal/daemontest), names a file holding the time now as
// RFC 3339: the clock reads it at each call and runs on from when the file was last
// written, so a test sets the business date and hour (a dated scenario, the dunning
// window) without waiting for them. When the instant is followed by the word "frozen" the
// clock stands still at it instead, so that a test's business date and hour hold however
// long it runs. Production builds have no such file and no such code.
const TestNowFile = "BILLINGD_TEST_NOW_FILE"

func init() {
	path := os.Getenv(TestNowFile)
	if path == "" {
		return
	}
	clock = func() time.Time {
		b, err := os.ReadFile(path)
		if err != nil {
			return time.Now()
		}
		st, err := os.Stat(path)
		if err != nil {
			return time.Now()
		}
		fields := strings.Fields(string(b))
		if len(fields) == 0 {
			return time.Now()
		}
		t, err := time.Parse(time.RFC3339Nano, fields[0])
		if err != nil {
			return time.Now()
		}
		if len(fields) > 1 && fields[1] == "frozen" {
			return t
		}
		return t.Add(time.Since(st.ModTime()))
	}
}
