"""The authentication backend: Django's ModelBackend, reading a session's user with their member.

Every signed-in request needs the member (members.access builds the scope from it and its scope_version), so
the user and the member are read in one query instead of two. Logins, passwords and permissions are
ModelBackend's own.
"""

from __future__ import annotations

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from grids import rows


class MemberBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        if rows.fast_reads():
            user = _user_with_member(pk)
        else:
            user = User._default_manager.select_related("member").filter(pk=pk).first()
        return user if user is not None and self.user_can_authenticate(user) else None


@functools.cache
def _user_sql() -> str:
    from .models import Member

    User = get_user_model()
    qn = connection.ops.quote_name
    user_pk = f"u.{qn(User._meta.pk.column)}"
    return (
        f"SELECT {rows.columns(User, 'u')}, {rows.columns(Member, 'm')} FROM {qn(User._meta.db_table)} u "
        f"LEFT JOIN {qn(Member._meta.db_table)} m ON m.{qn(Member._meta.get_field('user').column)} = {user_pk} "
        f"WHERE {user_pk} = %s"
    )


def _user_with_member(pk):
    """`User.objects.select_related("member").filter(pk=pk).first()` as SQL written once (grids.rows)."""
    from .models import Member

    User = get_user_model()
    with connection.cursor() as cursor:
        cursor.execute(_user_sql(), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    split = rows.width(User)
    user = rows.instance(User, row[:split])
    member = rows.instance(Member, row[split:])
    User.member.related.set_cached_value(user, member)
    if member is not None:
        Member.user.field.set_cached_value(member, user)
    return user


def member_read_with(user):
    """(True, the member or None) when `user` was read with their member (MemberBackend), else (False, None)."""
    related = get_user_model().member.related
    if related.is_cached(user):  # works through request.user's lazy object too
        return True, related.get_cached_value(user)
    return False, None
