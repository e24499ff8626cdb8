"""Resident ID numbers encrypted at rest (PIPL art. 28), the keyed hash, the key's settings and its rotation."""

import importlib
import io
import subprocess
import sys
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from grids import checks, crypto
from grids.models import Household
from tests.factories import HouseholdFactory, make_id_number

ID_1 = make_id_number(21)
ID_2 = make_id_number(22)


def raw_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, id_number, id_number_hash FROM grids_household ORDER BY id")
        return cursor.fetchall()


@pytest.mark.django_db
def test_a_database_dump_shows_no_id_number():
    household = HouseholdFactory(id_number=ID_1)
    HouseholdFactory(id_number="")
    (pk, stored, hashed), (_, empty, no_hash) = raw_rows()
    assert pk == household.pk
    assert ID_1 not in stored and ID_1[-6:] not in stored and stored.startswith(crypto.FERNET_PREFIX)
    assert ID_1 not in hashed and len(hashed) == 64
    assert (empty, no_hash) == ("", "")
    with connection.cursor() as cursor:  # the whole table as text, like a dump
        cursor.execute("SELECT * FROM grids_household")
        assert not any(ID_1 in str(row) for row in cursor.fetchall())
    assert Household.objects.get(pk=pk).id_number == ID_1  # the app reads it back
    assert Household.objects.get(pk=pk).id_number_masked == ID_1[:6] + "********" + ID_1[-4:]


@pytest.mark.django_db
def test_two_saves_give_different_tokens_and_the_same_hash():
    household = HouseholdFactory(id_number=ID_1.lower())  # normalised before hashing and encrypting
    first = raw_rows()[0]
    household.save()
    second = raw_rows()[0]
    assert first[1] != second[1] and first[2] == second[2] == crypto.id_number_hash(ID_1)


@pytest.mark.django_db
def test_look_up_by_hash_and_unique_by_hash():
    household = HouseholdFactory(id_number=ID_1)
    assert Household.objects.get(id_number_hash=crypto.id_number_hash(ID_1)) == household
    assert not Household.objects.filter(id_number_hash=crypto.id_number_hash(ID_2)).exists()
    with pytest.raises(FieldError):
        Household.objects.filter(id_number=ID_1).exists()  # would silently match nothing: refused
    with pytest.raises(FieldError):
        Household.objects.filter(id_number__in=[ID_1]).exists()
    assert Household.objects.exclude(id_number="").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdFactory(id_number=ID_1)
    HouseholdFactory(id_number="")
    HouseholdFactory(id_number="")  # many households without a number


@pytest.mark.django_db
def test_bulk_update_with_the_hash_listed_keeps_the_hash_in_step():
    household = HouseholdFactory(id_number=ID_1)
    household.id_number = ID_2
    Household.objects.bulk_update([household], ["id_number", "id_number_hash"])
    assert Household.objects.get(id_number_hash=crypto.id_number_hash(ID_2)).pk == household.pk
    deferred = Household.objects.only("id", "id_number_hash").get(pk=household.pk)
    assert deferred.id_number_hash == crypto.id_number_hash(ID_2)


@pytest.mark.django_db
def test_census_reimport_matches_households_by_the_hash(town):
    """members.census looks households up by id_number_hash (no decryption, no plain comparison)."""
    from members.census.checking import _lookup_households

    town.ha1.id_number = ID_1
    town.ha1.save()
    by_code, by_id = _lookup_households(set(), {ID_1, ID_2})
    assert by_code == {} and list(by_id) == [ID_1] and by_id[ID_1].pk == town.ha1.pk


def test_a_wrong_key_is_an_error_not_garbage(settings, db):
    HouseholdFactory(id_number=ID_1)
    settings.LIANHU_ID_KEY = Fernet.generate_key().decode()
    with pytest.raises(crypto.IdKeyError):
        Household.objects.get().id_number  # noqa: B018


def test_key_settings(settings):
    settings.LIANHU_ID_KEY = ""
    settings.LIANHU_ID_KEY_DEV_FALLBACK = True
    assert crypto.configured_key() == crypto.dev_key(settings.SECRET_KEY)
    settings.LIANHU_ID_KEY_DEV_FALLBACK = False
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured):
        crypto.configured_key()
    assert [e.id for e in checks.id_key_valid()] == ["lianhu.E001"]
    assert [e.id for e in checks.id_key_set()] == ["lianhu.E002"]
    settings.LIANHU_ID_KEY = "not a key"
    assert [e.id for e in checks.id_key_valid()] == ["lianhu.E001"]
    settings.LIANHU_ID_KEY = Fernet.generate_key().decode()
    assert checks.id_key_valid() == [] and checks.id_key_set() == []


