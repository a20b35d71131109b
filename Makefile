# Loom — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install install-python install-node install-chromium demo serve worker test lint typecheck boundaries migrations-check catalogs-check messages compilemessages bench chaos clean

help:
	@echo "make demo   install, migrate, load demo data and serve Loom on http://127.0.0.1:$(PORT)"
	@echo "make test   install what the tests need and run the whole suite"
	@echo "make bench  run the benchmarks and write bench/results/"

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

install-python: | $(UV)
	$(UV) sync --frozen

install-node:
	npm ci --no-audit --no-fund --loglevel=error

install-chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

install: install-python install-node compilemessages

compilemessages: install-python
	$(UV) run loom compilemessages --ignore=.venv --ignore=node_modules -v 0

demo: install
	$(UV) run loom migrate --no-input -v 0
	$(UV) run loom collectstatic --no-input -v 0
	$(UV) run loom load_demo_data
	$(UV) run loom load_demo_schedule
	$(UV) run loom load_demo_resources
	$(UV) run loom load_demo_messages
	$(UV) run loom load_demo_analytics
	PORT=$(PORT) bash scripts/serve-demo.sh

lint: install-python
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: install-python
	$(UV) run mypy loom config

boundaries: install-python
	$(UV) run lint-imports

migrations-check: install-python
	DJANGO_SETTINGS_MODULE=config.settings.test $(UV) run loom makemigrations --check --dry-run

catalogs-check: install-python
	$(UV) run python scripts/check_catalogs.py

# Bytecode is cached (in var/pycache) even where PYTHONDONTWRITEBYTECODE is set: each xdist
# worker and each server process a test starts would otherwise recompile every module.
# worksteal hands each worker a contiguous half (the browser tests stay on one worker,
# one Chromium at a time) and moves work to whichever worker runs out first.
test: install install-chromium lint typecheck boundaries migrations-check catalogs-check
	PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX="$(CURDIR)/var/pycache" $(UV) run pytest -n 2 --dist worksteal --durations=30 $(PYTEST_ARGS)

# Regenerate the catalogs after changing strings; then translate locale/he.
messages: install-python
	$(UV) run loom makemessages -l en -l he --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --ignore=bench --no-obsolete
	$(UV) run loom makemessages -d djangojs -l en -l he --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --ignore=bench --no-obsolete

# The issue's full chaos run (10,000 messages, 50 dropping sockets, a killed server and a
# restarted Redis) on its own; the suite runs the same test with 300 messages.
chaos: install-python
	LOOM_CHAOS_MESSAGES=10000 LOOM_REQUIRE_POSTGRES=1 LOOM_REQUIRE_REDIS=1 \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/loom} \
	$(UV) run pytest tests/realtime/test_chaos.py -n 0 -s

bench: install
	$(UV) run python -m bench.run

clean:
	rm -rf var .venv node_modules
