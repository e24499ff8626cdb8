"""Admin: the year's assessment weights are the deployment's (superusers set them, staff view them); results and
the export log are read-only."""

from django.contrib import admin

from members.access import scope_for
from members.admin import DeploymentSettingAdmin, ReadOnlyScopedAdmin

from .access import exports_visible_to
from .models import AssessmentResult, AssessmentWeights, ExportJob


@admin.register(AssessmentWeights)
class AssessmentWeightsAdmin(DeploymentSettingAdmin):
    list_display = (
        "year",
        "village_coverage",
        "village_compliance",
        "village_issues",
        "village_satisfaction",
        "village_dispatch",
        "cadre_coverage",
        "cadre_compliance",
        "cadre_issues",
        "cadre_satisfaction",
        "cadre_dispatch",
    )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssessmentResult)
class AssessmentResultAdmin(ReadOnlyScopedAdmin):
    list_display = ("town", "year", "status", "computed_at", "approved_by", "approved_at")
    list_filter = ("status", "year")
    list_select_related = ("town", "approved_by")

    def scoped_queryset(self, request):
        return AssessmentResult.objects.filter(scope_for(request.user).path_q("town__path"))


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyScopedAdmin):
    """The export log: who exported which ledger, for which place and period, with full numbers or not."""

    list_display = (
        "created_at",
        "requested_by",
        "kind",
        "place",
        "full_numbers",
        "status",
        "row_count",
        "download_count",
    )
    list_filter = ("kind", "status", "full_numbers")
    list_select_related = ("requested_by", "place")
    exclude = ("file",)

    def scoped_queryset(self, request):
        return exports_visible_to(request.user)
