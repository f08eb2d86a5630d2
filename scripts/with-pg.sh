#!/usr/bin/env bash
# Runs a command with this checkout's private PostgreSQL (scripts/pg.sh) and TEST_DATABASE_URL
# set to its admin URL, then stops the cluster again if it was not running before, so that
# `make test` never leaves behind a cluster it started. With DATABASE_URL set it uses that.
#
#   scripts/with-pg.sh go test ./...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
started=0
if [ -z "${DATABASE_URL:-}" ] && ! "$here/pg.sh" --running; then started=1; fi
admin=$("$here/pg.sh")
status=0
TEST_DATABASE_URL="${TEST_DATABASE_URL:-$admin}" "$@" || status=$?
if [ "$started" = 1 ]; then "$here/pg.sh" --stop; fi
exit "$status"
