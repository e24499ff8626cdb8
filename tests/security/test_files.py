"""Finding 1 (issue 11): no private file is reachable by URL alone.

Every file URL the app hands out (contact photos, issue photos, dispatch attachments, ledger exports) is
tried anonymously, as the wrong persona and as the right one; exports also by a non-requester and after
expiry; in production mode the view answers with X-Accel-Redirect and streams no body.
"""

import datetime
import io
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dispatch.models import DispatchOrder
from dispatch.periods import today
from dispatch.services import order_issue
from issues.models import IssueCategory, IssuePhoto
from issues.services import issue_raise
from reports.models import ExportJob
from reports.periods import period_of
from reports.services import export_request
from visits.enums import ContactKind
from visits.models import ContactPhoto
from visits.services import contact_record

UUID_NAME = re.compile(r"^[a-z]+(/\d{4}/\d{2})?/[0-9a-f]{32}\.[a-z0-9]+$")


def _png(name="13800001111.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def files(town):
    """One private file of each kind, made through the services, with the URL the app hands out for it."""
    contact = contact_record(
        user=town.user("member_a"),
        kind=ContactKind.HOME_VISIT,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        duties=["policy"],
        household=town.ha1,
        client_id=uuid.uuid4(),
        photos=[_png()],
    )
    contact_photo = ContactPhoto.objects.get(contact=contact)
    issue = issue_raise(
        user=town.user("member_a"),
        category=IssueCategory.objects.get(name="基础设施"),
        household=town.ha1,
        description="电线裸露",
        photos=[_png("张三.png")],
    )
    issue_photo = IssuePhoto.objects.get(issue=issue)
    order = order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="人口普查",
        task="核对户籍",
        due_date=today() + datetime.timedelta(days=5),
        places=[town.village_b],
        attachment=SimpleUploadedFile(
            "通知 13800001111.pdf", b"%PDF-1.4 test", content_type="application/pdf"
        ),
    )
    job = export_request(
        user=town.user("officer_a"),
        kind="contacts",
        place=town.village_a,
        period=period_of("month", timezone.localdate()),
    )
    assert job.is_downloadable()
    return {
        "contact_photo": (contact_photo.image, reverse("visits:photo", args=[contact_photo.pk])),
        "issue_photo": (issue_photo.image, reverse("issues:photo", args=[issue_photo.pk])),
        "attachment": (order.attachment, reverse("dispatch:order-attachment", args=[order.pk])),
        "export": (job.file, reverse("reports:export-download", args=[job.pk])),
        "objects": {"contact": contact, "issue": issue, "order": order, "job": job},
    }


# Who may fetch each file: the right persona, and wrong ones (inside the town, but not allowed).
RIGHT = {
    "contact_photo": ["member_a", "grid_head_a1", "officer_a", "town_staff", "discipline"],
    "issue_photo": ["member_a", "grid_head_a1", "officer_a", "town_staff", "discipline"],
    "attachment": ["officer_b", "town_staff", "discipline"],
    "export": ["officer_a"],
}
WRONG = {
    "contact_photo": ["member_b", "officer_b", "grid_head_b1", "handler"],
    "issue_photo": ["member_b", "officer_b", "grid_head_b1", "other_handler"],
    "attachment": ["officer_a", "member_a", "grid_head_b1", "handler"],
    "export": ["town_staff", "leader", "discipline", "officer_b", "member_a"],
}
KINDS = list(RIGHT)


@pytest.mark.parametrize("kind", KINDS)
def test_anonymous_gets_no_file(files, kind, client):
    _, url = files[kind]
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_persona_gets_404(town, files, kind):
    _, url = files[kind]
    for persona in WRONG[kind]:
        client = Client()
        client.force_login(town.user(persona))
        assert client.get(url).status_code == 404, persona


@pytest.mark.parametrize("kind", KINDS)
def test_right_persona_gets_the_file(town, files, kind):
    fieldfile, url = files[kind]
    with fieldfile.open("rb") as handle:
        expected = handle.read()
    for persona in RIGHT[kind]:
        client = Client()
        client.force_login(town.user(persona))
        response = client.get(url)
        assert response.status_code == 200, persona
        assert _body(response) == expected
        assert "X-Accel-Redirect" not in response
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("kind", KINDS)
def test_files_live_outside_public_roots_under_random_names(files, kind):
    fieldfile, _ = files[kind]
    assert UUID_NAME.match(fieldfile.name), fieldfile.name
    assert "13800001111" not in fieldfile.name and "通知" not in fieldfile.name
    path = Path(fieldfile.path).resolve()
    assert Path(settings.LIANHU_PRIVATE_ROOT).resolve() in path.parents
    for public in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        assert Path(public).resolve() not in path.parents
    with pytest.raises(ValueError):
        fieldfile.url  # noqa: B018 (a private file has no URL to hand out)


