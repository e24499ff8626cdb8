import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from issues.models import Issue, IssueCategory, IssueEvent, IssuePhoto
from issues.services import IssueError


def _png(name="现场.png"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_raise_with_photos_on_the_page_and_photo_is_scoped(town, login, category):
    client = login(town.user("member_a"))
    response = client.post(
        reverse("issues:raise"),
        {
            "household": town.ha1.pk,
            "kind": "hazard",
            "category": category.pk,
            "urgency": "urgent",
            "description": "电线裸露",
            "outcome": "escalate",
            "note": "需要供电所",
            "photos": [_png(), _png("b.png")],
        },
    )
    assert response.status_code == 302
    issue = Issue.objects.get()
    photos = list(IssuePhoto.objects.filter(issue=issue))
    assert len(photos) == 2
    assert photos[0].image.name.startswith("issues/") and photos[0].image.name.endswith(".jpg")
    assert "现场" not in photos[0].image.name  # the uploaded name is not kept
    with Image.open(photos[0].image.path) as img:
        assert img.format == "JPEG"
    url = reverse("issues:photo", args=[photos[0].pk])
    assert login(town.user("grid_head_a1")).get(url).status_code == 200
    assert login(town.user("officer_b")).get(url).status_code == 404


def test_raise_refuses_a_non_image(town, raise_issue):
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(IssueError, match="只能上传 JPEG/PNG/WebP 图片"):
        raise_issue(photos=[fake])
    assert not Issue.objects.exists()


def test_admin_events_are_read_only_and_settings_for_the_deployment_admin(town, login, admin_user):
    from issues.services import issue_raise

    issue = issue_raise(
        user=town.user("member_a"),
        category=IssueCategory.objects.first(),
        household=town.ha1,
        description="x",
    )
    event = IssueEvent.objects.get(issue=issue)
    staff = login(town.user("town_staff"))
    assert staff.get(reverse("admin:issues_issueevent_changelist")).status_code == 200
    assert (
        staff.post(reverse("admin:issues_issueevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert staff.get(reverse("admin:issues_issueevent_add")).status_code == 403
    assert IssueEvent.objects.filter(pk=event.pk).exists()
    # the whistle deadlines are the deployment's: a superuser changes them; town staff and a village officer
    # may only look
    setting_url = reverse("admin:issues_whistlesetting_changelist")
    assert staff.get(setting_url).status_code == 200
    from issues.models import WhistleSetting

    routine = WhistleSetting.objects.get(kind="routine")
    before = routine.amount
    response = staff.post(
        reverse("admin:issues_whistlesetting_change", args=[routine.pk]),
        {"kind": "routine", "amount": before + 3, "unit": "day"},
    )
    assert response.status_code == 403
    routine.refresh_from_db()
    assert routine.amount == before
    root = login(admin_user)
    response = root.post(
        reverse("admin:issues_whistlesetting_change", args=[routine.pk]),
        {"kind": "routine", "amount": 5, "unit": "day"},
    )
    assert response.status_code == 302
    routine.refresh_from_db()
    assert routine.amount == 5
    officer = login(town.user("officer_a"))
    response = officer.post(
        reverse("admin:issues_whistlesetting_change", args=[routine.pk]),
        {"kind": "routine", "amount": 1, "unit": "day"},
    )
    assert response.status_code == 403
    routine.refresh_from_db()
    assert routine.amount == 5
    assert officer.get(reverse("admin:issues_issue_changelist")).status_code == 403  # no town post
