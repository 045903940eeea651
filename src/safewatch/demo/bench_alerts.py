"""``safewatch bench alerts``: N phones on the real-time stream, M camera events per second,
through the real hub (uvicorn, SQLite in a temporary folder); the time from the camera's
trigger (just before its POST) to the first phone that shows the alert; the hub hop (the
alert published once its transaction committed → the phone); and the incident's opening in the
hub (inside that transaction) → the phone."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from safewatch.bus.messages import CameraEvent
from safewatch.core.config import Settings
from safewatch.demo.seed import DEMO_PASSWORD
from safewatch.demo.server import Dispatch112, free_port
from safewatch.store import migrate
from safewatch.store.db import make_engine, make_session_factory, transaction

V1 = "/api/v1"
ZONE = re.compile(r" in z(\d+) ")


@dataclass
class AlertBench:
    clients: int
    cases: int
    rate: float
    seconds: float
    sent: int = 0
    accepted: int = 0
    received: int = 0
    trigger_ms: list[float] = field(default_factory=list)
    hop_ms: list[float] = field(default_factory=list)  # durable (published) → phone
    open_ms: list[float] = field(default_factory=list)  # the incident's opening → phone
    send_errors: int = 0
    hub_cpu_s: float = 0.0  # the hub process while events are sent (+3 s to drain)
    sos_console_ms: list[float] = field(default_factory=list)
    sos_webhook_ms: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

        return {
            "clients": self.clients,
            "cases": self.cases,
            "target_events_per_s": self.rate,
            "seconds": self.seconds,
            "events_sent": self.sent,
            "events_accepted": self.accepted,
            "send_errors": self.send_errors,
            "accepted_per_s": round(self.accepted / self.seconds, 1),
            "alerts_received": self.received,
            "trigger_to_phone_ms": {
                "p50": pct(self.trigger_ms, 0.5),
                "p99": pct(self.trigger_ms, 0.99),
                "mean": round(statistics.fmean(self.trigger_ms), 2) if self.trigger_ms else None,
            },
            "hub_hop_ms": {"p50": pct(self.hop_ms, 0.5), "p99": pct(self.hop_ms, 0.99)},
            "opening_to_phone_ms": {
                "p50": pct(self.open_ms, 0.5),
                "p99": pct(self.open_ms, 0.99),
            },
            "sos_presses": len(self.sos_console_ms),
            "sos_to_console_ms": {
                "p50": pct(self.sos_console_ms, 0.5),
                "p99": pct(self.sos_console_ms, 0.99),
            },
            "sos_to_112_webhook_ms": {
                "p50": pct(self.sos_webhook_ms, 0.5),
                "p99": pct(self.sos_webhook_ms, 0.99),
            },
            "hub_cpu_s_per_event": round(self.hub_cpu_s / max(self.accepted, 1), 4),
            "hub_cpu_share_of_one_core": round(self.hub_cpu_s / (self.seconds + 3.0), 2),
        }


async def _setup(http: httpx.AsyncClient, cases: int) -> list[tuple[str, str]]:
    """``cases`` protected persons, each with an app account and an installed camera:
    (victim token, camera secret) per case."""

    async def login(user: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        r = await http.post(f"{V1}/auth/login", json={"username": user, "password": password})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    admin, officer = await login("admin"), await login("officer")
    agencies = (await http.get(f"{V1}/agencies", headers=admin)).json()
    company = next(a["id"] for a in agencies if a["kind"] == "security_company")
    out = []
    for k in range(cases):
        user = {
            "username": f"bench-victim-{k}",
            "full_name": f"Bench Victim {k}",
            "password": "bench-password-123",
            "role": "protected_person",
        }
        r = await http.post(f"{V1}/users", json=user, headers=admin)
        r.raise_for_status()
        case = {
            "protected_person": {
                "full_name": f"Bench Victim {k}",
                "phone": f"010-9000-{k:04d}",
                "address": f"{k} Bench-ro, Jeju",
            },
            "protected_user_id": r.json()["id"],
            "security_company_id": company,
        }
        r = await http.post(f"{V1}/cases", json=case, headers=officer)
        r.raise_for_status()
        case_id = r.json()["id"]
        device = {"kind": "camera", "serial": f"BENCH-CAM-{k:04d}"}
        r = await http.post(f"{V1}/devices", json=device, headers=officer)
        r.raise_for_status()
        device_id = r.json()["id"]
        r = await http.post(
            f"{V1}/devices/{device_id}/assign", json={"case_id": case_id}, headers=officer
        )
        r.raise_for_status()
        r = await http.post(f"{V1}/devices/{device_id}/credential", headers=officer)
        r.raise_for_status()
        victim = await login(user["username"], user["password"])
        out.append((victim["Authorization"].split()[1], r.json()["secret"]))
    return out


async def _listen(
    url: str, token: str, bench: AlertBench, sent_at: dict[int, float], ready: asyncio.Event
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = httpx.Timeout(10, read=None)
    async with (
        httpx.AsyncClient(base_url=url, timeout=timeout) as http,
        http.stream("GET", f"{V1}/stream", headers=headers) as response,
    ):
        ready.set()
        kind = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "alert":
                now = time.time()
                data = json.loads(line[6:])
                found = ZONE.search(data["incident"]["summary"])
                if found is None:
                    continue
                seq = int(found.group(1))
                start = sent_at.pop(seq, None)
                if start is None:
                    continue  # another phone of the same person was first
                bench.received += 1
                bench.trigger_ms.append((now - start) * 1000)
                opened = datetime.fromisoformat(data["incident"]["opened_at"]).timestamp()
                bench.open_ms.append((now - opened) * 1000)
                bench.hop_ms.append((now - data["published_at"]) * 1000)


async def _send_events(
    url: str, cameras: list[str], bench: AlertBench, sent_at: dict[int, float]
) -> None:
    interval = 1.0 / bench.rate
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        start = time.monotonic()
        tasks = []
        seq = 0
        while time.monotonic() - start < bench.seconds:
            secret = cameras[seq % len(cameras)]
            tasks.append(asyncio.create_task(_one_event(http, secret, seq, bench, sent_at)))
            seq += 1
            next_at = start + seq * interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.gather(*tasks)


async def _one_event(
    http: httpx.AsyncClient, secret: str, seq: int, bench: AlertBench, sent_at: dict[int, float]
) -> None:
    event = CameraEvent(
        site="bench",
        camera="front",
        type="intrusion",
        severity="high",
        at=datetime.now(UTC),
        video_t=float(seq),
        track=seq,
        zone=f"z{seq}",
    )
    bench.sent += 1
    sent_at[seq] = time.time()
    try:
        r = await http.post(
            f"{V1}/device/events",
            data={"event": event.model_dump_json()},
            headers={"Authorization": f"Bearer {secret}"},
        )
    except httpx.HTTPError:
        bench.send_errors += 1
        return
    if r.status_code == 201:
        bench.accepted += 1
    else:
        bench.send_errors += 1


async def _sos_phase(
    url: str, victims: list[str], presses: int, bench: AlertBench, receiver: Dispatch112
) -> None:
    """Victims press SOS one after another; when does the security console see each, and
    when does the 112 system's webhook receive it?"""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.post(
            f"{V1}/auth/login", json={"username": "security", "password": DEMO_PASSWORD}
        )
        console_token = r.json()["access_token"]
    seen: dict[str, float] = {}
    ready = asyncio.Event()

    async def console() -> None:
        headers = {"Authorization": f"Bearer {console_token}"}
        async with (
            httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10, read=None)) as http,
            http.stream("GET", f"{V1}/stream", headers=headers) as response,
        ):
            ready.set()
            kind = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "alert":
                    data = json.loads(line[6:])
                    if data["incident"]["type"] == "sos":
                        seen.setdefault(data["incident"]["id"], time.time())

    task = asyncio.create_task(console())
    await asyncio.wait_for(ready.wait(), 30)
    await asyncio.sleep(0.5)
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for k in range(presses):
            token = victims[k % len(victims)]
            start = time.time()
            r = await http.post(
                f"{V1}/me/sos",
                json={"latitude": 33.5, "longitude": 126.5},
                headers={"Authorization": f"Bearer {token}"},
            )
            r.raise_for_status()
            incident_id = r.json()["incident"]["id"]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (
                incident_id not in seen or incident_id not in receiver.arrivals
            ):
                await asyncio.sleep(0.001)
            if incident_id in seen:
                bench.sos_console_ms.append((seen[incident_id] - start) * 1000)
            if incident_id in receiver.arrivals:
                bench.sos_webhook_ms.append((receiver.arrivals[incident_id] - start) * 1000)
            # The same person's next press would join this SOS: resolve it first.
            await http.post(
                f"{V1}/incidents/{incident_id}/resolve",
                json={"outcome": "resolved", "reason": "benchmark"},
                headers={"Authorization": f"Bearer {console_token}"},
            )
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _run(
    url: str,
    bench: AlertBench,
    sos_presses: int,
    cpu_seconds: Callable[[], float],
    receiver: Dispatch112,
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        pairs = await _setup(http, bench.cases)
    sent_at: dict[int, float] = {}
    readies = []
    listeners = []
    for k in range(bench.clients):
        ready = asyncio.Event()
        readies.append(ready)
        token = pairs[k % len(pairs)][0]
        listeners.append(asyncio.create_task(_listen(url, token, bench, sent_at, ready)))
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
    await asyncio.sleep(1.0)  # every stream subscribed
    before = cpu_seconds()
    await _send_events(url, [p[1] for p in pairs], bench, sent_at)
    await asyncio.sleep(3.0)  # the last alerts arrive
    bench.hub_cpu_s = cpu_seconds() - before
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    if sos_presses:
        await _sos_phase(url, [p[0] for p in pairs], sos_presses, bench, receiver)


def _in_own_loop(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run on a fresh event loop in its own thread: the caller may already have one running
    (a test session with a browser driver, a notebook)."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(make())
        except BaseException as exc:  # handed back to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=target, name="bench-clients")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the hub exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the hub did not start")


def bench_alerts(
    clients: int = 200,
    rate: float = 20.0,
    seconds: float = 10.0,
    cases: int = 20,
    sos_presses: int = 50,
) -> AlertBench:
    """The hub runs as its own process (``safewatch serve``), as in production; the phones
    and cameras are this process."""
    root = Path(tempfile.mkdtemp(prefix="safewatch-bench-"))
    proc: subprocess.Popen[bytes] | None = None
    receiver = Dispatch112()
    try:
        settings = Settings(data_dir=root / "var", web_push=False)
        settings.data_dir.mkdir(parents=True)
        migrate.upgrade(settings.sqlalchemy_url)
        factory = make_session_factory(make_engine(settings.sqlalchemy_url))
        from safewatch.demo import seed as demo_seed

        with transaction(factory) as session:
            demo_seed.seed(session)
        port = free_port()
        env = {
            **os.environ,
            "SAFEWATCH_DATA_DIR": str(settings.data_dir),
            "SAFEWATCH_WEB_PUSH": "false",
            "SAFEWATCH_DATABASE_URL": "",
            "SAFEWATCH_EMERGENCY_WEBHOOK_URL": receiver.url,
            "SAFEWATCH_EMERGENCY_WEBHOOK_SECRET": "bench-webhook-secret-0123",
        }
        cmd = [sys.executable, "-c", "from safewatch.cli import app; app()", "serve"]
        cmd += ["--port", str(port)]
        proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.DEVNULL)  # noqa: S603 - our own CLI
        url = f"http://127.0.0.1:{port}"
        _wait_up(url, proc)
        hub = psutil.Process(proc.pid)

        def cpu_seconds() -> float:
            times = hub.cpu_times()
            return float(times.user + times.system)

        bench = AlertBench(clients, cases, rate, seconds)
        _in_own_loop(lambda: _run(url, bench, sos_presses, cpu_seconds, receiver))
        return bench
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(15)
        receiver.close()
        shutil.rmtree(root, ignore_errors=True)
