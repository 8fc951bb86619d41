"""Database helpers shared by the apps' migrations.

The lists' text search is `icontains`, which Django writes as `UPPER(column::text) LIKE UPPER(%s)`
on PostgreSQL. A trigram GIN index on exactly that expression answers it without scanning the
table, for Chinese as well as for codes (pg_trgm makes trigrams of any characters in a UTF-8
database). SQLite has no such index: there the search scans, which is fine at its sizes.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)


def trigram_index_name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"[:63]


def trigram_indexes(table: str, columns: list[str], *, nonempty: bool = False) -> migrations.RunPython:
    """A migration operation creating (on PostgreSQL) one trigram index per column of `table`.
    `nonempty`: partial indexes of the rows whose column is not empty (`WHERE column <> ''`), for a
    column most rows leave empty; the search must then say `column <> ''` too (TextSearchFilter's
    `nonempty`), or the planner cannot use them."""

    def forwards(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            try:
                with transaction.atomic(using=connection.alias):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except DatabaseError as error:  # no right to create extensions: search still works, by scanning
                logger.warning("pg_trgm is not available (%s): text search on %s will scan", error, table)
                return
            for column in columns:
                where = f""" WHERE "{column}" <> ''""" if nonempty else ""
                cursor.execute(f'CREATE INDEX IF NOT EXISTS "{trigram_index_name(table, column)}" ON "{table}" '
                               f'USING gin (UPPER("{column}"::text) gin_trgm_ops){where}')

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for column in columns:
                cursor.execute(f'DROP INDEX IF EXISTS "{trigram_index_name(table, column)}"')

    return migrations.RunPython(forwards, backwards, elidable=False)


class PostgresOnlyRunSQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL only (forwards and backwards) and is a no-op elsewhere (SQLite
    in `make run` and local tests), for triggers written in PL/pgSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def immutable_rows(table: str) -> PostgresOnlyRunSQL:
    """A trigger refusing every UPDATE and DELETE of `table`'s rows (history is only ever inserted),
    raised as an integrity error (SQLSTATE 23000) so Django reports an IntegrityError. The model
    guard (org.models.AppendOnlyModel) refuses the same earlier, in Python; this catches whatever
    bypasses the ORM (raw SQL, another client, a careless data migration). TRUNCATE is left to the
    table's owner (test flushes, restores)."""
    function, trigger = f"{table}_immutable"[:63], f"{table}_immutable"[:63]
    return PostgresOnlyRunSQL(
        sql=[
            f"""CREATE OR REPLACE FUNCTION "{function}"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are history: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$""",
            f'CREATE TRIGGER "{trigger}" BEFORE UPDATE OR DELETE ON "{table}" '
            f'FOR EACH ROW EXECUTE FUNCTION "{function}"()',
        ],
        reverse_sql=[
            f'DROP TRIGGER IF EXISTS "{trigger}" ON "{table}"',
            f'DROP FUNCTION IF EXISTS "{function}"()',
        ],
        elidable=False,
    )
