"""The layering (scripts/check_layers.py) holds for the project, and the check does fail on an
upward import: a synthetic project whose lower app imports its upper one is refused."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_layers.py"

sys.path.insert(0, str(ROOT / "scripts"))
import check_layers  # noqa: E402


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_the_project_keeps_its_layers():
    result = run()
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_order_is_the_documented_one():
    # Written out by hand from the README's architecture section.
    flat = [layer if isinstance(layer, str) else "|".join(layer) for layer in check_layers.LAYERS]
    assert flat == ["config", "planning|kpis|portal", "hazards", "audits", "scoring", "notifications", "org",
                    "core"]


def _package(root: pathlib.Path, name: str, source: str = "") -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    (root / name / "services.py").write_text(source)


def test_an_upward_import_fails(tmp_path):
    _package(tmp_path, "layer_top")
    _package(tmp_path, "layer_sibling", "import layer_top.services\n")  # upward: refused
    _package(tmp_path, "layer_bottom", "def f():\n    from layer_top import services  # even inside a function\n")
    result = run("--root", str(tmp_path), "--layers", "layer_top,layer_sibling:layer_other,layer_bottom")
    assert result.returncode != 0
    assert "layer_bottom is not allowed to import layer_top" in result.stdout
    assert "layer_sibling is not allowed to import layer_top" in result.stdout


def test_downward_imports_and_missing_apps_pass(tmp_path):
    _package(tmp_path, "layer_top", "import layer_bottom.services\n")
    _package(tmp_path, "layer_bottom")
    result = run("--root", str(tmp_path), "--layers", "layer_top,layer_not_there,layer_bottom")
    assert result.returncode == 0, result.stdout + result.stderr
