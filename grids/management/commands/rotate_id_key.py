"""Re-encrypt every resident ID number with a new key, and recompute the keyed hashes (grids/crypto.py).

    LIANHU_ID_NEW_KEY=<new Fernet key> python manage.py rotate_id_key

The old key is the configured one (LIANHU_ID_KEY, or the development key), or the variable named by
--old-key-env; the new key is read from the variable named by --new-key-env (keys never go on the command
line, where `ps` and shell history would keep them). Rows already readable with the new key are skipped,
so an interrupted run can simply be run again. Stop the web and worker processes first, and start them
again with LIANHU_ID_KEY set to the new key (README, production).
"""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from grids.crypto import IdKeyError, cipher_for, configured_key
from grids.models import Household


class Command(BaseCommand):
    help = "Re-encrypt every resident ID number with a new key (LIANHU_ID_NEW_KEY) and recompute the hashes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--old-key-env",
            default="",
            help="environment variable holding the current key (default: the configured LIANHU_ID_KEY)",
        )
        parser.add_argument(
            "--new-key-env",
            default="LIANHU_ID_NEW_KEY",
            help="environment variable holding the new key (default: LIANHU_ID_NEW_KEY)",
        )
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction")

    def handle(self, *args, old_key_env: str, new_key_env: str, batch: int, **options):
        try:
            old_key = os.environ.get(old_key_env, "") if old_key_env else configured_key()
            new_key = os.environ.get(new_key_env, "")
            if not old_key:
                raise CommandError(f"{old_key_env} is not set")
            if not new_key:
                raise CommandError(f"{new_key_env} is not set: put the new key there")
            if new_key == old_key:
                raise CommandError("the new key is the same as the old one")
            old, new = cipher_for(old_key), cipher_for(new_key)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc

        table = connection.ops.quote_name(Household._meta.db_table)
        pk, number, hashed = (connection.ops.quote_name(c) for c in ("id", "id_number", "id_number_hash"))
        select = (
            f"SELECT {pk}, {number} FROM {table} WHERE {number} <> '' AND {pk} > %s ORDER BY {pk} LIMIT %s"
        )
        update = f"UPDATE {table} SET {number} = %s, {hashed} = %s WHERE {pk} = %s"
        rotated = skipped = 0
        last = 0
        while True:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        select + (" FOR UPDATE" if connection.vendor == "postgresql" else ""), [last, batch]
                    )
                    rows = cursor.fetchall()
                    if not rows:
                        break
                    values = []
                    for row_pk, token in rows:
                        try:
                            new.decrypt(token)
                            skipped += 1
                            continue
                        except IdKeyError:
                            pass
                        try:
                            plain = old.decrypt(token)
                        except IdKeyError as exc:
                            raise CommandError(
                                f"household {row_pk}: its ID number opens with neither key; nothing after it was"
                                " changed (the rows before it are on the new key: run again with the right old key)"
                            ) from exc
                        values.append((new.encrypt(plain), new.hash(plain), row_pk))
                    cursor.executemany(update, values)
                    rotated += len(values)
            last = rows[-1][0]
        self.stdout.write(
            f"rotated {rotated} ID numbers to the new key; {skipped} were on it already."
            " Now set LIANHU_ID_KEY to the new key and restart the web and worker processes."
        )
