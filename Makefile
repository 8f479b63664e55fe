# Two commands for a new user: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
BOT := $(VENV)/bin/policybot
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast lint-imports setup model index browser services eval bench clean

run: index
	$(BOT) serve --host $(HOST) --port $(PORT)

test: index browser services lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

# A newcomer's first loop: every test that needs neither the model nor the index.
test-fast: setup lint-imports
	$(PY) -m pytest -m "not model" $(PYTEST_ARGS)

# The one-way import contract of bot/ (pyproject.toml, [tool.importlinter]).
lint-imports: setup
	$(VENV)/bin/lint-imports

# The venv is reinstalled whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,postgres]'
	@touch $(STAMP)

setup: $(STAMP)

model: setup
	$(BOT) model prepare

# Builds only when the index is missing or stale (corpus, model or chunking changed).
index: model
	$(BOT) index build --if-stale

# Debian's chromium (and CJK fonts for readable screenshots) for the browser tests; never a browser download.
# axe-core (WCAG checks injected into the pages) comes from npm, pinned by tests/browser/package-lock.json.
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q . && command -v npm >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk npm >/dev/null; }
	@test tests/browser/node_modules/.package-lock.json -nt tests/browser/package-lock.json || \
	  npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund

# Debian's redis-server, PostgreSQL and nginx, which the tests of shared state start on loopback
# (the rate limit in Redis, the question log in PostgreSQL, two replicas behind nginx).
services:
	@command -v redis-server >/dev/null && command -v nginx >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server nginx-light postgresql >/dev/null; }

eval: index
	$(BOT) eval --split all --report eval/reports

bench: index
	$(PY) -m bench

clean:
	rm -rf $(VENV) index/*.faiss index/*.json index/*.npy index/build-* var
