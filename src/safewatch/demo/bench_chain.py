"""``safewatch bench chain``: trigger frame → victim's phone, for every alert of a video.

The whole chain of ``safewatch demo`` (a fresh hub with the demo region, the demo camera's
worker playing the video in real time, the victim's phone on the real-time stream), with the
whole view a boundary so that each person who appears opens an incident, recognition on
(the offender's photo) and bystanders' faces blurred. For each incident: from
the capture time of the frame that opened it (the event's time) to the moment its alert
reached the phone.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import httpx
from sqlalchemy import select

from safewatch.core.config import Settings
from safewatch.demo import camera as demo_camera
from safewatch.demo.chain import _login, _write_site, start_demo_hub
from safewatch.demo.listener import StreamListener
from safewatch.models import CameraEventRecord


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def bench_chain(video: Path, enrol_photo: Path | None, settle: float = 15.0) -> dict[str, Any]:
    """Plays the video once; returns the latencies (ms) of every incident's alert."""
    from safewatch.vision.config import load_site
    from safewatch.vision.worker import SiteWorker

    root = Path(tempfile.mkdtemp(prefix="safewatch-bench-chain-"))
    factory, hub = start_demo_hub(Settings(data_dir=root / "var", web_push=False))
    phone, worker = None, None
    try:
        with httpx.Client(base_url=hub.url, timeout=30) as http:
            phone = StreamListener(hub.url, _login(http, "victim"), "victim phone").start()
        secret = demo_camera.issue_demo_credential(factory)
        assert secret is not None, "the demo region has no installed camera"
        os.environ[demo_camera.SECRET_ENV] = secret
        watch = None
        if enrol_photo is not None:
            watch = root / "watchlist" / "Offender"
            watch.mkdir(parents=True)
            shutil.copy(enrol_photo, watch / enrol_photo.name)
            watch = watch.parent
        site = _write_site(root / "site", video, hub.url, watch, boundary=True)
        worker = SiteWorker(load_site(site))
        with av.open(str(video)) as container:
            seconds = float(container.duration or 0) / av.time_base
        started, cpu0 = time.monotonic(), time.process_time()
        worker.start()
        time.sleep(seconds + settle)  # the video in real time, then its last alerts
        wall = time.monotonic() - started
        cpu = time.process_time() - cpu0
        with factory() as session:
            events = list(session.scalars(select(CameraEventRecord)))
        alerts: dict[str, float] = {}
        for item in phone.received:
            incident = item.data.get("incident") if item.kind == "alert" else None
            if isinstance(incident, dict):
                alerts.setdefault(str(incident["id"]), item.at)
    finally:
        if phone is not None:
            phone.close()
        if worker is not None:
            worker.close()
        hub.stop()
        shutil.rmtree(root, ignore_errors=True)
    opened: dict[str, datetime] = {}
    for event in events:
        if event.incident_id is not None and event.type != "camera_offline":
            at = event.occurred_at.replace(tzinfo=event.occurred_at.tzinfo or UTC)
            key = str(event.incident_id)
            opened[key] = min(opened.get(key, at), at)
    latencies = [(alerts[k] - at.timestamp()) * 1000 for k, at in opened.items() if k in alerts]
    return {
        "video": str(video),
        "recognition": enrol_photo is not None,
        "blur": True,
        "video_seconds": round(seconds, 1),
        "events": len(events),
        "incidents": len(opened),
        "alerted_on_the_phone": len(latencies),
        "not_alerted": len(opened) - len(latencies),
        "frame_to_phone_ms_p50": _percentile(latencies, 0.5),
        "frame_to_phone_ms_p99": _percentile(latencies, 0.99),
        "frame_to_phone_ms_max": round(max(latencies), 1) if latencies else None,
        "frame_to_phone_ms_mean": round(statistics.fmean(latencies), 1) if latencies else None,
        "process_cpu_s_per_wall_s": round(cpu / wall, 2),
    }
