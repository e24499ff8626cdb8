"""API: activities open to / managed by the user; sign up and cancel (POST)."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .enums import SignUpStatus
from .models import Activity, SignUp


class ActivitySerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.name", read_only=True)
    organiser = serializers.CharField(source="organiser.name", read_only=True)
    signed = serializers.IntegerField(read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "title",
            "kind",
            "station",
            "starts_at",
            "ends_at",
            "location",
            "organiser",
            "capacity",
            "signed",
            "hours",
            "status",
            "required",
            "description",
            "photos",
        ]

    def get_photos(self, obj) -> list[str]:
        """Links to the scoped photo view (photos have no public URL): those who see the activity only."""
        request = self.context.get("request")
        urls = [reverse("activities:photo", args=[photo.pk]) for photo in obj.photos.all()]
        return [request.build_absolute_uri(u) for u in urls] if request else urls


class SignUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = SignUp
        fields = ["id", "activity", "member", "status", "signed_at", "attended", "hours"]


class ActivityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`?upcoming=1` keeps activities not yet over."""

    serializer_class = ActivitySerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        from django.db.models import Count, Q

        qs = (
            services.activities_visible_to(self.request.user)
            .select_related("station", "organiser")
            .prefetch_related("photos")
            .annotate(signed=Count("signups", filter=Q(signups__status=SignUpStatus.SIGNED)))
            .order_by("starts_at", "id")
        )
        if self.request.query_params.get("upcoming"):
            qs = qs.filter(ends_at__gte=timezone.now())
        return qs

    @extend_schema(request=None, responses={201: SignUpSerializer, 400: None})
    @action(detail=True, methods=["post"])
    def signup(self, request, pk=None):
        activity = self.get_object()
        row = services.signup(user=request.user, activity=activity)
        return Response(SignUpSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: SignUpSerializer, 400: None})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        activity = self.get_object()
        row = services.signup_cancel(user=request.user, activity=activity)
        return Response(SignUpSerializer(row).data if row else {}, status=status.HTTP_200_OK)
