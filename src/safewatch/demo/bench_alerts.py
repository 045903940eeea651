"""``safewatch bench alerts``: N phones on the real-time stream, M camera events per second,
through the real hub (uvicorn, SQLite in a temporary folder); the time from the camera's
trigger (just before its POST) to the first phone that shows the alert; the hub hop (the
alert published once its transaction committed → the phone); and the incident's opening in the
hub (inside that transaction) → the phone."""

from __future__ import annotations

import asyncio
import functools
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import psutil
import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.bus import jetstream
from safewatch.bus.messages import CameraEvent
from safewatch.core import security
from safewatch.core.config import Settings
from safewatch.core.roles import AgencyKind, Role
from safewatch.core.runtime import tuned_for_alerts
from safewatch.demo.seed import DEMO_PASSWORD
from safewatch.demo.server import Dispatch112, free_port, wait_until_up
from safewatch.models import Agency, LoginToken, User
from safewatch.models.resources import DeviceKind
from safewatch.schemas.cases import CaseCreate, ProtectedPersonIn
from safewatch.schemas.resources import DeviceCreate
from safewatch.services import accounts, devices
from safewatch.services import cases as case_service
from safewatch.services.context import Caller
from safewatch.store import migrate
from safewatch.store.db import make_engine, make_session_factory, transaction
from safewatch.vision.delivery import batch_of

V1 = "/api/v1"
ZONE = re.compile(r" in z(\d+) ")


@dataclass
class AlertBench:
    clients: int
    cases: int
    rate: float
    seconds: float
    workers: int = 10
    replicas: int = 1
    cameras: int = 0  # the cameras that raise events (the first cases'); 0: every case's
    transport: str = "http"  # how cameras send: http (to a hub) or jetstream (cluster mode)
    database: str = "sqlite"
    sent: int = 0
    requests: int = 0
    console_alerts: int = 0
    started: float = 0.0  # monotonic: the first event raised
    started_wall: float = 0.0
    last_accepted: float = 0.0  # monotonic: the hub's answer to the last accepted event
    accepted_in_window: int = 0  # answered while events were still being raised
    # trigger → phone (ms) by the second the event was raised in: a hub that keeps up has
    # the same latency at the end as at the start; one that falls behind, a growing one
    by_second: dict[int, list[float]] = field(default_factory=dict)
    accepted: int = 0
    received: int = 0
    last_received_wall: float = 0.0
    trigger_ms: list[float] = field(default_factory=list)
    hop_ms: list[float] = field(default_factory=list)  # durable (published) → phone
    open_ms: list[float] = field(default_factory=list)  # the incident's opening → phone
    send_errors: int = 0
    hub_cpu_s: float = 0.0  # the hub process while events are sent (+3 s to drain)
    client_cpu_s: float = 0.0  # this process (cameras and phones), the same window
    servers_cpu_s: float = 0.0  # PostgreSQL and nats-server processes, the same window
    sos_console_ms: list[float] = field(default_factory=list)
    sos_webhook_ms: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

        return {
            "replicas": self.replicas,
            "database": self.database,
            "camera_transport": self.transport,
            "clients": self.clients,
            "cases": self.cases,
            "cameras": self.cameras or self.cases,
            "target_events_per_s": self.rate,
            "camera_workers": self.workers,
            "requests": self.requests,
            "events_per_request": round(self.sent / max(self.requests, 1), 2),
            "seconds": self.seconds,
            "events_sent": self.sent,
            "events_accepted": self.accepted,
            "send_errors": self.send_errors,
            # Over the time it took the hub to accept them all, not the time they were raised.
            "accepted_per_s": round(
                self.accepted / max(self.last_accepted - self.started, self.seconds), 1
            ),
            "accepted_per_s_while_raised": round(self.accepted_in_window / self.seconds, 1),
            "trigger_to_phone_p50_ms_by_second": {
                k: pct(v, 0.5) for k, v in sorted(self.by_second.items())
            },
            "drained_s_after_last_event": round(
                max(0.0, self.last_accepted - self.started - self.seconds), 2
            ),
            "alerts_received": self.received,
            # Alerts on the phones per second, from the first event raised to the last alert
            # shown: what the hubs delivered, whichever way the cameras sent.
            "alerts_per_s": round(
                self.received / max(self.last_received_wall - self.started_wall, self.seconds), 1
            ),
            "security_console_alerts": self.console_alerts,
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
            # The simulated cameras and phones share the machine's two cores with the hub.
            "clients_cpu_share_of_one_core": round(self.client_cpu_s / (self.seconds + 3.0), 2),
            # Cluster mode's database and broker (on this machine too; zero when embedded).
            "servers_cpu_s_per_event": round(self.servers_cpu_s / max(self.accepted, 1), 4),
            "servers_cpu_share_of_one_core": round(self.servers_cpu_s / (self.seconds + 3.0), 2),
        }


