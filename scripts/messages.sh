#!/usr/bin/env bash
# Refresh both catalogues from the code: zh_Hans keeps its translations (msgmerge), and the
# English catalogue copies each English msgid into its msgstr so it is complete by construction.
set -euo pipefail
cd "$(dirname "$0")/.."
# English is rebuilt from scratch each time: its msgstr is always the msgid.
rm -f locale/en/LC_MESSAGES/django.po
.venv/bin/python manage.py makemessages -l zh_Hans -l en --no-location --no-wrap --ignore=.venv --ignore=node_modules \
  --ignore=static/vendor --ignore=var --ignore=benchmarks --ignore=tests --ignore=artifacts -v 0
msgen --no-wrap -o locale/en/LC_MESSAGES/django.po.new locale/en/LC_MESSAGES/django.po
mv locale/en/LC_MESSAGES/django.po.new locale/en/LC_MESSAGES/django.po
# A real header (not the fuzzy template one) so msgfmt reads its charset.
sed -i -e '0,/^#, fuzzy$/{/^#, fuzzy$/d}' -e 's/^"Language: \\n"$/"Language: en\\n"/' \
  -e 's/^"Project-Id-Version: PACKAGE VERSION\\n"$/"Project-Id-Version: hazard-tracker\\n"/' locale/en/LC_MESSAGES/django.po
msgfmt --statistics -o /dev/null locale/zh_Hans/LC_MESSAGES/django.po
# One canonical form (sorted, unwrapped): branches that add strings at the same time merge cleanly.
for po in locale/*/LC_MESSAGES/django.po; do
  msgcat --sort-output --no-wrap -o "$po" "$po"
done
