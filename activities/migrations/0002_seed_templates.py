"""The yearly calendar's usual dates (农时、节日、纪念日). Lunar festivals fall on different days each year:
the day here is typical, staff adjust it when they copy the template."""

from decimal import Decimal

from django.db import migrations

TEMPLATES = [
    ("春节送温暖", "warmth", 1, 20, "春节前走访慰问困难户、孤寡老人、留守儿童,送去慰问品(农历日期每年不同)", 3, 40, ""),
    ("学雷锋志愿服务", "culture", 3, 5, "学雷锋日:环境整治、义诊、家电维修进村", 3, 40, ""),
    ("网格员业务培训", "training", 3, 15, "全体网格长参加:走访记录、问题上报、台账", 2, 0, "grid_heads"),
    ("清明文明祭扫", "customs", 4, 3, "倡导文明祭扫、防火宣传,移风易俗", 2, 30, ""),
    ("春插助农", "farming", 5, 10, "农忙时节帮缺劳力的农户插秧", 4, 30, ""),
    ("七一党员活动日", "commemoration", 7, 1, "重温入党誓词,为群众办实事", 2, 0, ""),
    ("秋收助农", "farming", 9, 20, "帮留守老人、困难户抢收稻谷", 4, 30, ""),
    ("中秋文化惠民", "culture", 9, 25, "送戏下乡、广场文艺、电影放映(农历日期每年不同)", 2, 50, ""),
    ("国庆升旗与宣讲", "commemoration", 10, 1, "升国旗、唱国歌,宣讲党的政策", 2, 0, ""),
    ("重阳敬老", "elderly", 10, 20, "看望孤寡老人,理发、体检、清扫(农历九月初九,日期每年不同)", 3, 30, ""),
    ("移风易俗宣讲", "customs", 11, 10, "红白喜事简办、反对大操大办,修订村规民约", 2, 0, ""),
    ("宪法日政策宣讲", "lecture", 12, 4, "宣讲队进村:宪法、法律法规、惠民政策", 2, 0, ""),
]


def seed(apps, schema_editor):
    Template = apps.get_model("activities", "ActivityTemplate")
    for title, kind, month, day, description, hours, capacity, required in TEMPLATES:
        Template.objects.get_or_create(
            title=title,
            defaults={
                "kind": kind,
                "month": month,
                "day": day,
                "description": description,
                "hours": Decimal(hours),
                "capacity": capacity,
                "required": required,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_practice_activities")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
