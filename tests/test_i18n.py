"""Both catalogues are complete and current: every string in the code has a Chinese and an English
translation, nothing is fuzzy, and placeholders survive translation."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

LOCALES = ["zh_Hans", "en"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")
# Strings that may stay Latin in Chinese: units and technical names.
ALLOWED_LATIN = re.compile(r"[A-Za-z0-9 .,:/()%-]*(kV|SHA-256|PDF|Excel|xlsx|Email|ID)[A-Za-z0-9 .,:/()%-]*")


def parse_po(path: Path) -> dict[str, dict]:
    """msgid (with plural, joined by \\x00) -> {"str": [msgstr...], "fuzzy": bool}"""
    entries: dict[str, dict] = {}
    current: dict | None = None
    field = None
    fuzzy = False

    def flush():
        nonlocal current
        if current and current["msgid"]:
            key = current["msgid"] + ("\x00" + current["plural"] if current["plural"] else "")
            entries[key] = {"str": current["str"], "fuzzy": current["fuzzy"]}
        current = None

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,"):
            fuzzy = "fuzzy" in line
        elif line.startswith("msgid "):
            flush()
            current = {"msgid": ast.literal_eval(line[6:]), "plural": "", "str": [], "fuzzy": fuzzy}
            field, fuzzy = "msgid", False
        elif line.startswith("msgid_plural "):
            current["plural"] = ast.literal_eval(line[13:])
            field = "plural"
        elif line.startswith("msgstr"):
            current["str"].append(ast.literal_eval(line.split(" ", 1)[1]))
            field = "str"
        elif line.startswith('"') and current is not None:
            value = ast.literal_eval(line)
            if field == "str":
                current["str"][-1] += value
            else:
                current[field] += value
    flush()
    return entries


def po_path(locale: str) -> Path:
    return Path(settings.BASE_DIR) / "locale" / locale / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_complete(locale):
    entries = parse_po(po_path(locale))
    assert entries, "empty catalogue"
    missing = [k.split("\x00")[0] for k, e in entries.items() if not all(e["str"]) or not e["str"]]
    fuzzy = [k.split("\x00")[0] for k, e in entries.items() if e["fuzzy"]]
    assert not missing, f"{len(missing)} untranslated in {locale}, e.g. {missing[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {locale}, e.g. {fuzzy[:10]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_survive_translation(locale):
    for msgid, entry in parse_po(po_path(locale)).items():
        # A plural translation may use the placeholders of the singular or of the plural form.
        allowed = [set(PLACEHOLDER.findall(form)) for form in msgid.split("\x00")]
        for msgstr in entry["str"]:
            assert set(PLACEHOLDER.findall(msgstr)) in allowed, (
                f"{locale}: placeholders differ in {msgid!r} -> {msgstr!r}")


def test_chinese_catalogue_is_chinese():
    entries = parse_po(po_path("zh_Hans"))
    latin_only = [k for k, e in entries.items()
                  if re.search(r"[A-Za-z]{3}", k) and not any(re.search(r"[\u4e00-\u9fff]", s) for s in e["str"])
                  and not ALLOWED_LATIN.fullmatch(k.split("\x00")[0])]
    assert not latin_only, f"not translated into Chinese: {latin_only[:10]}"


def test_catalogues_are_current(tmp_path):
    """Running makemessages on a copy of the code adds no msgid the catalogue lacks."""
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", "node_modules", "var", "artifacts", ".git", "static", "staticfiles", "*.pyc", "__pycache__",
        "*.mo", "benchmarks", "tests"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "-v", "0",
         "--ignore=.venv", "--ignore=node_modules"],
        cwd=copy, check=True, capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test", "HOME": str(tmp_path)},
    )
    fresh = set(parse_po(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    current = set(parse_po(po_path("zh_Hans")))
    new = sorted(k.split("\x00")[0] for k in fresh - current)
    assert not new, f"run `make messages` and translate: {len(new)} new strings, e.g. {new[:10]}"
