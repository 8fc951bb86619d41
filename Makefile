# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: run test setup seed lint messages

setup:
	@bash scripts/setup.sh

run: setup
	@bash scripts/run.sh

test: setup
	@bash scripts/test.sh

lint: setup
	@.venv/bin/ruff check .

seed: setup
	@$(PY) manage.py seed_demo

messages: setup
	@bash scripts/messages.sh
