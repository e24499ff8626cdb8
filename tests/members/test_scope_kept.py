"""Scopes are kept per process under the member's scope_version (members/access.py): a change to a post, a
link or a place's path is seen by the very next request, whatever wrote it."""

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from grids.services import place_move
from members import access
from members.access import scope_changed, scope_for
from members.enums import PositionKind
from members.models import Link, Member, Position
from tests.factories import PlaceFactory, PositionFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request loads it (the scope is also kept on the user object for one request)."""
    return get_user_model().objects.get(pk=user.pk)


def test_the_second_request_reads_only_the_member(town, django_assert_num_queries):
    user = town.user("grid_head_a1")
    first = scope_for(fresh(user))
    again = fresh(user)
    with django_assert_num_queries(1):  # the member; posts and links come from the kept scope
        second = scope_for(again)
    assert second == first
    assert second.member is not first.member  # each request its own Member instance


def test_a_removed_post_loses_access_at_once(town, login):
    head = town.user("grid_head_a1")
    client = login(head)
    assert client.get(f"/households/{town.ha2.pk}/").status_code == 200
    assert client.get("/api/contacts/").status_code == 200
    Position.objects.get(member=town.members["grid_head_a1"], kind=PositionKind.GRID_HEAD).delete()
    assert client.get(f"/households/{town.ha2.pk}/").status_code == 404
    assert town.ha2.pk not in {row["id"] for row in client.get("/api/households/").json()["results"]}


def test_an_ended_post_loses_access_at_once(town, login):
    client = login(town.user("officer_a"))
    assert client.get(f"/households/{town.ha3.pk}/").status_code == 200
    post = Position.objects.get(member=town.members["officer_a"], kind=PositionKind.VILLAGE_OFFICER)
    post.end_date = timezone.localdate() - datetime.timedelta(days=1)
    post.save()
    assert client.get(f"/households/{town.ha3.pk}/").status_code == 404


def test_a_new_post_gives_access_at_once(town, login):
    client = login(town.user("member_a"))
    assert client.get(f"/households/{town.ha2.pk}/").status_code == 404
    PositionFactory(member=town.members["member_a"], kind=PositionKind.GRID_HEAD, place=town.grid_a1)
    assert client.get(f"/households/{town.ha2.pk}/").status_code == 200


def test_an_ended_link_is_no_longer_recordable(town, login):
    client = login(town.user("member_a"))
    body = {"kind": "online", "duties": ["policy"], "household": town.ha1.pk}
    now = timezone.now()
    answer = client.post(
        "/api/contacts/",
        {**body, "client_id": str(uuid.uuid4()), "occurred_at": now.isoformat()},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    link = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    link.end_date = timezone.localdate() - datetime.timedelta(days=1)
    link.save()
    assert town.ha1.pk not in scope_for(fresh(town.user("member_a"))).own_household_ids
    refused = client.post(
        "/api/contacts/",
        {**body, "client_id": str(uuid.uuid4()), "occurred_at": now.isoformat()},
        content_type="application/json",
    )
    assert refused.status_code == 400, refused.content


def test_a_post_moved_to_another_member_leaves_the_first(town):
    post = Position.objects.get(member=town.members["grid_head_a1"], kind=PositionKind.GRID_HEAD)
    assert town.grid_a1.path in scope_for(fresh(town.user("grid_head_a1"))).write_paths
    post.member = town.members["member_b"]
    post.save()
    assert town.grid_a1.path not in scope_for(fresh(town.user("grid_head_a1"))).write_paths
    assert town.grid_a1.path in scope_for(fresh(town.user("member_b"))).write_paths


def test_bulk_writes_call_scope_changed(town):
    """Bulk writes send no signals: pairing and the census import call scope_changed themselves."""
    user = town.user("member_a")
    assert town.ha1.pk in scope_for(fresh(user)).own_household_ids
    Link.objects.filter(member=town.members["member_a"]).update(
        end_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert town.ha1.pk in scope_for(fresh(user)).own_household_ids  # what scope_changed is for
    scope_changed([town.members["member_a"].pk])
    assert town.ha1.pk not in scope_for(fresh(user)).own_household_ids


def test_a_moved_place_moves_the_posts_paths(town):
    user = town.user("grid_head_a1")
    assert scope_for(fresh(user)).write_paths == (town.grid_a1.path,)
    other_village = PlaceFactory(kind=town.village_a.kind, name="丙村", code="VC", parent=town.town)
    moved = place_move(place=town.grid_a1, new_parent=other_village)
    assert moved.path.startswith(other_village.path)
    assert scope_for(fresh(user)).write_paths == (moved.path,)


def test_a_post_or_link_ending_today_is_gone_tomorrow(town, monkeypatch):
    """The kept scope is per local date: a link that ends today still counts today, not tomorrow."""
    today = timezone.localdate()
    link = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    link.end_date = today
    link.save()
    user = town.user("member_a")
    assert town.ha1.pk in scope_for(fresh(user)).own_household_ids
    # django.utils.timezone itself: the key's date and Link.objects.current() both move to tomorrow.
    monkeypatch.setattr(access.timezone, "localdate", lambda: today + datetime.timedelta(days=1))
    assert town.ha1.pk not in scope_for(fresh(user)).own_household_ids


def test_each_new_version_is_fresh(town):
    member = Member.objects.get(pk=town.members["member_a"].pk)
    before = member.scope_version
    scope_changed([member.pk])
    member.refresh_from_db()
    assert member.scope_version != before


def test_saving_a_member_read_earlier_keeps_the_newer_stamp(town, login):
    """A member read before a post was removed and saved after it must not bring the old scope back."""
    client = login(town.user("grid_head_a1"))
    assert client.get(f"/households/{town.ha2.pk}/").status_code == 200
    stale = Member.objects.get(pk=town.members["grid_head_a1"].pk)
    Position.objects.get(member=stale, kind=PositionKind.GRID_HEAD).delete()
    stale.unit = "网格长(已卸任)"
    stale.save()
    assert Member.objects.get(pk=stale.pk).unit == "网格长(已卸任)"
    assert Member.objects.get(pk=stale.pk).scope_version != stale.scope_version
    assert client.get(f"/households/{town.ha2.pk}/").status_code == 404