def test_production_settings_refuse_to_start_without_the_key():
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 30 + "-production-test-key-" + "y" * 30,
        "DJANGO_ALLOWED_HOSTS": "lianhu.example.org",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode != 0 and "LIANHU_ID_KEY must be set in production" in result.stderr


# --- rotation ------------------------------------------------------------------------------------------------


def test_rotate_id_key_re_encrypts_every_row(settings, db, monkeypatch):
    settings.LIANHU_ID_KEY = old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    households = [HouseholdFactory(id_number=make_id_number(n)) for n in range(30, 35)]
    HouseholdFactory(id_number="")
    before = dict((pk, (token, hashed)) for pk, token, hashed in raw_rows())
    monkeypatch.setenv("LIANHU_ID_NEW_KEY", new_key)
    out = io.StringIO()
    call_command("rotate_id_key", "--batch", "2", stdout=out)
    assert "rotated 5 ID numbers" in out.getvalue()
    after = dict((pk, (token, hashed)) for pk, token, hashed in raw_rows())
    new = Fernet(new_key.encode())
    for household in households:
        token, hashed = after[household.pk]
        assert token != before[household.pk][0] and hashed != before[household.pk][1]
        assert new.decrypt(token.encode()).decode() == household.id_number
    with pytest.raises(crypto.IdKeyError):  # the old key no longer opens them
        Household.objects.get(pk=households[0].pk).id_number  # noqa: B018
    settings.LIANHU_ID_KEY = new_key
    for household in households:
        assert (
            Household.objects.get(id_number_hash=crypto.id_number_hash(household.id_number)).pk
            == household.pk
        )
    # Run again (an interrupted rotation is resumed): nothing left to do. Old key given by variable name.
    monkeypatch.setenv("LIANHU_ID_OLD_KEY", old_key)
    out = io.StringIO()
    call_command("rotate_id_key", "--old-key-env", "LIANHU_ID_OLD_KEY", stdout=out)
    assert "rotated 0 ID numbers to the new key; 5 were on it already" in out.getvalue()


def test_rotate_id_key_refuses_bad_input(settings, db, monkeypatch):
    settings.LIANHU_ID_KEY = Fernet.generate_key().decode()
    HouseholdFactory(id_number=ID_1)
    monkeypatch.delenv("LIANHU_ID_NEW_KEY", raising=False)
    with pytest.raises(CommandError, match="LIANHU_ID_NEW_KEY is not set"):
        call_command("rotate_id_key")
    monkeypatch.setenv("LIANHU_ID_NEW_KEY", "short")
    with pytest.raises(CommandError, match="Fernet key"):
        call_command("rotate_id_key")
    monkeypatch.setenv("LIANHU_ID_NEW_KEY", settings.LIANHU_ID_KEY)
    with pytest.raises(CommandError, match="same as the old"):
        call_command("rotate_id_key")
    monkeypatch.setenv("LIANHU_ID_NEW_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("WRONG_OLD", Fernet.generate_key().decode())
    with pytest.raises(CommandError, match="opens with neither key"):
        call_command("rotate_id_key", "--old-key-env", "WRONG_OLD")
    assert Household.objects.get().id_number == ID_1  # nothing changed


# --- the data migration --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_migration_encrypts_plain_rows_and_can_run_again():
    migration = importlib.import_module("grids.migrations.0003_household_id_number_encrypted")
    first, second = HouseholdFactory(id_number=""), HouseholdFactory(id_number="")
    already = HouseholdFactory(id_number=ID_2)
    with connection.cursor() as cursor:  # rows as they were before the migration: plain numbers, no hash
        cursor.execute("UPDATE grids_household SET id_number = %s WHERE id = %s", [ID_1, first.pk])
    token_before = dict((pk, token) for pk, token, _ in raw_rows())[already.pk]
    # The data steps use only the editor's connection (a real schema editor cannot open inside SQLite's test
    # transaction).
    editor = SimpleNamespace(connection=connection)
    migration.encrypt_existing(None, editor)
    migration.encrypt_existing(None, editor)
    rows = {pk: (token, hashed) for pk, token, hashed in raw_rows()}
    assert rows[first.pk][0].startswith(crypto.FERNET_PREFIX) and rows[first.pk][1] == crypto.id_number_hash(
        ID_1
    )
    assert rows[second.pk] == ("", "")
    assert rows[already.pk][0] == token_before  # not encrypted twice
    assert Household.objects.get(pk=first.pk).id_number == ID_1
    migration.decrypt_existing(None, editor)
    rows = {pk: (token, hashed) for pk, token, hashed in raw_rows()}
    assert rows[first.pk] == (ID_1, "") and rows[already.pk] == (ID_2, "")
