"""Fault injection: the hub's clip disk fills up during a burst. The victim is still alerted
at once (without the snapshot), clips are answered 507 and stay in the camera's outbox, and
when space is freed everything arrives: events sent = stored = alerted, 0 lost."""

from __future__ import annotations

import errno
import uuid
from pathlib import Path

from sqlalchemy import select

from safewatch.models import CameraEventRecord, Delivery
from safewatch.store.clips import ClipStore
from safewatch.vision.delivery import HubClient, Sender
from safewatch.vision.outbox import Outbox
from tests.live import LiveHub, event, jpeg, tiny_mp4, wait_until
from tests.world import World


class FillingDisk:
    """The hub's clip store, on a disk that is full while ``full`` is set."""

    def __init__(self, inner: ClipStore) -> None:
        self.inner, self.full, self.refused = inner, False, 0

    def put(self, name: str, data: bytes) -> None:
        if self.full:
            self.refused += 1
            raise OSError(errno.ENOSPC, "No space left on device", name)
        self.inner.put(name, data)

    def path(self, name: str) -> Path:
        return self.inner.path(name)

    def delete(self, name: str) -> None:
        self.inner.delete(name)


def test_a_full_clip_disk_delays_pictures_never_an_alert(
    world: World, live_hub: LiveHub, tmp_path: Path
) -> None:
    camera = world.device("camera", "CAM-FULL")
    app = live_hub.app
    assert app is not None
    disk = FillingDisk(app.state.clip_store)
    app.state.clip_store = app.state.intake.store = disk  # what routes and the writer use
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.3)
    sender = Sender(outbox, HubClient(live_hub.url, lambda _camera: camera))
    sender.start()
    sent: list[uuid.UUID] = []
    try:
        disk.full = True
        for i in range(12):
            e = event(t=float(i)).model_copy(update={"track": i})
            outbox.put_event(e, jpeg())
            outbox.put_clip(e.id, "front", tiny_mp4(tmp_path / f"clip{i}.mp4"), None)
            sent.append(e.id)
        # Every event is stored and alerted while the disk is full; the clips wait.
        wait_until(lambda: len(_stored(world)) == 12)
        assert outbox.counts().get("pending", 0) > 0 and disk.refused > 0
        stored = _stored(world)
        assert all(r.snapshot_name is None and "snapshot_not_stored" in r.flags for r in stored)
        assert all(r.clip_name is None for r in stored)
        with world.factory() as s:
            incidents = {d.incident_id for d in s.scalars(select(Delivery))}
        assert {r.incident_id for r in stored} <= incidents  # each one's alert went out

        disk.full = False  # an operator freed space
        wait_until(lambda: outbox.counts() == {"sent": 24})
    finally:
        sender.close()
        sender.client.close()
        outbox.close()
    stored = _stored(world)
    assert [r.id for r in stored] == sent  # sent = stored, once each, in order
    assert all(r.clip_name for r in stored)  # and every clip arrived in the end


def _stored(world: World) -> list[CameraEventRecord]:
    with world.factory() as s:
        return list(s.scalars(select(CameraEventRecord).order_by(CameraEventRecord.video_t)))


def test_a_clip_waiting_for_space_never_holds_back_a_newer_alert(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=60)
    first, second = event(t=1.0), event(t=2.0)
    clip = tiny_mp4(tmp_path / "clip.mp4")
    outbox.put_event(first, b"")
    outbox.put_clip(first.id, "front", clip, None)
    outbox.put_event(second, b"")
    outbox.put_clip(second.id, "front", clip, None)
    head, _ = outbox.next_due()
    assert head is not None and (head.kind, head.event_id) == ("event", first.id)
    outbox.mark_sent(head)
    # The second event goes before the first event's clip: alerts first.
    head, _ = outbox.next_due()
    assert head is not None and (head.kind, head.event_id) == ("event", second.id)
    assert [i.event_id for i in outbox.next_due_events(10)] == [second.id]
    outbox.mark_failed(head, "hub unreachable")  # and a clip never goes before its own event
    head, _ = outbox.next_due()
    assert head is not None and (head.kind, head.event_id) == ("clip", first.id)
    outbox.mark_failed(head, "507: the hub's storage is full")
    head, wait = outbox.next_due()
    assert head is None and wait > 0  # the second's clip waits for its event
    outbox.close()
