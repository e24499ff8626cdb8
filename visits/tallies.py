"""Keeping LinkTally, ContactMonthTally and LastContact in step with contacts.

Every way a contact is written goes through here: the services (contact_record creates rows one by one, so
the signals fire; contact_update moves counts explicitly) and any direct `objects.create` (tests, imports),
through the signals in visits/signals.py. `bulk_create` fires no signal: after a bulk load call
`tallies_rebuild()`.

ContactMonthTally counts contacts per target path, local month and kind (with duty counts) for the
dashboards; the signals add and remove contacts one by one, and `month_tallies_recount(paths)` recounts the
rows of some paths from the contacts (after households moved grid: their contacts' paths changed).
LastContact holds each household's latest reach (`last_contact_note` moves it forward on a new contact,
`last_contact_recount` recounts it after a delete or a correction).

Which link a contact counts towards: the link of the contact's member to that household (or place) that was
active on the contact's local date, stored on the row (ContactHousehold.link, Contact.link for places).
"""

from __future__ import annotations

import datetime
import functools
import time
from collections.abc import Iterable

from django.db.models import Count, DateField, F, Max, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek, TruncYear

from members.models import Link

from .enums import DUTY_FIELDS, ContactKind, Period
from .periods import TZ, local_date, period_bounds

TRUNC = {
    Period.WEEK: TruncWeek,
    Period.MONTH: TruncMonth,
    Period.QUARTER: TruncQuarter,
    Period.YEAR: TruncYear,
}
BATCH = 5000


def link_on(
    *, member_id: int, on: datetime.date, household_id: int | None = None, place_id: int | None = None
):
    """The member's link to the household/place active on `on`, or None."""
    target = {"household_id": household_id} if household_id else {"place_id": place_id}
    return (
        Link.objects.filter(member_id=member_id, start_date__lte=on, **target)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .order_by("-start_date")
        .values_list("pk", flat=True)
        .first()
    )


def _cast(model, name: str) -> str:
    """A placeholder cast to the column's type: rows inside INSERT … SELECT (VALUES …) have no target types."""
    return f"%s::{column_type(model._meta.get_field(name))}"


def column_type(field) -> str:
    """The field's column type on the default database (kept per process: Field.db_type rebuilds it each call)."""
    from django.db import connection

    return _column_type(field, connection.vendor)


@functools.cache
def _column_type(field, vendor: str) -> str:
    from django.db import connection

    return field.db_type(connection)


def _upsert_sql(
    model, key: list[str], rows: list[tuple], counters: Iterable[str], add: dict[str, int], *, when: str = ""
) -> tuple[str, list]:
    """One INSERT … ON CONFLICT (key) DO UPDATE adding `add` to the columns of existing rows, as (sql, params).

    A new row starts with every counter at max(delta, 0) (0 for those not in `add`; the counters' CHECK ≥ 0 is
    tested before the conflict is), an existing one gets `col = col + delta` for the columns in `add`.
    PostgreSQL and SQLite (≥ 3.24) share this syntax. `when` (a condition, PostgreSQL) makes the rows an
    `INSERT … SELECT … WHERE when`, so the upsert can ride in a statement with other CTEs (visits.services).
    """
    from django.db import connection

    counters = tuple(counters)
    params: list = []
    for row in rows:
        params.extend([*row, *(max(add.get(name, 0), 0) for name in counters)])
    sql = _upsert_text(model, tuple(key), len(rows), counters, tuple(add), when, connection.vendor)
    return sql, [*params, *add.values()]


@functools.lru_cache(maxsize=1024)
def _upsert_text(model, key: tuple, n_rows: int, counters: tuple, add: tuple, when: str, vendor: str) -> str:
    """`_upsert_sql`'s SQL, which depends only on the statement's shape: built once per shape and process
    (quoting and casting every column again took ≈ 0.1 ms of each recorded contact)."""
    from django.db import connection

    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = [*key, *counters]
    columns = [qn(model._meta.get_field(name).column) for name in names]
    placeholders = [_cast(model, name) for name in names] if when else ["%s"] * len(names)
    row_sql = "(" + ", ".join(placeholders) + ")"
    updates = ", ".join(
        f"{qn(model._meta.get_field(name).column)} = {table}.{qn(model._meta.get_field(name).column)} + %s"
        for name in add
    )
    conflict = ", ".join(qn(model._meta.get_field(name).column) for name in key)
    values = f"VALUES {', '.join([row_sql] * n_rows)}"
    if when:
        values = f"SELECT * FROM ({values}) v WHERE {when}"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) {values} "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )


def _execute(statement: tuple[str, list] | None) -> None:
    from django.db import connection

    if statement is not None:
        with connection.cursor() as cursor:
            cursor.execute(*statement)


