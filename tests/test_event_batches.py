"""A camera worker's events in one request: each event answered as the single route would
answer it, one transaction for all, the incidents and alerts the same as one by one; and the
worker's outbox sends a backlog that way."""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from safewatch.bus.messages import CameraEvent
from safewatch.models import CameraEventRecord
from safewatch.vision.delivery import HubClient, Sender
from safewatch.vision.outbox import Outbox, OutboxItem
from tests.live import LiveHub, event, jpeg
from tests.world import World

V1 = "/api/v1"


def _camera(world: World, serial: str, side: str = "a") -> tuple[str, str]:
    """(device id, credential) of a camera installed at side's case."""
    officer = f"officer_{side}"
    dev = world.post(officer, f"{V1}/devices", {"kind": "camera", "serial": serial}).json()
    world.post(officer, f"{V1}/devices/{dev['id']}/assign", {"case_id": str(world.cases[side])})
    secret = world.post(officer, f"{V1}/devices/{dev['id']}/credential").json()["secret"]
    return dev["id"], secret


def _item(camera: int, e: CameraEvent, snapshot: bytes | None = None) -> dict[str, Any]:
    return {
        "camera": camera,
        "event": e.model_dump(mode="json"),
        "snapshot": base64.b64encode(snapshot).decode() if snapshot else None,
    }


def _batch(world: World, secrets: list[str], items: list[dict[str, Any]]) -> Any:
    return world.client.post(
        f"{V1}/device/events/batch",
        json={"events": items},
        headers={"Authorization": "Bearer " + ",".join(secrets)},
    )


def _with_track(e: CameraEvent, track: int, camera: str = "front") -> CameraEvent:
    return e.model_copy(update={"track": track, "camera": camera, "id": uuid.uuid4()})


def test_each_event_of_a_batch_gets_the_answer_it_would_get_alone(world: World) -> None:
    _, door = _camera(world, "CAM-DOOR")
    _, garden = _camera(world, "CAM-GARDEN")
    gone_id, gone = _camera(world, "CAM-GONE")
    assert world.client.delete(
        f"{V1}/devices/{gone_id}/credential", headers=world.h("officer_a")
    ).is_success
    first = _with_track(event(), 1, "door")
    repeat_of_track = _with_track(event(), 1, "door")
    other_track = _with_track(event(), 2, "garden")
    from_revoked = _with_track(event(), 3, "gone")
    bad_snapshot = _with_track(event(), 4, "garden")
    items = [
        _item(0, first, jpeg()),
        _item(0, repeat_of_track),
        _item(1, other_track, jpeg()),
        _item(2, from_revoked),
        _item(1, bad_snapshot, b"GIF89a not a jpeg"),
        _item(0, first, jpeg()),  # sent twice in the same batch
        _item(7, _with_track(event(), 5)),  # no such credential in the header
    ]
    r = _batch(world, [door, garden, gone], items)
    assert r.status_code == 200, r.text
    answers = r.json()["results"]
    assert [a["status"] for a in answers] == [201, 201, 201, 401, 422, 200, 422]
    assert answers[3]["error"] == "this device credential was revoked"
    assert answers[4]["error"] == "the snapshot must be a JPEG"
    assert [a["id"] for a in answers[:3]] == [
        str(first.id),
        str(repeat_of_track.id),
        str(other_track.id),
    ]

    with world.factory() as s:
        stored = {r.id: r for r in s.scalars(select(CameraEventRecord))}
    assert set(stored) == {first.id, repeat_of_track.id, other_track.id}
    assert stored[first.id].snapshot_name and not stored[repeat_of_track.id].snapshot_name
    # The repeat of track 1 joined the door's incident; the garden's track is its own.
    assert stored[first.id].incident_id == stored[repeat_of_track.id].incident_id
    assert stored[other_track.id].incident_id != stored[first.id].incident_id
    incidents = world.get("security_a", f"{V1}/incidents").json()["items"]
    assert sorted(i["summary"] for i in incidents) == [
        "intrusion in yard (door)",
        "intrusion in yard (garden)",
    ]
    door_incident = next(i for i in incidents if "(door)" in i["summary"])
    detail = world.get("security_a", f"{V1}/incidents/{door_incident['id']}").json()
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds[:4] == ["created", "notified", "notified", "joined"]
    # Both incidents told the victim and the security company, on every channel.
    told = {(d["recipient"], d["channel"]) for d in detail["deliveries"] if d["message"] == "alert"}
    assert told == {
        ("victim", "in_app"),
        ("victim", "web_push"),
        ("victim", "sms"),
        ("security", "in_app"),
    }


def test_a_batch_from_no_valid_camera_is_refused(world: World) -> None:
    r = _batch(world, ["swd_not-a-real-credential"], [_item(0, event())])
    assert r.status_code == 401
    assert r.json()["detail"] == "unknown device credential"
    r = world.client.post(f"{V1}/device/events/batch", json={"events": [_item(0, event())]})
    assert r.status_code == 401


