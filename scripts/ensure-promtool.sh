#!/usr/bin/env bash
# ensure-promtool.sh - print the absolute path of a working promtool.
#
# Resolution order (first that answers `promtool --version` wins):
#   1. $PROMTOOL, if set
#   2. `promtool` on PATH
#   3. the cached copy at <repo>/.tools/promtool
#   4. Debian's `prometheus` package, downloaded (not installed) with
#      `apt-get download` and unpacked with `dpkg-deb -x`; only usr/bin/promtool
#      (a static Go binary) is kept, in <repo>/.tools/. `apt-get update` is run
#      first only if apt does not know the package.
#   5. `apt-get install -y --no-install-recommends prometheus` (last resort:
#      installs the server package and its service).
# On failure prints one line to stderr and exits 1. stdout carries only the path.
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
tools_dir="$repo_root/.tools"
cached="$tools_dir/promtool"

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }
# Always print an absolute path: callers may cd before running it.
found() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; exit 0; }
fail() { printf 'ensure-promtool: %s\n' "$*" >&2; exit 1; }

if [ -n "${PROMTOOL:-}" ]; then
  case $PROMTOOL in */*) p=$PROMTOOL ;; *) p=$(command -v "$PROMTOOL" 2>/dev/null || true) ;; esac
  if [ -n "$p" ] && works "$p"; then found "$p"; fi
  echo "ensure-promtool: ignoring PROMTOOL=$PROMTOOL (not a working promtool)" >&2
fi
if p=$(command -v promtool 2>/dev/null) && works "$p"; then found "$p"; fi
if works "$cached"; then found "$cached"; fi

command -v apt-get >/dev/null 2>&1 || fail "promtool not on PATH, not cached in $cached, and apt-get is unavailable to fetch Debian's prometheus package"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi; }

# apt-cache policy exits 0 even for unknown packages; look for a candidate version.
# (Captured first: `apt-cache | grep -q` would trip pipefail via SIGPIPE.)
known() { local out; out=$(apt-cache policy prometheus 2>/dev/null) || return 1; [[ $out == *"Candidate: "[0-9]* ]]; }
if ! known; then
  echo "ensure-promtool: apt does not know 'prometheus'; running apt-get update" >&2
  as_root apt-get update -qq >&2 || true
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# let apt's sandbox user write the .deb (avoids the "Download is performed unsandboxed" warning)
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi

if (cd "$tmp" && apt-get download -qq prometheus >&2) \
  && deb=$(ls "$tmp"/prometheus_*.deb 2>/dev/null | head -n1) && [ -n "$deb" ] \
  && dpkg-deb -x "$deb" "$tmp/x" && works "$tmp/x/usr/bin/promtool"; then
  mkdir -p "$tools_dir"
  # keep the cache out of git without touching the repo's .gitignore
  [ -e "$tools_dir/.gitignore" ] || printf '*\n' >"$tools_dir/.gitignore"
  cp "$tmp/x/usr/bin/promtool" "$cached.tmp.$$"
  chmod 755 "$cached.tmp.$$"
  mv -f "$cached.tmp.$$" "$cached" # atomic: concurrent runs never see a partial file
  echo "ensure-promtool: cached promtool from $(basename "$deb") in $cached" >&2
  found "$cached"
fi

echo "ensure-promtool: apt-get download/dpkg-deb route failed; trying apt-get install prometheus" >&2
if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2 \
  && p=$(command -v promtool 2>/dev/null) && works "$p"; then
  found "$p"
fi

fail "could not obtain promtool (not on PATH, no cache at $cached, apt-get download and apt-get install of 'prometheus' both failed)"
