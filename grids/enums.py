from django.db import models
from django.utils.translation import gettext_lazy as _


class PlaceKind(models.TextChoices):
    CITY = "city", _("市")
    TOWN = "town", _("镇")
    VILLAGE = "village", _("村(社区)")
    GRID3 = "grid3", _("三级网格")
    GRID4 = "grid4", _("四级网格")


# What each kind may hang under; the order is the hierarchy.
PARENT_KIND = {
    PlaceKind.CITY: None,
    PlaceKind.TOWN: PlaceKind.CITY,
    PlaceKind.VILLAGE: PlaceKind.TOWN,
    PlaceKind.GRID3: PlaceKind.VILLAGE,
    PlaceKind.GRID4: PlaceKind.GRID3,
}


class DepartmentKind(models.TextChoices):
    TOWN_OFFICE = "town_office", _("镇线办/所/队")
    CENTRE = "centre", _("网格化综合服务中心")
    DISCIPLINE = "discipline", _("镇纪委")
    CITY_DEPT = "city_dept", _("市直部门单位")


class HouseholdCategory(models.TextChoices):
    """Categories that change how a household is served; several may apply. None means 普通户."""

    HARDSHIP = "hardship", _("困难户")
    DISABILITY = "disability", _("残疾户")
    ELDERLY_ALONE = "elderly_alone", _("孤寡老人户")
    LEFT_BEHIND = "left_behind", _("留守儿童户")
    KEY = "key", _("重点户")


CATEGORY_FIELDS = {
    HouseholdCategory.HARDSHIP: "is_hardship",
    HouseholdCategory.DISABILITY: "is_disability",
    HouseholdCategory.ELDERLY_ALONE: "is_elderly_alone",
    HouseholdCategory.LEFT_BEHIND: "is_left_behind",
    HouseholdCategory.KEY: "is_key",
}
