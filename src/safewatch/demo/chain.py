"""``safewatch demo``: the whole chain on one machine, timed.

A fresh hub (SQLite in a temporary folder, the demo region seeded), the demo camera worker
playing a real video in real time, a simulated victim phone and security console on the
real-time stream, and a stand-in 112 dispatch system receiving the signed webhook. The chain:
the camera sees (the enrolled offender, when a video with his face and enrolment photo is
given; otherwise a person crossing the boundary) → the victim's phone gets the alert → the clip
link follows → the victim presses SOS → the security console and the 112 system get it →
guards and police are dispatched → on scene → resolved. Each step is timed.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import av
import httpx
import yaml
from sqlalchemy.orm import Session, sessionmaker

from safewatch.core.config import Settings
from safewatch.demo import camera as demo_camera
from safewatch.demo.listener import Received, StreamListener
from safewatch.demo.seed import DEMO_PASSWORD
from safewatch.demo.server import BackgroundHub, Dispatch112
from safewatch.store import migrate
from safewatch.store.db import make_engine, make_session_factory, transaction

log = logging.getLogger(__name__)
V1 = "/api/v1"
WEBHOOK_SECRET = "demo-112-webhook-secret"


class ChainError(RuntimeError):
    pass


@dataclass
class Step:
    name: str
    at: float  # time.time()
    detail: str = ""


@dataclass
class ChainReport:
    video: str
    recognition: bool
    steps: list[Step] = field(default_factory=list)
    figures: dict[str, float | str | None] = field(default_factory=dict)
    incidents: list[str] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)

    def step(self, name: str, at: float | None = None, detail: str = "") -> None:
        self.steps.append(Step(name, at if at is not None else time.time(), detail))

    def as_dict(self) -> dict[str, Any]:
        start = self.steps[0].at if self.steps else 0.0
        return {
            "video": self.video,
            "recognition": self.recognition,
            "steps": [
                {
                    "step": s.name,
                    "at": datetime.fromtimestamp(s.at).astimezone().isoformat(),
                    "ms_from_trigger": round((s.at - start) * 1000, 1),
                    "detail": s.detail,
                }
                for s in self.steps
            ],
            "figures": self.figures,
            "incidents": self.incidents,
            "timeline": self.timeline,
        }


def _write_site(
    folder: Path,
    video: Path,
    hub_url: str,
    watch: Path | None,
    boundary: bool | None = None,
) -> Path:
    """``boundary``: the whole view a boundary zone (default: only without recognition)."""
    # With recognition the offender is named anywhere in view; without it, the whole view is
    # the boundary, so the first person seen raises the alert.
    whole_view = watch is None if boundary is None else boundary
    yard = {"name": "yard", "kind": "boundary", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}
    site: dict[str, Any] = {
        "site": "demo-home",
        "hub": {"url": hub_url, "heartbeat_seconds": 15},
        "data_dir": str(folder / "worker"),
        "cameras": [
            {
                "name": "front",
                "source": str(video.resolve()),
                "credential_env": demo_camera.SECRET_ENV,
                "zones": [yard] if whole_view else [],
            }
        ],
    }
    if watch is not None:
        site["faces"] = {"watchlist": str(watch)}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(site, sort_keys=False))
    return path


def _login(http: httpx.Client, username: str) -> str:
    r = http.post(f"{V1}/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    r.raise_for_status()
    token: str = r.json()["access_token"]
    return token


def _clip_seconds(data: bytes, folder: Path) -> float:
    path = folder / "received-clip.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        return round(float(container.duration or 0) / av.time_base, 2)


def _need(item: Received | None, what: str) -> Received:
    if item is None:
        raise ChainError(f"the chain stopped: {what}")
    return item


def start_demo_hub(settings: Settings) -> tuple[sessionmaker[Session], BackgroundHub]:
    """A fresh hub of the demo region in ``settings.data_dir``: migrated, seeded, serving."""
    from safewatch.api.app import create_app
    from safewatch.demo import seed as demo_seed

    settings.data_dir.mkdir(parents=True)
    migrate.upgrade(settings.sqlalchemy_url)
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with transaction(factory) as session:
        demo_seed.seed(session)
    hub = BackgroundHub(lambda: create_app(settings, factory))
    hub.start()
    return factory, hub


def run_chain(
    video: Path,
    enrol_photo: Path | None = None,
    offender_name: str = "Offender",
    timeout: float = 120.0,
    keep: Path | None = None,
) -> ChainReport:
    """Play the whole chain once and return its report (ChainError if a step never comes)."""
    recognition = enrol_photo is not None
    root = Path(tempfile.mkdtemp(prefix="safewatch-demo-"))
    report = ChainReport(str(video), recognition)
    receiver = Dispatch112()
    settings = Settings(
        data_dir=root / "var",
        emergency_webhook_url=receiver.url,
        emergency_webhook_secret=WEBHOOK_SECRET,
    )
    factory, hub = start_demo_hub(settings)
    listeners: list[StreamListener] = []
    worker = None
    try:
        http = httpx.Client(base_url=hub.url, timeout=30)
        tokens = {u: _login(http, u) for u in ("victim", "security", "dispatcher", "officer")}
        phone = StreamListener(hub.url, tokens["victim"], "victim phone").start()
        console = StreamListener(hub.url, tokens["security"], "security console").start()
        listeners += [phone, console]

        secret = demo_camera.issue_demo_credential(factory)
        if secret is None:
            raise ChainError("the demo region has no installed camera")
        os.environ[demo_camera.SECRET_ENV] = secret
        watch = None
        if enrol_photo is not None:
            watch = root / "watchlist" / offender_name
            watch.mkdir(parents=True)
            shutil.copy(enrol_photo, watch / enrol_photo.name)
            watch = watch.parent
        site = _write_site(root / "site", video, hub.url, watch)
        from safewatch.vision.config import load_site
        from safewatch.vision.worker import SiteWorker

        worker = SiteWorker(load_site(site))
        started = time.time()
        worker.start()

        # 1. The camera sees; the victim's phone rings.
        wanted = "offender_recognized" if recognition else None
        alert = _need(
            phone.wait_for(
                lambda r: (
                    r.kind in ("alert", "update")
                    and (wanted is None or r.data["incident"]["type"] == wanted)
                ),
                timeout,
            ),
            "no alert reached the victim's phone",
        )
        incident = alert.data["incident"]
        officer = {"Authorization": f"Bearer {tokens['officer']}"}
        case_id = http.get(f"{V1}/incidents/{incident['id']}", headers=officer).json()["summary"][
            "case_id"
        ]
        case_events = http.get(f"{V1}/cases/{case_id}/events", headers=officer).json()["items"]
        first = min(
            (e for e in case_events if wanted is None or e["type"] == wanted),
            key=lambda e: e["occurred_at"],
        )
        trigger = datetime.fromisoformat(first["occurred_at"]).timestamp()
        received = datetime.fromisoformat(first["received_at"]).timestamp()
        report.step(
            "camera trigger frame",
            trigger,
            f"{first['type']} at {first['video_t']:.1f} s of the video",
        )
        report.step("hub accepted the event", received)
        report.step("victim's phone: alert", alert.at, incident["summary"])
        report.figures["seconds_of_video_before_trigger"] = round(trigger - started, 2)
        report.figures["alert_latency_ms"] = round((alert.at - trigger) * 1000, 1)
        report.figures["hub_hop_ms"] = round((alert.at - received) * 1000, 1)
        report.incidents.append(incident["reference"])

        # 2. The clip follows when its post-roll has ended.
        clip_note = _need(
            phone.wait_for(
                lambda r: (
                    # (the stream's "live" marker after its backlog carries no incident)
                    r.data.get("incident", {}).get("id") == incident["id"]
                    and bool(r.data.get("clip_url"))
                ),
                timeout,
            ),
            "the clip never reached the victim's phone",
        )
        clip = http.get(clip_note.data["clip_url"])
        clip.raise_for_status()
        report.step("victim's phone: clip link", clip_note.at, f"{len(clip.content):,} bytes")
        report.figures["clip_seconds"] = _clip_seconds(clip.content, root)
        report.figures["clip_after_trigger_s"] = round(clip_note.at - trigger, 2)
        victim = {"Authorization": f"Bearer {tokens['victim']}"}
        http.post(f"{V1}/incidents/{incident['id']}/acknowledge", headers=victim).raise_for_status()
        report.step("victim acknowledged")

        # 3. The victim presses SOS: the security console and the 112 system at once.
        seen_before = len(console.received)
        sos_at = time.time()
        sos = http.post(
            f"{V1}/me/sos", json={"latitude": 33.4996, "longitude": 126.5312}, headers=victim
        )
        sos.raise_for_status()
        sos_incident = sos.json()["incident"]
        report.step("victim pressed SOS", sos_at, f"the phone dials {sos.json()['call']}")
        on_console = _need(
            console.wait_for(
                lambda r: r.kind == "alert" and r.data["incident"]["id"] == sos_incident["id"],
                timeout,
                after=seen_before,
            ),
            "the SOS never reached the security console",
        )
        report.step("security console: SOS", on_console.at)
        at_112 = receiver.wait_for(sos_incident["id"], timeout)
        if at_112 is None:
            raise ChainError("the SOS never reached the 112 dispatch system")
        report.step("112 dispatch system: SOS (signed webhook)", at_112)
        report.figures["sos_to_console_ms"] = round((on_console.at - sos_at) * 1000, 1)
        report.figures["sos_to_112_ms"] = round((at_112 - sos_at) * 1000, 1)
        report.incidents.append(sos_incident["reference"])

        # 4. Dual dispatch, arrival, resolution.
        def act(user: str, path: str, body: dict[str, Any] | None = None) -> None:
            r = http.post(
                f"{V1}/incidents/{sos_incident['id']}/{path}",
                json=body or {},
                headers={"Authorization": f"Bearer {tokens[user]}"},
            )
            if r.status_code != 200:
                raise ChainError(f"{user} {path}: {r.status_code} {r.text[:200]}")
            report.step(f"{user}: {path}")

        act("security", "claim")
        act("security", "dispatch", {"unit": "Halla guard team 2"})
        act("dispatcher", "police/accept", {"note": "patrol car 7"})
        act("dispatcher", "police/dispatch", {"note": "patrol car 7 en route"})
        act("security", "arrive")
        act("dispatcher", "police/close", {"note": "offender gone; area patrolled"})
        act("security", "resolve", {"outcome": "resolved", "reason": "victim safe with guards"})
        detail = http.get(f"{V1}/incidents/{sos_incident['id']}", headers=officer).json()
        report.timeline = [
            f"{e['kind']} ({e['recipient'] or e['actor']})" for e in detail["timeline"]
        ]
        report.figures["sos_incident_status"] = detail["summary"]["status"]
        return report
    finally:
        for listener in listeners:
            listener.close()
        if worker is not None:
            worker.close()
        hub.stop()
        receiver.close()
        if keep is not None:
            shutil.copytree(root, keep, dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)
