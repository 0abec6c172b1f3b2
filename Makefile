# Every target installs what it needs into .venv, so a fresh machine only needs python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast compat lint demo bench bench-hooks dist-check clean

$(STAMP): setup.cfg setup.py requirements/base.txt requirements/test.txt requirements/lint.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/test.txt -r requirements/lint.txt
	touch $(STAMP)

install: $(STAMP)

# Progress as tests done out of all, and the five heaviest tests at the end.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -o console_output_style=count --durations=5 $(PYTEST_ARGS)

# Only the tests that start no process (no ``slow`` marker): seconds, not minutes.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The essentials on every supported Kedro and Python, one virtualenv each (.compat/).
compat:
	$(PYTHON) scripts/compat.py

lint: $(STAMP)
	$(BIN)/ruff check kedro_telemetry tests benchmarks scripts
	$(BIN)/ruff format --check kedro_telemetry
	$(BIN)/lint-imports
	$(BIN)/mypy --platform linux
	$(BIN)/mypy --platform win32
	$(BIN)/mypy --platform darwin

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Every group by default; one alone with e.g. make bench ONLY=session (or total,hooks).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(if $(ONLY),--only $(ONLY)) $(BENCH_ARGS)

# Builds the sdist and wheel, checks them, installs the wheel with Kedro 1.7.0
# into a temporary virtualenv and sends one consented event to a local receiver.
dist-check: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements/dist.txt
	$(BIN)/python scripts/dist_check.py

# Only the plugin's share of a command, per hook and step (no root, no namespace).
bench-hooks: $(STAMP)
	$(BIN)/python -m benchmarks.hooktime

clean:
	rm -rf $(VENV) .bench .demo .compat build dist *.egg-info
