// Package faults holds the fault tests of billingd: they build the real binary, run
// `billingd serve` processes against a real PostgreSQL and hurt them — SIGKILL at random
// points of a large run, a database restart, several replicas at once, SIGTERM under load —
// and then check with SQL over the whole database that nothing was billed twice and nothing
// was missed.
//
// They take minutes, so they are behind the build tag "faults": `make test` does not run
// them, `make test-faults` does (go test -tags faults -v ./faults/). Every test logs the
// invariants it checks as lines starting with "INVARIANT".
package faults
