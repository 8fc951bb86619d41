#!/usr/bin/env bash
# Seeds the demo data (idempotent) and starts web + Celery worker + beat together; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
# honcho hands each process its own PORT (5000 unless PORT is set): fix it here so the web server
# listens where the message below says.
export HOST=${HOST:-127.0.0.1}
export PORT=${PORT:-8000}
.venv/bin/python manage.py seed_demo
echo
echo "  Open http://${HOST}:${PORT}/  (demo accounts above; Ctrl-C stops web, worker and beat)"
echo "  Worker and beat health: http://${HOST}:${PORT}/status/ (log in as admin)"
echo
exec .venv/bin/honcho start -f Procfile
