from django.db import migrations

WHISTLES = [("emergency", 24, "hour"), ("routine", 7, "day"), ("hard", 30, "day")]
LEVELS = [("on_spot", 2, "day"), ("grid", 3, "day"), ("village", 5, "day"), ("centre", 3, "day")]
CATEGORIES = ["基础设施", "环境卫生", "社会保障", "就业增收", "土地山林", "矛盾纠纷", "安全隐患", "其他"]


def seed(apps, schema_editor):
    WhistleSetting = apps.get_model("issues", "WhistleSetting")
    LevelSetting = apps.get_model("issues", "LevelSetting")
    IssueCategory = apps.get_model("issues", "IssueCategory")
    for kind, amount, unit in WHISTLES:
        WhistleSetting.objects.get_or_create(kind=kind, defaults={"amount": amount, "unit": unit})
    for level, amount, unit in LEVELS:
        LevelSetting.objects.get_or_create(level=level, defaults={"amount": amount, "unit": unit})
    for order, name in enumerate(CATEGORIES):
        IssueCategory.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
