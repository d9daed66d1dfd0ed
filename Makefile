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
# The Hypothesis profile "levels" replays the main pass's examples, fewer of them in the four
# machines whose reach checks pass with a third (docs/testing.md; drop the option to run all).
EVM_LEVELS ?= cancun paris
EVM_MATRIX_TESTS ?= --hypothesis-profile=levels tests/identity tests/sharing tests/approval \
	tests/consortium/test_memory_copy.py

# py-solc-x finds the project's compiler here; npm's anvil comes after a native one on PATH.
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
export PATH := $(PATH):$(CURDIR)/node_modules/.bin
# Bytecode is cached (__pycache__, ignored by git): the tests start some 700 CLI, node and
# script processes that import govchain, and every pytest process imports every test module;
# compiled once, each start saves ~0.15 s of CPU and each collection ~7 s (issue 20).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help setup setup-tools setup-steps setup-tools-steps debian-packages compile compile-default compile-levels checks test-levels demo test screenshots portal test-fast lint bench devnet devnet-stop clean

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
# pip, npm and apt download independently: they run side by side (SETUP_JOBS at once).
# `setup-tools` is what building, linting and the tests' Python need; `setup` adds the Debian
# packages only the browser tests and the screenshots use (`make test` installs them beside its
# build instead of before it).
SETUP_JOBS ?= 3
setup:
	@$(MAKE) --no-print-directory -j$(SETUP_JOBS) --output-sync=target setup-steps

setup-tools:
	@$(MAKE) --no-print-directory -j$(SETUP_JOBS) --output-sync=target setup-tools-steps

setup-steps: setup-tools-steps debian-packages
setup-tools-steps: $(VENV)/.installed node_modules/.installed .solcx/.provisioned

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

# The virtualenv is filled by uv (UV_VERSION, installed into it by pip): the same pins from
# requirements.lock, installed with their bytecode in ~20 s where pip took ~70 s on the 2-core
# machine (issue 20). Bytecode is compiled here, on both cores, as pip did: left to the first
# imports, the test processes that start together would each compile the same modules. If uv
# cannot be installed or cannot install the lock (no wheel for this platform; an index that only
# pip's configuration names, which uv does not read), pip installs the same lock.
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if $(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) \
		&& echo "$(UV) pip install -r requirements.lock" \
		&& $(UV) pip install --quiet --compile-bytecode --python $(PY) -r requirements.lock \
		&& $(UV) pip install --quiet --python $(PY) --no-deps -e .; then :; \
	else \
		echo "setup: uv could not install the lock (uv reads no pip.conf); pip installs it"; \
		$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock \
		&& $(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .; \
	fi
	@touch $@

# npm ci needs no Python, so it runs beside pip; the EthereumJS patch waits for both.
# (A tree installed before this split has .installed newer than its inputs: no second npm ci.)
node_modules/.npm-installed: package.json package-lock.json
	@if [ node_modules/.installed -nt package.json ] && [ node_modules/.installed -nt package-lock.json ]; \
	then touch $@; else npm ci --no-audit --no-fund --loglevel=error && touch $@; fi

node_modules/.installed: node_modules/.npm-installed $(VENV)/.installed
	$(PY) -m govchain.toolchain.ethereumjs patch
	@touch $@

.solcx/.provisioned: node_modules/.installed $(VENV)/.installed govchain/toolchain/solc.py
	$(PY) -m govchain.toolchain.solc
	@touch $@

# ape's build, then the ABIs/bytecode the wheel ships (govchain/abi/contracts.json, committed),
# and the build of every other EVM level (its own ape project under .evm/, independent of .build)
compile: compile-default compile-levels

compile-default: setup-tools
	$(APE) compile
	$(PY) -m govchain.toolchain.abi_bundle

compile-levels: setup-tools
	@for level in $(filter-out cancun,$(EVM_LEVELS)); do \
		$(PY) -m govchain.toolchain.evm compile $$level || exit 1; \
	done

# --- the two commands of the README ---------------------------------------------------------
demo: compile
	$(PY) -m govchain.demo $(if $(CHAIN),--chain $(CHAIN)) $(DEMO_ARGS)

# TEST_WORKERS parallel pytest-xdist workers, each with its own anvil: one more than the CPUs,
# since a worker often waits (a data node, an indexer, a subprocess, a real block time) and a
# third worker fills that time on 2 cores (auto: one per CPU; 1: a single session). See
# govchain/toolchain/testrun.py and docs/testing.md.
TEST_WORKERS ?= $(shell expr $$(nproc) + 1)

# lint, the default build and the other levels' builds are independent single-threaded jobs
# (ruff/mypy/slither, solc): run them side by side, one per CPU, output kept per job. (`make
# test` does not wait for them: it runs lint and the other levels beside its main pass.)
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
checks: setup-tools
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) --output-sync=target lint compile-default compile-levels

