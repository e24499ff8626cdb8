from .access import scope_for


def scope(request):
    """Expose the user's scope to templates (navigation shows only what the user may open)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"lianhu_scope": scope_for(user)}


def inbox(request):
    """The unread count for the nav: one COUNT query, run only when a template shows it."""
    from django.utils.functional import SimpleLazyObject

    from .notifications import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user=user))}
