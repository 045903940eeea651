"""Camera events from a worker's outbox to the hub: device credentials, idempotency, clips,
who may see them, and a hub outage in the middle of a burst that loses nothing."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from sqlalchemy import select

from safewatch.models import CameraEventRecord
from safewatch.vision.delivery import HubClient, Sender
from safewatch.vision.outbox import Outbox
from tests.live import LiveHub, event, jpeg, send_with_media, tiny_mp4, wait_until
from tests.world import World

V1 = "/api/v1"


def _stored(world: World) -> list[CameraEventRecord]:
    with world.factory() as s:
        # A backlog arrives in batches (one received_at each): within one, the order raised.
        order = (CameraEventRecord.received_at, CameraEventRecord.occurred_at)
        return list(s.scalars(select(CameraEventRecord).order_by(*order)))


def test_hub_outage_during_a_burst_loses_nothing(
    world: World, camera_secret: str, live_hub: LiveHub, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.3)
    sender = Sender(outbox, HubClient(live_hub.url, lambda _camera: camera_secret))
    sender.start()
    sent: list[uuid.UUID] = []
    try:
        for i in range(30):
            if i == 10:
                live_hub.stop()  # the hub dies in the middle of the burst
            if i == 25:
                live_hub.start()  # and comes back
            e = event(t=float(i))
            outbox.put_event(e, jpeg())
            outbox.put_clip(e.id, "front", tiny_mp4(tmp_path / f"clip{i}.mp4"), None)
            sent.append(e.id)
            if 10 <= i < 25:
                assert outbox.counts().get("pending", 0) > 0  # queued on disk meanwhile
            time.sleep(0.02)
        wait_until(lambda: outbox.counts() == {"sent": 60})
    finally:
        sender.close()
        sender.client.close()
    stored = _stored(world)
    assert [r.id for r in stored] == sent  # every event, once, in the order it happened
    assert all(r.clip_name and r.snapshot_name for r in stored)
    assert all(r.case_id == world.cases["a"] for r in stored)
    assert list(tmp_path.glob("clip*.mp4")) == []  # what the hub has is not kept on the camera
    outbox.close()


def test_the_same_event_twice_is_stored_once(world: World, camera_secret: str) -> None:
    e = event()
    headers = {"Authorization": f"Bearer {camera_secret}"}
    files = {"snapshot": ("s.jpg", jpeg(), "image/jpeg")}
    first = world.client.post(
        f"{V1}/device/events", headers=headers, data={"event": e.model_dump_json()}, files=files
    )
    again = world.client.post(
        f"{V1}/device/events", headers=headers, data={"event": e.model_dump_json()}, files=files
    )
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert len(_stored(world)) == 1


def test_events_are_shown_to_the_people_of_the_case(
    world: World, camera_secret: str, tmp_path: Path
) -> None:
    e = event(type_="offender_recognized")
    clip = tiny_mp4(tmp_path / "c.mp4").read_bytes()
    send_with_media(world.client, camera_secret, e, jpeg(), clip)
    for user in ("victim_a", "security_a", "officer_a"):
        page = world.get(user, f"{V1}/cases/{world.cases['a']}/events").json()
        assert [i["type"] for i in page["items"]] == ["offender_recognized"], user
        assert page["items"][0]["has_clip"] is True
        got = world.get(user, f"{V1}/events/{e.id}/clip")
        assert got.status_code == 200 and got.content == clip
        assert (
            world.get(user, f"{V1}/events/{e.id}/snapshot").headers["content-type"] == "image/jpeg"
        )
    for user in ("victim_b", "security_b", "officer_b"):
        assert world.get(user, f"{V1}/events/{e.id}/clip").status_code == 403, user
    assert world.get("dispatcher", f"{V1}/events/{e.id}/clip").status_code == 403


def test_a_missing_clip_is_recorded_with_its_reason(world: World, camera_secret: str) -> None:
    e = event()
    headers = {"Authorization": f"Bearer {camera_secret}"}
    world.client.post(f"{V1}/device/events", headers=headers, data={"event": e.model_dump_json()})
    reason = "clip not saved: [Errno 28] No space left on device"
    r = world.client.post(
        f"{V1}/device/events/{e.id}/clip-missing", headers=headers, json={"reason": reason}
    )
    assert r.status_code == 200
    got = world.get("officer_a", f"{V1}/events/{e.id}/clip")
    assert got.status_code == 404 and "No space left" in got.json()["detail"]


def test_only_installed_cameras_may_send(world: World, camera_secret: str) -> None:
    watch = world.post("officer_a", f"{V1}/devices", {"kind": "smartwatch", "serial": "W-1"}).json()
    watch_secret = world.post("officer_a", f"{V1}/devices/{watch['id']}/credential").json()[
        "secret"
    ]
    loose = world.post("officer_a", f"{V1}/devices", {"kind": "camera", "serial": "CAM-X"}).json()
    loose_secret = world.post("officer_a", f"{V1}/devices/{loose['id']}/credential").json()[
        "secret"
    ]

    def send(secret: str) -> object:
        return world.client.post(
            f"{V1}/device/events",
            data={"event": event().model_dump_json()},
            headers={"Authorization": f"Bearer {secret}"},
        )

    assert send(watch_secret).status_code == 403  # type: ignore[attr-defined]
    r = send(loose_secret)
    assert r.status_code == 409 and "not installed" in r.json()["detail"]  # type: ignore[attr-defined]
    assert send("swd_forged").status_code == 401  # type: ignore[attr-defined]
    r = world.client.post(
        f"{V1}/device/events",
        data={"event": '{"type": "party"}'},
        headers={"Authorization": f"Bearer {camera_secret}"},
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("event ")


def _photo(world: World, side: str, name: str = "face.jpg") -> None:
    case = world.get(f"officer_{side}", f"{V1}/cases/{world.cases[side]}").json()
    oid = case["offenders"][0]["id"]
    r = world.client.post(
        f"{V1}/cases/{world.cases[side]}/offenders/{oid}/photos",
        headers=world.h(f"officer_{side}"),
        files={"file": (name, jpeg(size=(120, 120), seed=side), "image/jpeg")},
    )
    assert r.status_code == 201, r.text


def test_a_camera_gets_its_cases_watch_list_and_no_other_cases_face(
    world: World, camera_secret: str
) -> None:
    _photo(world, "a")
    _photo(world, "b")
    r = world.client.get(
        f"{V1}/device/face-lists", headers={"Authorization": f"Bearer {camera_secret}"}
    )
    assert r.status_code == 200, r.text
    lists = r.json()
    assert [w["name"] for w in lists["watch"]] == ["Offender A"]
    assert len(lists["watch"][0]["vectors"]) == 1 and len(lists["watch"][0]["vectors"][0]) == 128
    # Offender B's template stays at the hub: not even as a bare vector of a "cohort".
    assert lists["cohort"] == [] and "Offender B" not in r.text
    assert lists["scoring"] == "distance"
    trail = world.get("admin", f"{V1}/audit").json()["items"]
    assert any(
        e["entity"] == "face_templates" and "(1 watched, 0 allowed)" in e["reason"] for e in trail
    )
