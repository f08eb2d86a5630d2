#!/usr/bin/env bash
# ensure-chromium.sh - print the absolute path of a working Chromium, for the operator
# page's browser test (api.TestOperatorPagesInChromium), which installs nothing itself.
#
# Resolution order (first that answers `--version` wins):
#   1. $BILLINGD_CHROMIUM, if set
#   2. chromium, chromium-browser or google-chrome on PATH
#   3. `apt-get install -y --no-install-recommends chromium` (Debian's package; as root, or
#      with sudo -n), after `apt-get update` when apt does not know the package.
# On failure prints one line to stderr and exits 1. stdout carries only the path.
set -euo pipefail

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }
found() { printf '%s\n' "$1"; exit 0; }
fail() { printf 'ensure-chromium: %s\n' "$*" >&2; exit 1; }

if [ -n "${BILLINGD_CHROMIUM:-}" ]; then
  case $BILLINGD_CHROMIUM in */*) p=$BILLINGD_CHROMIUM ;; *) p=$(command -v "$BILLINGD_CHROMIUM" 2>/dev/null || true) ;; esac
  if [ -n "$p" ] && works "$p"; then found "$p"; fi
  echo "ensure-chromium: ignoring BILLINGD_CHROMIUM=$BILLINGD_CHROMIUM (not a working Chromium)" >&2
fi
for name in chromium chromium-browser google-chrome; do
  if p=$(command -v "$name" 2>/dev/null) && works "$p"; then found "$p"; fi
done

command -v apt-get >/dev/null 2>&1 || fail "no Chromium on PATH and apt-get is unavailable to install Debian's chromium package"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi; }
known() { local out; out=$(apt-cache policy chromium 2>/dev/null) || return 1; [[ $out == *"Candidate: "[0-9]* ]]; }
if ! known; then
  echo "ensure-chromium: apt does not know 'chromium'; running apt-get update" >&2
  as_root apt-get update -qq >&2 || true
fi
echo "ensure-chromium: installing Debian's chromium package" >&2
if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2 \
  && p=$(command -v chromium 2>/dev/null) && works "$p"; then
  found "$p"
fi
fail "could not obtain Chromium (none on PATH, apt-get install chromium failed); install it or set BILLINGD_CHROMIUM"
