"""Private files: contact and issue photos, dispatch attachments, ledger exports.

They live under settings.LIANHU_PRIVATE_ROOT, outside every public root (static files, MEDIA_ROOT), and have
no URL of their own: each is handed out by a view that first checks the scope of the object it belongs to,
then answers with `private_file_response`. In production (LIANHU_X_ACCEL_REDIRECT) that response is empty
and carries an `X-Accel-Redirect` header to nginx's `internal` location, so gunicorn never streams files; in
development and tests the view streams the file itself.

Stored names are random (uuid); the original name goes into Content-Disposition only.
"""

from __future__ import annotations

import mimetypes
import os
import uuid
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse
from django.utils.deconstruct import deconstructible
from django.utils.http import content_disposition_header


@deconstructible
class PrivateStorage(FileSystemStorage):
    """FileSystemStorage rooted at LIANHU_PRIVATE_ROOT (read on every use, so tests may override it).

    `url()` refuses: a private file is reached only through a view that checks who asks.
    """

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.LIANHU_PRIVATE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("private files have no public URL: serve them through a scoped view")


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """The storage of every private FileField (a callable, so migrations do not freeze a location)."""
    return private_storage


def random_name(folder: str, filename: str = "", *, suffix: str | None = None) -> str:
    """`folder/<uuid>.<suffix>`: the stored name never carries the uploaded name (it may hold a phone number)."""
    if suffix is None:
        suffix = PurePosixPath(filename or "").suffix.lower().lstrip(".")
        # Keep only a plain extension (letters and digits) so the name stays harmless.
        if not suffix.isalnum() or len(suffix) > 8:
            suffix = "bin"
    return f"{folder}/{uuid.uuid4().hex}.{suffix}"


def api_or_session_user(request):
    """The logged-in user of a page (session) or of an API client (the API's authentication classes), or None.

    For file views whose URLs the API hands out (contact photos): an API client that authenticates per request
    must be able to fetch them too. A failed authentication counts as no user.
    """
    if request.user.is_authenticated:
        return request.user
    from rest_framework.exceptions import APIException
    from rest_framework.request import Request
    from rest_framework.settings import api_settings

    authenticators = [cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    try:
        user = Request(request, authenticators=authenticators).user
    except APIException:
        return None
    return user if user is not None and user.is_authenticated else None


def private_file_response(
    fieldfile, *, filename: str, as_attachment: bool = True, content_type: str | None = None
) -> HttpResponse:
    """Answer with a private file the caller has been checked for.

    Production (LIANHU_X_ACCEL_REDIRECT): an empty body and `X-Accel-Redirect: <prefix><stored name>`.
    Elsewhere: the file streamed by Django. Both: Content-Disposition with the original name (RFC 5987
    `filename*` for non-ASCII names), no caching by shared caches.
    """
    if not fieldfile or not fieldfile.name:
        raise Http404
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if not fieldfile.storage.exists(fieldfile.name):
        raise Http404
    if getattr(settings, "LIANHU_X_ACCEL_REDIRECT", False):
        response = HttpResponse(content_type=content_type)
        prefix = settings.LIANHU_X_ACCEL_PREFIX.rstrip("/") + "/"
        response["X-Accel-Redirect"] = prefix + quote(fieldfile.name.lstrip("/"))
        response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    else:
        response = FileResponse(
            fieldfile.storage.open(fieldfile.name, "rb"),
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
    response["Cache-Control"] = "private, no-store"
    return response


@checks.register(checks.Tags.security)
def check_private_root(app_configs=None, **kwargs):
    """The private root must not lie inside (or contain) a directory the web server publishes."""
    private = Path(settings.LIANHU_PRIVATE_ROOT).resolve()
    public = [
        Path(p).resolve() for p in (settings.STATIC_ROOT, settings.MEDIA_ROOT, *settings.STATICFILES_DIRS)
    ]
    errors = []
    for root in public:
        if private == root or root in private.parents or private in root.parents:
            errors.append(
                checks.Error(
                    f"LIANHU_PRIVATE_ROOT ({private}) overlaps the public directory {root}",
                    hint="Set DJANGO_PRIVATE_ROOT to a directory outside STATIC_ROOT and MEDIA_ROOT.",
                    id="lianhu.E001",
                )
            )
    return errors
