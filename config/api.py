"""The API router: each app registers its viewsets here (glue only)."""

from rest_framework.routers import DefaultRouter

from members.api import HouseholdViewSet, LinkViewSet, MemberViewSet, PlaceViewSet

router = DefaultRouter()
router.register("places", PlaceViewSet, basename="place")
router.register("households", HouseholdViewSet, basename="household")
router.register("members", MemberViewSet, basename="member")
router.register("links", LinkViewSet, basename="link")
