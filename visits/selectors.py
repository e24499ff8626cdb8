"""Reads: scoped contacts and compliance against the quota rules, computed in the database.

Status of a link against one rule, on a day `on` (periods in Asia/Shanghai, visits/periods.py):
- done     the current period already holds at least `min_count` counted contacts;
- overdue  not done, and the previous period ended without being met while the link was active for the whole
           of it (a period that has ended unmet is a debt until the current one is met);
- due      not done, and not overdue: the current period is still open.
A link that starts or ends mid-period is judged from its first full period ("first full period" rule): a
partial period never makes it overdue, though contacts made in it count, so it shows done or due.
A link's overall status is the worst of its rules; it is "on track" when no rule is overdue.

Contacts count towards a link when made by the link's member on the link's target while the link was active
(the link is stored on each ContactHousehold row, or on the Contact for places), in the period, with a kind
the rule lists; a yard meeting counts for each household it reached. The counts come from LinkTally
(visits/tallies.py): per link, period and kind, so judging 15,000 links is a few hash joins.

Query counts: one query for the rules, one for the links with every figure annotated (LEFT JOINs to the
tallies of the current and previous periods), one per "without contact" count. None grows with the data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, Substr
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

from grids.models import Household, Place
from members.access import households_visible_to, links_visible_to, scope_for
from members.enums import LINK_TARGET, LinkType, TargetKind
from members.models import Link, Member

from .enums import RANK_STATUS, STATUS_RANK, ContactKind, Period, Status
from .models import Contact, ContactHousehold, LinkTally, QuotaRule
from .periods import aware_bounds, local_midnight, no_contact_after, period_bounds, previous_bounds

PATH_STEP = 9  # one "00000001/" segment of a materialized path
LIST_LIMIT = 50  # households / members listed by name on a compliance page


# --- contacts ----------------------------------------------------------------------------------------


class InArray(Func):
    """`lhs IN (subquery)`, written `lhs = ANY(ARRAY(subquery))` on PostgreSQL.

    As one arm of an OR, `id IN (SELECT …)` becomes a hashed SubPlan tested on every row, so PostgreSQL reads
    the whole table (a city's 10 M contacts to show one town's); `ANY(ARRAY(…))` is an InitPlan computed once,
    and the OR becomes a BitmapOr of two index scans (the path prefix and the primary key).
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, lhs, queryset):
        super().__init__(lhs, Subquery(queryset))

    def as_sql(self, compiler, connection, **extra_context):
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        sub, sub_params = compiler.compile(self.source_expressions[1])
        return f"{lhs} IN {sub}", (*lhs_params, *sub_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        sub, sub_params = compiler.compile(self.source_expressions[1])
        return f"{lhs} = ANY(ARRAY{sub})", (*lhs_params, *sub_params)


def contacts_visible_to(user) -> QuerySet[Contact]:
    """Contacts the user may read: their own, those in their scope's subtrees, and those on their targets.

    A member's own branches are written as `pk IN (a UNION b UNION ...)`: each branch is an indexed lookup,
    where one WHERE with ORs over subqueries makes PostgreSQL read the whole contact table. Holders of a post
    get `path under the post's subtree OR pk = ANY(ARRAY(...))`, the first part covering nearly everything
    they see; the array (their own few contacts) is computed once, so both parts are index scans (InArray).
    """
    scope = scope_for(user)
    if scope.is_superuser:
        return Contact.objects.all()
    branches = []
    if scope.member is not None:
        own_links = Link.objects.current().filter(member=scope.member)
        branches.append(Contact.objects.filter(member=scope.member).values("pk"))
        branches.append(
            ContactHousehold.objects.filter(
                household_id__in=own_links.filter(household__isnull=False).values("household_id")
            ).values("contact_id")
        )
        branches.append(
            Contact.objects.filter(
                place_id__in=own_links.filter(place__isnull=False).values("place_id")
            ).values("pk")
        )
    if user.is_authenticated:
        branches.append(Contact.objects.filter(created_by=user).values("pk"))
    branches = [branch.order_by() for branch in branches]  # no ORDER BY inside a UNION
    union = branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0] if branches else None
    if scope.paths:
        # A post's subtree holds most of what its holder sees: a plain indexed path condition, OR the rest.
        q = scope.path_q("path")
        return Contact.objects.filter(q | InArray(F("pk"), union) if union is not None else q)
    if union is None:
        return Contact.objects.none()
    return Contact.objects.filter(pk__in=union)


