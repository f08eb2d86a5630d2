#!/usr/bin/env bash
# mutation.sh - the mutation-testing gate (`make mutation`): gremlins on every pure domain package.
#
# The packages are derived, never listed: every package of the module with Go files whose
# dependencies (transitively) include none of PostgreSQL (pgx, database/sql), River, the network
# (net, net/http) or processes (os/exec), outside the directories of the daemon's plumbing and tests
# (cmd, internal, bench, faults, api, postgres, jobs, mail, migrations, scripts, deploy). A new pure
# package is therefore gated the day it is added.
#
# For each package, `gremlins unleash` runs in the package's directory with the package's own tests
# only; the gate fails (exit 1, one line per package naming its two figures) when a package is under
# MUTATION_MIN_EFFICACY percent test efficacy (killed / (killed + lived)) or MUTATION_MIN_COVERAGE
# percent mutator coverage ((killed + lived) / (killed + lived + not covered)). A summary table ends
# the run. gremlins is installed at a pinned version into <repo>/.tools/bin (ignored by git).
#
# Settings (environment):
#   MUTATION_PACKAGES      space-separated package directories (e.g. "billing notifications")
#                          instead of the derived list: to look at one package, or to see the gate fail
#   MUTATION_MIN_EFFICACY  default 90
#   MUTATION_MIN_COVERAGE  default 80
#   MUTATION_WORKERS       gremlins workers (default: the number of CPUs)
#   MUTATION_TIMEOUT_COEFFICIENT  a mutant's test run may take this many times the clean run
#                          (default 10: a busy machine must not turn survivors into time-outs)
#   MUTATION_OUT           directory for each package's log and JSON report (default: a temp dir)
# `scripts/mutation.sh --list` prints the derived package directories and exits.
set -euo pipefail

GREMLINS_VERSION=v0.6.0
repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
GO=${GO:-go}

pure_packages() {
  local module
  module=$($GO list -m)
  $GO list -f '{{if .GoFiles}}{{.ImportPath}} {{join .Deps " "}}{{end}}' ./... |
    awk -v mod="$module/" '
      {
        dir = substr($1, length(mod) + 1)
        if (index($1, mod) != 1) next
        if (dir ~ /^(cmd|internal|bench|faults|api|postgres|jobs|mail|migrations|scripts|deploy)(\/|$)/) next
        for (i = 2; i <= NF; i++)
          if ($i ~ /^(github\.com\/jackc\/pgx|github\.com\/riverqueue\/|riverqueue\.com\/)/ ||
              $i ~ /^(database\/sql|net|net\/http|os\/exec)$/) next
        print dir
      }'
}

if [ "${1:-}" = "--list" ]; then
  pure_packages
  exit 0
fi

min_efficacy=${MUTATION_MIN_EFFICACY:-90}
min_coverage=${MUTATION_MIN_COVERAGE:-80}
coefficient=${MUTATION_TIMEOUT_COEFFICIENT:-10}
workers=${MUTATION_WORKERS:-$(nproc 2>/dev/null || echo 2)}
if [ -n "${MUTATION_PACKAGES:-}" ]; then
  read -r -a packages <<<"$MUTATION_PACKAGES"
else
  mapfile -t packages < <(pure_packages)
fi
[ "${#packages[@]}" -gt 0 ] || { echo "mutation: no pure package found (go list failed?)" >&2; exit 1; }

# gremlins at the pinned version, in the checkout: a fresh machine installs it once.
tools_bin="$repo_root/.tools/bin"
gremlins="$tools_bin/gremlins"
installed_version() { $GO version -m "$gremlins" 2>/dev/null | awk '$1 == "mod" { print $3 }'; }
if ! [ -x "$gremlins" ] || [ "$(installed_version)" != "$GREMLINS_VERSION" ]; then
  echo "mutation: installing gremlins $GREMLINS_VERSION into .tools/bin"
  mkdir -p "$tools_bin"
  GOBIN="$tools_bin" GOFLAGS= $GO install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
fi

