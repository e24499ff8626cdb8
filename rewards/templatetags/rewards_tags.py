from django import template

from rewards.selectors import flags_for_user

register = template.Library()


@register.simple_tag(takes_context=True)
def award_flags_for_user(context, limit: int = 5):
    """The logged-in user's award flags (their own and their grids'), newest first."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return list(flags_for_user(request.user)[:limit])
