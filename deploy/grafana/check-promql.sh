#!/usr/bin/env bash
# check-promql.sh PROMTOOL DASHBOARD.json
# Validates every PromQL `expr` in a Grafana dashboard without Grafana: the
# expressions (Grafana's $__rate_interval/$__interval/$__range replaced by 5m)
# become recording rules in a temporary rules file for `promtool check rules`.
# Exits non-zero if the JSON does not parse, has no expr, or any expr is invalid.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 PROMTOOL DASHBOARD.json" >&2; exit 2; }
promtool=$1 dashboard=$2
command -v jq >/dev/null 2>&1 || { echo "check-promql: jq is required (apt-get install jq)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rules="$tmp/grafana-exprs.rules.yml"

# JSON is valid YAML, so the rules file is written as JSON.
jq '{groups: [{name: "grafana-dashboard", rules: (
      [.. | objects | select(has("expr")) | .expr | strings]
      | to_entries
      | map({record: "grafana:expr_\(.key)",
             expr: (.value | gsub("\\$__(rate_interval|interval|range)"; "5m"))}))}]}' \
  "$dashboard" >"$rules"

n=$(jq '.groups[0].rules | length' "$rules")
[ "$n" -gt 0 ] || { echo "check-promql: no expr found in $dashboard" >&2; exit 1; }
if ! out=$("$promtool" check rules "$rules" 2>&1); then
  printf '%s\n' "$out" >&2
  echo "check-promql: invalid PromQL in $dashboard (grafana:expr_N = Nth expr; see: jq '[.. | objects | .expr? | strings]' $dashboard)" >&2
  exit 1
fi
echo "check-promql: $n expressions in $dashboard are valid PromQL"
