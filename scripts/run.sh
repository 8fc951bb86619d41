#!/usr/bin/env bash
# Seeds the demo data (idempotent) and starts web + Celery worker + beat together; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python manage.py seed_demo
echo
echo "  Open http://${HOST:-127.0.0.1}:${PORT:-8000}/  (demo accounts above; Ctrl-C stops web, worker and beat)"
echo
exec .venv/bin/honcho start -f Procfile
