from .access import scope_for


def scope(request):
    """Expose the user's scope to templates (navigation shows only what the user may open)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"lianhu_scope": scope_for(user)}