# The main pass needs only the default build and, for its browser tests, the Debian packages.
# apt runs from the start beside the Python and Node set-up; lint and the other levels (their
# builds, then their contract tests) start as soon as the tools are there, beside the default
# build and then beside the main pass, at a lower priority (BESIDE_NICE), each into a log that
# is printed when the main pass ends: they take the CPU the single-threaded default build and
# the main pass leave idle (processes starting, waits on block times and polls, its last file)
# instead of adding their own minutes after it. Any of them failing fails the target.
BESIDE_NICE ?= 10
test:
	@logs=$$(mktemp -d); \
	( $(MAKE) --no-print-directory debian-packages >$$logs/apt.log 2>&1; echo $$? >$$logs/apt.rc ) & apt=$$!; \
	$(MAKE) --no-print-directory setup-tools || { wait $$apt; cat $$logs/apt.log; rm -rf $$logs; exit 2; }; \
	( nice -n $(BESIDE_NICE) $(MAKE) --no-print-directory lint >$$logs/lint.log 2>&1; echo $$? >$$logs/lint.rc ) & \
	( nice -n $(BESIDE_NICE) $(MAKE) --no-print-directory test-levels >$$logs/levels.log 2>&1; echo $$? >$$logs/levels.rc ) & \
	$(MAKE) --no-print-directory compile-default; built=$$?; \
	wait $$apt; cat $$logs/apt.log; apt_rc=$$(cat $$logs/apt.rc 2>/dev/null || echo 1); \
	if [ "$$built" != 0 ] || [ "$$apt_rc" != 0 ]; then \
		echo "make test: no test ran: the default build (exit $$built) or apt (exit $$apt_rc) failed"; \
		main=2; ran=0; \
	else ran=1; \
		$(PY) -m govchain.toolchain.testrun -n $(TEST_WORKERS) $(TEST_ARGS); main=$$?; \
	fi; \
	wait; status=$$main; \
	for job in lint levels; do \
		echo "--- $$job (ran beside the main pass)"; cat $$logs/$$job.log; \
		rc=$$(cat $$logs/$$job.rc 2>/dev/null || echo 1); \
		if [ "$$rc" != 0 ]; then echo "make test: $$job failed (exit $$rc)"; status=$$rc; fi; \
	done; \
	if [ "$$main" != 0 ] && [ "$$ran" = 1 ]; then echo "make test: the main pass failed (exit $$main)"; fi; \
	rm -rf $$logs; exit $$status

# the contract tests on each other EVM level's build
test-levels: compile-levels
	@for level in $(filter-out cancun,$(EVM_LEVELS)); do \
		echo "contract tests on the $$level build"; \
		$(PY) -m govchain.toolchain.evm test $$level -n $(TEST_WORKERS) $(EVM_MATRIX_TESTS) -p no:cacheprovider \
			|| exit 1; \
	done

# the reference scenario, then the portal for a citizen, an approver and an auditor (Ctrl-C stops)
portal: compile debian-packages
	$(PY) -m govchain.demo.portal

# every portal page in both languages, as PNGs in docs/portal/ (docs/portal.md shows them)
screenshots: compile debian-packages
	GOVCHAIN_SCREENSHOTS=$(CURDIR)/docs/portal $(PY) -m govchain.toolchain.testrun \
		tests/portal/test_screenshots.py -p no:cacheprovider -q

test-fast: compile debian-packages
	$(PY) -m govchain.toolchain.testrun -n $(TEST_WORKERS) -x $(TEST_ARGS)

lint: setup-tools
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

bench: compile debian-packages
	$(PY) -m govchain.toolchain.testrun benchmarks -p no:cacheprovider $(BENCH_ARGS)
	$(PY) -m benchmarks.report

# --- long-lived local devnet ----------------------------------------------------------------
devnet: setup-tools
	$(PY) -m govchain.toolchain.devnet up --port $(or $(PORT),8545) \
		$(if $(CHAIN_ID),--chain-id $(CHAIN_ID)) $(if $(ZERO_FEE),--zero-fee)

devnet-stop: setup-tools
	$(PY) -m govchain.toolchain.devnet down

clean:
	rm -rf .build .evm contracts/.cache .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
