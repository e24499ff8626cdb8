"""The work plan's awards (双发〔2021〕1号, 激励机制): copied into a town's first round."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    # name, kind, places, office
    ("优秀网格", "grid3", 3, "社会治安和应急管理办"),
    ("优秀网格", "grid4", 3, "社会治安和应急管理办"),
    ("先锋网格员", "grid_worker", 4, "社会治安和应急管理办"),
    ("最美联户党员干部", "linked_member", 8, "网格化综合服务中心"),
]


def seed(apps, schema_editor):
    AwardTypeDefault = apps.get_model("rewards", "AwardTypeDefault")
    for order, (name, kind, places, office) in enumerate(DEFAULTS):
        AwardTypeDefault.objects.get_or_create(
            name=name,
            kind=kind,
            defaults={"places": places, "prize": Decimal("400.00"), "office_name": office, "order": order},
        )


def unseed(apps, schema_editor):
    AwardTypeDefault = apps.get_model("rewards", "AwardTypeDefault")
    for name, kind, _places, _office in DEFAULTS:
        AwardTypeDefault.objects.filter(name=name, kind=kind).delete()


class Migration(migrations.Migration):
    dependencies = [("rewards", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
