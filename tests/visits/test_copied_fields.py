"""The contact form's fields are shallow copies of the declared ones (visits.serializers.CopiedFieldsSerializer):
the same answers as DRF's deep copies, and no state shared between two forms."""

import copy
import uuid

import pytest
from rest_framework import serializers

from visits.serializers import ContactCreateSerializer

GOOD = {
    "client_id": str(uuid.uuid4()),
    "kind": "home_visit",
    "occurred_at": "2026-11-30T10:00:00+08:00",
    "duties": ["policy", "demands"],
    "household": 5,
    "latitude": "28.1234567",
    "longitude": "112.1234567",
}
INPUTS = [
    GOOD,
    {**GOOD, "duties": []},
    {**GOOD, "households": [1, 2, 3], "household": None},
    {
        "client_id": "x",
        "kind": "zz",
        "occurred_at": "no",
        "duties": ["nope", "policy"],
        "household": 2**64,
        "households": [0, "a"],
        "latitude": 91,
        "accuracy": -1,
        "summary": "x" * 2001,
    },
    {},
]


class DeepCopied(ContactCreateSerializer):
    def get_fields(self):  # DRF's own: every declared field built again
        return copy.deepcopy(self._declared_fields)


@pytest.mark.parametrize("data", INPUTS)
def test_same_answers_as_deep_copies(data):
    ours, drf = ContactCreateSerializer(data=data), DeepCopied(data=data)
    assert ours.is_valid() == drf.is_valid()
    assert ours.errors == drf.errors
    if not ours.errors:
        assert ours.validated_data == drf.validated_data


def test_two_forms_share_no_bound_field():
    first, second = ContactCreateSerializer(data=GOOD), ContactCreateSerializer(data=INPUTS[3])
    assert first.is_valid() and not second.is_valid()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other and field.parent is first and other.parent is second
        if isinstance(field, serializers.ListField):
            assert field.child is not other.child
            assert field.child.parent is field and other.child.parent is other
    # the declared fields themselves are never bound (a later form copies them as they were declared)
    for field in ContactCreateSerializer._declared_fields.values():
        assert field.parent is None and field.field_name is None
    # the first form's answer is unchanged by the second
    assert first.validated_data["duties"] == ["policy", "demands"]
