# The two commands a new user needs (each does all set-up first, idempotently):
#   make demo   - compress the built-in sample images under C0/C1/C2 and write a summary
#   make test   - run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint bench
setup:
	@bash scripts/setup.sh

demo: setup
	$(VENV)/bin/qualipress demo -o demo-output

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks

bench: setup
	$(VENV)/bin/qualipress bench ssim
