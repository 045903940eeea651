"""Many rows into one table with one ``executemany``, for the hot event path.

SQLAlchemy's executemany builds each row's parameters by walking every bind of the compiled
statement (``construct_params``): under a burst that walk was the largest single cost of the
hub's writer. Here the statement text is made once per (table, columns, dialect), the
columns' own bind processors (the conversions SQLAlchemy would apply: UUIDs, UTC datetimes,
enums, JSON) are looked up once, and the rows go to the driver as tuples."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Column, Dialect, Table
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None
PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column name, all with the same keys) in the session's
    transaction. A column left out takes its Python-side default, as with ``insert()``."""
    if not rows:
        return
    session.flush()  # the session's own pending rows first (foreign keys)
    connection = session.connection()
    dialect = connection.dialect
    keys = tuple(rows[0])
    sql, processors, defaults = _statement(table, keys, dialect)
    params = []
    for row in rows:
        values = [row[k] for k in keys] + [make() for make in defaults]
        params.append(
            tuple(
                v if v is None or p is None else p(v)
                for v, p in zip(values, processors, strict=True)
            )
        )
    connection.exec_driver_sql(sql, params)


@cache
def _statement(
    table: Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[Processor, ...], tuple[Callable[[], Any], ...]]:
    unknown = [k for k in keys if k not in table.c]
    if unknown:
        raise KeyError(f"{table.name} has no column {unknown[0]}")
    defaulted = [c for c in table.c if c.name not in keys and _python_default(c) is not None]
    columns = [table.c[k] for k in keys] + defaulted
    placeholder = PLACEHOLDER.get(str(dialect.paramstyle))
    if placeholder is None:
        raise NotImplementedError(f"paramstyle {dialect.paramstyle}")
    quote = dialect.identifier_preparer.quote
    # Identifiers from the table's own metadata, quoted by the dialect; every value is bound.
    target = dialect.identifier_preparer.format_table(table)
    names = ", ".join(quote(c.name) for c in columns)
    slots = ", ".join([placeholder] * len(columns))
    sql = f"INSERT INTO {target} ({names}) VALUES ({slots})"  # noqa: S608
    processors = tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
    makers = tuple(m for m in map(_python_default, defaulted) if m is not None)
    return sql, processors, makers


def _python_default(column: Column[Any]) -> Callable[[], Any] | None:
    default = column.default
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    arg = default.arg  # type: ignore[attr-defined]
    if default.is_scalar:
        return lambda: arg
    return lambda: arg(None)  # SQLAlchemy wraps a plain callable to take the context
