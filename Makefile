# billingd — `make run` brings the daemon up with a private PostgreSQL; `make test` tests everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin/billingd
FUZZTIME ?= 10000x
BENCH_CONTRACTS ?= 1000000
# What `billingd version` and billingd_build_info report: from git when it is there, else from
# the build information Go records; `make build VERSION=v1.2.3` sets the version.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_TIME ?= $(shell git log -1 --format=%cI 2>/dev/null)
LDFLAGS := $(if $(VERSION),-X main.version=$(VERSION)) $(if $(REVISION),-X main.revision=$(REVISION)) $(if $(BUILD_TIME),-X main.buildTime=$(BUILD_TIME))

.DEFAULT_GOAL := help
.PHONY: help build run test test-go fuzz fuzz-targets mutation bench test-faults test-midnight db-stop clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/billingd (VERSION=… to stamp a version)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(strip $(LDFLAGS))" -o $(BIN) ./cmd/billingd

run: build ## start PostgreSQL (./.data) if needed, migrate, load demo data and run the daemon
	@url="$${DATABASE_URL:-$$(scripts/pg.sh --db billingd)}"; \
	if [ -z "$${BILLINGD_API_TOKEN:-}$${BILLINGD_API_TOKEN_FILE:-}" ]; then \
	  mkdir -p .data; [ -s .data/api-token ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > .data/api-token; \
	  export BILLINGD_API_TOKEN_FILE=$$PWD/.data/api-token; fi; \
	export DATABASE_URL="$$url"; \
	$(BIN) migrate; \
	psql "$$url" -q -v timezone="$${BILLINGD_TIMEZONE:-America/Sao_Paulo}" -f scripts/demo.sql; \
	addr="$${BILLINGD_HTTP_ADDR:-127.0.0.1:8080}"; \
	echo "billingd on http://$$addr — health: /healthz  ready: /readyz  metrics: /metrics  API: /v1 (token in $${BILLINGD_API_TOKEN_FILE:-BILLINGD_API_TOKEN})"; \
	echo "  try: curl -H \"Authorization: Bearer \$$(cat .data/api-token)\" http://$$addr/v1/installments"; \
	echo "  database: $$url   operator CLI: DATABASE_URL=$$url $(BIN) status"; \
	exec $(BIN) serve

test: ## go vet, every test against a real PostgreSQL, brief fuzzing, deployment checks
	$(GO) vet ./...
	@scripts/with-pg.sh $(MAKE) --no-print-directory test-go fuzz check-deploy

# The operator page's browser test needs Chromium: scripts/ensure-chromium.sh finds it or
# installs Debian's package, and the test fails (never skips) without it.
test-go:
	@BILLINGD_CHROMIUM="$$(scripts/ensure-chromium.sh)" scripts/with-pg.sh $(GO) test -race -count=1 ./...

fuzz: ## run each fuzz target for FUZZTIME (seed corpora live in testdata/fuzz; the API's use PostgreSQL)
	@scripts/with-pg.sh $(MAKE) --no-print-directory fuzz-targets

# A package that fails to list its fuzz targets (it does not build, its TestMain fails) fails
# the target with go's output; a package with no fuzz target lists none and is passed over.
fuzz-targets:
	@pkgs=$$($(GO) list ./...); \
	for pkg in $$pkgs; do \
	  listed=$$($(GO) test -list '^Fuzz' $$pkg 2>&1) || { echo "fuzz-targets: listing the fuzz targets of $$pkg failed:" >&2; echo "$$listed" >&2; exit 1; }; \
	  for f in $$(printf '%s\n' "$$listed" | sed -n 's/^\(Fuzz[A-Za-z0-9_]*\)$$/\1/p'); do \
	    echo "fuzz $$pkg $$f"; out=$$($(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1) || { echo "$$out"; exit 1; }; \
	  done; \
	done

mutation: ## mutation testing (gremlins) of every pure domain package: each >= 90% test efficacy, >= 80% mutator coverage
	@scripts/mutation.sh

test-faults: ## fault tests on the real binary: SIGKILL, PostgreSQL restart, replicas, SIGTERM under load (~1 min)
	$(GO) vet -tags faults ./faults/
	@log="$$(mktemp)"; status=0; \
	scripts/with-pg.sh $(GO) test -tags faults -v -count=1 -timeout 15m ./faults/ 2>&1 | tee "$$log" || status=$$?; \
	echo; echo "Invariants checked (make test-faults):"; \
	sed -nE 's/^ +[a-z_]+_test\.go:[0-9]+: (INVARIANT .*)/  \1/p' "$$log" | sort -s -t']' -k1,1; \
	rm -f "$$log"; exit $$status

# The tests whose outcome depends on the business date or hour. Each reads "today" from the
# injected clock of internal/daemontest (daemontest.NewClock, daemontest.Now), which starts at
# BILLINGD_TEST_CLOCK_START and runs on with the test process. Every name must match a test:
# a renamed or deleted one fails the target instead of silently running fewer.
MIDNIGHT_TESTS := TestRiverUIRefusesCrossSiteChanges|TestDelinquencyEndToEnd|TestForcedFutureRunIsUndoneByTodaysRun|TestRunRefusesAsOfOutsideTheWindow|TestCLIRunAudited|TestReturnFileThroughDropDirEndToEnd|TestRenewContractsSwitchedOff|TestReplicasRunEachSlotOnce
MIDNIGHT_PKGS := ./cmd/billingd/ ./faults/
MIDNIGHT_DATE ?= 2026-07-20

test-midnight: ## the date-sensitive tests with the injected clock at 23:59:40 (crossing midnight) and at 00:01 in São Paulo
	@re='^($(MIDNIGHT_TESTS))$$'; \
	listed="$$($(GO) test -tags faults -list "$$re" $(MIDNIGHT_PKGS))"; \
	for name in $$(tr '|' ' ' <<< '$(MIDNIGHT_TESTS)'); do \
	  grep -qx "$$name" <<< "$$listed" || { echo "test-midnight: $$name matches no test in $(MIDNIGHT_PKGS)"; exit 1; }; \
	done; \
	echo "test-midnight: $$(grep -c '^Test' <<< "$$listed") tests: $$(grep '^Test' <<< "$$listed" | tr '\n' ' ')"; \
	for at in $(MIDNIGHT_DATE)T23:59:40-03:00 $(MIDNIGHT_DATE)T00:01:00-03:00; do \
	  echo "test-midnight: BILLINGD_TEST_CLOCK_START=$$at"; \
	  BILLINGD_TEST_CLOCK_START=$$at scripts/with-pg.sh $(GO) test -tags faults -count=1 -timeout 20m -v -run "$$re" $(MIDNIGHT_PKGS); \
	done

bench: ## time each sweep at BENCH_CONTRACTS contracts against its set-based floor
	@BENCH_CONTRACTS=$(BENCH_CONTRACTS) scripts/with-pg.sh \
	  $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 2h ./bench/

db-stop: ## stop this checkout's private PostgreSQL cluster
	@scripts/pg.sh --stop

clean: ## remove build output (keeps ./.data)
	rm -rf bin

-include deploy/deploy.mk
