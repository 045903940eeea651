"""The home's plan: its ways in and each camera's covered area (issue 23, point 3)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from safewatch.schemas.common import Schema

Fraction = Annotated[float, Field(ge=0, le=1)]
PlanPoint = tuple[Fraction, Fraction]


class WayInIn(Schema):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    x: Fraction
    y: Fraction


class CameraCoverageIn(Schema):
    device_id: uuid.UUID
    area: list[PlanPoint] = Field(
        max_length=100, description="The covered area's corners on the plan (empty: none)."
    )


class SitePlanIn(Schema):
    ways_in: list[WayInIn] = Field(max_length=50)
    coverage: list[CameraCoverageIn] = Field(max_length=50)


class WayInOut(WayInIn):
    seen_by: list[str] = Field(description="The cameras (serials) whose area holds it.")


class PlanCamera(Schema):
    device_id: uuid.UUID
    serial: str
    area: list[PlanPoint]


class SitePlanPublic(Schema):
    has_picture: bool
    ways_in: list[WayInOut]
    cameras: list[PlanCamera] = Field(description="The cameras installed at the home now.")
    blind_spots: list[str] = Field(description="Ways in that no camera's area holds.")
    updated_at: datetime | None
