"""Location you can trust (issue 23, point 1), through the real API. Busan 2017 and Seoul
2021: a cell-tower fix sent the police hundreds of metres from the victim. Every position
carries its accuracy, source and time; a coarse, stale or missing one is said to be doubted
and the dispatch also names the home and the safe accommodation; during an SOS the phone's
and the watch's fixes make a track, and a coarse fix does not move the guards away from a
fresh precise one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from safewatch.incidents.facts import IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.location import Doubt, Fix, FixSource, Trust, doubts, replaces
from safewatch.schemas.alerts import AlertPacket, PacketCase, PacketIncident, PacketLocation
from safewatch.services.packets import without_personal_data
from tests.test_incidents import _send
from tests.world import World

V1 = "/api/v1"
HOME = (33.4996, 126.5312)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TRUST = Trust()


def _detail(world: World, user: str, incident_id: str) -> dict[str, Any]:
    r = world.get(user, f"{V1}/incidents/{incident_id}")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def _watch_sos(world: World, body: dict[str, Any]) -> str:
    secret = world.device("smartwatch", "W-77")
    r = world.client.post(
        f"{V1}/device/sos", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 201, r.text
    incident_id: str = r.json()["id"]
    return incident_id


def test_a_coarse_cell_fix_is_doubted_and_the_dispatch_also_names_the_home_and_the_stay(
    world: World,
) -> None:
    world.stay("a", "Haven", 10)
    incident_id = _watch_sos(
        world,
        {"latitude": 33.51, "longitude": 126.52, "accuracy_m": 800, "source": "cell"},
    )
    location = _detail(world, "security_a", incident_id)["packet"]["location"]
    assert location["accuracy_m"] == 800
    assert location["source"] == "cell"
    assert location["doubts"] == ["coarse"]
    assert [p["kind"] for p in location["also_at"]] == ["home", "safe_stay"]
    assert location["also_at"][1]["address"] == "1 Shelter-ro, Jeju"
    # The protected person's own packet names none of her addresses.
    mine = _detail(world, "victim_a", incident_id)["packet"]["location"]
    assert mine["doubts"] == ["coarse"] and mine["also_at"] == []


def test_an_old_client_without_accuracy_is_taken_as_coarse(world: World) -> None:
    incident_id = _watch_sos(world, {"latitude": 33.51, "longitude": 126.52})
    location = _detail(world, "security_a", incident_id)["packet"]["location"]
    assert location["accuracy_m"] is None
    assert location["doubts"] == ["coarse"]
    assert [p["kind"] for p in location["also_at"]] == ["home"]


def test_a_precise_fresh_fix_stands_alone(world: World) -> None:
    incident_id = _watch_sos(
        world, {"latitude": 33.51, "longitude": 126.52, "accuracy_m": 12, "source": "gps"}
    )
    location = _detail(world, "security_a", incident_id)["packet"]["location"]
    assert location["doubts"] == [] and location["also_at"] == []


def test_an_sos_without_a_position_goes_to_the_home_and_says_so(world: World) -> None:
    incident_id = _watch_sos(world, {})
    location = _detail(world, "security_a", incident_id)["packet"]["location"]
    assert location["doubts"] == ["none"]
    assert [p["kind"] for p in location["also_at"]] == ["home"]


def test_the_phone_follows_her_and_a_coarse_fix_does_not_move_the_guards(world: World) -> None:
    r = world.post(
        "victim_a",
        f"{V1}/me/sos",
        {"latitude": 33.5100, "longitude": 126.5200, "accuracy_m": 15, "source": "gps"},
    )
    assert r.status_code == 201, r.text
    incident_id = r.json()["incident"]["id"]
    # A cell fix right after: on the track, but the position stays the precise one.
    cell = {"latitude": 33.5150, "longitude": 126.5300, "accuracy_m": 900, "source": "cell"}
    r = world.post("victim_a", f"{V1}/me/location", cell)
    assert r.status_code == 200 and r.json()["incident_id"] == incident_id
    detail = _detail(world, "security_a", incident_id)
    assert (
        detail["packet"]["location"]["latitude"],
        detail["packet"]["location"]["accuracy_m"],
    ) == (33.51, 15)
    # A better one moves it, and the timeline says where to.
    gps = {"latitude": 33.5110, "longitude": 126.5210, "accuracy_m": 8, "source": "gps"}
    assert world.post("victim_a", f"{V1}/me/location", gps).status_code == 200
    detail = _detail(world, "security_a", incident_id)
    assert detail["packet"]["location"]["latitude"] == 33.511
    assert detail["packet"]["location"]["doubts"] == []
    assert [(f["latitude"], f["accuracy_m"]) for f in detail["track"]] == [
        (33.51, 15),
        (33.515, 900),
        (33.511, 8),
    ]
    moves = [e for e in detail["timeline"] if e["kind"] == "location"]
    assert len(moves) == 1 and moves[0]["facts"]["accuracy_m"] == 8


def test_a_fix_time_without_a_zone_is_utc_and_one_from_the_future_counts_as_now(
    world: World,
) -> None:
    """Found in review: a watch's ``taken_at`` without a zone made the SOS fail (500)."""
    later = (datetime.now(UTC) + timedelta(hours=3)).replace(tzinfo=None).isoformat()
    body = {"latitude": 33.51, "longitude": 126.52, "accuracy_m": 10, "taken_at": later}
    incident_id = _watch_sos(world, body)
    location = _detail(world, "security_a", incident_id)["packet"]["location"]
    fixed = datetime.fromisoformat(location["fixed_at"].replace("Z", "+00:00"))
    assert fixed <= datetime.now(UTC) + timedelta(seconds=5)  # not three hours ahead


