"""Signals, verification calls and cases: every write of the verification app goes through here.

Save-time checks (`check_contact`) run after the contact's transaction commits (visits stays unaware of this
app); pattern checks (`patterns_run`) run nightly per town and month. Both only create or refresh flags:
nothing happens to a member automatically. A case is opened by the centre from a flag, or by a household
saying "no such contact" on a verification call; the discipline commission decides it.
"""

from __future__ import annotations

import datetime
import difflib
import math
import random
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.enums import PlaceKind
from grids.errors import Invalid, NotAllowed
from grids.models import Place
from grids.paths import at_depth
from members.access import scope_for
from members.enums import ExemptReason
from members.models import Link
from notifications.enums import NotificationKind
from notifications.services import notification_send
from visits.enums import HOUSEHOLD_KINDS, MULTI_HOUSEHOLD_KINDS, ContactKind
from visits.models import Contact, ContactHousehold, ContactPhoto
from visits.periods import TZ, local_date
from visits.services import contact_strike

from .enums import (
    SAVE_TIME_KINDS,
    CallOutcome,
    CaseDecision,
    CaseEventKind,
    CaseStatus,
    FlagStatus,
    LocationStatus,
    SignalKind,
)
from .models import Call, Case, CaseEvent, Flag, LocationProposal, PhotoHash, Sample, SignalSettings

EARTH_RADIUS_M = 6_371_000
VERIFIABLE_KINDS = HOUSEHOLD_KINDS | MULTI_HOUSEHOLD_KINDS  # a household can be asked about them


# --- small helpers --------------------------------------------------------------------------------------


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def path_prefix(path: str, depth: int) -> str:
    """The ancestor path `depth` levels below the root: 1 = city, 2 = town, 3 = village."""
    return at_depth(path, depth)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime(month.year, month.month, 1, tzinfo=TZ)
    following = datetime.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=TZ)
    return start, following


def _upsert_flag(
    *, kind: str, key: str, member_id: int, contact_ids: Iterable[int], evidence: dict, month, path
):
    """Create the flag or refresh its evidence; a flag already reviewed keeps its status."""
    contact_ids = sorted(set(contact_ids))
    flag, created = Flag.objects.get_or_create(
        key=key,
        defaults={"kind": kind, "member_id": member_id, "evidence": evidence, "month": month, "path": path},
    )
    if not created and flag.evidence != evidence:
        flag.evidence = evidence
        flag.save(update_fields=["evidence"])
    if created or sorted(flag.contacts.values_list("pk", flat=True)) != contact_ids:
        flag.contacts.set(contact_ids)
    return flag


def reason_text(flag: Flag) -> str:
    """The flag's reason in plain words for the reviewer (in the reader's language)."""
    e = flag.evidence
    if flag.kind == SignalKind.FAR:
        return _(
            "入户走访记录的位置距该户登记位置约 %(d)s 米(规定 %(limit)s 米以内,定位精度约 %(acc)s 米)。"
        ) % {
            "d": e.get("distance_m"),
            "limit": e.get("limit_m"),
            "acc": e.get("accuracy_m") if e.get("accuracy_m") is not None else "?",
        }
    if flag.kind == SignalKind.BURST:
        return _("%(n)s 次入户走访记录在 %(minutes)s 分钟内,各户之间步行至少需要 %(need)s 分钟。") % {
            "n": e.get("count"),
            "minutes": e.get("span_minutes"),
            "need": e.get("walk_minutes"),
        }
    if flag.kind == SignalKind.SAME_PHOTO:
        return _("同一张(或几乎相同的)照片出现在 %(n)s 条不同的走访记录中。") % {"n": e.get("contacts")}
    if flag.kind == SignalKind.SAME_TEXT:
        return _("%(n)s 条走访记录的“走访情况”内容相同或几乎相同:“%(text)s”。") % {
            "n": e.get("count"),
            "text": e.get("text", ""),
        }
    if flag.kind == SignalKind.LATE_ENTRY:
        return _("走访发生后约 %(h)s 小时才录入(规定 %(limit)s 小时以内)。") % {
            "h": e.get("hours"),
            "limit": e.get("limit_h"),
        }
    if flag.kind == SignalKind.MONTH_END:
        return _("当月 %(total)s 条走访中有 %(late)s 条(%(pct)s%%)在月末 %(days)s 天内或之后录入。") % {
            "total": e.get("total"),
            "late": e.get("late"),
            "pct": e.get("percent"),
            "days": e.get("days"),
        }
    if flag.kind == SignalKind.WHILE_AWAY:
        return _("记录走访时,该人员登记为长期在外务工、免于联户。")
    if flag.kind == SignalKind.BEFORE_LINK:
        return _("走访日期 %(date)s 早于与该户的联系开始日期 %(start)s。") % {
            "date": e.get("date"),
            "start": e.get("link_start"),
        }
    return ""


