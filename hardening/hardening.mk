# hardening.mk — the long runs of the hardening tests (hardening/…).
# Included by the top-level Makefile: include hardening/hardening.mk
#
# `make test` already runs the short versions: go test -race ./... covers
# hardening/, and fuzz-short fuzzes every target for about a minute in all.

.PHONY: stress fuzz fuzz-short

STRESS_TIMEOUT ?= 90m
STRESS_LOG     ?= /tmp/aimonitor-stress.log

stress: ## long runs: hundreds of SIGKILLed switches, concurrent rounds, 100 simulated days (-race)
	@echo "stress: full log in $(STRESS_LOG)"
	@set -o pipefail; AIMONITOR_STRESS=1 AIMONITOR_REQUIRE_KEYRING=1 AIMONITOR_REQUIRE_CLAUDE=1 \
		go test -race -count=1 -timeout $(STRESS_TIMEOUT) -v ./hardening/... 2>&1 | tee $(STRESS_LOG) | \
		grep -E '^(--- |ok |FAIL|panic)|figures:|simulated days|heap |samples,|leak scan|scanned '

fuzz: ## every fuzz target for FUZZ_LONG_TIME each (default 3m)
	@hardening/fuzz.sh long

fuzz-short: ## every fuzz target for a few seconds (about 60 s in all)
	@hardening/fuzz.sh short