def household_history(*, household: Household) -> QuerySet[Contact]:
    """Every contact that reached the household, by anyone, newest first.

    The caller has checked that the user sees the household (members.access.get_household_for_user): whoever
    sees a household sees its whole history, including yard meetings that also reached other grids.
    """
    return (
        Contact.objects.filter(
            pk__in=ContactHousehold.objects.filter(household=household).values("contact_id")
        )
        .select_related("member")
        .prefetch_related("photos")
        .order_by("-occurred_at", "-id")
    )


def place_history(*, place: Place) -> QuerySet[Contact]:
    """Every contact made at the place (the caller has checked that the user sees it), newest first."""
    return (
        Contact.objects.filter(place=place)
        .select_related("member")
        .prefetch_related("photos")
        .order_by("-occurred_at", "-id")
    )


def last_kind_for(*, member: Member, kinds: frozenset[str] | set[str], default: str) -> str:
    """The kind of the member's latest contact among `kinds` (the form remembers it)."""
    kind = (
        Contact.objects.filter(member=member, kind__in=list(kinds))
        .order_by("-occurred_at", "-id")
        .values_list("kind", flat=True)
        .first()
    )
    return kind or default


# --- rules -------------------------------------------------------------------------------------------


@dataclass
class RuleGroup:
    """Rules that count the same way (period, kinds, target) across link types; each has its own minimum."""

    key: str
    period: str
    kinds: tuple[str, ...]
    target: str  # "household" or "place"
    rules: dict[str, QuotaRule] = field(default_factory=dict)  # link_type → rule

    @property
    def link_types(self) -> list[str]:
        return list(self.rules)


def rule_groups(rules: list[QuotaRule] | None = None) -> list[RuleGroup]:
    if rules is None:
        rules = list(QuotaRule.objects.filter(active=True).order_by("link_type", "period", "id"))
    groups: dict[tuple, RuleGroup] = {}
    for rule in rules:
        target_kind = LINK_TARGET.get(LinkType(rule.link_type))
        if target_kind == TargetKind.HOUSEHOLD:
            target = "household"
        elif target_kind in (TargetKind.GRID, TargetKind.VILLAGE, TargetKind.TOWN):
            target = "place"
        else:  # migrant members are not contact targets yet
            continue
        kinds = tuple(sorted(k for k in rule.kinds if k in ContactKind.values))
        signature = (rule.period, kinds, target)
        group = groups.get(signature)
        if group is None:
            group = groups[signature] = RuleGroup(f"q{len(groups)}", rule.period, kinds, target)
        current = group.rules.get(rule.link_type)
        # Two identical rules for one link type: the stricter one applies.
        if current is None or rule.min_count > current.min_count:
            group.rules[rule.link_type] = rule
    return list(groups.values())


class _Joins(set):
    """The tally aliases already joined, and (optionally) the range of link ids the links lie in."""

    id_range: tuple | None = None


def link_id_range(path: str) -> tuple[int, int] | None:
    """(lowest, highest) id of the links under `path` (one indexed query), or None if there are none.

    A page about one place passes it to `compliance_summary(id_range=…)` (see `_tally`).
    """
    # pk + 0: aggregate the path index's rows; min(pk)/max(pk) would walk the primary key from each end
    # through every other town's links (178 ms for the city's last town instead of 8 ms).
    found = Link.objects.filter(path__startswith=path).aggregate(lo=Min(F("pk") + 0), hi=Max(F("pk") + 0))
    return None if found["lo"] is None else (found["lo"], found["hi"])


