# Every target creates .venv/ at the repo root when missing and installs the exact versions
# recorded in requirements.lock (what CI tested), then the project itself without resolving again.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-full lint lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/overlay hedge

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

# quick (< 10 min on 2 cores; results under benchmarks/results/quick/, not committed)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# the long configurations; rewrites the committed benchmarks/results/
bench-full: $(STAMP)
	$(BIN)/python -m benchmarks.run --full

lint: $(STAMP)
	$(BIN)/ruff check .

# Re-pin after changing dependencies in pyproject.toml (needs the package index).
lock:
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -vE "^(pip|futures-overlay)==" > requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info
