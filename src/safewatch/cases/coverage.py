"""What the home's cameras cover (issue 23, point 3; Daegu, June 2025: the offender climbed a
gas pipe through a blind spot). On the home's plan or picture each camera's covered area is a
polygon and each way in (a door, a window, a pipe, a wall low enough to climb) a point; a way
in that no camera's area holds is a blind spot the caseworker must see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Point = tuple[float, float]  # 0–1 of the plan's width and height


@dataclass(frozen=True)
class WayIn:
    name: str
    x: float
    y: float


def inside(point: Point, polygon: Sequence[Point]) -> bool:
    """Whether the point lies in the polygon (even-odd rule: a ray to the right crosses its
    edges an odd number of times)."""
    x, y = point
    found = False
    for (x1, y1), (x2, y2) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            found = not found
    return found


def seen_by(way: WayIn, coverage: Mapping[str, Sequence[Point]]) -> list[str]:
    """The cameras (by name) whose covered area holds this way in."""
    return [
        camera
        for camera, area in coverage.items()
        if len(area) >= 3 and inside((way.x, way.y), area)
    ]


def blind_spots(ways: Sequence[WayIn], coverage: Mapping[str, Sequence[Point]]) -> list[WayIn]:
    return [w for w in ways if not seen_by(w, coverage)]