def test_a_device_may_not_call_its_own_position_exact(world: World) -> None:
    secret = world.device("smartwatch", "W-78")
    body = {"latitude": 33.51, "longitude": 126.52, "source": "fixed_address"}
    auth = {"Authorization": f"Bearer {secret}"}
    assert world.client.post(f"{V1}/device/sos", json=body, headers=auth).status_code == 422
    r = world.post("victim_a", f"{V1}/me/sos", body)
    assert r.status_code == 422


def test_a_packet_without_personal_data_keeps_no_position_in_its_words() -> None:
    """Found in review: the packet of a closed incident past the company's time kept the
    position and the recogniser's name in the incident's summary and facts."""
    said = IncidentFacts(
        kind=IncidentKind.sos, source=SignalSource.phone, latitude=33.5, longitude=126.5
    )
    packet = AlertPacket(
        incident=PacketIncident(
            id=uuid.uuid4(), reference="INC-1", type=IncidentKind.sos, severity="critical",
            summary="SOS from the phone at 33.50000, 126.50000", facts=said, status="closed",
            police_status="none", police_reach="not_requested", police_request=None,
            outcome=None, opened_at=NOW, last_signal_at=NOW, guard_unit=None, claimed=False,
        ),
        case=PacketCase(reference="JJ-1", risk_level=None),
        location=PacketLocation(latitude=33.5, longitude=126.5, battery_percent=None),
        snapshot_url=None, clip_url=None, clip_pending=False,
    )  # fmt: skip
    bare = without_personal_data(packet).wire()
    assert "33.5" not in str(bare), bare
    assert bare["incident"]["summary"] == "sos"


def test_outside_an_sos_the_phone_position_is_not_kept(world: World) -> None:
    r = world.post("victim_a", f"{V1}/me/location", {"latitude": 33.5, "longitude": 126.5})
    assert r.status_code == 200 and r.json()["incident_id"] is None


def test_a_camera_incident_is_at_the_home_and_is_not_doubted(world: World) -> None:
    secret = world.device("camera", "CAM-L1")
    _send(world.client, secret, type_="intrusion", track=3)
    [item] = world.get("security_a", f"{V1}/incidents").json()["items"]
    location = _detail(world, "security_a", item["id"])["packet"]["location"]
    assert location["doubts"] == [] and location["also_at"] == []


