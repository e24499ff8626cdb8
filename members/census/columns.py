"""Census import: the three sheets and their columns (what the template offers and the reader expects)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..enums import (
    ExemptReason,
    LinkType,
    MemberRole,
    VillageSubRole,
)

SHEET_HOUSEHOLDS = "户"
SHEET_MEMBERS = "人员"
SHEET_LINKS = "联系"
SHEETS = (SHEET_HOUSEHOLDS, SHEET_MEMBERS, SHEET_LINKS)

# A row whose first cell starts with this is a note for people filling in the template, not data.
NOTE_MARK = "【"


# --- columns ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    hint: str = ""
    width: int = 12
    text: bool = False  # formatted as text in the template so Excel keeps leading zeros and all 18 digits
    aliases: tuple[str, ...] = ()


def _labels(choices) -> str:
    return "、".join(str(label) for label in choices.labels)


def household_columns() -> tuple[Column, ...]:
    return (
        Column("code", "户编号", True, _("必填,全镇唯一;再次导入按户编号更新"), 12, True),
        Column("village", "村(社区)", True, _("必填,与系统中的名称一致(见“网格名录”)"), 12),
        Column("grid3", "三级网格", True, _("必填,该村(社区)下的三级网格名称"), 14),
        Column("grid4", "四级网格", False, _("选填,该三级网格下的四级网格名称"), 12),
        Column("head_name", "户主姓名", True, _("必填"), 10),
        Column("address", "住址", True, _("必填"), 20),
        Column("phone", "联系电话", False, _("手机号或带区号的固话"), 14, True),
        Column("id_number", "身份证号", False, _("选填,18位"), 20, True),
        Column("people_count", "人口数", False, _("整数,默认1"), 8),
        Column("is_hardship", "困难户", False, _("是/否"), 8),
        Column("is_disability", "残疾户", False, _("是/否"), 8),
        Column("is_elderly_alone", "孤寡老人户", False, _("是/否"), 10),
        Column("is_left_behind", "留守儿童户", False, _("是/否"), 10),
        Column("is_key", "重点户", False, _("是/否"), 8),
        Column("notes", "备注", False, "", 20),
    )


def member_columns() -> tuple[Column, ...]:
    return (
        Column("name", "姓名", True, _("必填"), 10),
        Column("phone", "手机号", True, _("必填,全镇唯一;再次导入按手机号更新"), 14, True),
        Column("role", "身份", True, _labels(MemberRole), 16),
        Column("village_subrole", "村干部类别", False, _("村干部填:") + _labels(VillageSubRole), 14),
        Column("is_party_member", "是否党员", False, _("是/否"), 8),
        Column("village", "所在村(社区)", False, _("镇干部、市领导可不填;其他人员必填"), 12),
        Column("grid", "所在网格", False, _("选填,三级或四级网格名称"), 14),
        Column("unit", "单位/职务", False, _("选填"), 16),
        Column("exempt_reason", "免于联户原因", False, _("选填:") + _labels(ExemptReason), 16),
        Column("is_migrant", "是否流动党员", False, _("是/否"), 10),
        Column(
            "wecom_userid", "企业微信账号", False, _("选填,企业微信通讯录中的账号(UserID);留空不改"), 14, True
        ),
    )


def link_columns() -> tuple[Column, ...]:
    return (
        Column("member_phone", "人员手机号", True, _("必填,人员表或系统中已有人员的手机号"), 14, True),
        Column("link_type", "联系类型", True, _labels(LinkType), 22),
        Column(
            "target",
            "户编号或联系地点名称",
            False,
            _(
                "联户填户编号;联镇填镇名(可空);联村填村名;联网格填三级网格名(重名写“村名/网格名”);联系流动党员填其手机号"
            ),
            24,
            True,
            ("联系对象", "户编号或地点名称"),
        ),
        Column("start_date", "开始日期", True, _("必填,如 2021-01-01"), 12),
        Column("end_date", "结束日期", False, _("选填"), 12),
    )


def sheet_columns(sheet: str) -> tuple[Column, ...]:
    return {SHEET_HOUSEHOLDS: household_columns, SHEET_MEMBERS: member_columns, SHEET_LINKS: link_columns}[
        sheet
    ]()
