"""PostgreSQL only: the lists' text search is answered by indexes, not by scanning."""

import pytest
from django.db import connection

from hazards.models import Hazard

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _needs_postgres():
    assert connection.vendor == "postgresql", "index tests need PostgreSQL (set DATABASE_URL)"


def test_text_search_columns_have_trigram_indexes():
    """The lists' `icontains` search is answered by trigram indexes on UPPER(column) (org.db)."""
    from org.db import trigram_index_name

    expected = {trigram_index_name("hazards_hazard", c) for c in ("number", "description", "location")}
    expected |= {trigram_index_name("org_site", c) for c in ("name", "code", "address", "contact_name")}
    expected |= {trigram_index_name("audits_inspection", c) for c in ("number", "title")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
        found = dict(cursor.fetchall())
    assert expected <= set(found), expected - set(found)
    assert all("gin_trgm_ops" in found[name] and "upper(" in found[name].lower() for name in expected)
    # The index's expression is the one Django's icontains writes: with scans of the table and
    # ordered index scans switched off (the test table is nearly empty), the plan can use it.
    sql, params = Hazard.objects.filter(description__icontains="接地线").order_by().only("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")
    assert trigram_index_name("hazards_hazard", "description") in plan, plan
