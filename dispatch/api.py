"""API over 调度令: list/retrieve what the caller may see; acknowledge / report done (same services as pages)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from members.access import scope_for

from .access import can_see_progress, get_order_for_user, orders_visible_to
from .models import DispatchOrder, OrderRecipient
from .selectors import order_progress, orders_with_progress
from .services import order_acknowledge, order_report_done


class RecipientSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    via_name = serializers.CharField(source="via.name", read_only=True, default=None)

    class Meta:
        model = OrderRecipient
        fields = ["id", "member", "member_name", "via_name", "status", "acknowledged_at", "done_at", "report"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    n_total = serializers.IntegerField(read_only=True)
    n_pending = serializers.IntegerField(read_only=True)
    n_acknowledged = serializers.IntegerField(read_only=True)
    n_done = serializers.IntegerField(read_only=True)

    class Meta:
        model = DispatchOrder
        fields = [
            "id",
            "title",
            "task",
            "due_date",
            "issued_at",
            "town",
            "n_total",
            "n_pending",
            "n_acknowledged",
            "n_done",
        ]
        read_only_fields = fields


class DoneSerializer(serializers.Serializer):
    report = serializers.CharField(max_length=2000)


class DispatchOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders the caller may see (town staff: their town's; others: those sent to them)."""

    serializer_class = OrderSerializer

    def get_queryset(self):
        return orders_with_progress(orders_visible_to(self.request.user)).order_by("-issued_at", "-id")

    @extend_schema(responses=RecipientSerializer(many=True))
    @action(detail=True, methods=["get"])
    def recipients(self, request, pk=None):
        """Progress per recipient: the centre (and the discipline commission) only; others get their own row."""
        order = get_order_for_user(request.user, pk)
        rows = OrderRecipient.objects.filter(order=order).select_related("member", "via")
        if not can_see_progress(request.user, order):
            rows = rows.filter(member=scope_for(request.user).member)
        page = self.paginate_queryset(rows.order_by("id"))
        return self.get_paginated_response(RecipientSerializer(page, many=True).data)

    @extend_schema(request=None, responses=RecipientSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        order = get_order_for_user(request.user, pk)
        row = order_acknowledge(user=request.user, order=order)
        return Response(RecipientSerializer(row).data)

    @extend_schema(request=DoneSerializer, responses=RecipientSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        order = get_order_for_user(request.user, pk)
        body = DoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = order_report_done(user=request.user, order=order, report=body.validated_data["report"])
        return Response(RecipientSerializer(row).data)

    @extend_schema(
        responses=inline_serializer(
            "OrderProgress",
            {k: serializers.IntegerField() for k in ("total", "pending", "acknowledged", "done")},
        )
    )
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        order = get_order_for_user(request.user, pk)
        if not can_see_progress(request.user, order):
            return Response({"detail": "forbidden"}, status=status.HTTP_403_FORBIDDEN)
        return Response(order_progress(order=order))
