"""What a camera is told to recognise: the case's offenders while an order is in force, the
case's familiar people (allow list), an anonymous cohort, and its threshold — tightened by
"not the offender" feedback, and picked up by a running worker."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from safewatch.models import FaceThresholdChange
from safewatch.vision.config import SiteConfig
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD
from safewatch.vision.faces.stage import RecognitionStage
from safewatch.vision.worker import SiteWorker
from tests.live import LiveHub, event, jpeg
from tests.world import World

V1 = "/api/v1"


def _lists(world: World, secret: str) -> dict[str, Any]:
    r = world.client.get(f"{V1}/device/face-lists", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def _upload(world: World, user: str, url: str, seed: str) -> Any:
    return world.client.post(
        url,
        headers=world.h(user),
        files={"file": ("face.jpg", jpeg(size=(120, 120), seed=seed), "image/jpeg")},
    )


def _allowed(world: World, side: str, name: str, relation: str = "mother") -> str:
    r = world.post(
        f"caseworker_{side}",
        f"{V1}/cases/{world.cases[side]}/allowed-people",
        {"full_name": name, "relation": relation},
    )
    assert r.status_code == 201, r.text
    pid: str = r.json()["id"]
    url = f"{V1}/cases/{world.cases[side]}/allowed-people/{pid}/photos"
    assert _upload(world, f"caseworker_{side}", url, f"{side}-{name}").status_code == 201
    return pid


def _offender_photo(world: World, side: str, offender_id: str | None = None) -> None:
    case = world.get(f"officer_{side}", f"{V1}/cases/{world.cases[side]}").json()
    oid = offender_id or case["offenders"][0]["id"]
    url = f"{V1}/cases/{world.cases[side]}/offenders/{oid}/photos"
    r = _upload(world, f"officer_{side}", url, f"{side}-{oid}")
    assert r.status_code == 201, r.text


def test_household_members_are_the_allow_list_of_their_case_only(
    world: World, camera_secret: str, settings: Any
) -> None:
    mother = _allowed(world, "a", "Kim Mother")
    _allowed(world, "b", "Lee Carer", "carer")
    lists = _lists(world, camera_secret)
    assert [a["name"] for a in lists["allow"]] == ["Kim Mother"]
    assert lists["watch"] == []  # the offender has no photo yet
    assert lists["cohort"] == [] and "Lee Carer" not in str(lists)  # no other case's face
    assert lists["threshold"] == DEFAULT_THRESHOLD

    # The protected person sees who is on the list; a security operator may not change it.
    seen = world.get("victim_a", f"{V1}/cases/{world.cases['a']}/allowed-people").json()
    assert [(p["full_name"], p["relation"], len(p["photos"])) for p in seen] == [
        ("Kim Mother", "mother", 1)
    ]
    r = world.post(
        "security_a",
        f"{V1}/cases/{world.cases['a']}/allowed-people",
        {"full_name": "X", "relation": "friend"},
    )
    assert r.status_code == 403

    # Taken off the list: the photos and the face templates go with the row.
    templates = Path(settings.data_dir) / "templates"
    assert (templates / f"{mother}.npz").exists()
    r = world.client.delete(
        f"{V1}/cases/{world.cases['a']}/allowed-people/{mother}", headers=world.h("caseworker_a")
    )
    assert r.status_code == 204, r.text
    assert not (templates / f"{mother}.npz").exists()
    assert _lists(world, camera_secret)["allow"] == []
    trail = world.get("admin", f"{V1}/audit").json()["items"]
    assert any(e["entity"] == "allowed_person" and e["action"] == "delete" for e in trail)


def test_an_offender_is_watched_only_while_an_order_is_in_force(
    world: World, camera_secret: str
) -> None:
    case = f"{V1}/cases/{world.cases['a']}"
    ended = {
        "kind": "restraining order",
        "issued_by": "Jeju District Court",
        "starts_on": (date.today() - timedelta(days=60)).isoformat(),
        "ends_on": (date.today() - timedelta(days=1)).isoformat(),
    }
    r = world.post(
        "officer_a", f"{case}/offenders", {"full_name": "Former Partner", "order": ended}
    )
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    _offender_photo(world, "a", oid)
    lists = _lists(world, camera_secret)
    assert lists["watch"] == []  # an ended order lists nobody

    renewed = {**ended, "ends_on": (date.today() + timedelta(days=30)).isoformat()}
    assert world.post("officer_a", f"{case}/offenders/{oid}/orders", renewed).status_code == 201
    lists = _lists(world, camera_secret)
    assert [w["name"] for w in lists["watch"]] == ["Former Partner"]
    assert lists["watch"][0]["expires_on"] == renewed["ends_on"]


def _recognition(
    world: World, secret: str, score: float, type_: str = "offender_recognized"
) -> str:
    e = event(type_=type_).model_copy(update={"identity": "Offender A", "score": score})
    r = world.client.post(
        f"{V1}/device/events",
        data={"event": e.model_dump_json()},
        files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 201, r.text
    return str(e.id)


def test_not_the_offender_tightens_that_cameras_threshold_once(
    world: World, camera_secret: str
) -> None:
    false_match = _recognition(world, camera_secret, score=0.30)
    url = f"{V1}/events/{false_match}/not-the-offender"
    assert world.post("victim_a", url, {"reason": "my neighbour"}).status_code == 403
    assert world.post("security_b", url, {"reason": "my neighbour"}).status_code == 403
    r = world.post("security_a", url, {"reason": "a neighbour, checked on scene"})
    assert r.status_code == 200, r.text
    assert r.json()["before"] == DEFAULT_THRESHOLD and r.json()["after"] == pytest.approx(0.28)
    assert r.json()["scoring"] == "distance"
    assert _lists(world, camera_secret)["threshold"] == pytest.approx(0.28)
    again = world.post("security_a", url, {"reason": "again"})
    assert again.status_code == 409

    # A weaker false match than the current threshold is recorded but changes nothing.
    weaker = _recognition(world, camera_secret, score=0.31)
    r = world.post("officer_a", f"{V1}/events/{weaker}/not-the-offender", {"reason": "postman"})
    assert r.status_code == 200 and r.json()["after"] == pytest.approx(0.28)

    intrusion = _recognition(world, camera_secret, score=0.2, type_="intrusion")
    r = world.post("officer_a", f"{V1}/events/{intrusion}/not-the-offender", {"reason": "x y"})
    assert r.status_code == 422
    trail = world.get("admin", f"{V1}/audit").json()["items"]
    assert any(e["entity"] == "face_threshold" and "0.334 -> 0.280" in e["reason"] for e in trail)


def test_a_threshold_set_in_the_former_scoring_is_history_not_applied(
    world: World, camera_secret: str
) -> None:
    """Before issue 20 thresholds were cohort z-scores (-2.07, tightened to -4.7): as a
    distance, -4.7 would match nobody at all; the camera must get the calibrated distance, and
    the old change stays on record."""
    false_match = _recognition(world, camera_secret, score=0.30)
    r = world.post(
        "security_a", f"{V1}/events/{false_match}/not-the-offender", {"reason": "the son"}
    )
    assert r.status_code == 200, r.text
    with world.factory() as s:
        change = s.scalar(select(FaceThresholdChange))
        assert change is not None
        change.scoring, change.before, change.after = "cohort-z", -2.07, -4.7
        s.commit()
    assert _lists(world, camera_secret)["threshold"] == DEFAULT_THRESHOLD


def test_not_the_offender_on_a_recognition_from_before_the_change_keeps_the_threshold(
    world: World, camera_secret: str
) -> None:
    """An incident open at the upgrade, named under the cohort z-score (-3.1): feedback is
    recorded as that scoring's history; as a distance, -3.12 would match nobody ever again."""
    old = _recognition(world, camera_secret, score=-3.1)
    r = world.post("security_a", f"{V1}/events/{old}/not-the-offender", {"reason": "the son"})
    assert r.status_code == 200, r.text
    assert r.json()["scoring"] == "cohort-z" and r.json()["after"] == DEFAULT_THRESHOLD
    assert _lists(world, camera_secret)["threshold"] == DEFAULT_THRESHOLD