def test_an_upgrade_within_a_batch_tells_whoever_the_new_type_adds(world: World) -> None:
    _, door = _camera(world, "CAM-DOOR")
    seen = _with_track(event(), 9, "door")
    named = _with_track(event(type_="offender_recognized"), 9, "door")
    r = _batch(world, [door], [_item(0, seen), _item(0, named)])
    assert [a["status"] for a in r.json()["results"]] == [201, 201]
    [incident] = world.get("dispatcher", f"{V1}/incidents").json()["items"]
    assert incident["type"] == "offender_recognized" and incident["police_status"] == "requested"
    detail = world.get("dispatcher", f"{V1}/incidents/{incident['id']}").json()
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds == [
        "created",
        "notified",
        "notified",
        "joined",
        "upgraded",
        "notified",
        "police_requested",
    ]


def test_a_backlog_of_several_cameras_drains_in_one_request(
    world: World, live_hub: LiveHub, tmp_path: Path
) -> None:
    _, door = _camera(world, "CAM-DOOR")
    _, garden = _camera(world, "CAM-GARDEN")
    secrets = {"door": door, "garden": garden}
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.3)
    client = HubClient(live_hub.url, lambda camera: secrets[camera])
    requests: list[int] = []
    send_events = client.send_events

    def counting(items: list[OutboxItem]) -> list[Any]:
        requests.append(len(items))
        return send_events(items)

    client.send_events = counting  # type: ignore[method-assign]
    sent = []
    for k in range(40):  # queued while the worker was cut off from the hub
        e = _with_track(event(t=float(k)), k, "door" if k % 2 else "garden")
        outbox.put_event(e, jpeg())
        sent.append(e.id)
    sender = Sender(outbox, client)
    sender.start()
    try:
        deadline = time.monotonic() + 30
        while outbox.counts() != {"sent": 40}:
            assert time.monotonic() < deadline, outbox.counts()
            time.sleep(0.05)
    finally:
        sender.close()
        client.close()
        outbox.close()
    assert requests == [40]
    with world.factory() as s:
        stored = list(s.scalars(select(CameraEventRecord).order_by(CameraEventRecord.occurred_at)))
    assert [r.id for r in stored] == sent
    assert all(r.snapshot_name for r in stored)
    assert (
        len(world.get("security_a", f"{V1}/incidents", params={"size": 100}).json()["items"]) == 40
    )


def test_more_cameras_than_a_batch_may_name_is_refused_with_the_reason(world: World) -> None:
    secrets = [f"swd_camera-{k:03d}-credential" for k in range(65)]
    r = _batch(world, secrets, [_item(0, event())])
    assert r.status_code == 422
    assert r.json()["detail"] == "at most 64 camera credentials in one request"


def test_a_batch_the_hub_refuses_as_a_whole_is_sent_event_by_event(
    world: World, live_hub: LiveHub, tmp_path: Path, monkeypatch: Any
) -> None:
    """A worker that batches more than this hub takes (a newer worker, an older hub) loses
    nothing: the refused batch's events go one by one."""
    from safewatch.vision import delivery

    monkeypatch.setattr(delivery, "BATCH", 250)  # the hub takes at most 200 in one request
    _, door = _camera(world, "CAM-DOOR")
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.3)
    for k in range(210):
        outbox.put_event(_with_track(event(t=float(k)), k, "door"), b"")
    sender = Sender(outbox, HubClient(live_hub.url, lambda _camera: door))
    try:
        while sender.drain_once():
            pass
        assert outbox.counts() == {"sent": 210}
    finally:
        sender.client.close()
        outbox.close()
    with world.factory() as s:
        assert len(list(s.scalars(select(CameraEventRecord)))) == 210


def test_a_request_that_fails_its_group_does_not_take_the_others_down(
    world: World, monkeypatch: Any
) -> None:
    """Requests written together are written again one by one when their group fails: only
    the request that caused it gets the error."""
    from safewatch.alerts.intake import EventIntake, Sent, _Request
    from safewatch.services import camera_events

    _, door = _camera(world, "CAM-DOOR")
    poison = _with_track(event(), 66, "door")
    ingest = camera_events.ingest

    def failing_on_poison(session: Any, store: Any, routing: Any, items: Any, *rest: Any) -> Any:
        if any(i.event.id == poison.id for i in items):
            raise RuntimeError("disk I/O error")  # as a database would fail a transaction
        return ingest(session, store, routing, items, *rest)

    monkeypatch.setattr(camera_events, "ingest", failing_on_poison)
    intake: EventIntake = world.client.app.state.intake  # type: ignore[attr-defined]
    good = [_with_track(event(), k, "door") for k in range(3)]
    group = [
        _Request([door], [Sent(0, good[0])]),
        _Request([door], [Sent(0, poison)]),
        _Request([door], [Sent(0, good[1]), Sent(0, good[2])]),
    ]
    intake._write_group(group)  # as the writer thread does with what waited together
    first, failed, last = (request.answers for request in group)
    assert isinstance(failed.exception(), RuntimeError)
    assert [a.created for a in first.result() + last.result()] == [True, True, True]
    with world.factory() as s:
        stored = {r.id for r in s.scalars(select(CameraEventRecord))}
    assert stored == {e.id for e in good}