# --- evidence and save-time signals ---------------------------------------------------------------------


def check_contact(contact_id: int, *, created: bool = False) -> list[Flag]:
    """Save-time signals of one contact (far from the household, late entry, while away, before the link).

    Also proposes the household's location from its first located home visit (the grid head confirms it).
    Run again after a correction: findings that no longer hold are removed while still unreviewed.
    A new home visit costs two queries (the contact, the member's links to it); the town's settings are cached.
    """
    contact = Contact.objects.select_related("member", "household").filter(pk=contact_id).first()
    if contact is None:
        return []
    if contact.household_id is not None:
        reached = [contact.household_id]
    else:
        reached = list(
            ContactHousehold.objects.filter(contact=contact).values_list("household_id", flat=True)
        )
    firsts = {}
    if reached:
        firsts = {
            row["household_id"]: row["first"]
            for row in Link.objects.filter(member=contact.member, household_id__in=reached)
            .values("household_id")
            .annotate(first=Min("start_date"))
        }
    return _check(contact, firsts, created=created)


def check_recorded(contact: Contact) -> list[Flag] | None:
    """check_contact for a contact visits.services.contact_record has just stored, from what it holds: the
    contact with its member and household, and `contact.reached_link_starts` (the member's earliest link start
    for each household reached, read while recording). No query unless something is found, or a located visit
    proposes its household's location. None when the contact was saved some other way (check_contact reads
    what it needs)."""
    starts = getattr(contact, "reached_link_starts", None)
    if starts is None or not Contact.member.is_cached(contact):
        return None
    if contact.household_id is not None and not Contact.household.is_cached(contact):
        return None
    return _check(contact, starts, created=True)


def _check(contact: Contact, firsts: dict, *, created: bool) -> list[Flag]:
    """The save-time findings of `contact`, saved as flags; `firsts`: {household id: the member's earliest link
    start to it} for the households it reached."""
    cfg = SignalSettings.cached_for_path(contact.path)
    on = local_date(contact.occurred_at)
    month = on.replace(day=1)
    found: list[tuple[str, dict]] = []
    household = contact.household

    if contact.kind == ContactKind.HOME_VISIT and contact.latitude is not None and household is not None:
        if household.latitude is not None and household.longitude is not None:
            metres = distance_m(contact.latitude, contact.longitude, household.latitude, household.longitude)
            if metres > cfg.far_metres:
                found.append(
                    (
                        SignalKind.FAR,
                        {
                            "distance_m": round(metres),
                            "limit_m": cfg.far_metres,
                            "accuracy_m": contact.accuracy_m,
                        },
                    )
                )
        else:
            try:
                with transaction.atomic():
                    LocationProposal.objects.get_or_create(
                        household=household,
                        status=LocationStatus.PENDING,
                        defaults={
                            "contact": contact,
                            "latitude": contact.latitude,
                            "longitude": contact.longitude,
                            "accuracy_m": contact.accuracy_m,
                            "path": household.path,
                        },
                    )
            except IntegrityError:  # another located visit of the same household won the race
                pass

    hours = (contact.created_at - contact.occurred_at).total_seconds() / 3600
    if hours > cfg.late_hours:
        found.append((SignalKind.LATE_ENTRY, {"hours": round(hours), "limit_h": cfg.late_hours}))

    member = contact.member
    if member.is_exempt and member.exempt_reason == ExemptReason.WORKING_AWAY:
        found.append((SignalKind.WHILE_AWAY, {"reason": member.exempt_reason}))

    early = sorted((first, household_id) for household_id, first in firsts.items() if on < first)
    if early:
        found.append(
            (
                SignalKind.BEFORE_LINK,
                {"date": on.isoformat(), "link_start": early[0][0].isoformat(), "households": len(early)},
            )
        )

    flags = []
    kept_keys = set()
    for kind, evidence in found:
        key = f"{kind}:{contact.pk}"
        kept_keys.add(key)
        flags.append(
            _upsert_flag(
                kind=kind,
                key=key,
                member_id=member.pk,
                contact_ids=[contact.pk],
                evidence=evidence,
                month=month,
                path=contact.path,
            )
        )
    if not created:  # a new contact has no earlier findings to withdraw
        stale = [
            f"{kind}:{contact.pk}" for kind in SAVE_TIME_KINDS if f"{kind}:{contact.pk}" not in kept_keys
        ]
        Flag.objects.filter(key__in=stale, status=FlagStatus.OPEN).delete()
    return flags


