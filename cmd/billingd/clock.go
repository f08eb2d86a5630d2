package main

import "time"

// clock returns the time now. It is time.Now, except in the binary the end-to-end tests
// build (build tag testclock, see clock_testclock.go), where a test may set it.
var clock = time.Now