def tally_add_sql(
    *, link_ids: Iterable[int], kind: str, occurred_at: datetime.datetime, delta: int = 1, when: str = ""
) -> tuple[str, list] | None:
    """The upsert of `tally_add` as (sql, params), or None when there is nothing to count."""
    from django.db import connection

    from .models import LinkTally

    link_ids = sorted({pk for pk in link_ids if pk})
    if not link_ids or kind not in ContactKind.values:
        return None
    day = local_date(occurred_at)
    adapt = connection.ops.adapt_datefield_value
    rows = [(pk, str(period), adapt(period_bounds(period, day)[0])) for period in Period for pk in link_ids]
    return _upsert_sql(
        LinkTally, ["link", "period", "start"], rows, ContactKind.values, {kind: delta}, when=when
    )


def tally_add(*, link_ids: Iterable[int], kind: str, occurred_at: datetime.datetime, delta: int = 1) -> None:
    """Add `delta` contacts of `kind` at `occurred_at` to each link's week, month, quarter and year.

    One statement for every link and period (an upsert), where a row per period used to take two.
    """
    _execute(tally_add_sql(link_ids=link_ids, kind=kind, occurred_at=occurred_at, delta=delta))


def month_tally_add_sql(
    *,
    path: str,
    kind: str,
    occurred_at: datetime.datetime,
    duty_fields: Iterable[str],
    delta: int = 1,
    when: str = "",
) -> tuple[str, list] | None:
    """The upsert of `month_tally_add` as (sql, params), or None when there is nothing to count."""
    from django.db import connection

    from .models import ContactMonthTally

    if not path or kind not in ContactKind.values:
        return None
    month = connection.ops.adapt_datefield_value(local_date(occurred_at).replace(day=1))
    changes = {"contacts": delta}
    changes.update({field: delta for field in duty_fields if field in DUTY_FIELDS.values()})
    counters = ["contacts", *DUTY_FIELDS.values()]
    return _upsert_sql(
        ContactMonthTally, ["path", "month", "kind"], [(path, month, kind)], counters, changes, when=when
    )


def month_tally_add(
    *, path: str, kind: str, occurred_at: datetime.datetime, duty_fields: Iterable[str], delta: int = 1
) -> None:
    """Add `delta` contacts of `kind` at `occurred_at` on `path`, and to each duty it served (one upsert)."""
    _execute(
        month_tally_add_sql(
            path=path, kind=kind, occurred_at=occurred_at, duty_fields=duty_fields, delta=delta
        )
    )


def last_contact_note_sql(
    *, household_ids: Iterable[int], at: datetime.datetime, when: str = ""
) -> tuple[str, list] | None:
    """The upsert of `last_contact_note` as (sql, params), or None without households."""
    from django.db import connection

    ids = sorted({pk for pk in household_ids if pk})
    if not ids:
        return None
    at_value = connection.ops.adapt_datetimefield_value(at)
    if when:
        params = [value for pk in ids for value in (pk, at_value)]
    else:
        params = [at_value, *ids]
    return _last_contact_text(len(ids), when, connection.vendor), params


@functools.lru_cache(maxsize=256)
def _last_contact_text(n_ids: int, when: str, vendor: str) -> str:
    """`last_contact_note_sql`'s SQL for `n_ids` households (built once per shape and process)."""
    from django.db import connection

    from grids.models import Household

    from .models import LastContact

    qn = connection.ops.quote_name
    table = qn(LastContact._meta.db_table)
    households = qn(Household._meta.db_table)
    # The household's path is copied from its row in the same statement (LastContact.path).
    if when:  # inside a statement with other parts (PostgreSQL): typed rows, kept only `when`
        row = f"({_cast(LastContact, 'household')}, {_cast(LastContact, 'last_at')})"
        rows = f"SELECT * FROM (VALUES {', '.join([row] * n_ids)}) v (household_id, last_at) WHERE {when}"
        select = f"SELECT v.household_id, v.last_at, h.path FROM ({rows}) v JOIN {households} h ON h.id = v.household_id"
    else:
        select = f"SELECT h.id, %s, h.path FROM {households} h WHERE h.id IN ({', '.join(['%s'] * n_ids)})"
    return (
        f"INSERT INTO {table} (household_id, last_at, path) {select} "
        f"ON CONFLICT (household_id) DO UPDATE SET last_at = excluded.last_at "
        f"WHERE {table}.last_at < excluded.last_at"
    )


def last_contact_note(*, household_ids: Iterable[int], at: datetime.datetime) -> None:
    """These households were reached at `at`: move their LastContact forward where `at` is later (one upsert)."""
    _execute(last_contact_note_sql(household_ids=household_ids, at=at))


