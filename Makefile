# The two commands of the README: `make run` (set up and start) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup run test bench

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $@

run: setup
	$(PY) run.py

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) bench/run.py --scale shared
