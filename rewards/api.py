"""API for award rounds: the same access helpers and services as the pages.

GET  /api/award-rounds/                     rounds the user may see (published ones of their town, or managed)
GET  /api/award-rounds/{id}/                a round with its award types and nominations/winners
GET  /api/award-rounds/{id}/ranking/?type=  the ranking of one award type, every score with its components
POST /api/award-rounds/{id}/transition/     {"action": open|submit|approve|return|publish, "reason": ""}
POST /api/award-rounds/{id}/nominate/       {"award_type": id, "subject": member or grid id, "reason": ""}
POST /api/award-rounds/{id}/withdraw/       {"nomination": id}
Errors: 400 with {"detail": [messages]} for a refused step, 403 for a wrong persona, 404 for an unseen round.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors, services
from .access import get_candidate, manages_round, rounds_visible_to
from .enums import RoundStatus
from .models import AwardRound, AwardType, Nomination


class NominationSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="subject_name", read_only=True)

    class Meta:
        model = Nomination
        fields = [
            "id",
            "member",
            "place",
            "name",
            "rank",
            "score",
            "components",
            "reason",
            "area_label",
            "payee_name",
        ]


class AwardTypeSerializer(serializers.ModelSerializer):
    office_name = serializers.CharField(source="office.name", read_only=True)

    class Meta:
        model = AwardType
        fields = ["id", "name", "kind", "places", "prize", "office", "office_name"]


class AwardRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = AwardRound
        fields = ["id", "town", "year", "half", "period_start", "period_end", "status", "published_at"]


class ComponentSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField(allow_null=True)
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    weight = serializers.DecimalField(max_digits=7, decimal_places=2)
    contribution = serializers.DecimalField(max_digits=7, decimal_places=2)


class RankRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    subject_id = serializers.IntegerField()
    name = serializers.CharField()
    area_label = serializers.CharField()
    score = serializers.DecimalField(max_digits=7, decimal_places=2)
    nominated = serializers.BooleanField()
    components = ComponentSerializer(many=True)


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["open", "submit", "approve", "return", "publish"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class NominateSerializer(serializers.Serializer):
    award_type = serializers.IntegerField()
    subject = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class WithdrawSerializer(serializers.Serializer):
    nomination = serializers.IntegerField()


class AwardRoundViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AwardRoundSerializer

    def get_queryset(self):
        return rounds_visible_to(self.request.user).select_related("town").order_by("-year", "-half", "-id")

    def _managed(self) -> AwardRound:
        round_ = self.get_object()
        if not manages_round(self.request.user, round_):
            raise Http404
        return round_

    def retrieve(self, request, *args, **kwargs):
        round_ = self.get_object()
        if round_.status != RoundStatus.PUBLISHED and not manages_round(request.user, round_):
            raise Http404
        data = AwardRoundSerializer(round_).data
        data["types"] = AwardTypeSerializer(round_.types.select_related("office"), many=True).data
        data["nominations"] = NominationSerializer(selectors.round_nominations(round_), many=True).data
        return Response(data)

    @extend_schema(responses=RankRowSerializer(many=True))
    @action(detail=True, methods=["get"])
    def ranking(self, request, pk=None):
        round_ = self._managed()
        award_type = round_.types.filter(pk=request.query_params.get("type") or 0).first()
        if award_type is None:
            return Response({"detail": ["请指定奖项 type (award type required)"]}, status=400)
        award_type.round = round_
        result = selectors.award_ranking(award_type=award_type)
        return Response(
            {
                "award_type": AwardTypeSerializer(award_type).data,
                "notes": result.notes,
                "rows": RankRowSerializer(result.rows, many=True).data,
                "excluded": [
                    {"member": e.member.pk, "name": e.member.name, "reasons": e.reasons}
                    for e in result.excluded
                ],
            }
        )

    @extend_schema(request=TransitionSerializer, responses=AwardRoundSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        round_ = self._managed()
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        name = payload.validated_data["action"]
        service = {
            "open": services.round_open,
            "submit": services.round_submit,
            "approve": services.round_approve,
            "return": services.round_return,
            "publish": services.round_publish,
        }[name]
        kwargs = {"reason": payload.validated_data["reason"]} if name == "return" else {}
        round_ = service(user=request.user, round_=round_, **kwargs)
        return Response(AwardRoundSerializer(round_).data)

    @extend_schema(request=NominateSerializer, responses=NominationSerializer)
    @action(detail=True, methods=["post"])
    def nominate(self, request, pk=None):
        round_ = self._managed()
        payload = NominateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        award_type = round_.types.filter(pk=payload.validated_data["award_type"]).first()
        if award_type is None:
            raise Http404
        subject_id = payload.validated_data["subject"]
        subject = get_candidate(award_type, subject_id)
        nomination = services.nomination_add(
            user=request.user, award_type=award_type, reason=payload.validated_data["reason"], **subject
        )
        return Response(NominationSerializer(nomination).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawSerializer, responses=None)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        round_ = self._managed()
        payload = WithdrawSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        nomination = Nomination.objects.filter(
            pk=payload.validated_data["nomination"], award_type__round=round_
        ).first()
        if nomination is None:
            raise Http404
        services.nomination_withdraw(user=request.user, nomination=nomination)
        return Response(status=status.HTTP_204_NO_CONTENT)
