import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from scoring.models import Standard, StandardItem

from .factories import SMALL_ROWS, make_standard, make_xlsx, tree_of

pytestmark = pytest.mark.django_db


def _run(*args, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def test_import_standard_prints_the_id_last(tmp_path):
    path = tmp_path / "std.xlsx"
    path.write_bytes(make_xlsx(SMALL_ROWS))
    out, _ = _run("import_standard", str(path), "--name", "命令导入", "--version", "2026-A")
    standard = Standard.objects.get()
    assert out.strip().splitlines()[-1] == str(standard.pk)
    assert standard.version == "2026-A" and standard.item_count == len(SMALL_ROWS)
    assert standard.source_filename == "std.xlsx" and standard.status == Standard.Status.DRAFT


def test_import_standard_can_activate(tmp_path):
    path = tmp_path / "std.xlsx"
    path.write_bytes(make_xlsx(SMALL_ROWS))
    out, _ = _run("import_standard", str(path), "--name", "激活", "--activate")
    assert Standard.objects.get(pk=int(out.strip().splitlines()[-1])).status == Standard.Status.ACTIVE


def test_import_standard_errors_go_to_stderr_and_nothing_is_saved(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(make_xlsx([["1", "甲", 3, "", ""], ["1.1", "", -1, "", ""], ["2.1", "乙", 1, "", ""]]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_standard", str(path), "--name", "坏", stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert any(line.startswith("Row 3, column B") for line in lines)
    assert any(line.startswith("Row 3, column C") for line in lines)
    assert any(line.startswith("Row 4, column A") for line in lines)
    assert Standard.objects.count() == 0 and StandardItem.objects.count() == 0


def test_import_standard_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_standard", str(tmp_path / "nope.xlsx"), "--name", "无", stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert Standard.objects.count() == 0


def test_export_standard_round_trip(tmp_path):
    standard = make_standard(name="导出")
    target = tmp_path / "out.xlsx"
    out, _ = _run("export_standard", str(standard.pk), "--output", str(target))
    assert target.exists() and "out.xlsx" in out
    out, _ = _run("import_standard", str(target), "--name", "导出")
    again = Standard.objects.get(pk=int(out.strip().splitlines()[-1]))
    assert tree_of(again) == tree_of(standard) and again.version == "2"


def test_export_standard_unknown_id(tmp_path):
    with pytest.raises(CommandError, match="No standard"):
        call_command("export_standard", "999999", "--output", str(tmp_path / "x.xlsx"))
    assert not Path(tmp_path / "x.xlsx").exists()
