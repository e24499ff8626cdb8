"""The authentication backend: Django's ModelBackend, reading a session's user with their member.

Every signed-in request needs the member (members.access builds the scope from it and its scope_version), so
the user and the member are read in one query instead of two. Logins, passwords and permissions are
ModelBackend's own.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class MemberBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("member").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def member_read_with(user):
    """(True, the member or None) when `user` was read with their member (MemberBackend), else (False, None)."""
    related = get_user_model().member.related
    if related.is_cached(user):  # works through request.user's lazy object too
        return True, related.get_cached_value(user)
    return False, None