def test_a_new_threshold_change_is_in_the_current_scoring_by_default() -> None:
    from safewatch.vision.faces.matching import SCORING

    column = FaceThresholdChange.__table__.c.scoring
    assert column.default is not None and column.default.arg == SCORING


def test_a_running_worker_picks_up_new_photos_and_a_tightened_threshold(
    world: World,
    camera_secret: str,
    live_hub: LiveHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAM_A1_SECRET", camera_secret)
    site = SiteConfig.model_validate(
        {
            "site": "home-a",
            "cameras": [{"name": "front", "source": "x", "credential_env": "CAM_A1_SECRET"}],
            "hub": {"url": live_hub.url},
            "faces": {"from_hub": True, "refresh_seconds": 5},
            "data_dir": str(tmp_path / "worker"),
        }
    )
    worker = SiteWorker(site)
    try:
        # Nothing enrolled yet: recognition is off, loudly, and the camera still runs.
        assert worker.cameras[0].pipeline.face_stage is None
        assert "no face templates" in worker.face_errors["front"]

        _offender_photo(world, "a")
        worker.refresh_faces()  # one offender in the region is enough: no cohort is needed
        stage = worker.cameras[0].pipeline.face_stage
        assert isinstance(stage, RecognitionStage)
        assert stage.lists.matcher.names == ["Offender A"] and worker.face_errors == {}

        false_match = _recognition(world, camera_secret, score=0.25)
        world.post("officer_a", f"{V1}/events/{false_match}/not-the-offender", {"reason": "son"})
        worker.refresh_faces()
        assert worker.cameras[0].pipeline.face_stage is stage  # the same stage, new lists
        assert stage.threshold == pytest.approx(0.23)

        live_hub.stop()  # the hub is gone: the last lists stay in force
        worker.refresh_faces()
        assert stage.lists.matcher.names == ["Offender A"]
    finally:
        worker.close()