# --- nightly pattern signals ------------------------------------------------------------------------------


def _bursts(contacts, cfg) -> list[dict]:
    """Windows of >= burst_count home visits within burst_minutes that one could not have walked."""
    found = []
    by_member: dict[int, list[dict]] = defaultdict(list)
    for row in contacts:
        by_member[row["member_id"]].append(row)
    window = datetime.timedelta(minutes=cfg.burst_minutes)
    speed = cfg.walk_kmh * 1000 / 60  # metres per minute
    for member_id, rows in by_member.items():
        rows.sort(key=lambda r: (r["occurred_at"], r["id"]))
        i = 0
        while i < len(rows):
            j = i
            while j + 1 < len(rows) and rows[j + 1]["occurred_at"] - rows[i]["occurred_at"] <= window:
                j += 1
            if j - i + 1 >= cfg.burst_count:
                part = rows[i : j + 1]
                walk = 0.0
                for a, b in zip(part, part[1:], strict=False):
                    if None not in (a["lat"], a["lon"], b["lat"], b["lon"]):
                        walk += distance_m(a["lat"], a["lon"], b["lat"], b["lon"])
                span = (part[-1]["occurred_at"] - part[0]["occurred_at"]).total_seconds() / 60
                need = walk / speed
                if need > span:
                    found.append(
                        {
                            "member_id": member_id,
                            "ids": [r["id"] for r in part],
                            "path": part[0]["path"],
                            "evidence": {
                                "count": len(part),
                                "span_minutes": round(span),
                                "walk_minutes": round(need),
                                "walk_m": round(walk),
                            },
                        }
                    )
                    i = j + 1
                    continue
            i += 1
    return found


_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def _normal_text(text: str) -> str:
    return _NOT_TEXT.sub("", text).lower()


def _same_texts(rows, cfg) -> list[dict]:
    """Per member, groups of >= same_text_count summaries that are equal or nearly equal."""
    found = []
    by_member: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        text = _normal_text(row["summary"] or "")
        if len(text) >= 4:
            by_member[row["member_id"]].append({**row, "text": text})
    ratio = cfg.same_text_ratio / 100
    for member_id, items in by_member.items():
        if len(items) < cfg.same_text_count:
            continue
        groups: list[list[dict]] = []
        for item in sorted(items, key=lambda r: r["id"]):
            for group in groups:
                head = group[0]["text"]
                if head == item["text"] or (
                    abs(len(head) - len(item["text"])) <= max(len(head), len(item["text"])) * (1 - ratio)
                    and difflib.SequenceMatcher(None, head, item["text"], autojunk=False).ratio() >= ratio
                ):
                    group.append(item)
                    break
            else:
                groups.append([item])
        for group in groups:
            if len(group) >= cfg.same_text_count:
                found.append(
                    {
                        "member_id": member_id,
                        "ids": [r["id"] for r in group],
                        "path": group[0]["path"],
                        "evidence": {"count": len(group), "text": (group[0]["summary"] or "")[:60]},
                    }
                )
    return found