def _tally(links: QuerySet[Link], joined: set[str], period: str, start: datetime.date):
    """Join each link to its LinkTally row of one period (LEFT JOIN on a unique key: at most one row).

    With `joined.id_range` (the links' ids lie in it) the tally rows are also bounded by link id: the same
    rows, but in a city PostgreSQL then reads one town's rows of the period from the (period, start, link)
    index instead of hashing every town's (4 × 150,000 rows for one town's 15,000 links).
    """
    alias = f"tally_{period}_{start:%Y%m%d}"
    if alias not in joined:
        joined.add(alias)
        condition = Q(tallies__period=period, tallies__start=start)
        id_range = getattr(joined, "id_range", None)
        if id_range is not None:
            condition &= Q(tallies__link__gte=id_range[0], tallies__link__lte=id_range[1])
        links = links.alias(**{alias: FilteredRelation("tallies", condition=condition)})
    return links, alias


def _counted(alias: str, kinds: tuple[str, ...]):
    if not kinds:
        return Value(0, output_field=IntegerField())
    total = None
    for kind in kinds:
        part = Coalesce(F(f"{alias}__{kind}"), 0, output_field=IntegerField())
        total = part if total is None else total + part
    return ExpressionWrapper(total, output_field=IntegerField())


def _tally_lookup(group: RuleGroup, start: datetime.date):
    """One link's tally of one period, looked up by its unique key (for the few place links)."""
    row = LinkTally.objects.filter(link_id=OuterRef("pk"), period=group.period, start=start)
    total = None
    for kind in group.kinds:
        total = F(kind) if total is None else total + F(kind)
    if total is None:
        return Value(0, output_field=IntegerField())
    return Coalesce(
        Subquery(row.annotate(n=ExpressionWrapper(total, output_field=IntegerField())).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def as_of_end(on: datetime.date) -> datetime.datetime:
    """Where "as of `on`" stops counting: local midnight after that day (contacts dated on `on` count)."""
    return local_midnight(on + datetime.timedelta(days=1))


def _counted_until(group: RuleGroup, start: datetime.date, until: datetime.datetime):
    """One link's contacts of the group's kinds from `start` (local) to `until`, counted from the rows."""
    if not group.kinds:
        return Value(0, output_field=IntegerField())
    if group.target == "place":
        rows = Contact.objects.filter(link_id=OuterRef("pk"), place__isnull=False, struck=False)
    else:
        rows = ContactHousehold.objects.filter(link_id=OuterRef("pk"))
    rows = rows.filter(occurred_at__gte=local_midnight(start), occurred_at__lt=until, kind__in=group.kinds)
    n = rows.order_by().values("link_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(n), 0, output_field=IntegerField())


def _group_counts(links: QuerySet[Link], joined: set[str], group: RuleGroup, on: datetime.date):
    """(links, current count, previous count) for a rule group, as of the end of the day `on`.

    Household rules apply to thousands of links: join the period's tallies (hash join). Place rules (grids,
    villages, the town) apply to a few dozen: look each up by key, only for links the rule applies to.
    "As of `on`": the current period counts only contacts dated up to `on`. While the period is running
    (today, or a later day) that is the whole tally; for a past day inside a period that went on after it,
    the few contacts of that period up to `on` are counted from the rows instead (per link, indexed).
    """
    cur_start, cur_end = period_bounds(group.period, on)
    prev_start = previous_bounds(group.period, on)[0]
    until = as_of_end(on)
    partial = on + datetime.timedelta(days=1) < cur_end and not no_contact_after(until)
    if group.target == "place":
        current = _counted_until(group, cur_start, until) if partial else _tally_lookup(group, cur_start)
        return links, current, _tally_lookup(group, prev_start)
    links, prev_alias = _tally(links, joined, group.period, prev_start)
    if partial:
        return links, _counted_until(group, cur_start, until), _counted(prev_alias, group.kinds)
    links, cur_alias = _tally(links, joined, group.period, cur_start)
    return links, _counted(cur_alias, group.kinds), _counted(prev_alias, group.kinds)


def _last_contact():
    by_household = ContactHousehold.objects.filter(
        household_id=OuterRef("household_id"), member_id=OuterRef("member_id")
    )
    by_place = Contact.objects.filter(
        place_id=OuterRef("place_id"), member_id=OuterRef("member_id"), struck=False
    )
    latest = Func(F("occurred_at"), function="MAX")
    return Case(
        When(
            household__isnull=False, then=Subquery(by_household.order_by().annotate(m=latest).values("m")[:1])
        ),
        When(place__isnull=False, then=Subquery(by_place.order_by().annotate(m=latest).values("m")[:1])),
        default=None,
    )


def judged(links: QuerySet[Link]) -> QuerySet[Link]:
    """The links compliance judges: those of members not exempt from linking.

    An exempt member's links (docs/visits.md "Exempt members") are no one's failure: they are left out of
    every total, share and list of who is behind, and shown as needing a new pairing instead
    (`needing_pairing`)."""
    return links.filter(member__is_exempt=False)


def needing_pairing(links: QuerySet[Link]) -> QuerySet[Link]:
    """Current links held by exempt members: their targets need a new pairing."""
    return links.filter(member__is_exempt=True)


def annotate_compliance(
    links: QuerySet[Link],
    *,
    on: datetime.date,
    groups: list[RuleGroup],
    detail: bool = False,
    id_range: tuple | None = None,
) -> QuerySet[Link]:
    """Add `<key>_rank` per rule group (-1 no rule, 0 done, 1 due, 2 overdue) and `status_rank` (the worst).

    With `detail`, also `<key>_done`, `<key>_req` and `last_contact_at` (for lists of a few links); without,
    figures are aliases the database only computes where a status needs them (for aggregates).
    `id_range`: every link's id lies in it (link_id_range of the place), a hint that bounds the tally joins.
    """
    ranks = []
    joined = _Joins()
    joined.id_range = id_range
    for group in groups:
        key = group.key
        prev_start, prev_end = previous_bounds(group.period, on)
        links, cur_count, prev_count = _group_counts(links, joined, group, on)
        applies = Q(link_type__in=group.link_types)
        minimums = {rule.min_count for rule in group.rules.values()}
        if len(minimums) == 1:  # the usual case: one minimum for every link type of the group
            required = Value(minimums.pop(), output_field=IntegerField())
        else:
            required = Case(
                *[When(link_type=lt, then=Value(rule.min_count)) for lt, rule in group.rules.items()],
                default=Value(0),
                output_field=IntegerField(),
            )
        prev_full = Q(start_date__lte=prev_start) & (
            Q(end_date__isnull=True) | Q(end_date__gte=prev_end - datetime.timedelta(days=1))
        )
        if detail:
            links = links.annotate(
                **{
                    f"{key}_done": Case(When(applies, then=cur_count), default=0),
                    f"{key}_prev": Case(When(applies, then=prev_count), default=0),
                    f"{key}_req": Case(When(applies, then=required), default=0),
                }
            )
            cur_count, prev_count, required = F(f"{key}_done"), F(f"{key}_prev"), F(f"{key}_req")
        # The rank tests `applies` first, so the counts need no guard of their own (smaller SQL to sort by).
        rank = Case(
            When(~applies, then=Value(STATUS_RANK[Status.NONE])),
            When(GreaterThanOrEqual(cur_count, required), then=Value(STATUS_RANK[Status.DONE])),
            When(prev_full & LessThan(prev_count, required), then=Value(STATUS_RANK[Status.OVERDUE])),
            default=Value(STATUS_RANK[Status.DUE]),
            output_field=IntegerField(),
        )
        links = links.annotate(**{f"{key}_rank": rank}) if detail else links.alias(**{f"{key}_rank": rank})
        ranks.append(F(f"{key}_rank"))
    if not ranks:
        overall = Value(STATUS_RANK[Status.NONE], output_field=IntegerField())
    elif len(ranks) == 1:
        overall = ranks[0]
    else:
        overall = Greatest(*ranks, output_field=IntegerField())
    if detail:
        return links.annotate(status_rank=overall, last_contact_at=_last_contact())
    return links.alias(status_rank=overall)


def member_status_counts(*, member: Member, on: datetime.date | None = None) -> dict[str, int]:
    """How many of the member's current links are overdue, due and done (the rules, then one query)."""
    on = on or timezone.localdate()
    groups = rule_groups()
    rule_types = sorted({lt for g in groups for lt in g.link_types})
    links = judged(Link.objects.current(on).filter(member=member, link_type__in=rule_types))
    rows = (
        annotate_compliance(links, on=on, groups=groups)
        .annotate(rank=F("status_rank"))
        .values("rank")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {str(Status.OVERDUE): 0, str(Status.DUE): 0, str(Status.DONE): 0}
    for row in rows:
        status = str(RANK_STATUS[row["rank"]])
        if status in counts:
            counts[status] += row["n"]
    return counts


@dataclass
class RuleStatus:
    rule: QuotaRule
    required: int
    done: int
    status: str
    period_start: datetime.date
    period_end: datetime.date  # exclusive

    @property
    def period_last_day(self) -> datetime.date:
        return self.period_end - datetime.timedelta(days=1)


@dataclass
class LinkCompliance:
    link: Link
    status: str
    last_contact_at: datetime.datetime | None
    rules: list[RuleStatus]

    @property
    def target(self):
        return self.link.target


def _rank_of(link: Link, group: RuleGroup, *, on: datetime.date, done: int, prev: int) -> int:
    """The same rule as annotate_compliance's SQL, for a few links already fetched."""
    rule = group.rules.get(link.link_type)
    if rule is None:
        return STATUS_RANK[Status.NONE]
    if done >= rule.min_count:
        return STATUS_RANK[Status.DONE]
    prev_start, prev_end = previous_bounds(group.period, on)
    prev_full = link.start_date <= prev_start and (
        link.end_date is None or link.end_date >= prev_end - datetime.timedelta(days=1)
    )
    if prev_full and prev < rule.min_count:
        return STATUS_RANK[Status.OVERDUE]
    return STATUS_RANK[Status.DUE]


def link_compliance(*, links: QuerySet[Link], on: datetime.date | None = None) -> list[LinkCompliance]:
    """Per link and rule: required, done, status, last contact; overdue first, then the oldest last contact.

    Two queries whatever the number of contacts (rules, then the links with their tallies joined). Meant for
    lists of links shown whole (a member's links, one household); the counts come from the database, the
    status rule is applied to each fetched link in Python (the same rule as `annotate_compliance`).
    """
    on = on or timezone.localdate()
    groups = rule_groups()
    joined: set[str] = set()
    figures = {}
    for group in groups:
        links, cur_count, prev_count = _group_counts(links, joined, group, on)
        applies = Q(link_type__in=group.link_types)
        figures[f"{group.key}_done"] = Case(When(applies, then=cur_count), default=0)
        figures[f"{group.key}_prev"] = Case(When(applies, then=prev_count), default=0)
    qs = links.annotate(**figures, last_contact_at=_last_contact()).select_related(
        "member", "household__grid", "place"
    )
    result = []
    for link in qs:
        rules = []
        worst = STATUS_RANK[Status.NONE]
        # Not active on `on`: nothing is due for it that day. An exempt member's link: a new pairing is.
        fixed = None
        if not any(link.link_type in group.rules for group in groups):
            fixed = None  # no rule for its type: nothing is ever due ("none"), active or not
        elif not link.is_current(on):
            fixed = STATUS_RANK[Status.INACTIVE]
        elif link.member.is_exempt:
            fixed = STATUS_RANK[Status.REPAIR]
        for group in groups:
            rule = group.rules.get(link.link_type)
            if rule is None:
                continue
            done = getattr(link, f"{group.key}_done")
            rank = _rank_of(link, group, on=on, done=done, prev=getattr(link, f"{group.key}_prev"))
            if fixed is not None:
                rank = fixed
            worst = max(worst, rank)
            start, end = period_bounds(group.period, on)
            rules.append(
                RuleStatus(
                    rule=rule,
                    required=rule.min_count,
                    done=done,
                    status=RANK_STATUS[rank],
                    period_start=start,
                    period_end=end,
                )
            )
        if fixed is not None:
            worst = fixed
        result.append(
            LinkCompliance(
                link=link, status=RANK_STATUS[worst], last_contact_at=link.last_contact_at, rules=rules
            )
        )
    never = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    result.sort(
        key=lambda e: (
            -STATUS_RANK[e.status],
            e.last_contact_at is not None,
            e.last_contact_at or never,
            e.link.pk,
        )
    )
    return result


# --- summaries ---------------------------------------------------------------------------------------


def _share(part: int, total: int) -> float | None:
    return round(part / total, 4) if total else None


def _scoped_links(*, user, on: datetime.date, place: Place | None, member: Member | None) -> QuerySet[Link]:
    if place is not None and scope_for(user).sees_path(place.path):
        # The scope admits every link under the place: the same rows without the scope's own path test, which
        # repeats the place's (`path LIKE town% AND (path LIKE town% OR member = …)`): PostgreSQL multiplies
        # the two selectivities and expects 1/30 of a city town's links (417 of 15,089), then picks nested
        # loops over the tallies.
        links = Link.objects.current(on).filter(path__startswith=place.path)
    else:
        links = links_visible_to(user).current(on)
        if place is not None:
            links = links.filter(path__startswith=place.path)
    if member is not None:
        links = links.filter(member=member)
    return links


def compliance_summary(
    *,
    user,
    place: Place | None = None,
    member: Member | None = None,
    on: datetime.date | None = None,
    breakdown: str | None = None,
    id_range: tuple[int, int] | None = None,
    with_lists: bool = True,
) -> dict:
    """Share of links on track per link type and rule period, plus who has had no contact.

    `with_lists=False`: the figures only, without the "no contact" / "needing pairing" counts and lists (three
    queries that read every household and member of the place: 4 of the city dashboard's 13 s in a city).

    `id_range`: `link_id_range(place.path)`, passed by the place pages (one more query that saves hashing
    every town's tallies in a city database).

    `breakdown`: None, "child" (rows per child place of `place`: villages of a town, grids of a village) or
    "member" (rows per member). Links visible to the user only; current links on `on`.
    Returns {"on", "by_type": [...], "totals", "rows": [...], "households_without_contact" (count) and
    "households_without_contact_list" (the first 50), the same for members and for
    "households_needing_pairing" (linked only through exempt members' links, left out of every other
    figure), "quarter", "month"}.
    """
    on = on or timezone.localdate()
    groups = rule_groups()
    rule_types = sorted({lt for g in groups for lt in g.link_types})
    scoped = _scoped_links(user=user, on=on, place=place, member=member)
    # Exempt members' links are grouped apart (the "exempt" key) and left out of every figure below.
    if place is None:
        id_range = None  # the hint is only true of a place's links
    qs = annotate_compliance(scoped.filter(link_type__in=rule_types), on=on, groups=groups, id_range=id_range)

    group_fields: dict = {}
    if breakdown == "child" and place is not None:
        group_fields["area"] = Substr("path", 1, len(place.path) + PATH_STEP)
    elif breakdown == "member":
        group_fields["area"] = F("member_id")
    # One row per (link type, area, rank of each rule group): each link's ranks are computed once, as GROUP BY
    # keys, and the result has a bounded number of rows (types × areas × rank combinations).
    rank_keys = {f"r_{group.key}": F(f"{group.key}_rank") for group in groups}
    # "Held by an exempt member" as `member_id IN (exempt members)`: a hashed subplan over the few exempt
    # members (a partial index), where joining members hashed all of a city's 47,000 for one town's links.
    exempt = ExpressionWrapper(
        Q(member_id__in=Member.objects.filter(is_exempt=True).values("pk")), output_field=BooleanField()
    )
    rows = list(
        qs.annotate(**rank_keys, exempt=exempt)
        .values("link_type", "exempt", *rank_keys, **group_fields)
        .annotate(n=Count("id"))
        .order_by()
    )

    by_type: dict[str, dict] = {}
    totals = {"total": 0, "done": 0, "due": 0, "overdue": 0}
    areas: dict = defaultdict(lambda: {"total": 0, "done": 0, "due": 0, "overdue": 0})
    exempt_links = 0
    for row in rows:
        lt, n = row["link_type"], row["n"]
        if row["exempt"]:
            exempt_links += n
            continue
        overall = RANK_STATUS[max([STATUS_RANK[Status.NONE], *(row[k] for k in rank_keys)])]
        entry = by_type.setdefault(
            lt,
            {
                "link_type": lt,
                "label": LinkType(lt).label,
                "total": 0,
                "done": 0,
                "due": 0,
                "overdue": 0,
                "rules": {},
            },
        )
        for bucket in (entry, totals, areas[row["area"]] if group_fields else None):
            if bucket is None:
                continue
            bucket["total"] += n
            if overall in (Status.DONE, Status.DUE, Status.OVERDUE):
                bucket[str(overall)] += n
        for group in groups:
            rule = group.rules.get(lt)
            if rule is None:
                continue
            start, end = period_bounds(group.period, on)
            r = entry["rules"].get(rule.pk)
            if r is None:  # built once per rule: the label is translated text
                r = entry["rules"][rule.pk] = {
                    "rule": rule,
                    "label": str(rule.label),
                    "period": group.period,
                    "period_start": start,
                    "period_end": end,
                    "done": 0,
                    "due": 0,
                    "overdue": 0,
                }
            status = RANK_STATUS[row[f"r_{group.key}"]]
            if status in (Status.DONE, Status.DUE, Status.OVERDUE):
                r[str(status)] += n
    for entry in by_type.values():
        entry["on_track"] = entry["total"] - entry["overdue"]
        entry["share_on_track"] = _share(entry["on_track"], entry["total"])
        entry["share_done"] = _share(entry["done"], entry["total"])
        rules = list(entry["rules"].values())
        for r in rules:
            # 正常率 means one thing on every row: links not overdue ÷ links (here: not overdue on this rule).
            r["on_track"] = entry["total"] - r["overdue"]
            r["share_on_track"] = _share(r["on_track"], entry["total"])
            r["share_done"] = _share(r["done"], entry["total"])
        entry["rules"] = rules
    totals["on_track"] = totals["total"] - totals["overdue"]
    totals["share_on_track"] = _share(totals["on_track"], totals["total"])

    quarter = period_bounds(Period.QUARTER, on)
    month = period_bounds(Period.MONTH, on)
    result = {
        "on": on,
        "by_type": [by_type[lt] for lt in LinkType.values if lt in by_type],
        "totals": totals,
        "quarter": quarter,
        "month": month,
        "households_without_contact": 0,
        "members_without_contact": 0,
        "households_needing_pairing": 0,
        "rows": [],
    }
    # The first LIST_LIMIT of each list and its full count, in one query each (the households needing a new
    # pairing only when an exempt member holds a link here at all).
    repair = needing_pairing(scoped).filter(household__isnull=False).values("household_id")
    lists = [
        (
            "households_needing_pairing",
            Household.objects.filter(pk__in=repair).select_related("grid").order_by("path", "code"),
        )
    ]
    result["households_needing_pairing_list"] = []
    if not with_lists:
        if group_fields:
            result["rows"] = _label_rows(areas, breakdown=breakdown)
        return result
    for name, qs in (
        *(lists if exempt_links else []),
        (
            "households_without_contact",
            households_without_contact(user=user, place=place, member=member, on=on).select_related("grid"),
        ),
        ("members_without_contact", members_without_contact(user=user, place=place, member=member, on=on)),
    ):
        first = list(qs.annotate(full_count=Window(Count("id")))[:LIST_LIMIT])
        result[name] = first[0].full_count if first else 0
        result[f"{name}_list"] = first
    if group_fields:
        result["rows"] = _label_rows(areas, breakdown=breakdown)
    return result


def _label_rows(areas: dict, *, breakdown: str) -> list[dict]:
    """Name each breakdown row (one query for the names), worst share first."""
    if breakdown == "member":
        names = dict(Member.objects.filter(pk__in=list(areas)).values_list("pk", "name"))
        objects = {pk: {"id": pk, "name": names.get(pk, "?")} for pk in areas}
    else:
        ids = {path: int(path.strip("/").split("/")[-1]) for path in areas}
        places = {p.pk: p for p in Place.objects.filter(pk__in=ids.values())}
        objects = {
            path: {"id": pk, "name": places[pk].name if pk in places else "?", "place": places.get(pk)}
            for path, pk in ids.items()
        }
    rows = []
    for key, counts in areas.items():
        row = {**objects[key], **counts}
        row["on_track"] = counts["total"] - counts["overdue"]
        row["share_on_track"] = _share(row["on_track"], counts["total"])
        rows.append(row)
    rows.sort(key=lambda r: (r["share_on_track"] if r["share_on_track"] is not None else 2, r["name"]))
    return rows


def households_without_contact(
    *, user, place: Place | None = None, member: Member | None = None, on: datetime.date | None = None
) -> QuerySet[Household]:
    """Households (in scope, under `place` or linked by `member`) that no contact reached this quarter."""
    on = on or timezone.localdate()
    start, end = aware_bounds(period_bounds(Period.QUARTER, on))
    end = min(end, as_of_end(on))  # as of the end of `on`
    if place is not None and scope_for(user).sees_path(place.path):
        households = Household.objects.filter(path__startswith=place.path)  # as _scoped_links
    else:
        households = households_visible_to(user)
        if place is not None:
            households = households.filter(path__startswith=place.path)
    if member is not None:
        households = households.filter(
            pk__in=Link.objects.current(on).filter(member=member).values("household_id")
        )
    if no_contact_after(end):
        # The quarter is still running and no contact lies beyond it: "no contact this quarter" is "last
        # contact before the quarter began, or never" (LastContact, one row per household).
        last = "last_contact"
        if place is not None:
            # Joined to the place's LastContact rows only, read from their own path index (LastContact.path):
            # a hash join of the place's rows, where the plain join hashed a city's 450,000. (An anti-join
            # instead made PostgreSQL expect most households unreached and walk the (path, code) index of
            # the whole city for the first 50.)
            last = "place_last_contact"
            households = households.alias(
                place_last_contact=FilteredRelation(
                    "last_contact", condition=Q(last_contact__path__startswith=place.path)
                )
            )
        households = households.filter(Q(**{f"{last}__isnull": True}) | Q(**{f"{last}__last_at__lt": start}))
        return households.order_by("path", "code")
    reached = ContactHousehold.objects.filter(
        household=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end
    )
    return households.filter(~Exists(reached)).order_by("path", "code")


def members_without_contact(
    *, user, place: Place | None = None, member: Member | None = None, on: datetime.date | None = None
) -> QuerySet[Member]:
    """Members with a current link (in scope, under `place`) who recorded no contact this month."""
    on = on or timezone.localdate()
    start, end = aware_bounds(period_bounds(Period.MONTH, on))
    end = min(end, as_of_end(on))  # as of the end of `on`
    links = _scoped_links(user=user, on=on, place=place, member=member)
    made = Contact.objects.filter(
        member=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end, struck=False
    )
    if place is not None:
        # The place's few hundred members by primary key (an array computed once) rather than a semi-join
        # that hashes a city's 47,000 members.
        members = Member.objects.filter(InArray(F("pk"), links.order_by().values("member_id").distinct()))
    else:
        members = Member.objects.filter(pk__in=links.values("member_id"))
    return members.filter(is_exempt=False).filter(~Exists(made)).order_by("path", "name")
