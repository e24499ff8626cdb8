"""Writes: recording and correcting contacts. HTML forms and the API both call these.

Errors are `grids.errors.Invalid` (a `ValidationError` that names its field) and `NotAllowed` (403), one
language each: a form shows them next to the field and the API answers 400 / 403 with the same text
(docs/architecture.md, Errors).
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import functools
import io
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from grids import rows
from grids.enums import PlaceKind
from grids.errors import Invalid, NotAllowed
from grids.models import Household, Place
from members.access import WRITE_REFUSED, households_visible_to, places_visible_to, scope_for, writes
from members.models import Link, Member

from .enums import (
    DUTY_FIELDS,
    HOUSEHOLD_KINDS,
    MULTI_HOUSEHOLD_KINDS,
    PLACE_KINDS,
    ContactKind,
    Duty,
    RevisionAction,
)
from .models import Contact, ContactHousehold, ContactPhoto, ContactRevision
from .periods import CLOCK_SKEW, TZ, local_date
from .signals import COUNTED_ATTR
from .tallies import (
    column_type,
    last_contact_note_sql,
    last_contact_recount,
    month_tally_add_sql,
    tally_add,
    tally_add_sql,
)

MAX_PHOTOS = 3
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
PHOTO_MAX_SIDE = 1600
PHOTO_MAX_PIXELS = 40_000_000
# A phone's clock may run a little ahead of the server's.

PLACE_KIND_FOR = {
    ContactKind.GRID_SINKDOWN: {PlaceKind.GRID3, PlaceKind.VILLAGE},
    ContactKind.ONSITE: {PlaceKind.TOWN, PlaceKind.VILLAGE, PlaceKind.GRID3},
}


def _photo_max_bytes() -> int:
    return int(settings.LIANHU.get("CONTACT_PHOTO_MAX_BYTES", 5 * 1024 * 1024))


def _edit_days() -> int:
    return int(settings.LIANHU.get("CONTACT_EDIT_DAYS", 7))


def _aware(moment: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=TZ)
    return moment


def _common_path(paths: Iterable[str]) -> str:
    """The deepest place that holds every path ("/1/2/3/" and "/1/2/4/" → "/1/2/")."""
    split = [p.strip("/").split("/") for p in paths]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/" + "".join(f"{part}/" for part in common)


def photo_clean(upload) -> ContentFile:
    """An uploaded image re-encoded as JPEG without any metadata (EXIF, GPS), at most 1600 px a side."""
    if upload.size > _photo_max_bytes():
        raise Invalid(
            _("照片不能超过 %(mb)s MB") % {"mb": _photo_max_bytes() // (1024 * 1024)},
            field="photos",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            probe.verify()
            fmt = probe.format
        upload.seek(0)
        with Image.open(upload) as img:
            if fmt not in PHOTO_FORMATS:
                raise Invalid(_("只能上传 JPEG/PNG/WebP 图片"), field="photos")
            if img.width * img.height > PHOTO_MAX_PIXELS:
                raise Invalid(_("图片尺寸过大"), field="photos")
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGB")
            img.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            # Saved without `exif=`: Pillow writes no metadata, so location and device data are gone.
            img.save(out, format="JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise Invalid(_("只能上传 JPEG/PNG/WebP 图片"), field="photos") from exc
    return ContentFile(out.getvalue(), name="photo.jpg")


def _snapshot(contact: Contact, household_ids: Sequence[int]) -> dict:
    return {
        "kind": contact.kind,
        "occurred_at": contact.occurred_at.astimezone(TZ).isoformat(),
        "household": contact.household_id,
        "place": contact.place_id,
        "households": sorted(household_ids),
        "duties": contact.duties,
        "summary": contact.summary,
        "found_problem": contact.found_problem,
    }


def _clean_duties(duties: Iterable[str]) -> list[str]:
    chosen = []
    for duty in duties:
        if duty not in Duty.values:
            raise Invalid(_("未知的职责:%(d)s") % {"d": duty}, field="duties")
        if duty not in chosen:
            chosen.append(duty)
    if not chosen:
        raise Invalid(_("请至少选择一项“五到位”内容"), field="duties")
    return chosen


def _check_time(occurred_at: datetime.datetime, now: datetime.datetime | None = None) -> datetime.datetime:
    occurred_at = _aware(occurred_at)
    if occurred_at > (now or timezone.now()) + CLOCK_SKEW:
        raise Invalid(_("不能选择未来的时间"), field="occurred_at")
    return occurred_at


def _clean_position(position) -> tuple:
    """(latitude, longitude, accuracy) rounded to about 10 m, or Nones; a ValidationError when out of range."""
    if not position or position[0] in (None, "") or position[1] in (None, ""):
        return None, None, None
    try:
        lat = decimal.Decimal(str(position[0])).quantize(decimal.Decimal("0.0001"))
        lon = decimal.Decimal(str(position[1])).quantize(decimal.Decimal("0.0001"))
        accuracy = position[2] if len(position) > 2 else None
        accuracy = None if accuracy in (None, "") else max(0, min(int(float(accuracy)), 100_000))
    except (decimal.InvalidOperation, ValueError, TypeError):
        raise Invalid(_("位置信息无效"), field="position") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid(_("位置信息无效"), field="position")
    return lat, lon, accuracy


def _not_linked_error(field: str, links: Sequence[Link], on: datetime.date):
    """Why the member's links to a target do not cover a contact on `on`."""
    if links:
        if on < links[0].start_date:
            return ValidationError(
                {
                    "occurred_at": _("走访日期不能早于联系开始日期 %(d)s")
                    % {"d": links[0].start_date.isoformat()}
                }
            )
        return Invalid(_("该日期不在联系有效期内"), field="occurred_at")
    return ValidationError({field: _("只能为自己联系的对象记录走访")})


