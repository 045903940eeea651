"""``safewatch bench alerts``: N phones on the real-time stream, M camera events per second,
each with a real snapshot JPEG, through real hub processes; the time from the camera's
trigger (just before its POST or publish) to the first phone that shows the alert; the hub
hop (the alert published once its transaction committed → the phone); and the incident's
opening in the hub (inside that transaction) → the phone.

The run waits until every accepted event's alert is on a phone, or until its deadline, and
counts each accepted event once: on time, late (later than the latency bound) or lost (not
on a phone by the deadline). Every server is the run's own (``bench_servers``): nothing it
leaves behind reaches the next run."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.core import security
from safewatch.core.config import Settings
from safewatch.core.roles import AgencyKind, Role
from safewatch.core.runtime import tuned_for_alerts
from safewatch.demo.bench_clients import (
    bench_snapshot,
    console,
    listen,
    login,
    send_events,
    sos_phase,
)
from safewatch.demo.bench_count import (
    DEFAULT_DEADLINE_S,
    DEFAULT_LATE_AFTER_MS,
    DEFAULT_VIDEO,
    AlertBench,
    StreamState,
)
from safewatch.demo.bench_servers import NATS_SERVER, BenchDatabase, BenchNats, Hubs, stream_counts
from safewatch.demo.server import Dispatch112
from safewatch.models import Agency, LoginToken, User
from safewatch.models.resources import DeviceKind
from safewatch.schemas.cases import CaseCreate, ProtectedPersonIn
from safewatch.schemas.resources import DeviceCreate
from safewatch.services import accounts, devices
from safewatch.services import cases as case_service
from safewatch.services.context import Caller
from safewatch.store import migrate
from safewatch.store.db import make_engine, make_session_factory, transaction

__all__ = ["NATS_SERVER", "AlertBench", "bench_alerts"]
CONSOLE_SETTLE_S = 5.0  # after the last phone, how long the console's count may catch up


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
            devices.assign(session, caller, camera, case, "benchmark", datetime.now(UTC))
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


class _Run:
    """One run's clients against its hubs; CPU is read from the first event raised until
    counting stops."""

    def __init__(
        self,
        hubs: Hubs,
        database: BenchDatabase,
        nats_server: BenchNats | None,
        bench: AlertBench,
        snapshot: bytes,
    ) -> None:
        self.hubs, self.database, self.nats_server = hubs, database, nats_server
        self.bench, self.snapshot = bench, snapshot
        self.stream_at_start = 0

    def _servers_cpu(self) -> dict[int, float]:
        own = self.nats_server.cpu_seconds() if self.nats_server else {}
        return {**self.database.cpu_seconds(), **own}

    async def run(
        self, pairs: list[tuple[str, str]], sos_presses: int, receiver: Dispatch112
    ) -> None:
        """Phones are spread over the replicas (as a load balancer would); the cameras post
        to the first hub, or publish to the stream in cluster mode."""
        bench, urls = self.bench, self.hubs.urls
        nats_url = self.nats_server.url if self.nats_server else None
        readies: list[asyncio.Event] = []
        listeners = []
        # The security company's console is open, as in a control room (alerts with no
        # screen open are retried, which is not the load being measured); it counts alerts.
        console_token = await login(urls[0], "security")
        readies.append(asyncio.Event())
        listeners.append(asyncio.create_task(console(urls[-1], console_token, bench, readies[-1])))
        for k in range(bench.clients):
            readies.append(asyncio.Event())
            token, url = pairs[k % len(pairs)][0], urls[k % len(urls)]
            listeners.append(asyncio.create_task(listen(url, token, bench, readies[-1])))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 180)
        await asyncio.sleep(1.0)  # every stream subscribed
        if nats_url:  # the replicas made the stream: it holds nothing of another run
            self.stream_at_start = (await stream_counts(nats_url))[0]
        before, own_before = self.hubs.cpu_seconds(), time.process_time()
        servers_before = self._servers_cpu()
        cameras = [p[1] for p in pairs][: bench.cameras or None]
        await send_events(urls[0], cameras, bench, self.snapshot, nats_url)
        while not bench.all_alerted() and time.monotonic() < bench.deadline:
            await asyncio.sleep(0.01)
        bench.ended = time.monotonic()
        # The console hears on a stream of its own: its last alerts may still be on the way
        # when the last phone has shown its own (a loaded CI run counted 3,463 of 3,476).
        settle = min(bench.ended + CONSOLE_SETTLE_S, bench.deadline)
        while bench.console_alerts < len(bench.accepted_seqs) and time.monotonic() < settle:
            await asyncio.sleep(0.01)
        bench.hub_cpu_s = self.hubs.cpu_seconds() - before
        bench.client_cpu_s = time.process_time() - own_before
        bench.servers_cpu_s = sum(
            t - servers_before.get(pid, 0.0) for pid, t in self._servers_cpu().items()
        )
        if nats_url:
            left, unacked = await stream_counts(nats_url)
            bench.stream = StreamState(
                messages_at_start=self.stream_at_start,
                messages_left_at_end=left,
                unacknowledged_at_end=unacked,
            )
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        if sos_presses:
            await sos_phase(urls[0], [p[0] for p in pairs], sos_presses, bench, receiver)


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
    cameras: int = 0,
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
    late_after_ms: float = DEFAULT_LATE_AFTER_MS,
    video: Path | None = DEFAULT_VIDEO,
    nats_server: str = NATS_SERVER,
) -> AlertBench:
    """The hubs run as their own processes (``safewatch serve``), as in production; the phones
    and cameras are this process. Embedded: one hub, SQLite, cameras over HTTP. Cluster
    (``postgres``, a server URL, given): ``replicas`` hubs on a fresh PostgreSQL database,
    alerts between them over the run's own nats-server, cameras publishing to JetStream.
    Every event carries one real frame of ``video`` as its snapshot (None: no snapshot)."""
    snapshot = bench_snapshot(video) if video is not None else b""
    root = Path(tempfile.mkdtemp(prefix="safewatch-bench-"))
    receiver = Dispatch112()
    database = BenchDatabase(postgres, root)
    own_nats = BenchNats(root, nats_server) if postgres else None
    hubs: Hubs | None = None
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
        if own_nats is not None:
            own_nats.start()
        env = {
            **os.environ,
            "SAFEWATCH_DATA_DIR": str(settings.data_dir),  # the replicas' shared folder
            "SAFEWATCH_WEB_PUSH": "false",
            "SAFEWATCH_DATABASE_URL": database.url,
            "SAFEWATCH_BUS_URL": own_nats.url if own_nats else "memory://",
            "SAFEWATCH_EMERGENCY_WEBHOOK_URL": receiver.url,
            "SAFEWATCH_EMERGENCY_WEBHOOK_SECRET": "bench-webhook-secret-0123",
        }
        hubs = Hubs(root, env, replicas if own_nats else 1)
        hubs.start()
        bench = AlertBench(clients, cases, rate, seconds, workers, len(hubs.urls), cameras)
        bench.deadline_s, bench.late_after_ms = deadline_s, late_after_ms
        bench.snapshot_bytes = len(snapshot)
        if own_nats:
            bench.transport, bench.database = "jetstream", "postgresql"
        run = _Run(hubs, database, own_nats, bench, snapshot)
        # This process stands in for 2,000 phones: its own collector's pauses are not the hub's.
        with tuned_for_alerts():
            _in_own_loop(lambda: run.run(pairs, sos_presses, receiver))
        bench.hub_refusals, bench.hub_refusal_example = hubs.refusals()
        return bench
    finally:
        if hubs is not None:
            hubs.stop()
        if own_nats is not None:
            own_nats.stop()  # its store (the stream, the consumer) goes with the folder
        receiver.close()
        database.drop()
        shutil.rmtree(root, ignore_errors=True)
