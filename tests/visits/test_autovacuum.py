"""The tally tables carry their own autovacuum settings on PostgreSQL (visits migration 0009)."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_tally_tables_autovacuum_settings():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN "
            "('visits_linktally', 'visits_contactmonthtally', 'visits_lastcontact')"
        )
        options = dict(cursor.fetchall())
    assert set(options) == {"visits_linktally", "visits_contactmonthtally", "visits_lastcontact"}
    for table, opts in options.items():
        assert "autovacuum_vacuum_scale_factor=0.01" in opts, (table, opts)
        assert "autovacuum_analyze_scale_factor=0.02" in opts, (table, opts)