def _find_link(
    *, user, member: Member, kind: str, target, on: datetime.date, read: dict | None = None
) -> Link | None:
    """The member's link to the target on that day, None for scope-based recording, or a ValidationError.
    `read`, if given, gets {target id: the member's links to it} (every link, by start date).

    The link is the one active on the contact's date, not today's: a contact entered late, dated inside a
    link that has since ended, is accepted and counts for that link (docs/visits.md "late entries").
    """
    field = "household" if isinstance(target, Household) else "place"
    kept = getattr(target, _MEMBER_LINKS_ATTR, None)  # read with the household (recordable_household)
    if kept is not None and kept[0] == member.pk:
        links = kept[1]
    else:
        links = list(Link.objects.filter(member=member, **{field: target}).order_by("start_date"))
    if read is not None:
        read[target.pk] = links
    for link in links:
        if link.is_current(on):
            return link
    scope = scope_for(user)
    if (scope.is_grid_head or scope.is_town_staff) and scope.writes_path(target.path):
        return None
    raise _not_linked_error(field, links, on)


def _yard_links(
    *, user, member: Member, households: Sequence[Household], on: datetime.date, read: dict | None = None
) -> dict:
    """{household id: the member's link to it on `on`, or None} for a yard meeting, or a ValidationError.
    `read`, if given, gets {household id: the member's links to it} (every link, by start date).

    Each household must be one the recorder may record for on that date: linked to the member that day (it
    then counts for that link, even if the link has ended since), or inside the recorder's write scope (the
    area of a post that may change things there; it then counts for no link).
    """
    scope = scope_for(user)
    by_household: dict[int, list[Link]] = {}
    for link in Link.objects.filter(member=member, household__in=[h.pk for h in households]).order_by(
        "start_date"
    ):
        by_household.setdefault(link.household_id, []).append(link)
    result: dict[int, Link | None] = {}
    for household in households:
        links = by_household.get(household.pk, [])
        if read is not None:
            read[household.pk] = links
        active = next((link for link in links if link.is_current(on)), None)
        if active is not None:
            result[household.pk] = active
        elif scope.writes_path(household.path):
            result[household.pk] = None
        elif links:
            error = _not_linked_error("households", links, on)
            raise ValidationError({"households": [f"{household.head_name}: {m}" for m in error.messages]})
        elif scope.sees_path(household.path):
            # Seen but not written (the discipline commission's read-only view): refused as such (403).
            raise NotAllowed(_(WRITE_REFUSED), code="read_only")
        else:
            raise Invalid(_("屋场夜话的户必须在您的范围内"), field="households")
    return result


