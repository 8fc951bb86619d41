#!/usr/bin/env bash
# Installs the Debian packages the product needs (browser tests, the PDF fonts, PDF checks, gettext)
# when they are missing. Runs apt only as root and only when something is missing.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdffonts >/dev/null 2>&1 || missing+=(poppler-utils)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
# Read the whole listing before matching: `grep -q` would stop early, the writer would die of
# SIGPIPE and, with pipefail, an installed package would look missing now and then.
fonts=$(fc-list : family 2>/dev/null || true)
libs=$(ldconfig -p 2>/dev/null || true)
# The PDF fonts (org/pdfsandbox.py FONT_FAMILIES; README "Documents"): every character a user
# can type or paste must have a glyph in a document.
grep -qi 'Noto Sans CJK' <<<"$fonts" || missing+=(fonts-noto-cjk)
grep -q 'Noto Sans Symbols2' <<<"$fonts" || missing+=(fonts-noto-core)
grep -q 'DejaVu Sans' <<<"$fonts" || missing+=(fonts-dejavu-core)
grep -q 'Noto Color Emoji' <<<"$fonts" || missing+=(fonts-noto-color-emoji)
grep -q 'Symbola' <<<"$fonts" || missing+=(fonts-symbola)
grep -q 'HanaMinB' <<<"$fonts" || missing+=(fonts-hanazono)
grep -q 'Unifont Upper' <<<"$fonts" || missing+=(fonts-unifont)
grep -q 'libharfbuzz-subset.so.0' <<<"$libs" || missing+=(libharfbuzz-subset0)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "Missing Debian packages: ${missing[*]} (run as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null