@pytest.mark.parametrize("kind", KINDS)
def test_no_media_route_serves_the_stored_name(town, files, kind, client, settings):
    fieldfile, _ = files[kind]
    settings.DEBUG = True  # the old urls.py served /media/ whenever DEBUG was on
    client.force_login(town.user("town_staff"))
    assert client.get(f"/media/{fieldfile.name}").status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_production_answers_with_x_accel_redirect_and_no_body(town, files, kind, settings):
    settings.LIANHU_X_ACCEL_REDIRECT = True
    settings.LIANHU_X_ACCEL_PREFIX = "/_private/"
    fieldfile, url = files[kind]
    client = Client()
    client.force_login(town.user(RIGHT[kind][0]))
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_private/{fieldfile.name}"
    assert not response.streaming and response.content == b""
    assert response["Content-Disposition"]
    # The wrong persona still gets nothing, not even the header.
    other = Client()
    other.force_login(town.user(WRONG[kind][0]))
    response = other.get(url)
    assert response.status_code == 404 and "X-Accel-Redirect" not in response


def test_original_names_go_into_content_disposition(town, files, client):
    client.force_login(town.user("officer_b"))
    response = client.get(files["attachment"][1])
    # RFC 5987: a Chinese name is sent as filename*=utf-8''…
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E9%80%9A%E7%9F%A5%2013800001111.pdf"
    )
    assert response["Content-Type"] == "application/pdf"
    client.force_login(town.user("officer_a"))
    response = client.get(files["export"][1])
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    client.force_login(town.user("member_a"))
    response = client.get(files["contact_photo"][1])
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline;")


def test_export_after_expiry_is_refused(town, files):
    job = files["objects"]["job"]
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    client = Client()
    client.force_login(town.user("officer_a"))
    response = client.get(files["export"][1])
    assert response.status_code == 302 and response["Location"] == reverse("reports:exports")
    job.refresh_from_db()
    assert job.download_count == 0


def test_export_urls_never_carry_the_token(town, files, client):
    job = files["objects"]["job"]
    client.force_login(town.user("officer_a"))
    listing = client.get(reverse("reports:exports")).content.decode()
    assert files["export"][1] in listing
    assert str(job.token) not in listing and job.token.hex not in listing
    assert job.token.hex not in job.file.name
    response = client.post(
        reverse("reports:export", args=[town.village_a.pk]),
        {"kind": "contacts", "period": "month", "on": timezone.localdate().isoformat()},
    )
    newest = ExportJob.objects.order_by("-pk").first()
    assert response.status_code == 302 and str(newest.token) not in response["Location"]
    assert response["Location"] == reverse("reports:export-download", args=[newest.pk])


def test_pages_and_api_hand_out_only_scoped_urls(town, files, client):
    contact = files["objects"]["contact"]
    client.force_login(town.user("member_a"))
    photo_url = files["contact_photo"][1]
    assert photo_url in client.get(reverse("visits:contact", args=[contact.pk])).content.decode()
    data = client.get(f"/api/contacts/{contact.pk}/").json()
    assert data["photos"] == [f"http://testserver{photo_url}"]
    issue = files["objects"]["issue"]
    assert files["issue_photo"][1] in client.get(reverse("issues:detail", args=[issue.pk])).content.decode()
    client.force_login(town.user("officer_b"))
    order = files["objects"]["order"]
    assert (
        files["attachment"][1]
        in client.get(reverse("dispatch:order-detail", args=[order.pk])).content.decode()
    )
    for html in (
        client.get(reverse("dispatch:order-detail", args=[order.pk])).content.decode(),
        Client().get("/").content.decode(),
    ):
        assert "/media/" not in html


def test_missing_file_on_disk_is_404_not_500(town, files, client):
    fieldfile, url = files["attachment"]
    fieldfile.storage.delete(fieldfile.name)
    client.force_login(town.user("officer_b"))
    assert client.get(url).status_code == 404
    assert DispatchOrder.objects.count() == 1


def test_private_root_inside_a_public_root_fails_the_checks(settings):
    from grids.private import check_private_root

    assert check_private_root() == []
    settings.LIANHU_PRIVATE_ROOT = Path(settings.STATIC_ROOT) / "private"
    assert [e.id for e in check_private_root()] == ["lianhu.E001"]


def test_api_clients_fetch_the_photo_urls_the_api_hands_out(town, files):
    """A client authenticating per request with its API token (no session) may fetch the photo URL from the
    API; others may not."""
    from rest_framework.authtoken.models import Token

    def token(username):
        key = Token.objects.get_or_create(user=town.user(username))[0].key
        return {"HTTP_AUTHORIZATION": f"Token {key}"}

    contact = files["objects"]["contact"]
    client = Client()
    [url] = client.get(f"/api/contacts/{contact.pk}/", **token("member_a")).json()["photos"]
    assert client.get(url, **token("member_a")).status_code == 200
    assert client.get(url, **token("member_b")).status_code == 404
    response = client.get(url, HTTP_AUTHORIZATION="Token not-a-key")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
