"""grids.models.PathCopy: every copy of a place's path is declared once, with its source."""

from django.apps import apps

from grids.models import Household, PathCopy, Place
from grids.services import household_path_copies, path_copies
from members.enums import LinkType
from members.models import Link
from tests.factories import HouseholdFactory, LinkFactory, MemberFactory


def test_every_path_field_is_a_declared_copy():
    """A model with a `path` field that is not a PathCopy would be missed by place_move."""
    with_path = {
        model
        for model in apps.get_models()
        if any(field.name == "path" for field in model._meta.concrete_fields) and model is not Place
    }
    assert with_path == set(path_copies())
    assert Household in with_path and Link in with_path
    for model in path_copies():
        for name in model.path_from:
            assert model._meta.get_field(name).is_relation, (model, name)
    assert Link in household_path_copies()
    assert Household not in household_path_copies()


def test_save_copies_the_first_source_set(town):
    member = MemberFactory(home=town.village_a)
    assert member.path == town.village_a.path
    link = Link.objects.create(member=member, link_type=LinkType.TOWN_GRID, place=town.grid_a1)
    assert link.path == town.grid_a1.path
    link = LinkFactory(member=member, household=town.hb1)
    assert link.path == town.hb1.path


def test_update_fields_copy_only_when_a_source_is_saved(town, django_assert_num_queries):
    household = HouseholdFactory(grid=town.grid_a1a)
    household = Household.objects.get(pk=household.pk)
    household.grid = town.grid_a1b
    household.path = "/stale/"
    household.save(update_fields=["address"])  # no source among them: path neither copied nor written
    assert Household.objects.get(pk=household.pk).path == town.grid_a1a.path
    household.save(update_fields=["grid"])  # the source: path copied and written with it
    assert Household.objects.get(pk=household.pk).path == town.grid_a1b.path
    member = MemberFactory(home=town.village_a)
    member = type(member).objects.get(pk=member.pk)
    with django_assert_num_queries(1):  # the home is not loaded for a save that does not touch it
        member.save(update_fields=["unit"])


def test_path_copy_is_abstract():
    assert PathCopy._meta.abstract