def _populate(factory: sessionmaker[Session], cases: int) -> list[tuple[str, str]]:
    """``cases`` protected persons, each with a signed-in app and an installed camera, made
    through the services in one transaction (not 2,000 password hashes over HTTP):
    (victim's token, camera's credential) per case."""
    password = security.hash_password("bench-password-123")
    out = []
    with transaction(factory) as session:
        officer = session.scalar(select(User).where(User.username == "officer"))
        assert officer is not None, "the demo seed has an officer"
        caller = Caller(actor=accounts.actor_of(officer))
        company = session.scalar(
            select(Agency.id).where(Agency.kind == AgencyKind.security_company)
        )
        for k in range(cases):
            user = User(
                username=f"bench-victim-{k}",
                full_name=f"Bench Victim {k}",
                password_hash=password,
                role=Role.protected_person,
            )
            session.add(user)
            session.flush()
            data = CaseCreate(
                protected_person=ProtectedPersonIn(
                    full_name=f"Bench Victim {k}",
                    phone=f"010-9{k // 10000:03d}-{k % 10000:04d}",
                    address=f"{k} Bench-ro, Jeju",
                ),
                protected_user_id=user.id,
                security_company_id=company,
            )
            case = case_service.create_case(session, caller, data, "BN")
            camera = devices.create_device(
                session, caller, DeviceCreate(kind=DeviceKind.camera, serial=f"BENCH-CAM-{k:05d}")
            )
            devices.assign(session, caller, camera, case, "benchmark")
            secret = devices.issue_credential(session, caller, camera)
            token = security.new_secret(security.USER_TOKEN_PREFIX)
            session.add(
                LoginToken(
                    token_hash=security.secret_digest(token),
                    user_id=user.id,
                    expires_at=datetime.now(UTC) + timedelta(days=1),
                )
            )
            out.append((token, secret))
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
        kind = ""
        async for line in response.aiter_lines():
            if line == ": live":  # its backlog sent: connected, and no more work at the hub
                ready.set()
            elif line.startswith("event: "):
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
                bench.last_received_wall = now
                bench.trigger_ms.append((now - start) * 1000)
                second = int(start - bench.started_wall)
                bench.by_second.setdefault(second, []).append((now - start) * 1000)
                opened = datetime.fromisoformat(data["incident"]["opened_at"]).timestamp()
                bench.open_ms.append((now - opened) * 1000)
                bench.hop_ms.append((now - data["published_at"]) * 1000)


async def _console(url: str, token: str, bench: AlertBench, ready: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10, read=None)) as http,
        http.stream("GET", f"{V1}/stream", headers=headers) as response,
    ):
        async for line in response.aiter_lines():
            if line == ": live":
                ready.set()
            elif line == "event: alert":
                bench.console_alerts += 1


