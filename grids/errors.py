"""One error vocabulary for every app (docs/architecture.md, "Errors").

A service refuses by raising a `DomainError`: one translated message (Chinese msgid, English in the .po), an
optional `field` it belongs to, and a stable `code` for API clients. Pages and the API never translate
errors themselves:
- the API: `grids.api_errors.exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]) answers
  `{"detail": message, "code": code, "field": field}` with the class's status;
- pages: `form_error(form, exc)` puts the message on its field (or on top of the form), `flash_error(request,
  exc)` shows it as a message where there is no form.

`Invalid` (400) is a Django `ValidationError` (so `form.add_error`, `exc.messages` and existing `except
ValidationError` keep working); `NotAllowed` (403) is a Django `PermissionDenied` (a page that does not catch
it answers 403, and the 403 page shows the message); `NotFound` (404) and `Conflict` (409) are neither.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError


class DomainError(Exception):
    """A refusal the user can act on: one translated message, an optional field, a stable code.

    Raise one of the four kinds below; the API answers with the kind's status (grids/api_errors.py).
    """

    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        code = code or self.default_code
        if isinstance(self, ValidationError):  # Invalid and the app errors built on it
            if field:
                ValidationError.__init__(self, {field: [ValidationError(message, code=code)]})
            else:
                ValidationError.__init__(self, message, code=code)
        else:
            Exception.__init__(self, message)
        self.message = message
        self.field = field
        self.code = code

    def __str__(self) -> str:
        return str(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.message)!r}, field={self.field!r}, code={self.code!r})"


class Invalid(DomainError, ValidationError):
    """The request cannot be done as asked (a missing reason, a date out of range, a closed round). 400.

    Also a Django ValidationError: `form.add_error`, `exc.messages`/`message_dict` and `except
    ValidationError` work on it."""


class NotFound(DomainError):
    """What was asked for does not exist, or not for this user. 404."""

    status_code = 404
    default_code = "not_found"


class NotAllowed(DomainError, PermissionDenied):
    """Refused because of who asks (their post, level, department or read-only scope). 403.

    Also a Django PermissionDenied: a page that does not catch it answers 403, and the 403 page shows the
    message."""

    status_code = 403
    default_code = "not_allowed"


class Conflict(DomainError):
    """Someone else changed the thing since the user loaded it. 409."""

    status_code = 409
    default_code = "conflict"


def error_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def form_error(form, exc: ValidationError | DomainError) -> None:
    """Show a refusal on the form: next to its field when the form has that field, on top otherwise.

    Takes a DomainError or a plain Django ValidationError (a dict of fields or a list of messages).
    """
    if not isinstance(exc, ValidationError):
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
    elif hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def flash_error(request, exc: ValidationError | DomainError) -> None:
    """Show a refusal as a message on the next page (actions without a form of their own)."""
    if isinstance(exc, ValidationError):
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.error(request, str(exc))


def flash_outcome(request, call, success) -> bool:
    """Run `call()` for a page's action: a refusal (`ValidationError`) becomes error messages, else `success`
    (a text, or a function of what `call` returned) a success message. True when the action went through."""
    try:
        result = call()
    except ValidationError as exc:
        flash_error(request, exc)
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True
