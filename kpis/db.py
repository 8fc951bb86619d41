"""Database expressions the KPI queries need that Django does not ship."""

from django.db.models import Func, IntegerField
from django.db.models.functions import TruncDate


class DaysBetween(Func):
    """Whole days from the date `start` to the local date of the datetime `end` (settings.TIME_ZONE),
    e.g. days from discovery to closing. PostgreSQL subtracts dates to an integer; SQLite through
    julianday()."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(TruncDate(end), start, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)",
                           arg_joiner=") - julianday(", **extra)
