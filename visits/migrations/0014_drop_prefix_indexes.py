"""Drop five foreign-key indexes that a composite index already starts with (each was one more index to write
for every contact recorded, and disk in a city database):

- visits_contact (member_id): contact_member_time_idx (member_id, occurred_at)
- visits_contact (place_id): contact_place_member_idx (place_id, member_id, occurred_at)
- visits_contacthousehold (contact_id): reach_unique_household (contact_id, household_id)
- visits_contacthousehold (household_id): reach_hh_time_idx (household_id, occurred_at)
- visits_linktally (link_id): tally_unique_link_period (link_id, period, start)

Only the indexes go: Django's own AlterField would also drop and re-add each foreign-key constraint, which
re-checks every row (minutes on a city's millions of contacts, with the tables locked). The names are the
ones Django gave them, the same on PostgreSQL and SQLite.
"""

from django.db import migrations, models
import django.db.models.deletion

INDEXES = [
    ("visits_contact_member_id_86d07467", "visits_contact", "member_id"),
    ("visits_contact_place_id_03dc2c79", "visits_contact", "place_id"),
    ("visits_contacthousehold_contact_id_6d2b23f6", "visits_contacthousehold", "contact_id"),
    ("visits_contacthousehold_household_id_05fbc187", "visits_contacthousehold", "household_id"),
    ("visits_linktally_link_id_c9dea9d6", "visits_linktally", "link_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0003_household_id_number_encrypted"),
        ("members", "0013_link_type_path_idx"),
        ("visits", "0013_town_compliance_snapshot"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="contact",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contacts",
                        to="members.member",
                        verbose_name="联户人员",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="place",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contacts",
                        to="grids.place",
                        verbose_name="镇/村/网格",
                    ),
                ),
                migrations.AlterField(
                    model_name="contacthousehold",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reached",
                        to="visits.contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="contacthousehold",
                    name="household",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reached",
                        to="grids.household",
                    ),
                ),
                migrations.AlterField(
                    model_name="linktally",
                    name="link",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tallies",
                        to="members.link",
                    ),
                ),
            ],
        )
    ]