async def _send_events(
    url: str,
    cameras: list[str],
    bench: AlertBench,
    sent_at: dict[int, float],
    nats_url: str | None = None,
) -> None:
    """The cameras are split among ``bench.workers`` camera workers. Each worker raises its
    share of the rate on a steady clock into its own queue and, like the real outbox sender,
    posts whatever is waiting when its last request returns: one event alone on the
    single-event route, several at once on the batch route."""
    groups = [g for g in (cameras[w :: bench.workers] for w in range(bench.workers)) if g]
    if nats_url is not None:
        await _stream_events(nats_url, groups, bench, sent_at)
        return
    # Each worker its own connection, made before the clock starts (a client costs ~20 ms).
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for _ in groups]
    try:
        # A hub's first requests run cold code paths (~0.2 s): one uncounted event per
        # worker first, as a camera's heartbeat would have warmed it up in production.
        for http, group in zip(clients, groups, strict=True):
            warm_up = _bench_event(0).model_copy(update={"zone": "warm-up", "track": None})
            r = await http.post(
                f"{V1}/device/events",
                data={"event": warm_up.model_dump_json()},
                headers={"Authorization": f"Bearer {group[0]}"},
            )
            r.raise_for_status()
        await asyncio.sleep(0.5)
        start = bench.started = time.monotonic()
        bench.started_wall = time.time()
        workers = [
            asyncio.create_task(
                _worker(
                    functools.partial(_post, http, bench=bench), w, group, bench, sent_at, start
                )
            )
            for w, (http, group) in enumerate(zip(clients, groups, strict=True))
        ]
        await asyncio.gather(*workers)
    finally:
        for http in clients:
            await http.aclose()


async def _stream_events(
    nats_url: str, groups: list[list[str]], bench: AlertBench, sent_at: dict[int, float]
) -> None:
    """Cluster mode: each camera worker publishes what waits to the JetStream stream and
    waits for JetStream's acknowledgements, as ``HubClient`` with ``events_url`` does."""
    connections = [await nats.connect(nats_url) for _ in groups]
    try:
        streams = [c.jetstream() for c in connections]
        await jetstream.ensure_stream(streams[0])
        await asyncio.sleep(0.5)
        start = bench.started = time.monotonic()
        bench.started_wall = time.time()

        async def post(w: int, batch: list[tuple[int, str, CameraEvent]]) -> None:
            bench.requests += 1
            acks = await asyncio.gather(
                *(
                    streams[w].publish(
                        jetstream.SUBJECT,
                        jetstream.encode(e.model_dump_json(), None),
                        headers={jetstream.CREDENTIAL_HEADER: secret, "Nats-Msg-Id": str(e.id)},
                        stream=jetstream.STREAM,
                    )
                    for _, secret, e in batch
                ),
                return_exceptions=True,
            )
            _count_accepted(bench, sum(1 for a in acks if not isinstance(a, BaseException)))
            bench.send_errors += sum(1 for a in acks if isinstance(a, BaseException))

        await asyncio.gather(
            *(
                _worker(functools.partial(post, w), w, group, bench, sent_at, start)
                for w, group in enumerate(groups)
            )
        )
    finally:
        for c in connections:
            await c.close()


def _count_accepted(bench: AlertBench, accepted: int) -> None:
    if accepted:
        bench.accepted += accepted
        bench.last_accepted = time.monotonic()
        if bench.last_accepted - bench.started <= bench.seconds:
            bench.accepted_in_window += accepted


Post = Callable[[list[tuple[int, str, CameraEvent]]], Coroutine[Any, Any, None]]


async def _worker(
    post: Post,
    w: int,
    cameras: list[str],
    bench: AlertBench,
    sent_at: dict[int, float],
    start: float,
) -> None:
    interval = bench.workers / bench.rate
    start += w * interval / bench.workers  # the workers' cameras are not in step
    waiting: list[tuple[int, str, CameraEvent]] = []
    raised = 0
    done = False

    async def raise_events() -> None:
        nonlocal raised, done
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        while time.monotonic() - start < bench.seconds:
            seq = raised * bench.workers + w
            secret = cameras[raised % len(cameras)]
            waiting.append((seq, secret, _bench_event(seq)))
            sent_at[seq] = time.time()
            bench.sent += 1
            raised += 1
            await asyncio.sleep(max(0.0, start + raised * interval - time.monotonic()))
        done = True

    producer = asyncio.create_task(raise_events())
    while not (done and not waiting):
        if not waiting:
            await asyncio.sleep(0.001)
            continue
        batch = batch_of(waiting, lambda w: w[1])  # as the worker's sender
        del waiting[: len(batch)]
        try:
            await post(batch)
        except httpx.HTTPError:
            bench.send_errors += len(batch)
    await producer


