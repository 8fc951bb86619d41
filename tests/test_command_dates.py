"""Every management command's day option is parsed by one rule (org.validators.command_date): a
date that is no date, or an implausible one (9999-12-31, 0001-01-01), is a CommandError naming the
option, never a traceback."""

import io

import pytest
from django.core.management import CommandError, call_command

from org.validators import command_date

pytestmark = pytest.mark.django_db

COMMANDS = [
    ("send_reminders", ["--date"]),
    ("generate_tasks", ["--date"]),
    ("hazard_statistics", ["--unit", "X", "--from", "2026-01-01", "--to"]),
    ("hazard_statistics", ["--unit", "X", "--to", "2026-12-31", "--from"]),
]


@pytest.mark.parametrize("bad", ["9999-12-31", "0001-01-01", "2026-13-01", "yesterday", "2026/12/07", " "])
@pytest.mark.parametrize("command, args", COMMANDS)
def test_a_bad_day_is_a_clear_command_error(command, args, bad):
    option = args[-1]
    with pytest.raises(CommandError) as exc:
        call_command(command, *args, bad, stdout=io.StringIO())
    assert option in str(exc.value) and repr(bad) in str(exc.value)


def test_a_plausible_day_is_read():
    assert command_date(" 2026-12-07 ", "--date").isoformat() == "2026-12-07"
