"""The offender's electronic monitor (issue 23, point 4): the monitoring centre's feed sends
his device's positions; within the case's radius of her home, her safe accommodation or where
her phone or watch last said she was, a ``proximity`` incident opens (one per case while open:
later positions join it and it shows where he is now), tells the victim and the guards, and
escalates like any other. She is told how near he is, not where he is. A simulator replays
GPS tracks through the real API (``safewatch demo monitor``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.demo.monitor_feed import approach, replay
from safewatch.incidents.location import Fix, Place
from safewatch.incidents.proximity import Spot, distance_m, nearest_within, places_to_watch
from safewatch.models import Incident
from tests.conftest import Clock
from tests.live import LiveHub
from tests.world import World

V1 = "/api/v1"
HOME = (33.5, 126.5)  # the world's home for side a
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _north(metres: float, of: tuple[float, float] = HOME) -> dict[str, Any]:
    """A position ``metres`` north (a little east too: both coordinates differ from hers)."""
    return {
        "latitude": of[0] + metres / 111_195.0,
        "longitude": of[1] + 0.0003,
        "accuracy_m": 8.0,
        "source": "gps",
    }


def test_distances_and_the_nearest_of_her_places() -> None:
    assert abs(distance_m(33.5, 126.5, 33.51, 126.5) - 1112) < 2  # 0.01° of latitude
    assert abs(distance_m(33.5, 126.5, 33.5, 126.51) - 927) < 2  # shorter at 33.5° north
    home = Spot(Place.home, 33.5, 126.5)
    stay = Spot(Place.safe_stay, 33.45, 126.56)
    her = Spot(Place.last_fix, 33.52, 126.5, NOW - timedelta(minutes=3))
    him = Fix(33.525, 126.5, 10.0)
    near = nearest_within(him, [home, stay, her], 2000)
    assert near is not None and near.place is Place.last_fix and 550 < near.distance_m < 560
    # A last fix older than the setting says nothing about where she is now.
    spots = places_to_watch([home, stay, her], NOW + timedelta(minutes=20), timedelta(minutes=15))
    assert spots == [home, stay]
    assert nearest_within(him, spots, 2000) is None  # 2.8 km from home
    near = nearest_within(him, spots, 3000)
    assert near is not None and near.place is Place.home


def test_the_monitor_coming_near_her_home_tells_her_and_the_guards(
    world: World, clock: Clock
) -> None:
    secret = world.device("offender_monitor", "MON-A1")
    h = {"Authorization": f"Bearer {secret}"}
    far = world.client.post(f"{V1}/device/monitor", json=_north(5000), headers=h)
    assert far.status_code == 200 and far.json() == {"incident_id": None, "stale": False}
    r = world.client.post(f"{V1}/device/monitor", json=_north(1500), headers=h)
    assert r.status_code == 200, r.text
    incident_id = r.json()["incident_id"]
    assert incident_id
    clock.advance(30 * 60)  # his feed goes quiet for half an hour (indoors), then comes back
    again = world.client.post(f"{V1}/device/monitor", json=_north(600), headers=h)
    assert again.json()["incident_id"] == incident_id  # one incident while it is open
    # He goes away: the open incident follows him out of the radius (the guards see him
    # leave); it opens nothing new.
    away = world.client.post(f"{V1}/device/monitor", json=_north(4000), headers=h).json()
    assert away["incident_id"] == incident_id
    gone = world.get("security_a", f"{V1}/incidents/{incident_id}").json()["summary"]["facts"]
    assert 3990 < gone["distance_m"] < 4010
    assert (
        world.client.post(f"{V1}/device/monitor", json=_north(600), headers=h).json()["incident_id"]
        == incident_id
    )
    # A point fixed long ago (a feed catching up) does not say where he is now.
    late = {**_north(100), "taken_at": (clock() - timedelta(minutes=20)).isoformat()}
    old = world.client.post(f"{V1}/device/monitor", json=late, headers=h).json()
    assert old == {"incident_id": None, "stale": True}
    staff = world.get("security_a", f"{V1}/incidents/{incident_id}").json()
    facts = staff["summary"]["facts"]
    assert staff["summary"]["type"] == "proximity" and facts["near"] == "home"
    assert 590 < facts["distance_m"] < 610  # where he is now, not where he was first
    assert abs(facts["latitude"] - _north(600)["latitude"]) < 1e-9
    assert staff["packet"]["offenders"][0]["name"] == "Offender A"
    # Where to send the guards: her home (he is near it), with its address.
    assert staff["packet"]["location"]["latitude"] == HOME[0]
    told = {d["recipient"] for d in staff["deliveries"] if d["message"] == "alert"}
    assert {"victim", "security"} <= told
    # She is told how near he is, never where he is: not in her packet, her incident, or
    # the timeline's lines.
    mine = world.get("victim_a", f"{V1}/incidents/{incident_id}")
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["summary"]["facts"]["distance_m"] == facts["distance_m"]
    assert f"{_north(600)['latitude']:.4f}" not in mine.text
    assert f"{_north(600)['longitude']:.4f}" not in mine.text
    assert body["summary"]["facts"]["latitude"] is None
    assert "latitude" not in body["packet"]["incident"]["facts"]
    said = [e["facts"]["signal"] for e in body["timeline"] if (e["facts"] or {}).get("signal")]
    assert said and all(s["latitude"] is None for s in said)
    # His monitor is linked to her case but is not one of her devices.
    mine_case = world.get("victim_a", f"{V1}/me/case").json()
    assert all(d["kind"] != "offender_monitor" for d in mine_case["devices"])


def test_near_where_her_watch_last_was_and_not_once_that_is_old(world: World, clock: Clock) -> None:
    monitor = {"Authorization": f"Bearer {world.device('offender_monitor', 'MON-A2')}"}
    watch = {"Authorization": f"Bearer {world.device('smartwatch', 'W-A2')}"}
    away = (33.60, 126.50)  # she is 11 km north of her home
    r = world.client.post(f"{V1}/device/location", json=_north(0, away), headers=watch)
    assert r.status_code == 200, r.text
    clock.advance(20 * 60)  # her last fix is 20 min old: it says nothing about now
    r = world.client.post(f"{V1}/device/monitor", json=_north(-800, away), headers=monitor)
    assert r.json()["incident_id"] is None
    r = world.client.post(f"{V1}/device/location", json=_north(0, away), headers=watch)
    r = world.client.post(f"{V1}/device/monitor", json=_north(-800, away), headers=monitor)
    incident_id = r.json()["incident_id"]
    assert incident_id
    d = world.get("security_a", f"{V1}/incidents/{incident_id}").json()
    assert d["summary"]["facts"]["near"] == "last_fix"
    # The guards go where she is, not to the empty home.
    assert abs(d["packet"]["location"]["latitude"] - away[0]) < 1e-9


def test_only_a_monitor_feeds_positions(world: World) -> None:
    watch = {"Authorization": f"Bearer {world.device('smartwatch', 'W-A3')}"}
    r = world.client.post(f"{V1}/device/monitor", json=_north(100), headers=watch)
    assert r.status_code == 403


def test_a_replayed_track_through_the_real_api_opens_one_incident(
    world: World, live_hub: LiveHub, session_factory: sessionmaker[Session]
) -> None:
    secret = world.device("offender_monitor", "MON-A4")
    track = approach(*HOME, from_m=3000, to_m=500, step_m=500, every_s=60)
    said: list[str] = []
    answers = replay(live_hub.url, secret, track, speed=600, say=said.append)
    assert [a.status for a in answers] == [200] * len(track)
    opened = {a.incident_id for a in answers if a.incident_id}
    assert [a.incident_id is not None for a in answers] == [False, False, True, True, True, True]
    assert len(opened) == 1 and len(said) == len(track)
    with session_factory() as s:
        [incident] = s.scalars(select(Incident).where(Incident.type == "proximity")).all()
        assert incident.facts is not None and incident.facts.distance_m == 500


def test_a_case_sets_its_own_radius_and_her_safe_accommodation_counts(world: World) -> None:
    case = f"{V1}/cases/{world.cases['a']}"
    r = world.patch("officer_a", case, {"proximity_radius_m": 500})
    assert r.status_code == 200 and r.json()["proximity_radius_m"] == 500
    monitor = {"Authorization": f"Bearer {world.device('offender_monitor', 'MON-A5')}"}
    r = world.client.post(f"{V1}/device/monitor", json=_north(600), headers=monitor)
    assert r.json()["incident_id"] is None  # 600 m: outside this case's 500 m
    stay_at = (33.40, 126.60)
    stay = {
        "place_name": "shelter",
        "address": "not disclosed",
        "latitude": stay_at[0],
        "longitude": stay_at[1],
        "check_in": str(date.today() - timedelta(days=1)),
        "planned_check_out": str(date.today() + timedelta(days=12)),
    }
    assert world.post("caseworker_a", f"{case}/stays", stay).status_code == 201
    r = world.client.post(f"{V1}/device/monitor", json=_north(300, stay_at), headers=monitor)
    incident_id = r.json()["incident_id"]
    assert incident_id
    d = world.get("security_a", f"{V1}/incidents/{incident_id}").json()
    assert d["summary"]["facts"]["near"] == "safe_stay"
    # The guards go to the safe accommodation, where she is staying.
    location = d["packet"]["location"]
    assert (location["latitude"], location["longitude"]) == stay_at
