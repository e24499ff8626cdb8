"""API over the inbox: the caller's own notifications; mark one or all read (same services as the pages)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from members.access import scope_for

from .models import Notification
from .services import inbox_for, notification_mark_read, notifications_mark_all_read, unread_count


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "period_key", "title", "body", "link", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """GET /api/notifications/ (?unread=1), POST /api/notifications/{id}/read/, POST .../read-all/."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        rows = inbox_for(member=scope_for(self.request.user).member)
        if self.request.query_params.get("unread"):
            rows = rows.filter(read_at__isnull=True)
        return rows

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        member = scope_for(request.user).member
        if member is None:
            raise Http404
        try:
            notification = notification_mark_read(member=member, notification_id=int(pk))
        except (Notification.DoesNotExist, ValueError):
            raise Http404 from None
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None, responses=inline_serializer("ReadAll", {"marked": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        member = scope_for(request.user).member
        return Response({"marked": notifications_mark_all_read(member=member) if member else 0})

    @extend_schema(responses=inline_serializer("Unread", {"unread": serializers.IntegerField()}))
    @action(detail=False, methods=["get"])
    def unread(self, request):
        return Response({"unread": unread_count(user=request.user)})
