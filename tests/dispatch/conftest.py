import datetime
import uuid

import pytest

from visits.periods import TZ
from visits.services import contact_record


def at(y, m, d, hh=10, mm=0) -> datetime.datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime.datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def record():
    """record(user, kind, when, **target) → Contact."""

    def _record(user, kind, when, duties=("policy",), **kwargs):
        kwargs.setdefault("client_id", uuid.uuid4())
        return contact_record(user=user, kind=kind, occurred_at=when, duties=duties, **kwargs)

    return _record