def _with_ended_links(user, visible: QuerySet, model, field: str) -> QuerySet:
    """`visible`, and the `field` targets (household or place) of the user's own links that have ended."""
    member = scope_for(user).member
    if member is None:
        return visible
    ended = Link.objects.filter(member=member, **{f"{field}__isnull": False}, end_date__isnull=False)
    return visible | model.objects.filter(pk__in=ended.values(f"{field}_id"))


def households_recordable_by(user) -> QuerySet[Household]:
    """Households the user may pick as a contact's target: those they see today, and those of their own
    links that have ended (a late entry; contact_record then checks the contact's date against the link)."""
    return _with_ended_links(user, households_visible_to(user), Household, "household")


def places_recordable_by(user) -> QuerySet[Place]:
    """Places the user may pick as a contact's target (as households_recordable_by)."""
    return _with_ended_links(user, places_visible_to(user), Place, "place")


def may_record_for(*, user, target: Household | Place) -> bool:
    """Write scope over the target, or a link of the user's member to it (its dates are checked later).

    A read-only scope (the discipline commission) records nothing: issue 11, finding 2.
    """
    scope = scope_for(user)
    if scope.member is None:
        return False
    if writes(scope, target):
        return True
    field = "household" if isinstance(target, Household) else "place"
    return Link.objects.filter(member=scope.member, **{field: target}).exists()


def _require_record_rights(*, user, kind: str, household: Household | None, place: Place | None) -> None:
    """Refuse (403) a target the user sees but may not write for; out-of-sight targets get the usual 400."""
    target = household if kind in HOUSEHOLD_KINDS else place if kind in PLACE_KINDS else None
    if target is None:
        return  # yard meetings: every household is checked below
    scope = scope_for(user)
    own = scope.own_household_ids if isinstance(target, Household) else scope.own_place_ids
    if (scope.sees_path(target.path) or target.pk in own) and not may_record_for(user=user, target=target):
        raise NotAllowed(_("您只有查看权限,不能在此范围内录入或办理"))


# On a household read by recordable_household: (member id, that member's links to it, by start date).
_MEMBER_LINKS_ATTR = "_lianhu_member_links"


def recordable_household(user, pk: int) -> Household:
    """`households_recordable_by(user).get(pk=pk)`; one of the member's own current households (the usual
    case, already in the scope) is read with the member's links to it, in one query by primary and foreign
    key (the links are kept on the household for _find_link). Household.DoesNotExist when out of reach."""
    scope = scope_for(user)
    if pk in scope.own_household_ids:
        links = _member_links_with_household(scope.member.pk, pk)
        if links:
            household = links[0].household
            for link in links:
                link.household = household
            setattr(household, _MEMBER_LINKS_ATTR, (scope.member.pk, links))
            return household
        return Household.objects.get(pk=pk)
    return households_recordable_by(user).get(pk=pk)


def _first_starts(read: dict) -> dict:
    """{household id: start date of the first of its links} from {household id: links by start date}."""
    return {pk: links[0].start_date for pk, links in read.items() if links}


@functools.cache
def _links_with_household_sql() -> str:
    qn = connection.ops.quote_name
    member, household = (qn(Link._meta.get_field(name).column) for name in ("member", "household"))
    return (
        f"SELECT {rows.columns(Link, 'l')}, {rows.columns(Household, 'h')} "
        f"FROM {qn(Link._meta.db_table)} l "
        f"JOIN {qn(Household._meta.db_table)} h ON h.{qn(Household._meta.pk.column)} = l.{household} "
        f"WHERE l.{member} = %s AND l.{household} = %s ORDER BY l.{qn(Link._meta.get_field('start_date').column)}"
    )


