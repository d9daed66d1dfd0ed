# govchain — every target sets up what it needs; `make setup` is idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APE := $(VENV)/bin/ape
NETWORK := ethereum:local:foundry
PY_DIRS = $(wildcard govchain scripts tests benchmarks)
# slither analyses the top-level *.sol of one folder at a time (crytic-compile and ape differ)
SLITHER_DIRS = $(sort $(dir $(filter-out contracts/test/% contracts/interfaces/%,$(wildcard contracts/*/*.sol))))
SOLC = $(firstword $(wildcard $(CURDIR)/.solcx/solc-v*))
# EVM levels the contracts are built and tested for (govchain/toolchain/evm.py). The whole suite
# runs on the default build (cancun); each other level reruns the contract-level tests on its
# own build, which proves the contracts behave the same there (docs/deploy-consortium.md).
EVM_LEVELS ?= cancun paris
EVM_MATRIX_TESTS ?= tests/identity tests/sharing tests/approval tests/consortium/test_memory_copy.py

# py-solc-x finds the project's compiler here; npm's anvil comes after a native one on PATH.
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
export PATH := $(PATH):$(CURDIR)/node_modules/.bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup debian-packages compile compile-default compile-levels checks demo test screenshots portal test-fast lint bench devnet devnet-stop clean

help:
	@echo "make demo        set up, start a devnet, deploy and run the reference scenario"
	@echo "                 CHAIN=ethereumjs plays it on the EthereumJS client (Clique, Paris EVM)"
	@echo "make test        set up, lint, and run every test on a private devnet"
	@echo "make portal      play the reference scenario, then serve the portal for a citizen,"
	@echo "                 a Civil Affairs approver and an auditor (URLs printed; Ctrl-C stops)"
	@echo "make screenshots PNGs of every portal page in both languages into docs/portal/"
	@echo "make bench       run the benchmarks (gas table, throughput) into benchmarks/"
	@echo "make devnet      start a long-lived devnet on 127.0.0.1:8545 (state kept in .devnet/)"
	@echo "                 options: PORT=8546 CHAIN_ID=1234 ZERO_FEE=1 (as consortium networks run);"
	@echo "                 a saved devnet restarts with its own chain id and fees"
	@echo "make devnet-stop stop it (state is saved)"
	@echo "make lint        ruff, mypy --strict, slither"
	@echo "make clean       remove build output (keeps .venv and node_modules)"

# --- setup: each step reruns only when its inputs change ------------------------------------
setup: $(VENV)/.installed node_modules/.installed .solcx/.provisioned debian-packages

# The portal's browser tests drive Debian's Chromium (Playwright cannot download its own here)
# and the screenshots need CJK fonts: install them with apt when missing (CI runs as root).
DEBIAN_PACKAGES := chromium fonts-noto-cjk
debian-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "setup: installing Debian packages for the portal's browser tests: $$missing"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq $$missing; fi; \
	fi

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	$(PY) -m govchain.toolchain.ethereumjs patch
	@touch $@

.solcx/.provisioned: node_modules/.installed $(VENV)/.installed govchain/toolchain/solc.py
	$(PY) -m govchain.toolchain.solc
	@touch $@

# ape's build, then the ABIs/bytecode the wheel ships (govchain/abi/contracts.json, committed),
# and the build of every other EVM level (its own ape project under .evm/, independent of .build)
compile: compile-default compile-levels

compile-default: setup
	$(APE) compile
	$(PY) -m govchain.toolchain.abi_bundle

compile-levels: setup
	@for level in $(filter-out cancun,$(EVM_LEVELS)); do \
		$(PY) -m govchain.toolchain.evm compile $$level || exit 1; \
	done

# --- the two commands of the README ---------------------------------------------------------
demo: compile
	$(PY) -m govchain.demo $(if $(CHAIN),--chain $(CHAIN)) $(DEMO_ARGS)

# TEST_WORKERS parallel pytest-xdist workers, each with its own anvil (auto: one per CPU;
# 1: a single session). See govchain/toolchain/testrun.py and docs/testing.md.
TEST_WORKERS ?= auto

# lint, the default build and the other levels' builds are independent single-threaded jobs
# (ruff/mypy/slither, solc): run them side by side, one per CPU, output kept per job.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
checks: setup
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) --output-sync=target lint compile-default compile-levels

test: checks
	$(PY) -m govchain.toolchain.testrun -n $(TEST_WORKERS) $(TEST_ARGS)
	@for level in $(filter-out cancun,$(EVM_LEVELS)); do \
		echo "contract tests on the $$level build"; \
		$(PY) -m govchain.toolchain.evm test $$level -n $(TEST_WORKERS) $(EVM_MATRIX_TESTS) -p no:cacheprovider \
			|| exit 1; \
	done

# the reference scenario, then the portal for a citizen, an approver and an auditor (Ctrl-C stops)
portal: compile
	$(PY) -m govchain.demo.portal

# every portal page in both languages, as PNGs in docs/portal/ (docs/portal.md shows them)
screenshots: compile
	GOVCHAIN_SCREENSHOTS=$(CURDIR)/docs/portal $(PY) -m govchain.toolchain.testrun \
		tests/portal/test_screenshots.py -p no:cacheprovider -q

test-fast: compile
	$(PY) -m govchain.toolchain.testrun -n $(TEST_WORKERS) -x $(TEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check $(PY_DIRS)
	$(VENV)/bin/ruff format --check $(PY_DIRS)
	$(VENV)/bin/mypy
	@for dir in $(SLITHER_DIRS); do \
		echo "slither $$dir"; \
		$(VENV)/bin/slither $$dir --solc-standard-json --solc $(SOLC) \
			--solc-remaps "@openzeppelin/contracts=node_modules/@openzeppelin/contracts" \
			--filter-paths node_modules --exclude-informational --exclude-low \
			--fail-medium || exit 1; \
	done

bench: compile
	$(PY) -m govchain.toolchain.testrun benchmarks -p no:cacheprovider $(BENCH_ARGS)
	$(PY) -m benchmarks.report

# --- long-lived local devnet ----------------------------------------------------------------
devnet: setup
	$(PY) -m govchain.toolchain.devnet up --port $(or $(PORT),8545) \
		$(if $(CHAIN_ID),--chain-id $(CHAIN_ID)) $(if $(ZERO_FEE),--zero-fee)

devnet-stop: setup
	$(PY) -m govchain.toolchain.devnet down

clean:
	rm -rf .build .evm contracts/.cache .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
