"""Autovacuum per tally table (PostgreSQL only): vacuum and analyze after a small share of rows changed.

Every recorded contact updates 4 LinkTally rows, 1 ContactMonthTally row and 1 LastContact row in place, so
these tables gather dead row versions fast (a 60 s load test left 75,940 waiting, and the compliance query
slowed from 41–45 to 54–64 ms) while the default thresholds (20 % of a table of millions of rows) wait for
hours. See docs/benchmarks.md, "Autovacuum for the tally tables".
"""

from django.db import migrations

TABLES = ("visits_linktally", "visits_contactmonthtally", "visits_lastcontact")
SETTINGS = (
    "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, "
    "autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000, "
    "autovacuum_vacuum_cost_limit = 1000"
)
RESET = (
    "autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor, "
    "autovacuum_analyze_threshold, autovacuum_vacuum_cost_limit"
)


def apply(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET ({SETTINGS})")


def revert(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET ({RESET})")


class Migration(migrations.Migration):
    dependencies = [("visits", "0009_contact_struck")]

    operations = [migrations.RunPython(apply, revert, elidable=False)]
