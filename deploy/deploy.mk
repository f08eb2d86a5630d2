# deploy/deploy.mk - offline checks of billingd's deployment artefacts.
# Included by the top-level Makefile:   include deploy/deploy.mk
# All paths are resolved from this file's location, so it works from the repo
# root, with `make -C`, or when included by absolute path.
#
# Needs: systemd-analyze (systemd 252+), go, jq; promtool is found or fetched
# by scripts/ensure-promtool.sh and kustomize installed (a Go module) by
# scripts/ensure-kustomize.sh when a target runs (never at include time);
# kube-score is optional.

DEPLOY_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
DEPLOY_DIR := $(DEPLOY_ROOT)/deploy
# systemd-analyze security exposure limit, x10 (20 = 2.0; both units score 1.1).
DEPLOY_SECURITY_THRESHOLD ?= 20
DEPLOY_UNITS := billingd.service billingd-migrate.service
# Resolved inside recipes so that including this file costs nothing; set
# PROMTOOL=/path/to/promtool to override.
DEPLOY_ENSURE_PROMTOOL := $(DEPLOY_ROOT)/scripts/ensure-promtool.sh
DEPLOY_ENSURE_KUSTOMIZE := $(DEPLOY_ROOT)/scripts/ensure-kustomize.sh

.PHONY: check-deploy check-deploy-systemd check-deploy-rules check-deploy-grafana check-deploy-manifests check-deploy-kustomize check-deploy-kubescore check-deploy-settings

check-deploy: check-deploy-systemd check-deploy-rules check-deploy-grafana check-deploy-manifests check-deploy-kustomize check-deploy-kubescore check-deploy-settings ## Validate deploy/ (systemd units, Prometheus rules + tests, Grafana PromQL, k8s manifests, settings docs)
	@echo "check-deploy: all deployment checks passed"

# Units are verified inside a throwaway root that holds the real binary when
# ./cmd/billingd exists, else an executable placeholder at ExecStart's path.
# systemd-analyze verify + security (offline) on deploy/systemd units
check-deploy-systemd:
	@set -eu; \
	root=$$(mktemp -d); trap 'rm -rf "$$root"' EXIT; \
	mkdir -p "$$root/etc/systemd/system" "$$root/usr/local/bin"; \
	for u in $(DEPLOY_UNITS); do cp "$(DEPLOY_DIR)/systemd/$$u" "$$root/etc/systemd/system/"; done; \
	if [ -d "$(DEPLOY_ROOT)/cmd/billingd" ]; then \
	  echo "check-deploy-systemd: building ./cmd/billingd into the test root"; \
	  (cd "$(DEPLOY_ROOT)" && go build -o "$$root/usr/local/bin/billingd" ./cmd/billingd); \
	else \
	  echo "check-deploy-systemd: ./cmd/billingd not found; using a placeholder executable"; \
	  printf '#!/bin/sh\nexit 0\n' >"$$root/usr/local/bin/billingd"; chmod 755 "$$root/usr/local/bin/billingd"; \
	fi; \
	systemd-analyze verify --root="$$root" --recursive-errors=no \
	  $(foreach u,$(DEPLOY_UNITS),"$$root/etc/systemd/system/$(u)"); \
	for u in $(DEPLOY_UNITS); do \
	  if ! out=$$(systemd-analyze security --offline=true --root="$$root" --threshold=$(DEPLOY_SECURITY_THRESHOLD) --no-pager "$$u" 2>&1); then \
	    printf '%s\n' "$$out" >&2; echo "check-deploy-systemd: $$u exposure above threshold $(DEPLOY_SECURITY_THRESHOLD)" >&2; exit 1; \
	  fi; \
	  printf '%s\n' "$$out" | tail -n 1; \
	done

# promtool check rules + promtool test rules
check-deploy-rules:
	@set -eu; promtool=$$("$(DEPLOY_ENSURE_PROMTOOL)"); \
	"$$promtool" check rules "$(DEPLOY_DIR)/prometheus/billingd.rules.yml"; \
	"$$promtool" test rules "$(DEPLOY_DIR)/prometheus/billingd.rules.test.yml"

# every PromQL expr in the Grafana dashboard parses (via promtool)
check-deploy-grafana:
	@set -eu; promtool=$$("$(DEPLOY_ENSURE_PROMTOOL)"); \
	"$(DEPLOY_DIR)/grafana/check-promql.sh" "$$promtool" "$(DEPLOY_DIR)/grafana/billingd.json"

# Nested module: the top-level `go vet ./...` and `go test ./...` do not enter deploy/.
# go vet, then strict k8s decoding + project rules under the race detector
check-deploy-manifests:
	cd "$(DEPLOY_DIR)" && go vet ./... && go test -race -count=1 ./...

# kustomize build renders deploy/kubernetes (kustomize installed as a Go module when missing)
check-deploy-kustomize:
	@set -eu; kustomize=$$("$(DEPLOY_ENSURE_KUSTOMIZE)"); \
	"$$kustomize" build "$(DEPLOY_DIR)/kubernetes" >/dev/null; \
	echo "check-deploy-kustomize: kustomization renders ($$("$$kustomize" version))"

# kube-score on the rendered kustomization: no CRITICAL finding (skipped without kube-score;
# the deploy module's tests pin the same findings without it)
check-deploy-kubescore:
	@if command -v kube-score >/dev/null 2>&1; then \
	  kustomize=$$("$(DEPLOY_ENSURE_KUSTOMIZE)"); \
	  "$$kustomize" build "$(DEPLOY_DIR)/kubernetes" | kube-score score --output-format ci - | grep -v '^\[OK\]\|^\[SKIPPED\]' || true; \
	  "$$kustomize" build "$(DEPLOY_DIR)/kubernetes" | kube-score score --output-format ci - >/dev/null && echo "check-deploy-kubescore: no critical finding"; \
	else echo "check-deploy-kubescore: kube-score not found, skipped"; fi

# Settings() (cmd/billingd/config.go) is the truth for setting names: the main
# module's TestSettingsDocumented checks billingd.env.example, the README's
# settings table and every BILLINGD_*/DATABASE_URL* name under deploy/.
check-deploy-settings:
	@if [ -d "$(DEPLOY_ROOT)/cmd/billingd" ]; then \
	  cd "$(DEPLOY_ROOT)" && go test -count=1 -run '^TestSettingsDocumented$$' ./cmd/billingd; \
	else echo "check-deploy-settings: ./cmd/billingd not found, skipped"; fi
