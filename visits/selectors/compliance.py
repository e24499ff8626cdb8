"""The compliance engine: links judged against the quota rules, computed in the database.

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
tallies of the current and previous periods); summaries.py adds one per "without contact" count. None
grows with the data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
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
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

from members.enums import LINK_TARGET, LinkType, TargetKind
from members.models import Link, Member

from ..enums import RANK_STATUS, STATUS_RANK, ContactKind, Status
from ..models import Contact, ContactHousehold, LinkTally, QuotaRule
from ..periods import local_midnight, no_contact_after, period_bounds, previous_bounds

PATH_STEP = 9  # one "00000001/" segment of a materialized path


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
    known_kinds = set(ContactKind.values)  # the property builds a new list on every read
    for rule in rules:
        target_kind = LINK_TARGET.get(LinkType(rule.link_type))
        if target_kind == TargetKind.HOUSEHOLD:
            target = "household"
        elif target_kind in (TargetKind.GRID, TargetKind.VILLAGE, TargetKind.TOWN):
            target = "place"
        else:  # migrant members are not contact targets yet
            continue
        kinds = tuple(sorted(k for k in rule.kinds if k in known_kinds))
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


def counts_partially(group: RuleGroup, on: datetime.date) -> bool:
    """True when the group's current period went on after `on` (a past day inside it): `_group_counts` then
    counts its contacts up to `on` from the rows, not the whole period's tally. Depends on the time now."""
    cur_end = period_bounds(group.period, on)[1]
    return on + datetime.timedelta(days=1) < cur_end and not no_contact_after(as_of_end(on))


def _group_counts(links: QuerySet[Link], joined: set[str], group: RuleGroup, on: datetime.date):
    """(links, current count, previous count) for a rule group, as of the end of the day `on`.

    Household rules apply to thousands of links: join the period's tallies (hash join). Place rules (grids,
    villages, the town) apply to a few dozen: look each up by key, only for links the rule applies to.
    "As of `on`": the current period counts only contacts dated up to `on`. While the period is running
    (today, or a later day) that is the whole tally; for a past day inside a period that went on after it,
    the few contacts of that period up to `on` are counted from the rows instead (per link, indexed).
    """
    cur_start = period_bounds(group.period, on)[0]
    prev_start = previous_bounds(group.period, on)[0]
    until = as_of_end(on)
    partial = counts_partially(group, on)
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