def _member_links_with_household(member_id: int, household_id: int) -> list[Link]:
    """The member's links to the household by start date, each with the household read in the same query
    (`Link.objects.filter(…).select_related("household")`, as SQL written once on PostgreSQL: grids.rows)."""
    if not rows.fast_reads():
        return list(
            Link.objects.filter(member_id=member_id, household_id=household_id)
            .select_related("household")
            .order_by("start_date")
        )
    with connection.cursor() as cursor:
        cursor.execute(_links_with_household_sql(), [member_id, household_id])
        found = cursor.fetchall()
    split = rows.width(Link)
    links = [rows.instance(Link, row[:split]) for row in found]
    if found:
        household = rows.instance(Household, found[0][split:])
        for link in links:
            link.household = household
    return links


@dataclass
class _Target:
    """What a new contact is about: its household or place, the households it reaches, and for each the
    member's link it counts towards (None: recorded through the recorder's write scope)."""

    household: Household | None
    place: Place | None
    link: Link | None
    reached: list[Household]
    links: dict[int, Link | None]
    path: str
    # {household id: start date of the member's first link to it} for the households reached (those without a
    # link left out), from the links read to find `links`.
    first_starts: dict = dataclass_field(default_factory=dict)


def _recording_member(user) -> Member:
    member = scope_for(user).member
    if member is None:
        raise Invalid(_("该账号未关联联户人员"))
    return member


def _check_input(*, kind: str, occurred_at, duties, photos, now) -> tuple[datetime.datetime, list[str]]:
    """The contact's own fields: a known kind, a time not in the future, duties, at most three photos."""
    if kind not in ContactKind.values:
        raise Invalid(_("未知的走访方式"), field="kind")
    occurred_at = _check_time(occurred_at, now)
    chosen = _clean_duties(duties)
    if len(photos) > MAX_PHOTOS:
        raise Invalid(_("最多上传 3 张照片"), field="photos")
    return occurred_at, chosen


def _record_target(
    *, user, member: Member, kind: str, on: datetime.date, household, place, households
) -> _Target:
    """The target for the kind of contact, and the links it counts towards on `on` (or a ValidationError)."""
    if kind in HOUSEHOLD_KINDS:
        if household is None or place is not None or households:
            raise Invalid(_("请选择走访的户"), field="household")
        read: dict = {}
        link = _find_link(user=user, member=member, kind=kind, target=household, on=on, read=read)
        return _Target(
            household, None, link, [household], {household.pk: link}, household.path, _first_starts(read)
        )
    if kind in PLACE_KINDS:
        if place is None or household is not None or households:
            raise Invalid(_("请选择网格、村或镇"), field="place")
        if place.kind not in PLACE_KIND_FOR[kind]:
            raise Invalid(_("该走访方式不适用于所选地点"), field="place")
        link = _find_link(user=user, member=member, kind=kind, target=place, on=on)
        return _Target(None, place, link, [], {}, place.path)
    # yard meeting: one contact, several households
    assert kind in MULTI_HOUSEHOLD_KINDS
    unique = {h.pk: h for h in households}
    if household is not None:
        unique.setdefault(household.pk, household)
    if not unique or place is not None:
        raise Invalid(_("请选择参加屋场夜话的户"), field="households")
    reached = list(unique.values())
    read = {}
    links = _yard_links(user=user, member=member, households=reached, on=on, read=read)
    return _Target(
        None, None, None, reached, links, _common_path(h.path for h in reached), _first_starts(read)
    )


def _stored(client_id: uuid.UUID, user) -> Contact | None:
    """The contact already stored under this client id (a retry), or None; another user's id is refused."""
    existing = Contact.objects.filter(client_id=client_id).first()
    if existing is None:
        return None
    if existing.created_by_id != user.pk:
        raise Invalid(_("客户端编号已被使用"), field="client_id")
    existing.created = False
    return existing


