"""One page of a query, with the total count, the same way for every list."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def page_of(
    session: Session,
    model: type[T],
    where: list[ColumnElement[bool]],
    order_by: list[Any],
    page: int,
    size: int,
) -> tuple[list[T], int]:
    """Rows ``(page - 1) * size`` onwards, and how many rows match in all."""
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    query: Select[T] = (
        select(model).where(*where).order_by(*order_by).offset((page - 1) * size).limit(size)
    )
    return list(session.scalars(query)), total
