"""Fault injection, long: the camera↔hub link is cut for 10 minutes while the camera keeps
raising events. The outbox holds them on disk; when the link is back every one arrives,
once, in order. Runs in ``make test-long`` (SAFEWATCH_LONG=1): it takes ten minutes."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from safewatch.models import CameraEventRecord, Incident
from safewatch.vision.delivery import HubClient, Sender
from safewatch.vision.outbox import Outbox
from tests.live import LiveHub, event, jpeg
from tests.world import World

CUT_SECONDS = float(os.environ.get("SAFEWATCH_LINK_CUT_SECONDS", "600"))

pytestmark = pytest.mark.skipif(
    not os.environ.get("SAFEWATCH_LONG"), reason="long suite (ten minutes): make test-long"
)


def test_ten_minutes_without_the_hub_lose_nothing(
    world: World, live_hub: LiveHub, tmp_path: Path
) -> None:
    camera = world.device("camera", "CAM-CUT")
    outbox = Outbox(tmp_path / "outbox.db")  # the worker's own backoff, as deployed
    sender = Sender(outbox, HubClient(live_hub.url, lambda _camera: camera))
    sender.start()
    sent: list[uuid.UUID] = []
    try:
        live_hub.stop()  # the link is cut
        start = time.monotonic()
        while time.monotonic() - start < CUT_SECONDS:
            e = event(t=float(len(sent))).model_copy(update={"track": len(sent)})
            outbox.put_event(e, jpeg())
            sent.append(e.id)
            time.sleep(5)
        assert outbox.counts().get("pending", 0) == len(sent)  # all held on disk
        live_hub.start()  # the link is back
        deadline = time.monotonic() + 180
        while outbox.counts() != {"sent": len(sent)}:
            assert time.monotonic() < deadline, outbox.counts()
            time.sleep(0.5)
        drained = time.monotonic() - start - CUT_SECONDS
    finally:
        sender.close()
        sender.client.close()
        outbox.close()
    with world.factory() as s:
        stored = list(s.scalars(select(CameraEventRecord).order_by(CameraEventRecord.video_t)))
        incidents = len(list(s.scalars(select(Incident.id))))
    assert [r.id for r in stored] == sent and incidents == len(sent)
    print(
        f"\nlink cut {CUT_SECONDS:.0f} s: {len(sent)} events sent, stored and alerted; "
        f"drained {drained:.1f} s after the link came back"
    )  # docs/reliability.md
