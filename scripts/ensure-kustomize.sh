#!/usr/bin/env bash
# ensure-kustomize.sh - print the absolute path of a working kustomize.
#
# Resolution order (first that answers `kustomize version` with the pinned version wins):
#   1. $KUSTOMIZE, if set (any version: the operator's choice)
#   2. the cached copy at <repo>/.tools/kustomize
#   3. `go install sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION` (a Go module, built
#      with this machine's Go) into <repo>/.tools/
# kubectl's built-in kustomize is not used: a fresh CI machine may not have kubectl, and the
# check must render with the same kustomize everywhere. On failure prints one line to
# stderr and exits 1. stdout carries only the path.
set -euo pipefail

# v5.7.1 builds with Go 1.26 (its sigs.k8s.io/kustomize/api v0.20.1 does).
version=${KUSTOMIZE_VERSION:-v5.7.1}
repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
tools_dir="$repo_root/.tools"
cached="$tools_dir/kustomize"

fail() { printf 'ensure-kustomize: %s\n' "$*" >&2; exit 1; }

if [ -n "${KUSTOMIZE:-}" ]; then
  case $KUSTOMIZE in */*) p=$KUSTOMIZE ;; *) p=$(command -v "$KUSTOMIZE" 2>/dev/null) || p= ;; esac
  if [ -n "$p" ] && [ -x "$p" ] && "$p" version >/dev/null 2>&1; then
    case $p in /*) printf '%s\n' "$p" ;; *) printf '%s\n' "$PWD/$p" ;; esac
    exit 0
  fi
  echo "ensure-kustomize: ignoring KUSTOMIZE=$KUSTOMIZE (not a working kustomize)" >&2
fi
if [ -x "$cached" ] && [ "$("$cached" version 2>/dev/null)" = "$version" ]; then
  printf '%s\n' "$cached"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "no kustomize $version cached in $cached and no go to install it"
mkdir -p "$tools_dir"
# keep the cache out of git without touching the repo's .gitignore
[ -e "$tools_dir/.gitignore" ] || printf '*\n' >"$tools_dir/.gitignore"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "ensure-kustomize: installing sigs.k8s.io/kustomize/kustomize/v5@$version into $tools_dir" >&2
# Outside the repo, so that billingd's go.mod plays no part; GOTOOLCHAIN=local keeps this Go.
(cd "$tmp" && GOTOOLCHAIN=local GOBIN="$tmp/bin" GOFLAGS= go install "sigs.k8s.io/kustomize/kustomize/v5@$version" >&2) ||
  fail "go install sigs.k8s.io/kustomize/kustomize/v5@$version failed"
got=$("$tmp/bin/kustomize" version 2>/dev/null) || fail "the installed kustomize does not run"
[ "$got" = "$version" ] || fail "installed kustomize reports $got, want $version"
cp "$tmp/bin/kustomize" "$cached.tmp.$$"
mv -f "$cached.tmp.$$" "$cached" # atomic: concurrent runs never see a partial file
printf '%s\n' "$cached"
