#!/usr/bin/env bash
# ruff, bandit over the apps (its allowlist: [tool.bandit] in pyproject.toml), migrations, the app
# layering (scripts/check_layers.py), then every test
# (unit, integration, browser). Uses PostgreSQL / Redis when DATABASE_URL /
# CELERY_BROKER_URL point at them, SQLite and the embedded broker otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_ALLOW_ASYNC_UNSAFE=true
mkdir -p artifacts
.venv/bin/ruff check .
.venv/bin/bandit -c pyproject.toml -q -r config core org scoring audits hazards notifications portal planning kpis
.venv/bin/python manage.py makemigrations --check --dry-run -v 0
# The app layering (core ← org ← notifications ← scoring ← audits ← hazards ← …): no upward import.
.venv/bin/python -c "import importlinter" 2>/dev/null \
  || .venv/bin/python -m pip install -q -c requirements.lock "import-linter>=2.1,<3"  # a venv made before it
.venv/bin/python scripts/check_layers.py
.venv/bin/python -m pytest "$@"
