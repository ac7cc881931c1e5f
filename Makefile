# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: run test test-fast lint format bench browsers install install-test clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The explorer's web stack is the [app] extra (`pip install regionscope` alone is the library and `measure`).
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[app]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: start the explorer on the built-in coins sample (no network needed)
run: install
	$(VENV)/bin/regionscope view --host $(HOST) --port $(PORT)

## browsers: Debian's chromium and chromedriver for the browser tests, nodejs for the JS unit tests
browsers:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! command -v node >/dev/null; then \
		echo "Installing Debian chromium, chromium-driver and nodejs for the tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver nodejs; \
	fi

## lint: ruff's lint rules and formatting (pyproject.toml [tool.ruff]); `make format` applies the formatting
lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## test: the whole suite: lint, the JavaScript unit tests, then Python (browser tests included)
test: install-test browsers lint
	node --test tests/js/
	$(VENV)/bin/pytest

## test-fast: everything but the browser tests
test-fast: install-test lint
	node --test tests/js/
	$(VENV)/bin/pytest -m "not browser"

## bench: the performance benchmark (not part of make test); BENCH_ARGS=--classify for the classifier's alone
bench: install-test browsers
	$(PY) benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache test-artifacts
