"""What the victim and the guards see has bystanders' faces blurred; the camera's unblurred
originals reach the hub beside them and open only for the case's police, who say why — and
each request and opening is in the audit trail. Retention and evidence cover them too."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from safewatch.models import AuditEntry, CameraEventRecord
from safewatch.services.retention import purge
from safewatch.vision.delivery import HubClient, Sender
from safewatch.vision.outbox import Outbox
from tests.live import LiveHub, event, jpeg, send_with_media, tiny_mp4, wait_until
from tests.world import World

V1 = "/api/v1"
BLURRED, ORIGINAL = jpeg(seed="faces blurred"), jpeg(seed="as the camera saw it")
WHY = {"reason": "identify the second man at the door"}


@pytest.fixture
def blurred_event(world: World, camera_secret: str, tmp_path: Path) -> dict[str, Any]:
    e = event()
    clip = tiny_mp4(tmp_path / "shown.mp4").read_bytes()
    original_clip = tiny_mp4(tmp_path / "original.mp4", shade=7).read_bytes()
    assert clip != original_clip
    send_with_media(world.client, camera_secret, e, BLURRED, clip, (ORIGINAL, original_clip))
    return {"id": str(e.id), "clip": clip, "original_clip": original_clip}


def _opened(world: World, url: str | None) -> bytes:
    assert url is not None
    r = world.client.get(url)  # a signed link: no sign-in
    assert r.status_code == 200, r.text
    return r.content


def _audit(world: World, entity: str) -> list[AuditEntry]:
    with world.factory() as s:
        query = select(AuditEntry).where(AuditEntry.entity == entity)
        return list(s.scalars(query.order_by(AuditEntry.seq)))


def test_victim_and_guards_see_the_blurred_pictures(
    world: World, blurred_event: dict[str, Any]
) -> None:
    event_id = blurred_event["id"]
    for user in ("victim_a", "security_a", "caseworker_a", "officer_a"):
        snapshot = world.get(user, f"{V1}/events/{event_id}/snapshot")
        assert snapshot.status_code == 200 and snapshot.content == BLURRED, user
        assert world.get(user, f"{V1}/events/{event_id}/clip").content == blurred_event["clip"]
    [listed] = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/events").json()["items"]
    assert listed["faces_blurred"] is True
    # The alert packets (the victim's phone, the security console) link the blurred ones.
    for user in ("victim_a", "security_a"):
        [incident] = world.get(user, f"{V1}/incidents").json()["items"]
        packet = world.get(user, f"{V1}/incidents/{incident['id']}").json()["packet"]
        assert _opened(world, packet["snapshot_url"]) == BLURRED
        assert _opened(world, packet["clip_url"]) == blurred_event["clip"]


def test_police_open_the_originals_saying_why_and_it_is_audited(
    world: World, blurred_event: dict[str, Any]
) -> None:
    event_id = blurred_event["id"]
    r = world.post("officer_a", f"{V1}/events/{event_id}/originals", WHY)
    assert r.status_code == 200, r.text
    links = r.json()
    assert links["expires_in_seconds"] == 300
    assert _opened(world, links["snapshot_url"]) == ORIGINAL
    assert _opened(world, links["clip_url"]) == blurred_event["original_clip"]

    [request] = _audit(world, "event_original")
    assert request.entity_id == event_id and request.actor_role == "officer"
    assert WHY["reason"] in request.reason
    opened = _audit(world, "event_original_snapshot") + _audit(world, "event_original_clip")
    # Each opening names whom the link was made for, and who asked for it (not "system").
    assert len(opened) == 2
    for entry in opened:
        assert entry.actor_id == world.users["officer_a"], entry
        assert "made for officer" in entry.reason and entry.actor_role == "signed_link"
        assert entry.case_id == world.cases["a"]


def test_the_original_links_expire_after_five_minutes(
    world: World, blurred_event: dict[str, Any]
) -> None:
    links = world.post("officer_a", f"{V1}/events/{blurred_event['id']}/originals", WHY).json()
    signer: Any = world.client.app.state.alerting.links  # type: ignore[attr-defined]
    token = urlsplit(links["snapshot_url"]).path.rsplit("/", 1)[1]
    grant = signer.verify(token)
    assert grant.media == "original_snapshot"
    now = datetime.now(UTC).timestamp()
    assert 290 <= grant.expires - now <= 300
    from safewatch.core.errors import Forbidden

    with pytest.raises(Forbidden, match="expired"):
        signer.verify(token, now=now + 301)


@pytest.mark.parametrize(
    ("user", "status", "detail"),
    [
        ("victim_a", 403, "a protected_person may not do this"),
        ("security_a", 403, "a security_operator may not do this"),
        ("caseworker_a", 403, "a caseworker may not do this"),
        ("admin", 403, "a admin may not do this"),
        ("dispatcher", 403, "a dispatcher may not do this"),
        ("officer_b", 403, "this case is not shared with you"),  # another police station
    ],
)
def test_nobody_else_opens_the_originals(
    world: World, blurred_event: dict[str, Any], user: str, status: int, detail: str
) -> None:
    r = world.post(user, f"{V1}/events/{blurred_event['id']}/originals", WHY)
    assert (r.status_code, r.json()["detail"]) == (status, detail)
    assert _audit(world, "event_original") == []


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  x "}])
def test_no_reason_no_originals(world: World, blurred_event: dict[str, Any], body: Any) -> None:
    r = world.post("officer_a", f"{V1}/events/{blurred_event['id']}/originals", body)
    assert r.status_code == 422, r.text
    assert _audit(world, "event_original") == []


def test_with_nothing_blurred_the_shown_pictures_are_the_originals(
    world: World, camera_secret: str, tmp_path: Path
) -> None:
    e = event()
    clip = tiny_mp4(tmp_path / "c.mp4").read_bytes()
    send_with_media(world.client, camera_secret, e, BLURRED, clip)
    [listed] = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/events").json()["items"]
    assert listed["faces_blurred"] is False
    links = world.post("officer_a", f"{V1}/events/{e.id}/originals", WHY).json()
    assert _opened(world, links["snapshot_url"]) == BLURRED
    assert _opened(world, links["clip_url"]) == clip


def test_a_bad_original_is_refused_and_nothing_is_stored(
    world: World, camera_secret: str, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {camera_secret}"}
    unknown = world.client.put(
        f"{V1}/device/events/{uuid.uuid4()}/original/snapshot", content=ORIGINAL, headers=headers
    )
    assert unknown.status_code == 404  # before its event: the worker sends it after
    e = event()
    send_with_media(
        world.client, camera_secret, e, BLURRED, tiny_mp4(tmp_path / "c.mp4").read_bytes()
    )
    for media, body, why in [
        ("snapshot", b"GIF89a not a jpeg", "the snapshot must be a JPEG"),
        ("snapshot", b"", "the original snapshot is empty"),
        ("clip", ORIGINAL, "the clip must be an MP4 file"),
    ]:
        r = world.client.put(
            f"{V1}/device/events/{e.id}/original/{media}", content=body, headers=headers
        )
        assert (r.status_code, r.json()["detail"]) == (422, why)
    other = world.device("camera", "CAM-B9", side="b")
    r = world.client.put(
        f"{V1}/device/events/{e.id}/original/snapshot",
        content=ORIGINAL,
        headers={"Authorization": f"Bearer {other}"},
    )
    assert (r.status_code, r.json()["detail"]) == (403, "this event came from another device")
    with world.factory() as s:
        record = s.get(CameraEventRecord, e.id)
        assert record is not None
        assert (record.original_snapshot_name, record.original_clip_name) == (None, None)


def test_the_worker_delivers_the_originals_through_its_outbox(
    world: World, camera_secret: str, live_hub: LiveHub, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.3)
    sender = Sender(outbox, HubClient(live_hub.url, lambda _camera: camera_secret))
    e = event()
    shown_clip, original_clip = tiny_mp4(tmp_path / "s.mp4"), tiny_mp4(tmp_path / "o.mp4", 9)
    shown_bytes, original_bytes = shown_clip.read_bytes(), original_clip.read_bytes()
    outbox.put_event(e, BLURRED, ORIGINAL)
    outbox.put_clip(e.id, "front", shown_clip, None, original_clip)
    try:
        wait_until(lambda: sender.drain_once() and outbox.counts() == {"sent": 4}, 30)
    finally:
        sender.client.close()
        outbox.close()
    with world.factory() as s:
        record = s.get(CameraEventRecord, e.id)
        assert record is not None and record.original_snapshot_name and record.original_clip_name
    # Delivered: not kept on the camera, where a stolen one would give them away.
    assert not shown_clip.exists() and not original_clip.exists()
    links = world.post("officer_a", f"{V1}/events/{e.id}/originals", WHY).json()
    assert _opened(world, links["snapshot_url"]) == ORIGINAL
    assert _opened(world, links["clip_url"]) == original_bytes
    assert world.get("victim_a", f"{V1}/events/{e.id}/clip").content == shown_bytes


def test_retention_deletes_the_originals_with_the_rest(
    world: World, blurred_event: dict[str, Any], settings: Any
) -> None:
    app: Any = world.client.app
    with world.factory() as s:
        record = s.get(CameraEventRecord, uuid.UUID(blurred_event["id"]))
        assert record is not None
        names = [record.original_snapshot_name, record.original_clip_name]
    assert all(n and app.state.clip_store.path(n).is_file() for n in names)
    later = datetime.now(UTC) + timedelta(days=settings.clip_retention_days + 1)
    done = purge(
        world.factory,
        app.state.clip_store,
        app.state.enrolment.templates,
        settings.clip_retention_days,
        later,
    )
    assert (done.snapshots, done.clips) == (2, 2)
    assert not any(app.state.clip_store.path(n).exists() for n in names if n)
    deleted = {a.entity for a in _audit(world, "event_original_snapshot")}
    deleted |= {a.entity for a in _audit(world, "event_original_clip")}
    assert deleted == {"event_original_snapshot", "event_original_clip"}


def _evidence(world: World, user: str) -> zipfile.ZipFile:
    [incident] = world.get("officer_a", f"{V1}/incidents").json()["items"]
    r = world.client.get(
        f"{V1}/incidents/{incident['id']}/evidence",
        headers=world.h(user, "prosecution file 2026-77"),
    )
    assert r.status_code == 200, r.text
    return zipfile.ZipFile(io.BytesIO(r.content))


def test_the_polices_evidence_has_the_originals_an_admins_does_not(
    world: World, blurred_event: dict[str, Any]
) -> None:
    event_id = blurred_event["id"]
    police = _evidence(world, "officer_a")
    assert police.read(f"media/{event_id}.original.jpg") == ORIGINAL
    assert police.read(f"media/{event_id}.original.mp4") == blurred_event["original_clip"]
    assert police.read(f"media/{event_id}.jpg") == BLURRED  # what the victim was shown
    assert json.loads(police.read("manifest.json"))["unblurred_originals"] is True
    admin = _evidence(world, "admin")
    assert not [n for n in admin.namelist() if ".original." in n]
    assert json.loads(admin.read("manifest.json"))["unblurred_originals"] is False


def test_an_original_that_overtakes_its_event_is_tried_again(
    world: World, camera_secret: str, live_hub: LiveHub, tmp_path: Path
) -> None:
    """Cluster mode: the event is on the stream, the hub has not taken it yet, and the
    original (over HTTP) arrives first. The hub cannot join it yet; it is sent again."""
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.3)
    sender = Sender(outbox, HubClient(live_hub.url, lambda _camera: camera_secret))
    e = event()
    outbox.put_event(e, BLURRED, ORIGINAL)
    head, _ = outbox.next_due()
    assert head is not None and head.kind == "event"
    outbox.mark_sent(head)  # published to the stream, not yet at the hub
    try:
        assert not sender.drain_once()
        assert outbox.counts() == {"sent": 1, "pending": 1}  # kept, to be tried again
        r = world.client.post(
            f"{V1}/device/events",
            headers={"Authorization": f"Bearer {camera_secret}"},
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", BLURRED, "image/jpeg")},
        )
        assert r.status_code == 201  # the hub takes the event from the stream
        wait_until(lambda: sender.drain_once() or outbox.counts() == {"sent": 2}, 10)
    finally:
        sender.client.close()
        outbox.close()
    links = world.post("officer_a", f"{V1}/events/{e.id}/originals", WHY).json()
    assert _opened(world, links["snapshot_url"]) == ORIGINAL


def test_a_refused_events_originals_are_refused_with_it(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    e = event()
    outbox.put_event(e, BLURRED, ORIGINAL)
    outbox.put_clip(e.id, "front", tmp_path / "c.mp4", None, tmp_path / "o.mp4")
    head, _ = outbox.next_due()
    assert head is not None
    outbox.quarantine(head, "hub answered 422: malformed")
    assert outbox.next_due()[0] is None  # nothing left to send for it
    assert outbox.counts() == {"quarantined": 4}
    # A clip cut after its event was refused is refused as it is stored.
    later = event()
    outbox.put_event(later, BLURRED)
    head, _ = outbox.next_due()
    assert head is not None and head.event_id == later.id
    outbox.quarantine(head, "hub answered 422: malformed")
    outbox.put_clip(later.id, "front", tmp_path / "late.mp4", None, tmp_path / "late.o.mp4")
    assert outbox.next_due()[0] is None and outbox.counts() == {"quarantined": 7}
    outbox.close()
