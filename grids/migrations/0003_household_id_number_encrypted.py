"""Resident ID numbers encrypted at rest, with a keyed hash for uniqueness and look-ups (grids/crypto.py).

The data step reads and writes the raw column with SQL (the model field would encrypt and decrypt): every
plain number becomes a Fernet token made with LIANHU_ID_KEY and gets its hash; rows already encrypted are
left alone, so it can run again. Backwards, the numbers are decrypted before the column shrinks again.
"""

import grids.fields
import grids.validators
from django.db import migrations, models

BATCH = 1000


def _rows(schema_editor, where: str):
    from grids.crypto import FERNET_PREFIX

    qn = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn('id')}, {qn('id_number')} FROM {qn('grids_household')}"
            f" WHERE {qn('id_number')} <> '' AND {qn('id_number')} {where} LIKE %s ORDER BY {qn('id')}",
            [FERNET_PREFIX + "%"],
        )
        return cursor.fetchall()


def _write(schema_editor, values: list[tuple[str, str, int]]) -> None:
    qn = schema_editor.connection.ops.quote_name
    sql = (
        f"UPDATE {qn('grids_household')} SET {qn('id_number')} = %s, {qn('id_number_hash')} = %s"
        f" WHERE {qn('id')} = %s"
    )
    with schema_editor.connection.cursor() as cursor:
        for start in range(0, len(values), BATCH):
            cursor.executemany(sql, values[start : start + BATCH])


def encrypt_existing(apps, schema_editor):
    from grids.crypto import cipher
    from grids.validators import normalize_id_number

    c = cipher()
    values = []
    for pk, plain in _rows(schema_editor, "NOT"):
        number = normalize_id_number(plain)
        values.append((c.encrypt(number), c.hash(number), pk))
    _write(schema_editor, values)


def decrypt_existing(apps, schema_editor):
    from grids.crypto import cipher

    c = cipher()
    _write(schema_editor, [(c.decrypt(token), "", pk) for pk, token in _rows(schema_editor, "")])


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0002_household_path_code_idx'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='household',
            options={'ordering': ['path', 'code'], 'permissions': [('reveal_personal_number', '查看完整电话和身份证号')], 'verbose_name': '户', 'verbose_name_plural': '户'},
        ),
        migrations.RemoveConstraint(
            model_name='household',
            name='household_unique_id_number',
        ),
        migrations.AddField(
            model_name='household',
            name='id_number_hash',
            field=grids.fields.IdNumberHashField(blank=True, default='', editable=False, max_length=64, source='id_number', verbose_name='身份证号散列'),
        ),
        migrations.AlterField(
            model_name='household',
            name='id_number',
            field=grids.fields.EncryptedIdNumberField(blank=True, max_length=160, validators=[grids.validators.validate_id_number], verbose_name='户主身份证号'),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
        migrations.AddConstraint(
            model_name='household',
            constraint=models.UniqueConstraint(condition=models.Q(('id_number_hash', ''), _negated=True), fields=('id_number_hash',), name='household_unique_id_number_hash'),
        ),
    ]
