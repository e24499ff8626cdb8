"""Which external channels reach a member: those the member's town allows, minus those the member turned off."""

from __future__ import annotations

from members.models import Member

from ..enums import Channel
from ..models import TownChannels

CHOOSABLE = (Channel.SMS, Channel.WECOM, Channel.EMAIL)


def town_policies() -> list[tuple[str, set[str]]]:
    """(town path, allowed channels) for every town that set a policy (one query; a handful of rows)."""
    return [(row.town.path, row.allowed()) for row in TownChannels.objects.select_related("town")]


def town_allows(path: str, policies: list[tuple[str, set[str]]]) -> set[str]:
    for town_path, allowed in policies:
        if path.startswith(town_path):
            return allowed
    return set(CHOOSABLE)


def member_wants(member: Member, channel: str, policies: list[tuple[str, set[str]]]) -> bool:
    if channel in (member.muted_channels or []):
        return False
    return channel in town_allows(member.path, policies) if channel in CHOOSABLE else True