def last_contact_recount(household_ids: Iterable[int]) -> None:
    """Recount these households' LastContact from their reach rows (after a delete or a correction)."""
    from .models import ContactHousehold, LastContact

    ids = sorted({pk for pk in household_ids if pk})
    if not ids:
        return
    latest = {
        pk: (at, path)
        for pk, path, at in ContactHousehold.objects.filter(household_id__in=ids)
        .values("household_id", "household__path")
        .annotate(m=Max("occurred_at"))
        .values_list("household_id", "household__path", "m")
        .order_by()
    }
    LastContact.objects.filter(household_id__in=ids).exclude(household_id__in=list(latest)).delete()
    LastContact.objects.bulk_create(
        [LastContact(household_id=pk, last_at=at, path=path) for pk, (at, path) in latest.items()],
        update_conflicts=True,
        unique_fields=["household"],
        update_fields=["last_at", "path"],
    )


def _last_contact_rows():
    from .models import ContactHousehold

    return (
        ContactHousehold.objects.values("household_id", path=F("household__path"))
        .annotate(last_at=Max("occurred_at"))
        .values("household_id", "last_at", "path")
        .order_by()
    )


def _month_counts(contacts: QuerySet) -> QuerySet:
    """What ContactMonthTally must hold for `contacts` (a Contact queryset): one grouped values() query."""
    counts = {"contacts": Count("pk")}
    counts.update({field: Count("pk", filter=Q(**{field: True})) for field in DUTY_FIELDS.values()})
    return (
        contacts.annotate(month=TruncMonth("occurred_at", tzinfo=TZ, output_field=DateField()))
        .values("path", "month", "kind")
        .annotate(**counts)
        .order_by()
    )


def _link_counts(source: QuerySet, trunc) -> QuerySet:
    """What LinkTally must hold for one period (`trunc`) from `source` (reach rows or place contacts)."""
    return (
        source.annotate(start=trunc("occurred_at", tzinfo=TZ, output_field=DateField()))
        .values("link_id", "start")
        .annotate(**{kind: Count("pk", filter=Q(kind=kind)) for kind in ContactKind.values})
        .order_by()
    )


def _link_sources():
    """Household links count their ContactHousehold rows, place links the place contacts themselves; with the
    condition that picks each kind of link's tallies."""
    from .models import Contact, ContactHousehold

    return (
        (ContactHousehold.objects.filter(link__isnull=False), Q(link__household__isnull=False)),
        (
            Contact.objects.filter(place__isnull=False, link__isnull=False, struck=False),
            Q(link__place__isnull=False),
        ),
    )


def _month_rows(contacts: QuerySet):
    """ContactMonthTally rows counted from `contacts` (a Contact queryset), streamed."""
    from .models import ContactMonthTally

    for row in _month_counts(contacts).iterator(chunk_size=BATCH):
        yield ContactMonthTally(**row)


def _bulk_write(model, rows) -> int:
    written, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            written, batch = written + len(batch), []
    model.objects.bulk_create(batch)
    return written + len(batch)


def month_tallies_recount(paths: Iterable[str]) -> int:
    """Recount the month tallies of these exact paths from the contacts. Returns the rows written."""
    from .models import Contact, ContactMonthTally

    paths = sorted({p for p in paths if p})
    written = 0
    for start in range(0, len(paths), 500):
        chunk = paths[start : start + 500]
        ContactMonthTally.objects.filter(path__in=chunk).delete()
        written += _bulk_write(
            ContactMonthTally, _month_rows(Contact.objects.filter(path__in=chunk, struck=False))
        )
    return written


def _insert_select(model, columns: list[str], rows: QuerySet, *, constants: dict | None = None) -> int:
    """INSERT INTO model's table the rows of a values() queryset, in the database (no rows through Python)."""
    from django.db import connection

    constants = constants or {}
    sql, params = rows.query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    target = [*constants, *columns]
    select = ", ".join(["%s"] * len(constants) + [f"q.{qn(c)}" for c in columns])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(qn(model._meta.get_field(c).column) for c in target)}) "
            f"SELECT {select} FROM ({sql}) q",
            [*constants.values(), *params],
        )
        return max(cursor.rowcount, 0)


