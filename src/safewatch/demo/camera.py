"""The demo site: the seeded very-high-risk case's AI camera, played from a recording.

``safewatch serve --demo`` gives the demo camera a fresh device credential, writes its site file
under ``var/demo/`` and runs a camera worker in the hub's process, looping the video in real
time, so that intrusions reach the hub as they would from a real home.
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
SECRET_ENV = "SAFEWATCH_DEMO_CAMERA_SECRET"
# vtest.avi's lawn, drawn a little inside its edge with the path (see tests/data/vtest_lawn.yaml).
LAWN = [
    [0.0, 0.455], [0.2, 0.485], [0.3, 0.52], [0.4, 0.58], [0.5, 0.64], [0.6, 0.7],
    [0.7, 0.755], [0.8, 0.805], [0.9, 0.855], [1.0, 0.89], [1.0, 1.0], [0.0, 1.0],
]  # fmt: skip


def issue_demo_credential(factory: sessionmaker[Session]) -> str | None:
    """A new credential for the demo camera (the previous one stops working), or None."""
    with factory() as session, session.begin():
        device = session.scalar(select(Device).where(Device.serial == DEMO_CAMERA_SERIAL))
        if device is None or device.case_id is None:
            return None
        secret = devices.replace_credential(session, device)
        system_record(session, "create", "device_credential", device.id, "demo camera started")
        return secret


def write_site(folder: Path, video: Path, hub_url: str) -> Path:
    site = {
        "site": "demo-home",
        "hub": {"url": hub_url, "heartbeat_seconds": 15},
        "data_dir": str(folder / "worker"),
        "cameras": [{
            "name": "front",
            "source": str(video.resolve()),
            "credential_env": SECRET_ENV,
            "zones": [
                {"name": "lawn", "kind": "boundary", "polygon": LAWN},
                {"name": "lawn-stay", "kind": "perimeter", "loiter_seconds": 12, "polygon": LAWN},
            ],
        }],
    }  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(site, sort_keys=False))
    return path


def start_demo_camera(site_file: Path, secret: str) -> threading.Thread:
    import os

    from safewatch.vision.config import load_site
    from safewatch.vision.worker import SiteWorker

    os.environ[SECRET_ENV] = secret
    worker = SiteWorker(load_site(site_file))
    thread = threading.Thread(target=worker.run_forever, name="demo-camera", daemon=True)
    thread.start()
    return thread
