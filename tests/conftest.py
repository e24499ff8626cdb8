import pytest

from .personas import build_town


@pytest.fixture
def town(db):
    """The persona town (tests/personas.py)."""
    return build_town()


@pytest.fixture
def login(client):
    """login(user) → the test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
