"""A stand-in for the electronic-monitoring centre: it replays an offender's GPS track through
the hub's real API (``POST /api/v1/device/monitor`` with the monitor's device credential), as
the centre's feed would send it — each point's own time, accuracy and source.

A track is a CSV file with the header ``seconds,latitude,longitude,accuracy_m`` (seconds from
the start), or a straight walk towards a place (``approach``): the demo and the tests use both.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from safewatch.incidents.proximity import EARTH_RADIUS_M


@dataclass(frozen=True)
class TrackPoint:
    seconds: float  # from the start of the track
    latitude: float
    longitude: float
    accuracy_m: float = 10.0


@dataclass(frozen=True)
class Answer:
    point: TrackPoint
    status: int
    incident_id: str | None = None  # the proximity incident it opened or joined
    error: str = ""


def read_track(path: Path) -> list[TrackPoint]:
    with path.open(newline="") as f:
        return [
            TrackPoint(
                float(row["seconds"]),
                float(row["latitude"]),
                float(row["longitude"]),
                float(row.get("accuracy_m") or 10.0),
            )
            for row in csv.DictReader(f)
        ]


def approach(
    latitude: float,
    longitude: float,
    from_m: float = 5000.0,
    to_m: float = 300.0,
    step_m: float = 250.0,
    every_s: float = 30.0,
    bearing_deg: float = 0.0,
) -> list[TrackPoint]:
    """A walk straight towards a place from ``from_m`` away (from the ``bearing_deg``
    side, 0 = north) to ``to_m`` away, a point every ``step_m`` metres and ``every_s``
    seconds."""
    points, distance, k = [], from_m, 0
    bearing = math.radians(bearing_deg)
    while distance >= to_m:
        d_lat = math.degrees(distance * math.cos(bearing) / EARTH_RADIUS_M)
        d_lon = math.degrees(
            distance * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(latitude)))
        )
        points.append(TrackPoint(k * every_s, latitude + d_lat, longitude + d_lon))
        distance -= step_m
        k += 1
    return points


def replay(
    hub_url: str,
    secret: str,
    track: list[TrackPoint],
    speed: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    say: Callable[[str], None] = print,
) -> list[Answer]:
    """Send each point when it is due (``speed`` times faster than the track), stamped with
    the time it was fixed; a point the hub does not take is said and the replay goes on (the
    centre's feed does not stop for one refusal)."""
    start, answers = datetime.now(UTC), []
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=hub_url.rstrip("/"), timeout=10.0) as http:
        for point in track:
            due = start + timedelta(seconds=point.seconds / speed)
            wait = (due - datetime.now(UTC)).total_seconds()
            if wait > 0:
                sleep(wait)
            body = {
                "latitude": point.latitude,
                "longitude": point.longitude,
                "accuracy_m": point.accuracy_m,
                "source": "gps",
                "taken_at": datetime.now(UTC).isoformat(),
            }
            try:
                r = http.post("/api/v1/device/monitor", json=body, headers=headers)
            except httpx.HTTPError as exc:
                answers.append(Answer(point, 0, error=type(exc).__name__))
                say(f"{point.seconds:>7.0f} s  not sent: {type(exc).__name__}")
                continue
            incident = r.json().get("incident_id") if r.status_code == 200 else None
            error = "" if r.status_code == 200 else r.text[:200]
            answers.append(Answer(point, r.status_code, incident, error))
            say(
                f"{point.seconds:>7.0f} s  {point.latitude:.5f}, {point.longitude:.5f}  "
                + (f"proximity incident {incident}" if incident else error or "not near")
            )
    return answers
