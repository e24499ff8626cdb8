def offline(request):
    """How many days the phone may keep its offline copy without a sync (static/js/offline.js wipes it after)."""
    from django.conf import settings

    return {"offline_max_days": settings.LIANHU.get("OFFLINE_MAX_DAYS", 7)}