def _prepared(instance, fields) -> list:
    """The database values of `fields` for a new row of `instance` (auto_now_add and the like applied)."""
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


def _child_rows_sql(model, instances: Sequence, parent: str) -> tuple[str, list]:
    """INSERT rows of `model` whose foreign key to the contact comes from the CTE `c` (the new contact)."""
    fields = _new_row_fields(model, parent)
    params = [value for instance in instances for value in _prepared(instance, fields)]
    return _child_rows_text(model, parent, len(instances), connection.vendor), params


@functools.cache
def _new_row_fields(model, parent: str | None = None) -> tuple:
    """The columns a new row of `model` is written with: all but the primary key (and the parent's key)."""
    return tuple(f for f in model._meta.local_concrete_fields if not f.primary_key and f.name != parent)


@functools.lru_cache(maxsize=256)
def _child_rows_text(model, parent: str, n_rows: int, vendor: str) -> str:
    """`_child_rows_sql`'s SQL for `n_rows` rows (built once per shape and process, as the tallies' upserts)."""
    qn = connection.ops.quote_name
    fields = _new_row_fields(model, parent)
    row = "(" + ", ".join(f"%s::{column_type(f)}" for f in fields) + ")"
    columns = ", ".join(qn(c) for c in [model._meta.get_field(parent).column, *(f.column for f in fields)])
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({columns}) "
        f"SELECT c.id, v.* FROM c, (VALUES {', '.join([row] * n_rows)}) v"
    )


@functools.lru_cache(maxsize=4)
def _contact_insert_text(vendor: str) -> str:
    """The new contact's INSERT (`c` in `_write_statement`): nothing when its client id is already stored."""
    qn = connection.ops.quote_name
    fields = _new_row_fields(Contact)
    return (
        f"INSERT INTO {qn(Contact._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({qn(Contact._meta.get_field('client_id').column)}) DO NOTHING RETURNING id"
    )


def _write_statement(contact: Contact, target: _Target, revision: ContactRevision) -> tuple[str, list]:
    """The whole write of a new contact as one PostgreSQL statement (one round trip, atomic by itself).

    `c` inserts the contact, or nothing when its client id is already stored (a retry racing the original:
    ON CONFLICT DO NOTHING); the other CTEs insert its reach rows and revision from `c`'s row and upsert the
    tallies only if `c` inserted one, so a duplicate writes nothing at all. The SQL of each part depends only
    on its shape (how many rows, which duties) and is built once per shape.
    """
    ctes = [(_contact_insert_text(connection.vendor), _prepared(contact, _new_row_fields(Contact)))]
    if target.reached:
        rows = [
            ContactHousehold(
                household=h,
                member=contact.member,
                kind=contact.kind,
                occurred_at=contact.occurred_at,
                link=target.links.get(h.pk),
            )
            for h in target.reached
        ]
        ctes.append(_child_rows_sql(ContactHousehold, rows, "contact"))
    ctes.append(_child_rows_sql(ContactRevision, [revision], "contact"))
    new = "EXISTS (SELECT 1 FROM c)"
    link_ids = [link.pk for link in target.links.values() if link] if target.reached else [contact.link_id]
    ctes += [
        tally_add_sql(link_ids=link_ids, kind=contact.kind, occurred_at=contact.occurred_at, when=new),
        month_tally_add_sql(
            path=contact.path,
            kind=contact.kind,
            occurred_at=contact.occurred_at,
            duty_fields=[field for field in DUTY_FIELDS.values() if getattr(contact, field)],
            when=new,
        ),
        last_contact_note_sql(household_ids=[h.pk for h in target.reached], at=contact.occurred_at, when=new),
    ]
    ctes = [cte for cte in ctes if cte is not None]
    names = ["c", *(f"w{i}" for i in range(1, len(ctes)))]
    sql = "WITH " + ", ".join(f"{name} AS ({cte[0]})" for name, cte in zip(names, ctes, strict=True))
    return sql + " SELECT id FROM c", [param for cte in ctes for param in cte[1]]


