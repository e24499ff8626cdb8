"""Hot reads as SQL written once per process, their rows made into model instances as the ORM makes them.

For the one or two queries every request of a busy path runs (the signed-in user with their member; a member's
links to a household with the household), building and compiling the ORM query costs ten times the query
itself (about 1.2 ms and 1.8 ms of CPU against 0.1 ms on the benchmark machine). These helpers give the
columns of a model for a SELECT written by hand, and turn a slice of a row back into an instance with each
field's own database converters (decryption, JSON) applied, as the ORM would. PostgreSQL only: other
databases also need the backend's converters (dates, booleans, decimals on SQLite); callers keep the ORM there.
"""

from __future__ import annotations

import functools

from django.db import connection


def fast_reads() -> bool:
    """Whether hand-written reads may be used on the default database (PostgreSQL)."""
    return connection.vendor == "postgresql"


@functools.cache
def _layout(model) -> tuple:
    """(attribute names, (index, column, converters) of fields that have converters, column names, pk index)."""
    fields = model._meta.concrete_fields
    converters = tuple(
        (i, field.cached_col, tuple(field.get_db_converters(connection)))
        for i, field in enumerate(fields)
        if field.get_db_converters(connection)
    )
    names = tuple(f.attname for f in fields)
    return names, converters, tuple(f.column for f in fields), names.index(model._meta.pk.attname)


def columns(model, alias: str) -> str:
    """`alias."col1", alias."col2", …` for every concrete field of `model`, in the order `instance` reads."""
    qn = connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(column)}" for column in _layout(model)[2])


def width(model) -> int:
    """How many columns `columns(model, …)` selects."""
    return len(_layout(model)[0])


def instance(model, values):
    """An instance of `model` from its columns' values (as selected by `columns`), None if its primary key is
    NULL (the missing side of a LEFT JOIN)."""
    names, converters, _columns, pk_index = _layout(model)
    if values[pk_index] is None:
        return None
    values = list(values)
    for i, col, funcs in converters:
        for func in funcs:
            values[i] = func(values[i], col, connection)
    return model.from_db(connection.alias, names, values)