def test_each_guard_units_latest_position_is_on_the_incident(world: World) -> None:
    incident_id = _watch_sos(
        world, {"latitude": 33.51, "longitude": 126.52, "accuracy_m": 10, "source": "gps"}
    )
    url = f"{V1}/incidents/{incident_id}/guards"
    for unit, latitude in (("G-7", 33.40), ("G-7", 33.45), ("G-9", 33.48)):
        body = {"unit": unit, "latitude": latitude, "longitude": 126.5, "accuracy_m": 15}
        r = world.post("security_a", url, body)
        assert r.status_code == 200, r.text
    guards = _detail(world, "security_a", incident_id)["guards"]
    assert [(g["unit"], g["latitude"]) for g in guards] == [("G-7", 33.45), ("G-9", 33.48)]
    body = {"unit": "X", "latitude": 33.0, "longitude": 126.0}
    assert world.post("security_b", url, body).status_code == 403  # another company
    assert world.post("officer_a", url, body).status_code == 403


# --- the rules alone -----------------------------------------------------------------------


def test_what_makes_a_position_doubtful() -> None:
    fresh = NOW - timedelta(seconds=10)
    assert doubts(Fix(1, 2, 20, FixSource.gps, fresh), None, NOW, TRUST) == []
    assert doubts(Fix(1, 2, 101, FixSource.wifi, fresh), None, NOW, TRUST) == [Doubt.coarse]
    assert doubts(Fix(1, 2, None, None, None), fresh, NOW, TRUST) == [Doubt.coarse]
    old = NOW - timedelta(seconds=61)
    assert doubts(Fix(1, 2, 5, FixSource.gps, old), None, NOW, TRUST) == [Doubt.stale]
    assert doubts(Fix(1, 2, None, None, None), None, NOW, TRUST) == [Doubt.coarse, Doubt.stale]
    assert doubts(Fix(1, 2, None, FixSource.fixed_address, old), None, NOW, TRUST) == []
    assert doubts(None, None, NOW, TRUST) == [Doubt.none]


def test_which_fix_becomes_the_position() -> None:
    fresh = NOW - timedelta(seconds=5)
    gps = Fix(1, 2, 10, FixSource.gps, fresh)
    cell = Fix(1.01, 2.01, 800, FixSource.cell, NOW)
    assert replaces(None, cell, None, NOW, TRUST)
    assert not replaces(gps, cell, fresh, NOW, TRUST)  # coarser while the GPS one is fresh
    assert replaces(gps, Fix(1, 2, 9, FixSource.gps, NOW), fresh, NOW, TRUST)
    stale = NOW - timedelta(seconds=90)
    assert replaces(replace_time(gps, stale), cell, stale, NOW, TRUST)  # the GPS one is old


def replace_time(fix: Fix, at: datetime) -> Fix:
    return Fix(fix.latitude, fix.longitude, fix.accuracy_m, fix.source, at)


def test_the_pages_may_load_images_from_the_tile_server_alone() -> None:
    from safewatch.api.edge import content_security_policy
    from safewatch.core.config import Settings

    assert Settings().tile_origin is None  # the hub's own /tiles
    template = "https://{s}.tile.region.kr/{z}/{x}/{y}.png"
    assert Settings(map_tile_url=template).tile_origin == "https://*.tile.region.kr"
    secret = "https://user:pw@tiles.region.kr:8443/{z}/{x}/{y}.png"
    assert Settings(map_tile_url=secret).tile_origin == "https://tiles.region.kr:8443"
    policy = content_security_policy("n", "https://tiles.region.kr:8443")
    assert "img-src 'self' data: blob: https://tiles.region.kr:8443;" in policy
    assert "connect-src 'self';" in policy


def test_positions_faster_than_one_a_second_are_refused(world: World) -> None:
    body = {"latitude": 33.5, "longitude": 126.5, "accuracy_m": 10, "source": "gps"}
    answers = [world.post("victim_a", f"{V1}/me/location", body).status_code for _ in range(61)]
    assert answers[:60] == [200] * 60 and answers[60] == 429


def test_a_tile_the_hub_has_not_drawn_is_not_found(client: TestClient) -> None:
    """Found by the accessibility run: with no tiles folder yet, every tile was a 500."""
    assert client.get("/tiles/15/27925/13000.png").status_code == 404
