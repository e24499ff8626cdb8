from django.contrib import admin

from .models import PairingBatch, PairingLine
from .services import batches_visible_to


class PairingLineInline(admin.TabularInline):
    model = PairingLine
    extra = 0
    can_delete = False
    fields = (
        "action",
        "link_type",
        "member",
        "household",
        "place",
        "migrant",
        "reason",
        "metres",
        "link",
        "outcome",
    )
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PairingBatch)
class PairingBatchAdmin(admin.ModelAdmin):
    """Read-only record of pairing batches (they are made and applied on /pairing/)."""

    list_display = ("id", "place", "mode", "status", "created_by", "created_at", "applied_at")
    list_filter = ("mode", "status")
    readonly_fields = (
        "place",
        "mode",
        "subject",
        "status",
        "summary",
        "note",
        "created_by",
        "created_at",
        "applied_by",
        "applied_at",
    )
    inlines = [PairingLineInline]

    def get_queryset(self, request):
        return batches_visible_to(request.user).select_related("place", "created_by")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