def _write_in_one_statement(contact: Contact, target: _Target, revision: ContactRevision) -> bool:
    """Write the contact with `_write_statement`; False when its client id was already stored.

    The signals' tally receivers would count it again, so the contact is marked counted before post_save
    is sent (other apps, e.g. verification, react to it as to any saved contact; pre_save is not sent).
    """
    with connection.cursor() as cursor:
        cursor.execute(*_write_statement(contact, target, revision))
        row = cursor.fetchone()
    if row is None:
        return False
    contact.pk = row[0]
    contact._state.adding = False
    contact._state.db = connection.alias
    setattr(contact, COUNTED_ATTR, True)
    post_save.send(
        sender=Contact, instance=contact, created=True, update_fields=None, raw=False, using=connection.alias
    )
    return True


def _write_row_by_row(contact: Contact, target: _Target, revision: ContactRevision) -> bool:
    """The same write through the ORM (databases other than PostgreSQL): the signals count each row."""
    try:
        with transaction.atomic():
            contact.save()
            for h in target.reached:
                ContactHousehold.objects.create(
                    contact=contact,
                    household=h,
                    member=contact.member,
                    kind=contact.kind,
                    occurred_at=contact.occurred_at,
                    link=target.links.get(h.pk),
                )
            revision.contact = contact
            revision.save()
    except IntegrityError:
        if not Contact.objects.filter(client_id=contact.client_id).exists():
            raise
        return False  # the same submission raced this one and was stored first
    return True


def _contact_write(contact: Contact, target: _Target, revision: ContactRevision, photos: Sequence) -> bool:
    """Store the contact, its reach rows, photos, revision and tallies; False if its client id was taken."""
    one_statement = connection.vendor == "postgresql" and not getattr(
        settings, "LIANHU_CONTACT_WRITE_ROW_BY_ROW", False
    )
    write = _write_in_one_statement if one_statement else _write_row_by_row
    # Photos are files and rows of their own: then everything goes in one transaction.
    with transaction.atomic() if photos else contextlib.nullcontext():
        if not write(contact, target, revision):
            return False
        contact.photos_written = [ContactPhoto.objects.create(contact=contact, image=c) for c in photos]
    return True