src=$(mktemp -d)
out=${MUTATION_OUT:-}
if [ -z "$out" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$src" "$out"' EXIT
else
  trap 'rm -rf "$src"' EXIT
fi
mkdir -p "$out"

# gremlins copies the whole module root once per worker for every package: run it on a copy of
# the module's source alone, not on the checkout, whose .data (the PostgreSQL cluster `make test`
# leaves there, hundreds of MB, its files changing while a cluster runs), .tools, .git and bin
# would be copied with it each time.
tar -C "$repo_root" --exclude=./.data --exclude=./.tools --exclude=./.git --exclude=./bin -cf - . | tar -C "$src" -xf -

echo "mutation: ${packages[*]} (efficacy >= $min_efficacy%, coverage >= $min_coverage%, $workers workers, timeout x$coefficient)"
rows=()
failures=()
start_all=$SECONDS
for pkg in "${packages[@]}"; do
  [ -d "$src/$pkg" ] || { failures+=("mutation: FAIL $pkg: no such package directory"); continue; }
  log="$out/${pkg//\//_}.log"
  start=$SECONDS
  status=0
  # -count=1: gremlins times each mutant's run against the clean run it measures first, which
  # must not come from the test cache. -vet=off: a mutant is killed by a test, never by vet
  # (and each of the hundreds of runs is faster without it; make test runs go vet).
  (cd "$src/$pkg" && GOFLAGS="${GOFLAGS:-} -count=1 -vet=off" nice "$gremlins" unleash --workers "$workers" \
    --timeout-coefficient "$coefficient" -S lt -o "$out/${pkg//\//_}.json") >"$log" 2>&1 || status=$?
  seconds=$((SECONDS - start))
  # gremlins' closing lines: "Killed: K, Lived: L, Not covered: N", "Timed out: T, ...",
  # "Test efficacy: E%", "Mutator coverage: C%".
  read -r killed lived uncovered timedout efficacy coverage < <(awk '
    /Killed: [0-9]+, Lived: [0-9]+, Not covered: [0-9]+/ { gsub(/[^0-9 ]/, " "); k = $1; l = $2; n = $3 }
    /Timed out: [0-9]+/ { s = $0; sub(/.*Timed out: /, "", s); sub(/,.*/, "", s); t = s }
    /Test efficacy: / { s = $0; sub(/.*Test efficacy: /, "", s); sub(/%.*/, "", s); e = s }
    /Mutator coverage: / { s = $0; sub(/.*Mutator coverage: /, "", s); sub(/%.*/, "", s); c = s }
    END { if (k == "" || e == "" || c == "") print "- - - - - -"; else print k, l, n, t, e, c }' "$log")
  if [ "$status" -ne 0 ] || [ "$killed" = "-" ]; then
    cat "$log" >&2
    failures+=("mutation: FAIL $pkg: gremlins did not finish (exit $status; log above)")
    rows+=("$pkg - - - - - - $seconds")
    continue
  fi
  # The mutants that lived or timed out, for whoever has to kill them.
  grep -E '^ *(LIVED|TIMED OUT) ' "$log" | sed "s|^ *|  $pkg: |" || true
  if awk -v e="$efficacy" -v c="$coverage" -v me="$min_efficacy" -v mc="$min_coverage" \
    'BEGIN { exit !(e + 0 < me + 0 || c + 0 < mc + 0) }'; then
    failures+=("mutation: FAIL $pkg: test efficacy $efficacy% (minimum $min_efficacy%), mutator coverage $coverage% (minimum $min_coverage%)")
  fi
  rows+=("$pkg $killed $lived $uncovered $timedout $efficacy% $coverage% $seconds")
done

echo
fmt='%-14s %7s %6s %12s %10s %9s %9s %8s\n'
# shellcheck disable=SC2059
printf "$fmt" package killed lived "not covered" "timed out" efficacy coverage seconds
for row in "${rows[@]}"; do
  # shellcheck disable=SC2059,SC2086
  printf "$fmt" $row
done
echo "total: $((SECONDS - start_all)) s"
if [ "${#failures[@]}" -gt 0 ]; then
  printf '%s\n' "${failures[@]}" >&2
  exit 1
fi
echo "mutation: every package at or above $min_efficacy% efficacy and $min_coverage% coverage"