class IndexesBuiltAfter:
    """PostgreSQL: while filling empty tables in bulk, no secondary indexes, unique constraints or foreign keys
    on them (dropped on entry, each added again from its definition on exit: one sorted build per index and
    one join per foreign key, instead of millions of single index inserts and key checks). Deferred
    foreign-key checks already queued are run first (PostgreSQL refuses to alter a table with pending trigger
    events). Inside a transaction, nothing else can write the tables meanwhile;
    outside one (a bulk load in autocommit) nothing else should.
    `rebuilt` / `seconds`: what the exit did.
    """

    def __init__(self, models):
        self.tables = [model._meta.db_table for model in models]
        self.indexes: list[str] = []
        self.constraints: list[tuple[str, str, str]] = []
        self.rebuilt = 0
        self.seconds = 0.0

    def __enter__(self):
        from django.db import connection

        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
                    [table],
                )
                self.constraints += [(table, name, definition) for name, definition in cursor.fetchall()]
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.conrelid = %s::regclass)",
                    [table, table],
                )
                for name, definition in cursor.fetchall():
                    self.indexes.append(definition)
                    cursor.execute(f"DROP INDEX {qn(name)}")
            for table, name, _definition in self.constraints:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        return self

    def __exit__(self, *exc):
        from django.db import connection

        in_transaction = connection.in_atomic_block
        if exc[0] is not None and in_transaction:
            return False  # the transaction rolls back: the indexes come back with it
        started = time.perf_counter()
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            if in_transaction:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for table, name, definition in self.constraints:
                cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
            for definition in self.indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")
            if in_transaction:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django's foreign keys are declared
        self.rebuilt = len(self.indexes) + len(self.constraints)
        self.seconds = time.perf_counter() - started
        return False


def tallies_rebuild() -> int:
    """Recount every tally from the contacts (after a bulk load or a repair). Returns the rows written.

    Each table is emptied and refilled with one INSERT … SELECT per grouped recount (the queries of
    `tallies_check`), so nothing goes through Python. On PostgreSQL the tables are emptied with TRUNCATE and
    refilled without their indexes, each index built once at the end (`IndexesBuiltAfter`): a city's 15
    million tally rows took 840 s with the indexes in place (docs/benchmarks.md). All in one transaction: a
    contact recorded meanwhile waits for the end (its upsert needs the unique index) instead of failing.
    """
    from django.db import connection, transaction

    from .models import ContactMonthTally, LastContact, LinkTally

    models = [ContactMonthTally, LastContact, LinkTally]
    with transaction.atomic():
        if connection.vendor != "postgresql":
            for model in models:
                model.objects.all().delete()
            return _refill()
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            # Deferred foreign-key checks now: PostgreSQL truncates no table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE " + ", ".join(qn(model._meta.db_table) for model in models))
        with IndexesBuiltAfter(models):  # sets the checks back to deferred when done
            return _refill()


def _refill() -> int:
    """`tallies_rebuild`'s INSERT … SELECTs into the emptied tally tables."""
    from .models import Contact, ContactMonthTally, LastContact, LinkTally

    written = _insert_select(
        ContactMonthTally,
        ["path", "month", "kind", "contacts", *DUTY_FIELDS.values()],
        _month_counts(Contact.objects.filter(struck=False)),
    )
    written += _insert_select(LastContact, ["household_id", "last_at", "path"], _last_contact_rows())
    for period, trunc in TRUNC.items():
        for source, _links in _link_sources():
            written += _insert_select(
                LinkTally,
                ["link_id", "start", *ContactKind.values],
                _link_counts(source, trunc),
                constants={"period": str(period)},
            )
    return written


def tallies_check() -> dict[str, int]:
    """Rows where a kept tally differs from a recount from the contacts, per table (0 everywhere when exact).

    Everything runs in the database: for each table and period, the recount (the grouped queries of
    `tallies_rebuild`) and the stored non-zero rows are compared both ways with EXCEPT; a tally row that
    differs counts twice (missing from one side, extra on the other).
    """
    from .models import Contact, ContactMonthTally, LastContact, LinkTally

    kinds = list(ContactKind.values)
    result = {"link_tallies": 0, "month_tallies": 0, "last_contacts": 0}
    stored_last = LastContact.objects.values("household_id", "last_at", "path").order_by()
    expected_last = _last_contact_rows()
    result["last_contacts"] = (
        expected_last.difference(stored_last).count() + stored_last.difference(expected_last).count()
    )
    nonzero = Q()
    for kind in kinds:
        nonzero |= Q(**{f"{kind}__gt": 0})
    for period, trunc in TRUNC.items():
        for source, links in _link_sources():
            expected = _link_counts(source, trunc)
            stored = (
                LinkTally.objects.filter(nonzero, links, period=period)
                .values("link_id", "start", *kinds)
                .order_by()
            )
            result["link_tallies"] += (
                expected.difference(stored).count() + stored.difference(expected).count()
            )
    expected = _month_counts(Contact.objects.filter(struck=False))
    stored = (
        ContactMonthTally.objects.filter(contacts__gt=0)
        .values("path", "month", "kind", "contacts", *DUTY_FIELDS.values())
        .order_by()
    )
    result["month_tallies"] = expected.difference(stored).count() + stored.difference(expected).count()
    return result
