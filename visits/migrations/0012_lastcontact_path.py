# LastContact.path: a copy of the household's path (issue 17: a town's rows from the path index in a city).

import grids.models
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_paths(apps, schema_editor):
    LastContact = apps.get_model("visits", "LastContact")
    Household = apps.get_model("grids", "Household")
    LastContact.objects.update(
        path=Subquery(Household.objects.filter(pk=OuterRef("household_id")).values("path")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0003_household_id_number_encrypted"),
        ("visits", "0011_path_copy_and_stamps"),
    ]

    operations = [
        migrations.AddField(
            model_name="lastcontact",
            name="path",
            field=models.CharField(default="", editable=False, max_length=255, verbose_name="路径"),
        ),
        migrations.RunPython(copy_paths, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="lastcontact",
            index=grids.models.PathIndex(
                fields=["path"], include=("last_at", "household"), name="last_contact_path_idx"
            ),
        ),
    ]
