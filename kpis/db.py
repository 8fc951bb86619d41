"""Database expressions the KPI queries need that Django does not ship."""

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Func, IntegerField, Q
from django.db.models.functions import TruncDate


def q_sql(model, q: Q) -> tuple[str, list]:
    """The SQL of the filter `q` on `model`'s own table (columns qualified by the table's name, no
    joins), with its parameters, as the ORM compiles it: a rule written once as a Q object (e.g.
    hazards.rules.overdue_q) used in plain SQL (kpis.tallies.UnitScope)."""
    query = model.objects.filter(q).query
    sql, params = query.get_compiler(DEFAULT_DB_ALIAS).compile(query.where)
    if len(query.alias_map) > 1:
        raise ValueError(f"{q!r} needs a join; q_sql takes filters on the table's own columns")
    return sql, list(params)


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
