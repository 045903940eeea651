"""The home's plan (issue 23, point 3; Daegu, June 2025: the offender climbed a gas pipe
through a blind spot): each installed camera's covered area and the ways in; the hub names
the ways in no camera sees. The plan's picture is sealed like the photos."""

from __future__ import annotations

import io

from PIL import Image

from safewatch.cases.coverage import WayIn, blind_spots, inside, seen_by
from safewatch.core.config import Settings
from tests.world import World

V1 = "/api/v1"
LEFT_HALF = [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]


def test_a_way_in_is_seen_when_a_cameras_area_holds_it() -> None:
    assert inside((0.25, 0.5), LEFT_HALF) and not inside((0.75, 0.5), LEFT_HALF)
    triangle = [(0.1, 0.1), (0.9, 0.1), (0.5, 0.9)]
    assert inside((0.5, 0.3), triangle) and not inside((0.1, 0.8), triangle)
    door, pipe = WayIn("front door", 0.2, 0.9), WayIn("gas pipe", 0.9, 0.2)
    coverage = {"CAM-1": LEFT_HALF, "CAM-2": []}  # CAM-2's area is not drawn yet
    assert seen_by(door, coverage) == ["CAM-1"] and seen_by(pipe, coverage) == []
    assert blind_spots([door, pipe], coverage) == [pipe]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 200, 200)).save(out, "PNG")
    return out.getvalue()


def test_the_plan_names_the_blind_spots_and_keeps_its_picture(
    world: World, settings: Settings
) -> None:
    world.device("camera", "CAM-A1")
    plan = f"{V1}/cases/{world.cases['a']}/plan"
    [camera] = world.get("caseworker_a", plan).json()["cameras"]
    body = {
        "ways_in": [
            {"name": "front door", "x": 0.2, "y": 0.9},
            {"name": "gas pipe", "x": 0.9, "y": 0.2},
        ],
        "coverage": [{"device_id": camera["device_id"], "area": LEFT_HALF}],
    }
    r = world.client.put(plan, json=body, headers=world.h("caseworker_a"))
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["blind_spots"] == ["gas pipe"]
    assert [w["seen_by"] for w in answer["ways_in"]] == [["CAM-A1"], []]
    # Another home's camera is not drawn on this plan; another centre cannot read it.
    world.device("camera", "CAM-B1", side="b")
    other = world.get("caseworker_b", f"{V1}/cases/{world.cases['b']}/plan").json()["cameras"]
    stranger = {**body, "coverage": [{"device_id": other[0]["device_id"], "area": LEFT_HALF}]}
    assert world.client.put(plan, json=stranger, headers=world.h("caseworker_a")).status_code == 422
    assert world.get("caseworker_b", plan).status_code in (403, 404)
    # The picture: a JPEG or PNG only, and back as it was sent.
    picture = f"{plan}/picture"
    assert world.get("caseworker_a", picture).status_code == 404
    bad = world.client.put(picture, content=b"GIF89a...", headers=world.h("caseworker_a"))
    assert bad.status_code == 422
    png = _png()
    assert (
        world.client.put(picture, content=png, headers=world.h("caseworker_a")).status_code == 204
    )
    back = world.get("caseworker_a", picture)
    assert back.status_code == 200 and back.content == png
    assert back.headers["content-type"] == "image/png"
    assert world.get("caseworker_a", plan).json()["has_picture"] is True
