"""Seed the quota rules with the work plan's numbers (docs/domain.md#quotas). Town staff may change them in the admin.

Household links: a home visit a quarter (a yard meeting with the household counts as being there), and an
online contact a month (a home visit or yard meeting that month counts as well: it is at least as close).
"""

from django.db import migrations

HOUSEHOLD_TYPES = ["city_household", "town_household", "village_household", "party_household"]

RULES = [
    ("city_town", ["onsite"], "year", 4, "市领导联镇:每年蹲点/现场办公不少于4次"),
    ("city_village", ["onsite"], "year", 4, "市领导/部门负责人联村:每年现场办公不少于4次"),
    ("town_grid", ["grid_sinkdown"], "week", 1, "镇干部联网格:每周下沉网格不少于1次"),
]
for link_type in HOUSEHOLD_TYPES:
    RULES.append((link_type, ["home_visit", "yard_meeting"], "quarter", 1, "每季度入户走访不少于1次"))
    RULES.append((link_type, ["online", "home_visit", "yard_meeting"], "month", 1, "每月线上沟通不少于1次"))


def seed(apps, schema_editor):
    QuotaRule = apps.get_model("visits", "QuotaRule")
    for link_type, kinds, period, min_count, note in RULES:
        QuotaRule.objects.get_or_create(
            link_type=link_type, period=period, kinds=kinds, defaults={"min_count": min_count, "note": note}
        )


def unseed(apps, schema_editor):
    apps.get_model("visits", "QuotaRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
