# Legato — every entry point a developer or CI needs. Only python3 (>= 3.11) must exist beforehand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON := $(CURDIR)/$(BIN)/python

.PHONY: install system-deps run test unit lint bench lock clean

$(UV):
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

## install: .venv/ with legato and the development tools, exactly as locked
install: $(VENV)/.synced

## run: start Legato locally (SQLite under ./.legato/, example flows loaded)
run: install
	$(BIN)/legato server local --flows examples/

## system-deps: Debian packages the tests use (bubblewrap for the sandbox runner, interpreters for script tasks); root + apt
SYSTEM_PACKAGES := bubblewrap ruby lua5.4 php-cli
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "warning: missing Debian packages:$$missing (install them to run every test)"; fi; \
	fi

## test: lint, then the whole test suite
test: install system-deps lint
	$(BIN)/python -m pytest

## unit: the test suite without lint
unit: install
	$(BIN)/python -m pytest

## lint: ruff, mypy (strict on model/expressions/engine), import-linter layer contracts
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## bench: print the performance figures the issues ask for
bench: install
	$(BIN)/python bench/run.py

## lock: refresh uv.lock after changing dependencies in pyproject.toml
lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) .legato .pytest_cache .mypy_cache .ruff_cache build dist