def contact_record(
    *,
    user,
    kind: str,
    occurred_at: datetime.datetime,
    duties: Iterable[str],
    household: Household | None = None,
    place: Place | None = None,
    households: Sequence[Household] = (),
    summary: str = "",
    found_problem: bool = False,
    client_id: uuid.UUID | str | None = None,
    photos: Sequence = (),
    position: tuple | None = None,
    now: datetime.datetime | None = None,
) -> Contact:
    """Record a contact by the user's member and return it (`now`: the moment it is recorded; the demo gives
    its own).

    `position` (latitude, longitude, accuracy in metres) is the phone's location, kept for home visits only,
    rounded to 4 decimals (about 10 m).

    Idempotent on `client_id`: if a contact with that id exists (a retry after a lost answer), it is returned
    unchanged and nothing is written; `contact.created` tells which happened. Writes the contact, one
    ContactHousehold row per household reached, up to three re-encoded photos, a "create" revision and the
    tallies: on PostgreSQL in one statement (`_write_statement`), which also detects the retry (the usual new
    contact reads nothing first). `contact.household_ids_written` lists the households reached.
    """
    client_id = uuid.UUID(str(client_id)) if client_id else uuid.uuid4()
    now = now or timezone.now()
    try:
        member = _recording_member(user)
        occurred_at, chosen = _check_input(
            kind=kind, occurred_at=occurred_at, duties=duties, photos=photos, now=now
        )
        _require_record_rights(user=user, kind=kind, household=household, place=place)
        target = _record_target(
            user=user,
            member=member,
            kind=kind,
            on=local_date(occurred_at),
            household=household,
            place=place,
            households=households,
        )
    except (ValidationError, PermissionDenied):
        # A retry of a contact stored earlier gets it back, even if the checks would now refuse it.
        existing = _stored(client_id, user)
        if existing is None:
            raise
        return existing
    cleaned_photos = [photo_clean(upload) for upload in photos]
    lat, lon, accuracy = _clean_position(position) if kind == ContactKind.HOME_VISIT else (None, None, None)
    contact = Contact(
        **{"member": member, "kind": kind, "occurred_at": occurred_at, "client_id": client_id},
        **{"household": target.household, "place": target.place, "link": target.link, "path": target.path},
        **{"summary": summary.strip(), "found_problem": found_problem, "created_by": user, "created_at": now},
        **{"latitude": lat, "longitude": lon, "accuracy_m": accuracy},
        **{field: duty in chosen for duty, field in DUTY_FIELDS.items()},
    )
    reached_ids = [h.pk for h in target.reached]
    # For the save-time checks after the commit (verification.services.check_recorded): the member's earliest
    # link start for each household reached, from the links read above, so they need not read them again.
    contact.reached_link_starts = target.first_starts
    revision = ContactRevision(
        action=RevisionAction.CREATE, changed_by=user, changed_at=now, changes=_snapshot(contact, reached_ids)
    )
    if not _contact_write(contact, target, revision, cleaned_photos):
        existing = _stored(client_id, user)
        if (
            existing is None
        ):  # pragma: no cover - the conflicting row cannot vanish (contacts are not deleted)
            raise Invalid(_("客户端编号已被使用"), field="client_id")
        return existing
    contact.household_ids_written = sorted(reached_ids)
    contact.created = True
    return contact


def _contact_time(snapshot: dict) -> datetime.datetime:
    return datetime.datetime.fromisoformat(snapshot["occurred_at"])


