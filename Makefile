# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: run test smoke setup seed lint messages

setup:
	@bash scripts/setup.sh

# Ctrl-C is how `make run` ends: honcho's exit status 130 for it is not an error.
run: setup
	@bash scripts/run.sh || [ $$? -eq 130 ]

test: setup
	@bash scripts/test.sh

# Production settings under gunicorn, in a throwaway database (CI runs it after `make test`).
smoke: setup
	@$(PY) scripts/prod_smoke.py

lint: setup
	@.venv/bin/ruff check .

seed: setup
	@$(PY) manage.py seed_demo

messages: setup
	@bash scripts/messages.sh
