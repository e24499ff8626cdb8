"""Reads: which contacts a user may see, and a household's or place's contact history.

Scoping rules are members.access's (`scope_for`); this module applies them to contacts.
"""

from __future__ import annotations

from django.db.models import BooleanField, F, Func, QuerySet, Subquery

from grids.models import Household, Place
from members.access import scope_for
from members.models import Link, Member

from ..models import Contact, ContactHousehold


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
