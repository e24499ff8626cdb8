"""Admin: read-only views of rounds, nominations, events and flags (the pages and services do the writing,
so every step is checked and logged); default award types and corrections are kept here by town staff."""

from django.contrib import admin

from members.access import members_visible_to, scope_for
from members.admin import DeploymentSettingAdmin, ReadOnlyScopedAdmin

from .access import rounds_visible_to
from .models import AwardFlag, AwardRound, AwardTypeDefault, Correction, Nomination, RoundEvent


@admin.register(AwardRound)
class AwardRoundAdmin(ReadOnlyScopedAdmin):
    list_display = ("town", "year", "half", "status", "period_start", "period_end", "published_at")
    list_filter = ("status", "half")
    list_select_related = ("town",)

    def scoped_queryset(self, request):
        return rounds_visible_to(request.user)


@admin.register(Nomination)
class NominationAdmin(ReadOnlyScopedAdmin):
    list_display = ("award_type", "subject_name", "rank", "score", "payee_name", "nominated_at")
    list_select_related = ("award_type", "member", "place")

    def scoped_queryset(self, request):
        return Nomination.objects.filter(award_type__round__in=rounds_visible_to(request.user))


@admin.register(RoundEvent)
class RoundEventAdmin(ReadOnlyScopedAdmin):
    list_display = ("round", "action", "actor_name", "created_at", "note")
    list_filter = ("action",)
    list_select_related = ("round__town",)

    def scoped_queryset(self, request):
        return RoundEvent.objects.filter(round__in=rounds_visible_to(request.user))


@admin.register(AwardFlag)
class AwardFlagAdmin(ReadOnlyScopedAdmin):
    list_display = ("kind", "member", "place", "nomination", "created_at")
    list_filter = ("kind",)
    list_select_related = ("member", "place", "nomination__award_type")

    def scoped_queryset(self, request):
        return AwardFlag.objects.filter(scope_for(request.user).path_q("path"))


@admin.register(AwardTypeDefault)
class AwardTypeDefaultAdmin(DeploymentSettingAdmin):
    """The work plan's awards, copied into every town's first round: the deployment's (superusers change them)."""

    list_display = ("name", "kind", "places", "prize", "office_name", "order")


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyScopedAdmin):
    list_display = ("member", "opened_at", "closed_at", "reason")
    list_select_related = ("member",)

    def scoped_queryset(self, request):
        return Correction.objects.filter(member__in=members_visible_to(request.user))
