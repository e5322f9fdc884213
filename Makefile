# The two commands a fresh clone needs: `make serve` and `make test` (README.md).
VENV ?= .venv
PYTHON ?= python3

.PHONY: serve test lint install bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

serve: $(VENV)/.installed
	$(VENV)/bin/s3mpu serve

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint
	$(VENV)/bin/pytest

# Not part of `make test` or CI: installs the peers into bench/.cache and takes a while.
# `make bench BENCH_ARGS=--quick` for small sizes.
bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench $(BENCH_ARGS)
