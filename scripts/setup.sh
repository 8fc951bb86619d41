#!/usr/bin/env bash
# Idempotent set-up shared by `make run` and `make test`: system packages, virtualenv, Python
# packages (constrained by requirements.lock), front-end assets from package-lock.json, compiled
# translations and migrations. Steps whose inputs did not change since the last run are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

bash scripts/system_deps.sh

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "Creating virtualenv .venv"
  "$PYTHON" -m venv .venv
fi
stamp=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.installed 2>/dev/null)" != "$stamp" ]; then
  echo "Installing Python packages"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c requirements.lock ".[dev]"
  rm -rf build ./*.egg-info
  echo "$stamp" > .venv/.installed
fi

npm_stamp=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.installed 2>/dev/null)" != "$npm_stamp" ]; then
  echo "Installing front-end assets from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_stamp" > node_modules/.installed
fi
# Copied on every run (a few files, milliseconds), so a change of this list reaches every clone.
# Each minified file comes with the source map it names: collectstatic's manifest storage
# follows `sourceMappingURL` and fails on a missing map, and production would then not start.
rm -rf static/vendor
mkdir -p static/vendor/bootstrap static/vendor/bootstrap-icons static/vendor/htmx static/vendor/chartjs static/vendor/signature_pad
cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map static/vendor/bootstrap/
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map static/vendor/bootstrap/
cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts static/vendor/bootstrap-icons/
cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/chartjs/
# The party's portal draws the acknowledgement signature with it (portal/static/portal/portal.js).
cp node_modules/signature_pad/dist/signature_pad.umd.min.js node_modules/signature_pad/dist/signature_pad.umd.min.js.map \
  static/vendor/signature_pad/

.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
.venv/bin/python manage.py migrate --noinput -v 0