def photo_hash_missing(contacts) -> int:
    """Compute the perceptual hash of photos that have none yet (imagehash pHash)."""
    import imagehash
    from PIL import Image

    done = 0
    photos = ContactPhoto.objects.filter(contact__in=contacts, phash__isnull=True).select_related("contact")
    for photo in photos.iterator(chunk_size=200):
        try:
            with photo.image.open("rb") as fh, Image.open(fh) as image:
                value = str(imagehash.phash(image))
        except (OSError, ValueError):
            continue  # a missing or broken file: nothing to compare
        PhotoHash.objects.get_or_create(
            photo=photo,
            defaults={
                "contact": photo.contact,
                "value": value,
                "path": photo.contact.path,
                "occurred_at": photo.contact.occurred_at,
            },
        )
        done += 1
    return done


def _same_photos(hashes: list[dict], cfg) -> list[dict]:
    """Clusters of photos whose hashes differ by <= photo_distance bits, spread over several contacts.

    Pigeonhole: two 64-bit hashes within d < 8 bits agree on at least one of their 8 bytes, so only photos
    sharing a byte at the same position are compared.
    """
    parent = list(range(len(hashes)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    values = [int(h["value"], 16) for h in hashes]
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, value in enumerate(values):
        for byte in range(8):
            buckets[(byte, (value >> (8 * byte)) & 0xFF)].append(index)
    limit = min(cfg.photo_distance, 7)
    for members in buckets.values():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                if root(a) != root(b) and (values[a] ^ values[b]).bit_count() <= limit:
                    parent[root(a)] = root(b)
    clusters: dict[int, list[dict]] = defaultdict(list)
    for index, row in enumerate(hashes):
        clusters[root(index)].append(row)
    found = []
    for rows in clusters.values():
        contact_ids = {r["contact_id"] for r in rows}
        if len(contact_ids) < 2:
            continue
        by_member: dict[int, set[int]] = defaultdict(set)
        for r in rows:
            by_member[r["member_id"]].add(r["contact_id"])
        first_photo = min(r["photo_id"] for r in rows)
        for member_id, own in by_member.items():
            found.append(
                {
                    "member_id": member_id,
                    "ids": sorted(contact_ids),
                    "key": f"same_photo:{first_photo}:{member_id}",
                    "path": next(r["path"] for r in rows if r["member_id"] == member_id),
                    "evidence": {"contacts": len(contact_ids), "own_contacts": len(own)},
                }
            )
    return found


def _save_findings(kind: str, findings: list[dict], month: datetime.date) -> int:
    """Store what a pattern check found as flags (keyed by the finding's `key`, else its first contact)."""
    for found in findings:
        _upsert_flag(
            kind=kind,
            key=found.get("key") or f"{getattr(kind, 'value', kind)}:{found['ids'][0]}",
            member_id=found["member_id"],
            contact_ids=found["ids"],
            evidence=found["evidence"],
            month=month,
            path=found["path"],
        )
    return len(findings)


def patterns_run(
    *, town: Place, month: datetime.date, now: datetime.datetime | None = None
) -> dict[str, int]:
    """The nightly pattern checks for one town and month; returns the number of findings per signal."""
    now = now or timezone.now()
    month = month.replace(day=1)
    cfg = SignalSettings.for_path(town.path)
    start, end = month_bounds(month)
    contacts = Contact.objects.filter(path__startswith=town.path, occurred_at__gte=start, occurred_at__lt=end)
    counts: dict[str, int] = {}

    visits = contacts.filter(kind=ContactKind.HOME_VISIT).values(
        "id", "member_id", "occurred_at", "path", lat=F("household__latitude"), lon=F("household__longitude")
    )
    counts[SignalKind.BURST] = _save_findings(SignalKind.BURST, _bursts(list(visits), cfg), month)
    texts = contacts.exclude(summary="").values("id", "member_id", "summary", "path")
    counts[SignalKind.SAME_TEXT] = _save_findings(SignalKind.SAME_TEXT, _same_texts(list(texts), cfg), month)

    photo_hash_missing(contacts)
    # This month's photos against themselves and the two months before (a photo reused later).
    earlier = month_bounds((month - datetime.timedelta(days=45)).replace(day=1))[0]
    hashes = list(
        PhotoHash.objects.filter(
            path__startswith=town.path, occurred_at__gte=earlier, occurred_at__lt=end
        ).values("value", "contact_id", "path", "photo_id", member_id=F("contact__member_id"))
    )
    counts[SignalKind.SAME_PHOTO] = _save_findings(SignalKind.SAME_PHOTO, _same_photos(hashes, cfg), month)

    rushes: list[dict] = []
    if now >= end:  # only a finished month can be judged
        last_days_from = end - datetime.timedelta(days=cfg.month_end_days)
        rows = (
            contacts.values("member_id")
            .annotate(total=Count("id"), late=Count("id", filter=Q(created_at__gte=last_days_from)))
            .filter(total__gte=cfg.month_end_min)
        )
        over = {
            row["member_id"]: {**row, "percent": round(100 * row["late"] / row["total"])}
            for row in rows
            if row["late"] and 100 * row["late"] >= cfg.month_end_percent * row["total"]
        }
        late: dict[int, list[tuple[int, str]]] = defaultdict(list)
        entered_late = contacts.filter(member_id__in=list(over), created_at__gte=last_days_from)
        for member_id, pk, path in entered_late.order_by("id").values_list("member_id", "id", "path"):
            late[member_id].append((pk, path))
        for member_id, row in over.items():
            rushes.append(
                {
                    "key": f"month_end:{member_id}:{month:%Y-%m}",
                    "member_id": member_id,
                    "ids": [pk for pk, _path in late[member_id]],
                    "path": late[member_id][0][1],
                    "evidence": {
                        "total": row["total"],
                        "late": row["late"],
                        "percent": row["percent"],
                        "days": cfg.month_end_days,
                    },
                }
            )
    counts[SignalKind.MONTH_END] = _save_findings(SignalKind.MONTH_END, rushes, month)
    return counts


# --- reviewing flags and household locations --------------------------------------------------------------


def _require_centre(user, path: str) -> None:
    scope = scope_for(user)
    if not scope.is_staff_of(path):
        raise NotAllowed(_("只有镇网格化综合服务中心的工作人员可以处理"))


def flag_dismiss(*, user, flag: Flag, note: str) -> Flag:
    _require_centre(user, flag.path)
    note = (note or "").strip()
    if not note:
        raise Invalid(_("请说明排除的理由"), field="note")
    if flag.status != FlagStatus.OPEN:
        raise Invalid(_("该信号已处理"))
    flag.status, flag.review_note = FlagStatus.DISMISSED, note[:500]
    flag.reviewed_by, flag.reviewed_at = user, timezone.now()
    flag.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    return flag


@transaction.atomic
def flag_to_case(*, user, flag: Flag, note: str = "") -> list[Case]:
    """The centre passes a flag to the discipline commission: one case per contact concerned."""
    _require_centre(user, flag.path)
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != FlagStatus.OPEN:
        raise Invalid(_("该信号已处理"))
    cases = [
        case_open(contact=contact, flag=flag, by=user, text=note or reason_text(flag))
        for contact in flag.contacts.all().order_by("id")
    ]
    flag.status, flag.review_note = FlagStatus.CASE, (note or "").strip()[:500]
    flag.reviewed_by, flag.reviewed_at = user, timezone.now()
    flag.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    return cases


def location_decide(*, user, proposal: LocationProposal, confirm: bool) -> LocationProposal:
    """The grid head confirms (the household's location is set) or rejects a proposed location."""
    scope = scope_for(user)
    if not (
        scope.is_superuser
        or (scope.is_grid_head and any(proposal.path.startswith(p) for p in scope.grid_paths))
    ):
        raise NotAllowed(_("只有该户所在网格的网格长可以确认位置"))
    if proposal.status != LocationStatus.PENDING:
        raise Invalid(_("该位置已处理"))
    with transaction.atomic():
        proposal.status = LocationStatus.CONFIRMED if confirm else LocationStatus.REJECTED
        proposal.decided_by, proposal.decided_at = user, timezone.now()
        proposal.save(update_fields=["status", "decided_by", "decided_at"])
        if confirm:
            household = proposal.household
            household.latitude, household.longitude = Decimal(proposal.latitude), Decimal(proposal.longitude)
            household.save(update_fields=["latitude", "longitude", "updated_at"])
    return proposal


# --- the monthly sample and the calls -------------------------------------------------------------------


def sample_draw(
    *, user, town: Place, month: datetime.date, seed: int | None = None, cross_check: bool = False
) -> Sample:
    """Draw the month's verification calls: per village sample_percent of the contacts (at least sample_min),
    flagged contacts first, the rest at random from the stored seed (same seed, same list).

    With `cross_check` each village's calls go to the officers of the next village (villages in id order).
    Drawing a month twice returns the first draw.
    """
    _require_centre(user, town.path)
    if town.kind != PlaceKind.TOWN:
        raise Invalid(_("请选择镇"), field="town")
    month = month.replace(day=1)
    if month_bounds(month)[1] > timezone.now():
        raise Invalid(_("该月尚未结束,月末之后再抽取回访名单"), field="month")
    existing = Sample.objects.filter(town=town, month=month).first()
    if existing is not None:
        return existing
    cfg = SignalSettings.for_path(town.path)
    seed = seed if seed is not None else secrets.randbelow(2**62)
    start, end = month_bounds(month)
    villages = list(Place.objects.filter(kind=PlaceKind.VILLAGE, path__startswith=town.path).order_by("id"))
    month_contacts = Contact.objects.filter(
        path__startswith=town.path, occurred_at__gte=start, occurred_at__lt=end, kind__in=VERIFIABLE_KINDS
    )
    flagged = set(
        Flag.objects.filter(month=month, path__startswith=town.path, contacts__isnull=False)
        .exclude(status=FlagStatus.DISMISSED)
        .values_list("contacts", flat=True)
    )
    # One query for the month: each contact's village is the third level of its path.
    by_village: dict[str, list[int]] = defaultdict(list)
    facts: dict[int, tuple[int | None, str]] = {}
    for pk, path, household_id in month_contacts.values_list("pk", "path", "household_id"):
        by_village[path_prefix(path, 3)].append(pk)
        facts[pk] = (household_id, path)
    chosen: list[tuple[Place, Place | None, int, bool]] = []
    for index, village in enumerate(villages):
        ids = sorted(by_village.get(village.path, ()))
        if not ids:
            continue
        k = min(len(ids), max(cfg.sample_min, math.ceil(len(ids) * cfg.sample_percent / 100)))
        first = [i for i in ids if i in flagged][:k]
        rest = [i for i in ids if i not in flagged]
        rng = random.Random(f"{seed}:{village.pk}")
        picked = first + rng.sample(rest, k - len(first))
        caller = villages[(index + 1) % len(villages)] if cross_check and len(villages) > 1 else None
        chosen.extend((village, caller, contact_id, contact_id in flagged) for contact_id in picked)
    households = {pk: facts[pk][0] for _village, _caller, pk, _flagged in chosen}
    missing = [pk for pk, household in households.items() if household is None]
    if missing:  # yard meetings: ask the first household that took part
        for row in (
            ContactHousehold.objects.filter(contact_id__in=missing)
            .values("contact_id")
            .annotate(first=Min("household_id"))
        ):
            households[row["contact_id"]] = row["first"]
    with transaction.atomic():
        sample = Sample.objects.create(
            town=town,
            month=month,
            seed=seed,
            cross_check=cross_check,
            percent=cfg.sample_percent,
            minimum=cfg.sample_min,
            drawn_by=user,
        )
        Call.objects.bulk_create(
            Call(
                sample=sample,
                contact_id=contact_id,
                household_id=households.get(contact_id),
                village=village,
                caller_village=caller,
                flagged=flagged_contact,
                path=facts[contact_id][1],
            )
            for village, caller, contact_id, flagged_contact in chosen
        )
    return sample


def phones_shown(*, calls: Iterable[Call], request=None) -> None:
    """Record in the access log that the caller was shown these households' full phone numbers."""
    from members.enums import AccessAction
    from members.privacy import access_log

    for call in calls:
        if call.household_id is not None:
            access_log(
                action=AccessAction.REVEAL,
                obj=call.household,
                detail={"field": "phone", "via": "verification_call", "call": call.pk},
                request=request,
            )


def may_call(user, call: Call) -> bool:
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    if call.caller_village_id is None:
        return scope.is_staff_of(call.path)
    return scope.is_village_officer and call.caller_village.path in scope.village_paths


@transaction.atomic
def call_record(*, user, call: Call, outcome: str, note: str = "") -> Call:
    """The caller records what the household said; "no such contact" opens a case for the discipline commission."""
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("caller_village", "contact")
        .get(pk=call.pk)
    )
    if not may_call(user, call):
        raise NotAllowed(_("这条回访不在您的回访名单中"))
    if outcome not in (CallOutcome.CONFIRMED, CallOutcome.DENIED, CallOutcome.UNREACHABLE):
        raise Invalid(_("请选择回访结果"), field="outcome")
    if call.outcome != CallOutcome.PENDING:
        raise Invalid(_("这条回访已记录结果"))
    note = (note or "").strip()
    if outcome == CallOutcome.DENIED and not note:
        raise Invalid(_("请记录群众的原话或说明"), field="note")
    call.outcome, call.note = outcome, note[:500]
    call.called_by, call.called_at = user, timezone.now()
    call.save(update_fields=["outcome", "note", "called_by", "called_at"])
    if outcome == CallOutcome.DENIED:
        case_open(
            contact=call.contact,
            call=call,
            by=user,
            text=_("回访核实:群众称没有此次走访。%(note)s") % {"note": note},
        )
    return call


# --- cases for the discipline commission -------------------------------------------------------------------


def case_open(*, contact: Contact, by, text: str, flag: Flag | None = None, call: Call | None = None) -> Case:
    """Open a case about a contact (the open one is reused: one open case per contact)."""
    case = Case.objects.filter(contact=contact, status=CaseStatus.OPEN).first()
    if case is None:
        case = Case.objects.create(
            contact=contact,
            member_id=contact.member_id,
            household_id=contact.household_id,
            call=call,
            flag=flag,
            path=contact.path,
        )
        CaseEvent.objects.create(case=case, kind=CaseEventKind.OPENED, by=by, text=text)
    else:
        CaseEvent.objects.create(case=case, kind=CaseEventKind.NOTE, by=by, text=text)
    return case


def may_decide(user, case: Case) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or (scope.is_discipline and scope.sees_path(case.path))


@transaction.atomic
def case_decide(*, user, case: Case, decision: str, reason: str) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not may_decide(user, case):
        raise NotAllowed(_("只有镇纪委可以认定"))
    if decision not in CaseDecision.values:
        raise Invalid(_("请选择认定结果"), field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("请写明认定理由"), field="reason")
    if case.status != CaseStatus.OPEN:
        raise Invalid(_("该案件已认定"))
    case.status, case.decision, case.reason = CaseStatus.DECIDED, decision, reason
    case.decided_by, case.decided_at = user, timezone.now()
    case.save(update_fields=["status", "decision", "reason", "decided_by", "decided_at"])
    if decision == CaseDecision.FALSE_CONTACT:
        contact_strike(contact=case.contact, by=user, reason=reason)
    CaseEvent.objects.create(
        case=case, kind=CaseEventKind.DECIDED, by=user, text=f"{case.get_decision_display()}:{reason}"
    )
    # The member learns of it in the inbox (and the channels they chose); they may add an explanation there.
    notification_send(
        recipient=case.member,
        kind=NotificationKind.GENERAL,
        title=_("您的一条走访记录已由镇纪委认定:%(decision)s") % {"decision": case.get_decision_display()},
        body=reason[:500],
        link=reverse("verification:case", args=[case.pk]),
        period_key=f"verification-case-{case.pk}",
    )
    return case


def case_explain(*, user, case: Case, text: str) -> CaseEvent:
    """The member adds an explanation to a decided case about their own contact."""
    scope = scope_for(user)
    if scope.member is None or scope.member.pk != case.member_id:
        raise NotAllowed(_("只能对本人的走访记录作出说明"))
    if case.status != CaseStatus.DECIDED:
        raise Invalid(_("认定之后才能补充说明"))
    text = (text or "").strip()
    if not text:
        raise Invalid(_("请填写说明"), field="text")
    return CaseEvent.objects.create(case=case, kind=CaseEventKind.EXPLAINED, by=user, text=text[:2000])