def _bench_event(seq: int) -> CameraEvent:
    return CameraEvent(
        site="bench",
        camera="front",
        type="intrusion",
        severity="high",
        at=datetime.now(UTC),
        video_t=float(seq),
        track=seq,
        zone=f"z{seq}",
    )


async def _post(
    http: httpx.AsyncClient, batch: list[tuple[int, str, CameraEvent]], *, bench: AlertBench
) -> None:
    bench.requests += 1
    if len(batch) == 1:
        _, secret, event = batch[0]
        r = await http.post(
            f"{V1}/device/events",
            data={"event": event.model_dump_json()},
            headers={"Authorization": f"Bearer {secret}"},
        )
        statuses = [r.status_code]
    else:
        secrets = list(dict.fromkeys(secret for _, secret, _ in batch))
        body = {
            "events": [
                {"camera": secrets.index(secret), "event": event.model_dump(mode="json")}
                for _, secret, event in batch
            ]
        }
        r = await http.post(
            f"{V1}/device/events/batch",
            json=body,
            headers={"Authorization": "Bearer " + ",".join(secrets)},
        )
        statuses = [a["status"] for a in r.json()["results"]] if r.status_code == 200 else []
    accepted = sum(1 for status in statuses if status == 201)
    _count_accepted(bench, accepted)
    bench.send_errors += len(batch) - accepted


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
    urls: list[str],
    pairs: list[tuple[str, str]],
    bench: AlertBench,
    sos_presses: int,
    cpu_seconds: Callable[[], float],
    receiver: Dispatch112,
    nats_url: str | None,
) -> None:
    """Phones are spread over the replicas (as a load balancer would); the cameras post to
    the first hub, or publish to the stream in cluster mode."""
    sent_at: dict[int, float] = {}
    readies = []
    listeners = []
    # The security company's console is open, as in a control room (alerts with no screen
    # open are retried, which is not the load being measured); it counts what it shows.
    async with httpx.AsyncClient(base_url=urls[0], timeout=30) as http:
        r = await http.post(
            f"{V1}/auth/login", json={"username": "security", "password": DEMO_PASSWORD}
        )
        r.raise_for_status()
    ready = asyncio.Event()
    readies.append(ready)
    listeners.append(
        asyncio.create_task(_console(urls[-1], r.json()["access_token"], bench, ready))
    )
    for k in range(bench.clients):
        ready = asyncio.Event()
        readies.append(ready)
        token = pairs[k % len(pairs)][0]
        url = urls[k % len(urls)]
        listeners.append(asyncio.create_task(_listen(url, token, bench, sent_at, ready)))
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 180)
    await asyncio.sleep(1.0)  # every stream subscribed
    before, own_before, servers_before = cpu_seconds(), time.process_time(), _servers_cpu()
    cameras = [p[1] for p in pairs][: bench.cameras or None]
    await _send_events(urls[0], cameras, bench, sent_at, nats_url)
    await asyncio.sleep(3.0)  # the last alerts arrive
    bench.hub_cpu_s = cpu_seconds() - before
    bench.client_cpu_s = time.process_time() - own_before
    if nats_url:
        servers_after = _servers_cpu()
        bench.servers_cpu_s = sum(
            t - servers_before.get(pid, 0.0) for pid, t in servers_after.items()
        )
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    if sos_presses:
        await _sos_phase(urls[0], [p[0] for p in pairs], sos_presses, bench, receiver)


SERVERS = ("postgres", "nats-server")


