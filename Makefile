# Two commands matter: `make run` (set up, then start the app) and `make test` (set up, then run
# every test). Both work on a fresh machine: they install what they need themselves.
UV_VERSION := 0.13.8
VENV := .venv

.PHONY: setup run demo test lint format bench browser

setup: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	uv sync --locked --quiet
	@touch $@

# Starts against PLEX_URL/PLEX_TOKEN (or the settings saved by the setup screen) when configured,
# and otherwise against the bundled Plex simulator with a synthetic library.
run: setup
	$(VENV)/bin/plexcrate start

demo: setup
	$(VENV)/bin/plexcrate demo

# Browser tests drive Debian's Chromium; nothing downloads a browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: setup browser
	$(VENV)/bin/ruff check plexcrate tests benchmarks scripts
	$(VENV)/bin/ruff format --check plexcrate tests benchmarks scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check plexcrate tests benchmarks scripts
	$(VENV)/bin/ruff format --check plexcrate tests benchmarks scripts
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff check --fix plexcrate tests benchmarks scripts
	$(VENV)/bin/ruff format plexcrate tests benchmarks scripts

bench: setup
	$(VENV)/bin/python -m benchmarks $(NAMES)
