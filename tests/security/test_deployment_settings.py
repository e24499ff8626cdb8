"""Settings shared by the whole deployment (no town field) are changed only by a deployment administrator
(superuser) in the admin: town staff of one town view them, and a change, add or delete is refused (403) with
nothing changed."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from issues.models import IssueCategory, LevelSetting, WhistleSetting
from reports.models import AssessmentWeights
from rewards.models import AwardTypeDefault
from visits.models import QuotaRule

pytestmark = pytest.mark.django_db

MODELS = [IssueCategory, WhistleSetting, LevelSetting, QuotaRule, AwardTypeDefault, AssessmentWeights]


def _row(model):
    if model is AssessmentWeights:
        return AssessmentWeights.objects.get_or_create(year=2026)[0]
    row = model.objects.first()
    assert row is not None, f"{model.__name__} is seeded by its migration"
    return row


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_town_staff_view_but_cannot_change_deployment_settings(town, login, model):
    row = _row(model)
    before = model_to_dict(row)
    client = login(town.user("town_staff"))
    assert client.get(_url(model, "changelist")).status_code == 200
    assert client.get(_url(model, "change", row.pk)).status_code == 200  # the view-only form
    post = {key: value for key, value in before.items() if value is not None and not isinstance(value, list)}
    assert client.post(_url(model, "change", row.pk), post).status_code == 403
    assert client.get(_url(model, "add")).status_code == 403
    assert client.post(_url(model, "add"), post).status_code == 403
    assert client.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert model_to_dict(row) == before
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_deployment_admin_may_change_them(login, admin_user, model):
    row = _row(model)
    client = login(admin_user)
    assert client.get(_url(model, "change", row.pk)).status_code == 200
    response = client.get(_url(model, "change", row.pk))
    assert response.context["has_change_permission"] is True
