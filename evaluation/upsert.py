"""One-statement "store once" writes that mean the same on SQLite and PostgreSQL.

Both understand `INSERT ... ON CONFLICT (...) DO NOTHING | DO UPDATE ... WHERE ... RETURNING`
(SQLite since 3.35), so a duplicate click or vote, even two arriving at once through two nodes,
is settled by the database's unique constraint in a single statement: no read-then-write race,
no IntegrityError and savepoint round trip.
"""

from __future__ import annotations

from django.db import connection, models


def _insert_sql(model: type[models.Model], obj: models.Model) -> tuple[str, list, list[str]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    sql = "INSERT INTO %s (%s) VALUES (%s)" % (
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields)))
    return sql, values, [f.column for f in fields]


def _columns(model: type[models.Model], names: list[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def insert_once(obj: models.Model, *, unique: list[str]) -> bool:
    """Insert `obj` unless a row with the same `unique` fields exists; True when inserted."""
    model = type(obj)
    sql, values, _ = _insert_sql(model, obj)
    quote = connection.ops.quote_name
    sql += " ON CONFLICT (%s) DO NOTHING RETURNING %s" % (
        ", ".join(quote(c) for c in _columns(model, unique)), quote(model._meta.pk.column))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone() is not None


def insert_or_update(obj: models.Model, *, unique: list[str], update: list[str]) -> bool:
    """Insert `obj`, or set the `update` fields of the row with the same `unique` fields when any of
    them differs. True when a row was inserted or changed, False when it was already so."""
    model = type(obj)
    sql, values, _ = _insert_sql(model, obj)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    changed = _columns(model, update)
    sql += " ON CONFLICT (%s) DO UPDATE SET %s WHERE %s RETURNING %s" % (
        ", ".join(quote(c) for c in _columns(model, unique)),
        ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in changed),
        " OR ".join(f"{table}.{quote(c)} <> excluded.{quote(c)}" for c in changed),
        quote(model._meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone() is not None