def contact_is_editable(*, user, contact: Contact, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    if contact.struck:  # decided false: the record stays as it was decided
        return False
    return contact.created_by_id == user.pk and now - contact.created_at <= datetime.timedelta(
        days=_edit_days()
    )


UPDATABLE = ("kind", "occurred_at", "duties", "summary", "found_problem")


@transaction.atomic
def contact_update(*, user, contact: Contact, **changes) -> Contact:
    """Correct a contact: the author only, within LIANHU["CONTACT_EDIT_DAYS"] days of recording it.

    Accepts kind (within the same kind of target), occurred_at, duties, summary, found_problem. Keeps the
    counting rows (ContactHousehold) in step and writes an "update" revision with old and new values.
    """
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise Invalid(_("不能修改这些字段:%(f)s") % {"f": ", ".join(sorted(unknown))})
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.created_by_id != user.pk:
        raise NotAllowed(_("只有录入人可以修改走访记录"))
    if not contact_is_editable(user=user, contact=contact):
        raise Invalid(_("走访记录已超过 %(n)s 天修改期,已锁定") % {"n": _edit_days()})
    household_ids = list(contact.reached.values_list("household_id", flat=True))
    before = _snapshot(contact, household_ids)

    if "kind" in changes:
        kind = changes["kind"]
        groups = (HOUSEHOLD_KINDS, PLACE_KINDS, MULTI_HOUSEHOLD_KINDS)
        same_group = any(kind in group and contact.kind in group for group in groups)
        if kind not in ContactKind.values or not same_group:
            raise Invalid(_("不能改成这种走访方式"), field="kind")
        if contact.place_id and contact.place.kind not in PLACE_KIND_FOR.get(kind, set()):
            raise Invalid(_("该走访方式不适用于所选地点"), field="kind")
        contact.kind = kind
    if "occurred_at" in changes:
        contact.occurred_at = _check_time(changes["occurred_at"])
    # A correction of kind or date passes the same target checks as a new contact, on the corrected date,
    # and the contact then counts for the links active on that date (which may differ from before).
    retarget = contact.kind != before["kind"] or contact.occurred_at != _contact_time(before)
    links_after: dict[int, Link | None] = {}
    if retarget:
        on = local_date(contact.occurred_at)
        if contact.kind in MULTI_HOUSEHOLD_KINDS:
            reached = list(Household.objects.filter(pk__in=household_ids))
            links_after = _yard_links(user=user, member=contact.member, households=reached, on=on)
        else:
            target = contact.household or contact.place
            contact.link = _find_link(
                user=user, member=contact.member, kind=contact.kind, target=target, on=on
            )
            links_after = {pk: contact.link for pk in household_ids}
    if "duties" in changes:
        chosen = _clean_duties(changes["duties"])
        for duty, field in DUTY_FIELDS.items():
            setattr(contact, field, duty in chosen)
    if "summary" in changes:
        contact.summary = (changes["summary"] or "").strip()
    if "found_problem" in changes:
        contact.found_problem = bool(changes["found_problem"])

    after = _snapshot(contact, household_ids)
    diff = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not diff:
        return contact
    links_before = {
        row["household_id"]: row["link_id"]
        for row in ContactHousehold.objects.filter(contact=contact).values("household_id", "link_id")
    }
    place_link_before = Contact.objects.filter(pk=contact.pk).values_list("link_id", flat=True).first()
    contact.save(
        update_fields=[
            "kind",
            "occurred_at",
            "link",
            "summary",
            "found_problem",
            "updated_at",
            *DUTY_FIELDS.values(),
        ]
    )
    if retarget:
        # Move the counts: out of the old kind/period/links, into the new ones.
        old_kind, old_at = before["kind"], _contact_time(before)
        if contact.place_id:
            tally_add(link_ids=[place_link_before], kind=old_kind, occurred_at=old_at, delta=-1)
            tally_add(link_ids=[contact.link_id], kind=contact.kind, occurred_at=contact.occurred_at, delta=1)
        else:
            tally_add(link_ids=links_before.values(), kind=old_kind, occurred_at=old_at, delta=-1)
            for household_id in household_ids:
                link = links_after.get(household_id)
                ContactHousehold.objects.filter(contact=contact, household_id=household_id).update(
                    kind=contact.kind, occurred_at=contact.occurred_at, link=link
                )
            tally_add(
                link_ids=[link.pk for link in links_after.values() if link is not None],
                kind=contact.kind,
                occurred_at=contact.occurred_at,
                delta=1,
            )
    if "occurred_at" in diff:  # a queryset update fires no signal: recount the households' last contact
        last_contact_recount(household_ids)
    ContactRevision.objects.create(
        contact=contact, action=RevisionAction.UPDATE, changed_by=user, changes=diff
    )
    return contact


@transaction.atomic
def contact_strike(*, contact: Contact, by, reason: str) -> Contact:
    """Take a contact decided false (by the discipline commission, verification app) out of every count.

    The record stays, marked struck, with a "strike" revision listing the households it had reached; its
    counting rows go (LinkTally, LastContact and the month tallies follow through the usual signals), so
    compliance, dashboards, the assessment and award rankings no longer count it. Striking twice does nothing.
    """
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.struck:
        return contact
    reached = list(ContactHousehold.objects.filter(contact=contact).values_list("household_id", flat=True))
    if contact.place_id and contact.link_id:
        tally_add(link_ids=[contact.link_id], kind=contact.kind, occurred_at=contact.occurred_at, delta=-1)
    for row in ContactHousehold.objects.filter(contact=contact):
        row.delete()  # one by one: the post_delete signal uncounts each (LinkTally, LastContact)
    contact.struck, contact.struck_at = True, timezone.now()
    contact.save(update_fields=["struck", "struck_at"])  # the month tally signal uncounts it
    ContactRevision.objects.create(
        contact=contact,
        action=RevisionAction.STRIKE,
        changed_by=by,
        changes={"households": reached, "reason": reason[:500]},
    )
    return contact
