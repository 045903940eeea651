"""The demo site: the seeded very-high-risk case's AI cameras, played from recordings.

``safewatch serve --demo`` gives each demo camera a fresh device credential, writes its site
file under ``var/demo/`` and runs a camera worker in the hub's process, looping the video in
real time, so that alerts reach the hub as they would from a real home: the garden camera
sees people walk onto the lawn (intrusion, loitering); the door camera, when a video with an
enrolment photo is at hand (``../shared/data/video``), recognises the offender.
"""

from __future__ import annotations

import threading
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.models import Device
from safewatch.services import devices
from safewatch.services.context import system_record

DEMO_CAMERA_SERIAL = "CAM-JJ-0001"
DOOR_CAMERA_SERIAL = "CAM-JJ-0002"
SECRET_ENV = "SAFEWATCH_DEMO_CAMERA_SECRET"
DOOR_SECRET_ENV = "SAFEWATCH_DEMO_DOOR_CAMERA_SECRET"
YARD, YARD_STAY = "앞마당", "앞마당 서성임"
# vtest.avi's lawn, drawn a little inside its edge with the path (see tests/data/vtest_lawn.yaml).
LAWN = [
    [0.0, 0.455], [0.2, 0.485], [0.3, 0.52], [0.4, 0.58], [0.5, 0.64], [0.6, 0.7],
    [0.7, 0.755], [0.8, 0.805], [0.9, 0.855], [1.0, 0.89], [1.0, 1.0], [0.0, 1.0],
]  # fmt: skip


def issue_demo_credential(
    factory: sessionmaker[Session], serial: str = DEMO_CAMERA_SERIAL
) -> str | None:
    """A new credential for a demo camera (the previous one stops working), or None."""
    with factory() as session, session.begin():
        device = session.scalar(select(Device).where(Device.serial == serial))
        if device is None or device.case_id is None:
            return None
        secret = devices.replace_credential(session, device)
        system_record(session, "create", "device_credential", device.id, "demo camera started")
        return secret


def _hub(hub_url: str, events_url: str | None, **more: int) -> dict[str, object]:
    hub: dict[str, object] = {"url": hub_url, "heartbeat_seconds": 15, **more}
    if events_url:
        hub["events_url"] = events_url  # cluster mode: events to JetStream
    return hub


def write_site(
    folder: Path, video: Path, hub_url: str, events_url: str | None = None, camera: str = "front"
) -> Path:
    site = {
        "site": "yeondong-home",
        "hub": _hub(hub_url, events_url, setup_seconds=15),
        "data_dir": str(folder / "worker"),
        "cameras": [{
            "name": camera,
            "source": str(video.resolve()),
            "credential_env": SECRET_ENV,
            # The yard below stands until an officer redraws it in the hub's site editor. Zones
            # are named by the people who draw them, in the region's language.
            "zones_from_hub": True,
            "zones": [
                {"name": YARD, "kind": "boundary", "polygon": LAWN},
                {"name": YARD_STAY, "kind": "perimeter", "loiter_seconds": 12, "polygon": LAWN},
            ],
        }],
    }  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(site, sort_keys=False, allow_unicode=True))
    return path


def write_door_site(
    folder: Path,
    video: Path,
    hub_url: str,
    enrol_photo: Path,
    offender: str,
    events_url: str | None = None,
) -> Path:
    """The door camera: the offender named anywhere in view. The enrolment photo stands in
    for the case's offender (a real deployment takes the lists from the hub)."""
    watch = folder / "watchlist" / offender
    watch.mkdir(parents=True, exist_ok=True)
    (watch / enrol_photo.name).write_bytes(enrol_photo.read_bytes())
    site = {
        "site": "yeondong-home-door",
        "hub": _hub(hub_url, events_url),
        "data_dir": str(folder / "worker"),
        "faces": {"watchlist": str(watch.parent)},
        "cameras": [{
            "name": "door",
            "source": str(video.resolve()),
            "credential_env": DOOR_SECRET_ENV,
            "zones": [],
        }],
    }  # fmt: skip
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(site, sort_keys=False, allow_unicode=True))
    return path


def start_demo_camera(
    site_file: Path, secret: str, secret_env: str = SECRET_ENV
) -> threading.Thread:
    import os

    from safewatch.vision.config import load_site
    from safewatch.vision.worker import SiteWorker

    os.environ[secret_env] = secret
    site = load_site(site_file)

    def run() -> None:
        # Built here: enrolling the lists takes a while, the hub must not wait for it.
        SiteWorker(site).run_forever()

    thread = threading.Thread(target=run, name=f"demo-camera-{site.site}", daemon=True)
    thread.start()
    return thread
