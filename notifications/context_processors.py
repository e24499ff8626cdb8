from django.utils.functional import SimpleLazyObject

from .services import unread_count


def inbox(request):
    """The unread count for the nav: one COUNT query, run only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user=user))}
