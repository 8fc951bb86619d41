#!/usr/bin/env bash
# ruff, bandit over the apps (its allowlist: [tool.bandit] in pyproject.toml), then every test
# (unit, integration, browser). Uses PostgreSQL / Redis when DATABASE_URL /
# CELERY_BROKER_URL point at them, SQLite and the embedded broker otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_ALLOW_ASYNC_UNSAFE=true
mkdir -p artifacts
.venv/bin/ruff check .
.venv/bin/bandit -c pyproject.toml -q -r config core org scoring audits hazards notifications
.venv/bin/python manage.py makemigrations --check --dry-run -v 0
.venv/bin/python -m pytest "$@"
