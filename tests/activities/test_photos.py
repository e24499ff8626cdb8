"""Activity photos: who may add them, who may see them (page, file, API), bad files refused with a message."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from activities import services
from activities.models import Activity, ActivityPhoto

pytestmark = pytest.mark.django_db


def _jpeg(name="13800001111.jpg", size=(2000, 1500)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _held(town, place=None, organiser="officer_a", days=-1):
    starts = timezone.now() + datetime.timedelta(days=days)
    return Activity.objects.create(
        station=services.station_for(place or town.village_a),
        title="重阳敬老",
        kind="elderly",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        location="甲村党群服务中心",
        organiser=town.members[organiser],
        hours=Decimal(2),
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_organiser_uploads_photos_shrunk_with_a_thumbnail(town, login):
    a = _held(town)
    client = login(town.user("officer_a"))
    response = client.post(reverse("activities:photos", args=[a.pk]), {"photos": [_jpeg(), _jpeg("b.png")]})
    assert response.status_code == 302
    photos = list(ActivityPhoto.objects.filter(activity=a))
    assert len(photos) == 2
    for photo in photos:
        assert "13800001111" not in photo.image.name and photo.image.name.startswith("activities/")
        with Image.open(photo.image.path) as big, Image.open(photo.thumb.path) as small:
            assert max(big.size) == 1600 and max(small.size) == services.THUMB_SIDE
    page = client.get(reverse("activities:detail", args=[a.pk])).content.decode()
    assert reverse("activities:photo-thumb", args=[photos[0].pk]) in page
    assert reverse("activities:photo", args=[photos[0].pk]) in page


def test_only_the_organiser_or_a_manager_adds_photos_and_only_after_the_start(town, login):
    a = _held(town)
    # member_a sees the activity but does not organise it: refused, nothing stored
    response = login(town.user("member_a")).post(
        reverse("activities:photos", args=[a.pk]), {"photos": [_jpeg()]}
    )
    assert response.status_code == 403
    # another village's officer does not even see it
    response = login(town.user("officer_b")).post(
        reverse("activities:photos", args=[a.pk]), {"photos": [_jpeg()]}
    )
    assert response.status_code == 404
    assert not ActivityPhoto.objects.exists()
    # town staff manage every station of the town
    services.photos_add(user=town.user("town_staff"), activity=a, uploads=[_jpeg()])
    upcoming = _held(town, days=3)
    with pytest.raises(services.ActivityError, match="开始后"):
        services.photos_add(user=town.user("officer_a"), activity=upcoming, uploads=[_jpeg()])


def test_bad_file_gets_a_clear_message_and_stores_nothing(town, login, settings):
    a = _held(town)
    client = login(town.user("officer_a"))
    fake = SimpleUploadedFile("通知.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = client.post(
        reverse("activities:photos", args=[a.pk]), {"photos": [_jpeg(), fake]}, follow=True
    )
    assert response.status_code == 200
    assert "“通知.jpg”不是可用的图片" in response.content.decode()
    assert not ActivityPhoto.objects.exists()  # one bad file: none stored
    response = client.post(reverse("activities:photos", args=[a.pk]), {}, follow=True)
    assert response.status_code == 200 and "请选择要上传的照片" in response.content.decode()
    settings.LIANHU = {**settings.LIANHU, "CONTACT_PHOTO_MAX_BYTES": 1024}
    response = client.post(reverse("activities:photos", args=[a.pk]), {"photos": [_jpeg()]}, follow=True)
    assert "超过" in response.content.decode() and not ActivityPhoto.objects.exists()
    settings.LIANHU = {**settings.LIANHU, "CONTACT_PHOTO_MAX_BYTES": 5 * 1024 * 1024}
    with pytest.raises(services.ActivityError, match="最多"):
        services.photos_add(user=town.user("officer_a"), activity=a, uploads=[_jpeg()] * 7)
    # English page: the same refusal in English
    client.cookies["django_language"] = "en"
    response = client.post(reverse("activities:photos", args=[a.pk]), {"photos": [fake]}, follow=True)
    assert "is not a usable image" in response.content.decode()


def test_photo_files_only_to_those_who_see_the_activity(town):
    a = _held(town)
    [photo] = services.photos_add(user=town.user("officer_a"), activity=a, uploads=[_jpeg()])
    with photo.image.open("rb") as handle:
        expected = handle.read()
    urls = [reverse("activities:photo", args=[photo.pk]), reverse("activities:photo-thumb", args=[photo.pk])]
    anonymous = Client().get(urls[0])
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    for persona in ("member_b", "officer_b", "grid_head_b1", "handler"):
        client = Client()
        client.force_login(town.user(persona))
        for url in urls:
            assert client.get(url).status_code == 404, persona
    for persona in ("member_a", "officer_a", "town_staff", "discipline"):
        client = Client()
        client.force_login(town.user(persona))
        response = client.get(urls[0])
        assert response.status_code == 200 and _body(response) == expected, persona
        assert response["Content-Type"] == "image/jpeg" and response["Cache-Control"] == "private, no-store"
        assert client.get(urls[1]).status_code == 200
    # deleting: the organiser may, a member who sees it may not
    client = Client()
    client.force_login(town.user("member_a"))
    assert client.post(reverse("activities:photo-delete", args=[photo.pk])).status_code == 403
    client.force_login(town.user("officer_a"))
    client.post(reverse("activities:photo-delete", args=[photo.pk]))
    assert not ActivityPhoto.objects.exists()


def test_api_lists_photo_urls_and_ledger_counts_them(town, login):
    a = _held(town)
    photos = services.photos_add(user=town.user("officer_a"), activity=a, uploads=[_jpeg(), _jpeg()])
    client = login(town.user("member_a"))
    data = client.get(f"/api/activities/{a.pk}/").json()
    assert data["photos"] == [f"http://testserver{reverse('activities:photo', args=[p.pk])}" for p in photos]
    assert client.get(data["photos"][0]).status_code == 200
    assert login(town.user("member_b")).get(f"/api/activities/{a.pk}/").status_code == 404
    client = login(town.user("officer_a"))
    wb = load_workbook(
        io.BytesIO(client.get(reverse("activities:ledger") + f"?year={a.starts_at.year}").content)
    )
    rows = list(wb["活动"].iter_rows(values_only=True))
    header = next(r for r in rows if r and "照片" in r)
    row = next(r for r in rows if r and "重阳敬老" in r)
    assert row[header.index("照片")] == 2
