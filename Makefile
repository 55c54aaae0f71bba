# Two commands on a fresh machine: `make demo` and `make test`. Each sets up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench2 sweep reproduce confirm bench-speed clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/crossmodal demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check crossmodal tests

# The full 1,000-clip set (prints clips per second), then the long experiments of the docs.
bench: $(STAMP)
	$(BIN)/crossmodal generate runs/bench --voices 20

# Twice the clips: every voice says each utterance twice; take 0 is runs/bench byte for byte.
bench2: $(STAMP)
	$(BIN)/crossmodal generate runs/bench2 --voices 20 --takes 2

runs/bench/manifest.csv: | $(STAMP)
	$(BIN)/crossmodal generate runs/bench --voices 20

# The sweep's tables (docs/results.md): its own preset, which pins alignment weight 10.
sweep: runs/bench/manifest.csv
	$(BIN)/crossmodal sweep runs/bench --out runs/sweep_full --preset sweep

# Every protocol at the full-scale defaults (crossmodal/settings/defaults.py).
reproduce: runs/bench/manifest.csv
	$(BIN)/crossmodal reproduce runs/bench --out runs/reproduce --preset full

# The frozen defaults on new data: confirmation voices, data seed 2027, three training seeds
# (crossmodal/workflows/confirm.py); resumes where it stopped.
confirm: $(STAMP)
	$(BIN)/crossmodal confirm --out runs/confirm --preset full --seeds 3

# Cost per training stage, per step and at full scale, against REV if given (make bench-speed
# REV=6c9a2a7); the demo's dataset is generated first if absent.
runs/demo/data/manifest.csv: | $(STAMP)
	$(BIN)/crossmodal generate runs/demo/data --voices 6

bench-speed: runs/demo/data/manifest.csv
	$(BIN)/crossmodal bench-speed runs/demo/data --out runs/bench_speed $(if $(REV),--compare $(REV))

clean:
	rm -rf $(VENV) runs
