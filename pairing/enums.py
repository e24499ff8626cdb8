from django.db import models
from django.utils.translation import gettext_lazy as _


class PairingMode(models.TextChoices):
    FILL = "fill", _("填补空缺(已有联系不动)")
    REBALANCE = "rebalance", _("重新分配离开或免于联户人员的联系")
    FULL = "full", _("全面配对(新村)")


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("待确认")
    APPLIED = "applied", _("已应用")
    DISCARDED = "discarded", _("已放弃")


class LineAction(models.TextChoices):
    CREATE = "create", _("新建联系")
    END = "end", _("结束联系")


class LineOutcome(models.TextChoices):
    PENDING = "", _("待应用")
    DONE = "done", _("已应用")
    SKIPPED = "skipped", _("已跳过")
    DROPPED = "dropped", _("已删除")


class Reason(models.TextChoices):
    SAME_GROUP = "same_group", _("同组")
    SAME_GRID = "same_grid", _("同网格")
    SAME_VILLAGE = "same_village", _("同村")
    TOWN_GRID = "town_grid", _("镇干部包干网格")
    MIGRANT = "migrant", _("本村流动党员")
    EXEMPT = "exempt", _("免于联户")
    LEAVING = "leaving", _("离开")
    REPLANNED = "replanned", _("全面配对调整")
    MOVED = "moved", _("人工改派")
