"""The API's one exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]); see grids/errors.py."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import DomainError, error_messages


def exception_handler(exc, context):
    """DomainError → its status and `{"detail", "code", "field"}`; a Django ValidationError (model or input
    validation in a service) → 400 like a serializer's errors; everything else as DRF does it."""
    if isinstance(exc, DomainError):
        set_rollback()
        body = {"detail": str(exc.message), "code": exc.code, "field": exc.field}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                name: error_messages(DjangoValidationError(errors)) for name, errors in exc.error_dict.items()
            }
        else:
            detail = {"non_field_errors": error_messages(exc)}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