def _servers_cpu() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL and NATS process on this machine."""
    out = {}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        if proc.info["name"] in SERVERS and proc.info["cpu_times"] is not None:
            times = proc.info["cpu_times"]
            out[proc.pid] = float(times.user + times.system)
    return out


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


def bench_alerts(
    clients: int = 200,
    rate: float = 20.0,
    seconds: float = 10.0,
    cases: int = 20,
    sos_presses: int = 50,
    workers: int = 10,
    replicas: int = 1,
    postgres: str | None = None,
    nats_url: str | None = None,
    cameras: int = 0,
) -> AlertBench:
    """The hubs run as their own processes (``safewatch serve``), as in production; the phones
    and cameras are this process. Embedded: one hub, SQLite, cameras over HTTP. Cluster
    (``postgres`` server URL and ``nats_url`` given): ``replicas`` hubs on a fresh PostgreSQL
    database, alerts between them over NATS, cameras publishing to JetStream."""
    if (postgres is None) != (nats_url is None):
        raise ValueError("cluster mode needs both a PostgreSQL server and a NATS URL")
    root = Path(tempfile.mkdtemp(prefix="safewatch-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    receiver = Dispatch112()
    database = _BenchDatabase(postgres, root)
    try:
        settings = Settings(data_dir=root / "var", web_push=False, database_url=database.url)
        settings.data_dir.mkdir(parents=True)
        migrate.upgrade(settings.sqlalchemy_url)
        engine = make_engine(settings.sqlalchemy_url)
        factory = make_session_factory(engine)
        from safewatch.demo import seed as demo_seed

        with transaction(factory) as session:
            demo_seed.seed(session)
        pairs = _populate(factory, cases)
        engine.dispose()  # the hubs are the database's only users from here on
        env = {
            **os.environ,
            "SAFEWATCH_DATA_DIR": str(settings.data_dir),  # the replicas' shared folder
            "SAFEWATCH_WEB_PUSH": "false",
            "SAFEWATCH_DATABASE_URL": database.url,
            "SAFEWATCH_BUS_URL": nats_url or "memory://",
            "SAFEWATCH_EMERGENCY_WEBHOOK_URL": receiver.url,
            "SAFEWATCH_EMERGENCY_WEBHOOK_SECRET": "bench-webhook-secret-0123",
        }
        urls = []
        for _ in range(replicas if nats_url else 1):
            port = free_port()
            cmd = [sys.executable, "-c", "from safewatch.cli import app; app()", "serve"]
            cmd += ["--port", str(port)]
            procs.append(subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.DEVNULL))  # noqa: S603 - our own CLI
            urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(urls, procs, strict=True):
            wait_until_up(url, proc)
        hubs = [psutil.Process(proc.pid) for proc in procs]

        def cpu_seconds() -> float:
            return sum(float(t.user + t.system) for t in (h.cpu_times() for h in hubs))

        bench = AlertBench(clients, cases, rate, seconds, workers, len(urls), cameras)
        if nats_url:
            bench.transport, bench.database = "jetstream", "postgresql"
        # This process stands in for 2,000 phones: its own collector's pauses are not the hub's.
        with tuned_for_alerts():
            _in_own_loop(
                lambda: _run(urls, pairs, bench, sos_presses, cpu_seconds, receiver, nats_url)
            )
        return bench
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)
        receiver.close()
        database.drop()
        shutil.rmtree(root, ignore_errors=True)


class _BenchDatabase:
    """SQLite in the bench's folder, or a fresh database on the PostgreSQL server."""

    def __init__(self, server: str | None, root: Path) -> None:
        self.server, self.name = server, f"safewatch_bench_{os.getpid()}"
        if server is None:
            self.url = f"sqlite:///{(root / 'var' / 'safewatch.db').as_posix()}"
            return
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.name}"')
        base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        self.url = f"{base}/{self.name}"

    def drop(self) -> None:
        if self.server is not None:
            with psycopg.connect(self.server, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
