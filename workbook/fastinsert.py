"""Bulk inserts for large imports: rows copied into a temporary table, then one
``INSERT … SELECT`` into the model's table.

At the workbook's sizes (hundreds of thousands of ledger entries), building a model instance
and preparing each of its fields for ``bulk_create`` costs more than the database's own work;
``COPY`` moves the rows at the cost of the database alone. The insert itself is an ordinary
one: row-level security checks every row (``COPY FROM`` into an RLS table is not allowed, a
temporary table has no policy), triggers (history) and constraints run as usual.

Without the right to create temporary tables, rows go through ``bulk_create``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

BATCH = 2000
TEMP_TABLE = "workbook_rows"


def _fields(model):
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _complete(model, rows: Sequence[dict]) -> list[str]:
    """Fill every row with every column's value (defaults, timestamps, public ids)."""
    now = timezone.now()
    names = []
    for field in _fields(model):
        name = field.attname
        names.append(name)
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if auto:
            value, callable_default = now, False
        else:
            callable_default = field.has_default() and callable(field.default)
            value = None if callable_default else field.get_default()
        for row in rows:
            if name not in row:
                row[name] = field.default() if callable_default else value
    return names


def _can_use_temp() -> bool:
    cached = getattr(connection, "_workbook_temp", None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT has_database_privilege(current_user, current_database(), 'TEMP')"
            )
            cached = connection._workbook_temp = bool(cursor.fetchone()[0])
    return cached


def insert_rows(model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` (attribute name → value) as ``model`` rows; their primary keys, in
    order."""
    if not rows:
        return []
    for row in rows:
        row.setdefault("public_id", uuid.uuid4())
    names = _complete(model, rows)
    return insert_tuples(model, names, [tuple(row[name] for name in names) for row in rows])


def insert_tuples(model, names: list[str], rows: list[tuple]) -> list[int]:
    """Insert ``rows`` of values in the order of ``names`` (attribute names, ``public_id``
    included); their primary keys, in order."""
    if not rows:
        return []
    public_id = names.index("public_id")
    if connection.vendor != "postgresql" or not _can_use_temp():
        objs = [model(**dict(zip(names, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=BATCH)
        return [obj.pk for obj in objs]
    table = model._meta.db_table
    fields_by_name = {field.attname: field for field in _fields(model)}
    columns = {name: field.column for name, field in fields_by_name.items()}
    column_list = ", ".join(f'"{columns[name]}"' for name in names)
    with connection.cursor() as cursor:
        # Through Django's cursor first: the row-level security setting is applied.
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLE}")
        cursor.execute(
            f"CREATE TEMP TABLE {TEMP_TABLE} ON COMMIT DROP AS "
            f'SELECT {column_list} FROM "{table}" WITH NO DATA'
        )
        raw = cursor.cursor  # psycopg's cursor, for COPY
        # COPY's text format takes a JSON column as its JSON text.
        json_columns = {
            index for index, name in enumerate(names)
            if isinstance(fields_by_name[name], models.JSONField)
        }  # fmt: skip
        with raw.copy(f"COPY {TEMP_TABLE} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                if json_columns:
                    row = tuple(
                        json.dumps(value, cls=DjangoJSONEncoder) if index in json_columns
                        else value
                        for index, value in enumerate(row)
                    )  # fmt: skip
                copy.write_row(row)
        cursor.execute(
            f'INSERT INTO "{table}" ({column_list}) SELECT {column_list} FROM {TEMP_TABLE} '
            'RETURNING "id", "public_id"'
        )
        pks = {public_id: pk for pk, public_id in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {TEMP_TABLE}")
    return [pks[row[public_id]] for row in rows]
