"""Model fields for resident ID numbers: the encrypted number and its keyed hash (grids/crypto.py).

In Python `household.id_number` is the plain number; in the database it is a Fernet token. Tokens are
randomised, so the database cannot compare them: look-ups go through `id_number_hash`, and a filter on
the number itself (other than `= ""`, "no number") is refused instead of silently matching nothing.
`id_number_hash` always follows the number: reading it on an instance whose number is loaded computes it,
so save(), bulk_create and bulk_update (list the field) store the hash that belongs to the number.
"""

from __future__ import annotations

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull
from django.db.models.query_utils import DeferredAttribute

from .crypto import cipher, id_number_hash


class _EmptyOnlyExact(Exact):
    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                "ID numbers are stored encrypted: look them up by id_number_hash (grids.crypto.id_number_hash)"
            )
        return super().get_prep_lookup()


class EncryptedIdNumberField(models.CharField):
    """A CharField whose value is encrypted in the database; "" (no number) is stored as "" ."""

    description = "resident ID number, encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return cipher().decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return cipher().encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None  # contains, in, startswith...: "Unsupported lookup" (a FieldError)


class _HashDescriptor(DeferredAttribute):
    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        number = instance.__dict__.get(self.field.source, _MISSING)
        if number is not _MISSING:
            return id_number_hash(number or "")
        return super().__get__(instance, cls)

    def __set__(self, instance, value):
        # A data descriptor, so reads come here even when the instance holds a (possibly stale) stored hash.
        instance.__dict__[self.field.attname] = value


_MISSING = object()


class IdNumberHashField(models.CharField):
    """HMAC-SHA256 (hex) of the number in the field named `source`, "" when there is none."""

    descriptor_class = _HashDescriptor

    def __init__(self, *args, source: str = "id_number", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs
