from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    WARMTH = "warmth", _("送温暖献爱心")
    CUSTOMS = "customs", _("移风易俗")
    CULTURE = "culture", _("文化惠民")
    FARMING = "farming", _("农忙助农")
    ELDERLY = "elderly", _("敬老爱老")
    COMMEMORATION = "commemoration", _("纪念日活动")
    LECTURE = "lecture", _("政策宣讲")
    TRAINING = "training", _("培训")


class ActivityStatus(models.TextChoices):
    OPEN = "open", _("报名中")
    CLOSED = "closed", _("已截止")
    CANCELLED = "cancelled", _("已取消")


class SignUpStatus(models.TextChoices):
    SIGNED = "signed", _("已报名")
    CANCELLED = "cancelled", _("已取消")


class RequiredGroup(models.TextChoices):
    """Who must attend a training (absentees are listed)."""

    NONE = "", _("无")
    GRID_HEADS = "grid_heads", _("全体网格长")
    VILLAGE_OFFICERS = "village_officers", _("全体村(社区)专干")
