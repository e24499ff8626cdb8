"""POST /api/auth/token/: an API client trades a username and password for a token (DRF's authtoken).

HTTP Basic is off for the API (a password on every request); this endpoint is the only place the API takes a
password, and django-axes throttles it exactly like the login form (same counters, same lockout).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from .lockout import is_locked_out, lockout_message

TokenAnswer = inline_serializer("AuthTokenAnswer", {"token": serializers.CharField()})
Detail = inline_serializer("AuthTokenRefused", {"detail": serializers.CharField()})


class TokenObtainView(APIView):
    authentication_classes = ()  # no session: no CSRF token needed, nothing to be logged in as
    permission_classes = ()
    serializer_class = AuthTokenSerializer

    @extend_schema(request=AuthTokenSerializer, responses={200: TokenAnswer, 400: Detail, 429: Detail})
    def post(self, request):
        username = str(request.data.get("username", ""))[:150]
        if is_locked_out(request._request, username):
            return Response({"detail": lockout_message(request)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        data = AuthTokenSerializer(data=request.data, context={"request": request})
        if not data.is_valid():
            if is_locked_out(request._request, username):
                return Response(
                    {"detail": lockout_message(request)}, status=status.HTTP_429_TOO_MANY_REQUESTS
                )
            return Response({"detail": _first_error(data.errors)}, status=status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=data.validated_data["user"])
        return Response({"token": token.key})


def _first_error(errors: dict) -> str:
    for messages in errors.values():
        return str(messages[0])
    return ""
