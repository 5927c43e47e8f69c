# The two commands of the README: `make run` (set up what running needs, and start) and
# `make test` (set up the test and benchmark tools too, and run the tests).
VENV ?= .venv
PY := $(VENV)/bin/python
UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--override requirements-overrides.txt

.PHONY: setup setup-dev run test bench lock

setup: $(VENV)/.installed-run

setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed-run: requirements.lock scripts/setup.sh
	bash scripts/setup.sh run $(VENV)
	touch $@

$(VENV)/.installed-dev: requirements.lock requirements-dev.lock scripts/setup.sh
	bash scripts/setup.sh dev $(VENV)
	touch $@

run: setup
	$(PY) run.py

test: setup-dev
	$(PY) -m pytest

bench: setup-dev
	$(PY) bench/run.py --scale shared

# Regenerate both locks from requirements.txt and requirements-dev.txt (the dev lock keeps every
# runtime package at the runtime lock's version, so the tests run what the image installs).
# A lock is the whole closure, so it is installed with --no-deps: requirements-overrides.txt drops
# declared dependencies that are never used (PyTorch through sentence-transformers).
lock: setup-dev
	$(UV_COMPILE) requirements.txt -o requirements.lock
	$(UV_COMPILE) requirements.txt requirements-dev.txt -c requirements.lock -o requirements-dev.lock
