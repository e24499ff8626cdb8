"""The API router: each app registers its viewsets here (glue only)."""

from rest_framework.routers import DefaultRouter

from activities.api import ActivityViewSet
from dispatch.api import DispatchOrderViewSet
from issues.api import AssignmentViewSet, IssueEventViewSet, IssueViewSet
from members.api import HouseholdViewSet, LinkViewSet, MemberViewSet, PlaceViewSet
from notifications.api import NotificationViewSet
from reports.api import DashboardViewSet
from rewards.api import AwardRoundViewSet
from verification.api import CallViewSet, CaseViewSet, FlagViewSet
from visits.api import ContactViewSet, LinkComplianceViewSet, MemberComplianceViewSet, PlaceComplianceViewSet


class IdRouter(DefaultRouter):
    """Every object URL takes a numeric id unless its viewset says otherwise (lookup_value_regex).

    DRF's default ([^/.]+) let "/api/issues/null/escalate/" reach the custom actions, whose own look-ups
    then cast "null" to an integer and answered 500. A non-numeric id now matches no route at all: 404.
    """

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if not hasattr(viewset, "lookup_value_regex"):
            viewset = type(viewset.__name__, (viewset,), {"lookup_value_regex": r"[0-9]+"})
        return super().get_lookup_regex(viewset, lookup_prefix)


router = IdRouter()
router.register("places", PlaceViewSet, basename="place")
router.register("households", HouseholdViewSet, basename="household")
router.register("members", MemberViewSet, basename="member")
router.register("links", LinkViewSet, basename="link")
router.register("contacts", ContactViewSet, basename="contact")
router.register("compliance/links", LinkComplianceViewSet, basename="compliance-link")
router.register("compliance/members", MemberComplianceViewSet, basename="compliance-member")
router.register("compliance/places", PlaceComplianceViewSet, basename="compliance-place")
router.register("issues", IssueViewSet, basename="issue")
router.register("issue-events", IssueEventViewSet, basename="issue-event")
router.register("issue-assignments", AssignmentViewSet, basename="issue-assignment")
router.register("award-rounds", AwardRoundViewSet, basename="award-round")
router.register("reports/dashboards", DashboardViewSet, basename="report-dashboard")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("dispatch-orders", DispatchOrderViewSet, basename="dispatch-order")
router.register("verification/flags", FlagViewSet, basename="verification-flag")
router.register("verification/calls", CallViewSet, basename="verification-call")
router.register("verification/cases", CaseViewSet, basename="verification-case")
router.register("activities", ActivityViewSet, basename="activity")
