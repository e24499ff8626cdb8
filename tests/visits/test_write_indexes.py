"""Every contact recorded writes a row into each index of the contact tables: none of them may be a plain
copy of the start of another (visits migration 0014 dropped five such foreign-key indexes)."""

import pytest
from django.db import connection

TABLES = ("visits_contact", "visits_contacthousehold", "visits_contactrevision", "visits_linktally")


@pytest.mark.django_db
def test_no_index_is_the_prefix_of_another():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL,
                   array(SELECT a.attname FROM unnest(x.indkey[0:x.indnkeyatts - 1]) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s)
            """,
            [list(TABLES)],
        )
        indexes = cursor.fetchall()
    assert {row[0] for row in indexes} == set(TABLES)
    redundant = [
        (table, name, other)
        for table, name, unique, partial, columns in indexes
        if not unique and not partial
        for other_table, other, _unique, other_partial, other_columns in indexes
        if other_table == table
        and other != name
        and not other_partial
        and other_columns[: len(columns)] == columns
    ]
    assert redundant == []
