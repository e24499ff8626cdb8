"""schemathesis against the live test server, for the whole OpenAPI schema (issue 11, "Done means").

Every operation of /api/schema/ gets generated requests (valid and invalid ones), sent over HTTP to
pytest-django's live server, as town staff and as a party member (DRF token). Each answer is checked for
server errors and for conformance with the response schema. Counts are printed (-s) and recorded.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict

import pytest
import requests
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

# Examples per run: 50 operations × 2 modes (+ 2 more runs against a real object for the 33 with an id)
# × 2 personas × 5 ≈ 1,660 cases.
EXAMPLES = int(os.environ.get("LIANHU_SCHEMATHESIS_EXAMPLES", "5"))


KINDS = {
    "/api/households/": "household",
    "/api/places/": "place",
    "/api/compliance/places/": "place",
    "/api/reports/dashboards/": "place",
    "/api/contacts/": "contact",
    "/api/issues/": "issue",
    "/api/dispatch-orders/": "order",
    "/api/members/": "member",
    "/api/compliance/members/": "member",
    "/api/links/": "link",
    "/api/compliance/links/": "link",
    "/api/issue-events/": "event",
}


def _data(town) -> dict[str, int]:
    """Something to find: a contact, an issue and an order in village A; their ids by kind."""
    from dispatch.services import order_issue
    from issues.models import IssueCategory
    from issues.services import issue_raise
    from visits.enums import ContactKind
    from visits.services import contact_record

    category = IssueCategory.objects.first() or IssueCategory.objects.create(name="基础设施")
    contact = contact_record(
        user=town.user("member_a"),
        kind=ContactKind.HOME_VISIT,
        occurred_at=timezone.now(),
        duties=("policy",),
        household=town.ha1,
    )
    issue = issue_raise(
        user=town.user("member_a"),
        category=category,
        description="路灯坏了",
        household=town.ha1,
        escalate_reason="需要网格协调",
    )
    order = order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="走访调度",
        task="走访",
        due_date=timezone.localdate(),
        places=[town.village_a],
    )
    return {
        "household": town.ha1.pk,
        "place": town.village_a.pk,
        "contact": contact.pk,
        "issue": issue.pk,
        "order": order.pk,
        "member": town.members["member_a"].pk,
        "link": town.members["member_a"].links.first().pk,
        "event": issue.events.first().pk,
    }


@pytest.mark.parametrize("persona", ["town_staff", "member_a"])
def test_generated_requests_never_fail(live_server, town, persona, record_property, monkeypatch):
    import schemathesis
    from drf_spectacular.generators import SchemaGenerator
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from rest_framework.authtoken.models import Token
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    ids = _data(town)
    for name in ("django.request", "django.server", "axes"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.ERROR)
    token = Token.objects.create(user=town.user(persona))
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token.key}"

    cases, statuses, failures = 0, defaultdict(int), {}
    for result in schema.get_all_operations():
        operation = result.ok()
        runs = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        kind = KINDS.get(operation.path.split("{", 1)[0])
        if "{id}" in operation.path and kind:  # also junk bodies and parameters against a real object
            runs += [
                (GenerationMode.POSITIVE, {"id": ids[kind]}),
                (GenerationMode.NEGATIVE, {"id": ids[kind]}),
            ]
        for mode, path_parameters in runs:

            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                nonlocal cases
                cases += 1
                response = case.call(base_url=live_server.url, session=session)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

            try:
                run()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE, operation.label  # nothing to break in it
            except Exception as exc:  # one line per failing operation; hypothesis already shrank it
                failures[f"{operation.label} [{mode.value}, {path_parameters}]"] = str(exc)[:1500]

    for label, text in failures.items():
        print(f"--- {label}\n{text}")
    print(f"\nschemathesis as {persona}: {cases} cases, statuses {dict(statuses)}, {len(failures)} failures")
    record_property("generated_cases", cases)
    assert cases >= 500
    assert failures == {}
