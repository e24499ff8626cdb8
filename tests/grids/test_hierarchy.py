import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from grids.enums import PlaceKind
from grids.models import Household, Place
from tests.factories import HouseholdFactory, PlaceFactory, make_id_number


def test_paths_nest_and_subtree_is_one_query(town, django_assert_num_queries):
    assert town.grid_a1a.path.startswith(town.grid_a1.path)
    assert town.grid_a1.path.startswith(town.village_a.path)
    assert town.ha1.path == town.grid_a1a.path
    with django_assert_num_queries(1):
        codes = set(Household.objects.under(town.village_a).values_list("code", flat=True))
    assert codes == {town.ha1.code, town.ha2.code, town.ha3.code}
    with django_assert_num_queries(1):
        assert list(Household.objects.under(town.town).order_by("code")) == sorted(
            [town.ha1, town.ha2, town.ha3, town.hb1], key=lambda h: h.code
        )
    assert set(Place.objects.under(town.grid_a1, include_self=False)) == {town.grid_a1a, town.grid_a1b}


def test_ancestors_top_first(town):
    assert [p.kind for p in town.grid_a1a.ancestors()] == [
        PlaceKind.CITY,
        PlaceKind.TOWN,
        PlaceKind.VILLAGE,
        PlaceKind.GRID3,
        PlaceKind.GRID4,
    ]
    assert town.grid_a1a.ancestor_of_kind(PlaceKind.VILLAGE) == town.village_a


def test_place_clean_refuses_wrong_parent_kind(town):
    place = Place(kind=PlaceKind.GRID4, name="x", code="x", parent=town.village_a)
    with pytest.raises(ValidationError):
        place.clean()


def test_household_normalises_and_masks_numbers(town):
    household = HouseholdFactory(
        grid=town.grid_a1a, phone="+86 138 0000 1234", id_number=make_id_number(7).lower()
    )
    household.refresh_from_db()
    assert household.phone == "13800001234"
    assert household.phone_masked == "138****1234"
    assert household.id_number.endswith(make_id_number(7)[-1])
    assert "*" in household.id_number_masked


def test_id_number_unique_but_blank_allowed(town):
    HouseholdFactory(grid=town.grid_a1a, id_number="")
    HouseholdFactory(grid=town.grid_a1a, id_number="")
    HouseholdFactory(grid=town.grid_a1a, id_number=make_id_number(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdFactory(grid=town.grid_a1a, id_number=make_id_number(1))


def test_category_labels(town):
    assert town.ha1.category_labels == ["困难户"]
    assert town.ha2.category_labels == ["普通户"]
    assert Household.objects.special().count() == 1


def test_moving_grid_updates_household_path_on_save(town):
    new_grid = PlaceFactory(kind=PlaceKind.GRID4, name="新组", code="new", parent=town.grid_b1)
    ha2 = town.ha2
    ha2.grid = new_grid
    ha2.save(update_fields=["grid"])
    ha2.refresh_from_db()
    assert ha2.path == new_grid.path
    assert ha2 in Household.objects.under(town.village_b)
