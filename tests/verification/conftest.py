import datetime
import io
import random
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from members.enums import LinkType
from tests.factories import HouseholdFactory, LinkFactory
from visits.services import contact_record

# 甲村一组 in the persona town, placed near 双凫铺: 0.0090° of latitude is about 1 km.
BASE = (Decimal("28.1000"), Decimal("112.3000"))


@pytest.fixture(autouse=True)
def _fresh_settings_cache():
    """Town thresholds are cached per process; a rolled-back test must not leave its own behind."""
    from verification.models import _SETTINGS_CACHE

    _SETTINGS_CACHE.clear()
    yield
    _SETTINGS_CACHE.clear()


@pytest.fixture(autouse=True)
def _checks_run_eagerly():
    """A saved contact's check is a Celery task sent after the commit (verification.signals): here it runs
    at once, in the test's process, as it did when it ran inside the request (errors propagate)."""
    from config.celery import app

    old = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def located(town):
    """member_a's household ha1 at BASE, plus four more of member_a's households one km apart in a row."""
    town.ha1.latitude, town.ha1.longitude = BASE
    town.ha1.save()
    row = [town.ha1]
    for i in range(1, 5):
        household = HouseholdFactory(
            grid=town.grid_a1a,
            head_name=f"王{i}",
            latitude=BASE[0] + Decimal("0.0090") * i,
            longitude=BASE[1],
        )
        LinkFactory(member=town.members["member_a"], household=household, link_type=LinkType.PARTY_HOUSEHOLD)
        row.append(household)
    return row


def record(
    town, household, *, at, persona="member_a", summary="", photos=(), position=None, kind="home_visit"
):
    return contact_record(
        user=town.user(persona),
        kind=kind,
        occurred_at=at,
        duties=["policy"],
        household=household,
        summary=summary,
        photos=photos,
        position=position,
    )


def photo(seed: int, size: int = 400, fmt: str = "JPEG") -> SimpleUploadedFile:
    """A noisy picture of blocks: different seeds give different pictures."""
    rng = random.Random(seed)
    image = Image.new("RGB", (size, size))
    block = size // 8
    for x in range(8):
        for y in range(8):
            colour = tuple(rng.randrange(256) for _ in range(3))
            image.paste(colour, (x * block, y * block, (x + 1) * block, (y + 1) * block))
    out = io.BytesIO()
    image.save(out, fmt)
    return SimpleUploadedFile(f"p{seed}.jpg", out.getvalue(), content_type="image/jpeg")


def last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
