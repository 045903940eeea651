"""Cluster mode on the real servers: hub replicas sharing PostgreSQL, NATS carrying alerts
between them, camera events on a JetStream stream that any replica takes.

These run in `make test`'s PostgreSQL pass (cluster mode is PostgreSQL + NATS); each test
has a nats-server of its own so that it may stop and restart it."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.alerts.dispatcher import AlertDispatcher
from safewatch.api.app import create_app
from safewatch.bus import jetstream
from safewatch.bus.jetstream import EventPublisher
from safewatch.bus.nats import NatsConnection
from safewatch.core.config import Settings
from safewatch.demo.cluster import ClusterDemo
from safewatch.demo.listener import StreamListener
from safewatch.demo.server import BackgroundHub, free_port
from safewatch.models import (
    AuditEntry,
    CameraEventRecord,
    CameraSetup,
    Delivery,
    Device,
    Incident,
    IncidentEntry,
)
from safewatch.store.db import make_engine
from safewatch.vision.delivery import HubClient, Sender
from safewatch.vision.outbox import Outbox
from tests.cluster import NATS_SERVER, HubProcess, NatsServer
from tests.conftest import ENGINE_KIND, PG_SERVER, Clock
from tests.live import event, jpeg
from tests.vision.conftest import vtest_path
from tests.world import World

pytestmark = [
    pytest.mark.skipif(
        ENGINE_KIND != "postgresql",
        reason="cluster mode is PostgreSQL + NATS: these run in the PostgreSQL pass",
    ),
    pytest.mark.skipif(not Path(NATS_SERVER).exists(), reason=f"no nats-server at {NATS_SERVER}"),
]
V1 = "/api/v1"


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cluster(settings: Settings, nats_server: NatsServer) -> Settings:
    return settings.model_copy(update={"bus_url": nats_server.url, "web_push": False})


@pytest.fixture
def camera_secret(world: World) -> str:
    return world.device("camera", "CAM-CLUSTER-1")


def _replica(settings: Settings) -> BackgroundHub:
    hub = BackgroundHub(lambda: create_app(settings))  # its own engine, bus and threads
    hub.start()
    return hub


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _count(factory: sessionmaker[Session], model: type, *where: object) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _is_alert(r: object) -> bool:
    return getattr(r, "kind", "") == "alert"


def test_a_phone_on_one_replica_hears_the_alert_another_replica_took(
    world: World, cluster: Settings, camera_secret: str
) -> None:
    a, b = _replica(cluster), _replica(cluster)
    phone = StreamListener(a.url, world.tokens["victim_a"], "phone on A").start()
    console = StreamListener(b.url, world.tokens["security_a"], "console on B").start()
    try:
        e = event(type_="offender_recognized")
        snapshot = jpeg(seed="cluster")
        r = httpx.post(
            f"{b.url}{V1}/device/events",
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", snapshot, "image/jpeg")},
            headers={"Authorization": f"Bearer {camera_secret}"},
        )
        assert r.status_code == 201, r.text
        alert = phone.wait_for(_is_alert, 10)
        assert alert is not None, "the phone on replica A heard nothing"
        assert alert.data["incident"]["type"] == "offender_recognized"
        # The snapshot B stored opens from A: the replicas share the clip folder.
        shown = httpx.get(a.url + alert.data["snapshot_url"])
        assert shown.status_code == 200 and shown.content == snapshot
        assert console.wait_for(_is_alert, 10) is not None
        # ...and the receipt says so: delivered, not "no screen connected".
        incident_id = uuid.UUID(alert.data["incident"]["id"])
        _wait(
            lambda: (
                _count(
                    world.factory,
                    Delivery,
                    Delivery.incident_id == incident_id,
                    Delivery.recipient == "victim",
                    Delivery.channel == "in_app",
                    Delivery.status == "delivered",
                )
                == 1
            ),
            10,
            "the victim's in-app receipt",
        )
    finally:
        phone.close()
        console.close()
        a.stop()
        b.stop()


def test_an_alert_for_someone_with_no_screen_open_anywhere_waits_for_one(
    world: World, cluster: Settings, camera_secret: str
) -> None:
    a, b = _replica(cluster), _replica(cluster)
    try:
        r = httpx.post(
            f"{a.url}{V1}/device/events",
            data={"event": event().model_dump_json()},
            headers={"Authorization": f"Bearer {camera_secret}"},
        )
        assert r.status_code == 201, r.text
        victim_in_app = (Delivery.recipient == "victim", Delivery.channel == "in_app")
        _wait(
            lambda: (
                _count(world.factory, Delivery, *victim_in_app, Delivery.last_error.is_not(None))
                == 1
            ),
            10,
            "the first try to be recorded",
        )
        with world.factory() as s:
            d = s.scalars(select(Delivery).where(*victim_in_app)).one()
            assert d.status == "pending"
            assert d.last_error == "no screen connected (or its queue was full)"
        # The phone opens on the other replica: the backlog shows the alert at once.
        phone = StreamListener(b.url, world.tokens["victim_a"], "phone on B").start()
        try:
            assert phone.wait_for(lambda r: r.kind == "backlog", 10) is not None
        finally:
            phone.close()
    finally:
        a.stop()
        b.stop()


def test_camera_events_on_the_stream_are_taken_once_by_the_replicas(
    world: World, cluster: Settings, camera_secret: str, tmp_path: Path
) -> None:
    """A worker's outbox → JetStream → whichever replica pulls first; every event stored once
    and alerted, with a phone on one replica."""
    a, b = _replica(cluster), _replica(cluster)
    phone = StreamListener(a.url, world.tokens["victim_a"], "phone").start()
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.3)
    publisher = EventPublisher(NatsConnection(cluster.bus_url, "camera-worker"))
    sender = Sender(outbox, HubClient(b.url, lambda _camera: camera_secret, publisher))
    sender.start()
    try:
        sent = []
        for i in range(40):
            e = event(t=float(i)).model_copy(update={"track": i})
            outbox.put_event(e, jpeg())
            sent.append(e.id)
        _wait(lambda: outbox.counts() == {"sent": 40}, 20, "the outbox to empty")
        _wait(lambda: _count(world.factory, CameraEventRecord) == 40, 20, "40 stored events")
        with world.factory() as s:
            stored = set(s.scalars(select(CameraEventRecord.id)))
            assert stored == set(sent)
            assert _count(world.factory, Incident) == 40  # one per track, none twice
            assert all(s.get(CameraEventRecord, i).snapshot_name for i in sent)  # type: ignore[union-attr]
        _wait(
            lambda: len({r.data["incident"]["id"] for r in phone.received if _is_alert(r)}) == 40,
            20,
            "40 alerts on the phone",
        )
    finally:
        sender.close()
        sender.client.close()
        outbox.close()
        phone.close()
        a.stop()
        b.stop()


def test_a_refused_event_on_the_stream_is_not_redelivered_for_ever(
    world: World, cluster: Settings, camera_secret: str
) -> None:
    hub = _replica(cluster)
    connection = NatsConnection(cluster.bus_url, "forger")
    try:
        forged = event()
        body = jetstream.encode(forged.model_dump_json(), None)
        EventPublisher(connection).publish(str(forged.id), "swd_not-a-real-credential", body)
        good = event(t=2.0).model_copy(update={"track": 9})
        body = jetstream.encode(good.model_dump_json(), None)
        EventPublisher(connection).publish(str(good.id), camera_secret, body)
        _wait(lambda: _count(world.factory, CameraEventRecord) == 1, 15, "the good event")

        async def pending() -> int:
            js = connection.client.jetstream()
            info = await js.consumer_info(jetstream.STREAM, jetstream.CONSUMER)
            return int(info.num_pending + info.num_ack_pending + info.num_redelivered)

        _wait(lambda: connection.call(pending()) == 0, 15, "the stream to be handled")
        with world.factory() as s:
            assert s.get(CameraEventRecord, forged.id) is None  # the forgery is not stored
        # ...and a person can see it was refused (the sender thinks it was delivered).
        _wait(
            lambda: _count(world.factory, AuditEntry, AuditEntry.action == "event_refused") == 1,
            15,
            "the refusal recorded",
        )
    finally:
        connection.close()
        hub.stop()


def test_a_replica_killed_in_a_burst_loses_no_event_and_doubles_none(
    world: World, cluster: Settings, camera_secret: str, tmp_path: Path
) -> None:
    env = {
        "SAFEWATCH_DATABASE_URL": cluster.database_url,
        "SAFEWATCH_BUS_URL": cluster.bus_url,
        "SAFEWATCH_DATA_DIR": str(cluster.data_dir),  # the replicas' shared folder
        "SAFEWATCH_SECRET_KEY": cluster.secret_key,
        "SAFEWATCH_WEB_PUSH": "false",
    }
    a, b = HubProcess(env, tmp_path, "replica-a"), HubProcess(env, tmp_path, "replica-b")
    a.start()
    b.start()
    phone = StreamListener(b.url, world.tokens["victim_a"], "phone on B").start()
    connection = NatsConnection(cluster.bus_url, "camera-worker")
    publisher = EventPublisher(connection)
    total, ids = 300, []
    try:
        for i in range(total):
            e = event(t=float(i)).model_copy(update={"track": i})
            publisher.publish(str(e.id), camera_secret, jetstream.encode(e.model_dump_json(), None))
            ids.append(e.id)
            if i == 100:
                a.kill()  # mid-burst: whatever it had pulled and not acknowledged comes back
        # Held messages return after the consumer's ack wait; alerts A committed but did not
        # send are sent by B when their lease runs out.
        _wait(lambda: _count(world.factory, CameraEventRecord) == total, 60, "every event")
        assert _count(world.factory, Incident) == total  # none opened twice
        with world.factory() as s:
            assert set(s.scalars(select(CameraEventRecord.id))) == set(ids)
        _wait(
            lambda: (
                len({r.data["incident"]["id"] for r in phone.received if _is_alert(r)}) == total
            ),
            90,
            "an alert on the phone for every incident",
        )
    finally:
        phone.close()
        connection.close()
        a.stop()
        b.stop()


def test_nats_restarted_the_backlog_drains(
    world: World, cluster: Settings, camera_secret: str, nats_server: NatsServer, tmp_path: Path
) -> None:
    """Events wait on JetStream's disk while no replica runs, and in the camera's outbox
    while NATS itself is down; when both are back, every one arrives, once."""
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.5)
    publisher = EventPublisher(NatsConnection(cluster.bus_url, "camera-worker"), timeout=1.0)
    sender = Sender(outbox, HubClient("http://127.0.0.1:9", lambda _c: camera_secret, publisher))
    sender.start()
    hub: BackgroundHub | None = None
    try:
        sent = []
        for i in range(20):  # no replica runs: they wait on the stream
            e = event(t=float(i)).model_copy(update={"track": i})
            outbox.put_event(e, b"")
            sent.append(e.id)
        _wait(lambda: outbox.counts() == {"sent": 20}, 20, "the stream to take 20")
        nats_server.stop()
        for i in range(20, 30):  # NATS is down: they wait in the outbox
            e = event(t=float(i)).model_copy(update={"track": i})
            outbox.put_event(e, b"")
            sent.append(e.id)
        time.sleep(2.0)
        assert outbox.counts().get("pending", 0) == 10
        nats_server.start()
        hub = _replica(cluster)
        _wait(lambda: _count(world.factory, CameraEventRecord) == 30, 40, "all 30 events")
        _wait(lambda: outbox.counts() == {"sent": 30}, 20, "the outbox to empty")
        with world.factory() as s:
            assert set(s.scalars(select(CameraEventRecord.id))) == set(sent)
        assert _count(world.factory, Incident) == 30
    finally:
        sender.close()
        sender.client.close()
        outbox.close()
        if hub is not None:
            hub.stop()


def _restart_postgresql() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)  # noqa: S603


@pytest.mark.skipif(
    not Path("/etc/postgresql").is_dir() or shutil.which("pg_ctlcluster") is None,
    reason="restarting PostgreSQL needs this machine's own cluster (pg_ctlcluster)",
)
def test_postgresql_restarted_mid_burst_no_incident_is_lost(
    world: World, cluster: Settings, camera_secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    hub = _replica(cluster)
    phone = StreamListener(hub.url, world.tokens["victim_a"], "phone").start()
    connection = NatsConnection(cluster.bus_url, "camera-worker")
    publisher = EventPublisher(connection)
    ids: list[uuid.UUID] = []

    def burst() -> None:  # a camera goes on raising events while the database restarts
        for i in range(150):
            e = event(t=float(i)).model_copy(update={"track": i})
            publisher.publish(str(e.id), camera_secret, jetstream.encode(e.model_dump_json(), None))
            ids.append(e.id)
            time.sleep(0.02)

    camera = threading.Thread(target=burst)
    try:
        camera.start()
        time.sleep(0.5)
        _restart_postgresql()  # every connection of the hub is cut, mid-burst
        camera.join(30)
        _wait(lambda: _count(world.factory, CameraEventRecord) == 150, 60, "all 150 events")
        assert _count(world.factory, Incident) == 150
        with world.factory() as s:
            assert set(s.scalars(select(CameraEventRecord.id))) == set(ids)
        _wait(
            lambda: len({r.data["incident"]["id"] for r in phone.received if _is_alert(r)}) == 150,
            60,
            "an alert on the phone for each",
        )
        # The fault did reach the hub: some writes failed and were made again.
        assert any("not written" in r.getMessage() for r in caplog.records)
    finally:
        phone.close()
        connection.close()
        hub.stop()


def test_replicas_escalate_each_missed_deadline_and_sweep_each_silence_once(
    world: World, settings: Settings, clock: Clock, camera_secret: str
) -> None:
    reason = "threatened to kill her last week"
    assert world.assess("officer_a", "a", "very_high", reason=reason).status_code == 201
    watch = world.device("smartwatch", "W-CLUSTER")
    installed = world.device("camera", "CAM-CLUSTER")
    for device in (watch, installed):
        beat = world.client.post(
            f"{V1}/device/heartbeat", json={}, headers={"Authorization": f"Bearer {device}"}
        )
        assert beat.status_code == 200, beat.text
    r = world.client.post(
        f"{V1}/device/events",
        data={"event": event().model_dump_json()},
        headers={"Authorization": f"Bearer {camera_secret}"},
    )
    assert r.status_code == 201, r.text
    # Two replicas, each with its own engine and alert loop, driven by hand at the same moment.
    replicas = [create_app(settings, clock=clock) for _ in range(2)]
    loops = [app.state.alerting.dispatcher for app in replicas]
    clock.advance(31 * 60)  # every first deadline is long past, and the watch is silent
    start = threading.Barrier(len(loops))

    def one_pass(loop: AlertDispatcher) -> None:
        start.wait()
        loop.sweep_watches()
        loop.sweep_cameras()
        loop.escalate_due()

    threads = [threading.Thread(target=one_pass, args=(loop,)) for loop in loops]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for app in replicas:
        app.state.engine.dispose()
    with world.factory() as s:
        # (both cameras are silent: the one that sent the event was heard from then)
        for kind, devices in (("watch_silent", 1), ("camera_offline", 2)):
            silent = s.scalars(select(Incident).where(Incident.type == kind)).all()
            # one incident per silence, not one per replica...
            assert len({i.device_id for i in silent}) == len(silent) == devices, kind
            kinds = s.scalars(
                select(IncidentEntry.kind).where(
                    IncidentEntry.incident_id.in_([i.id for i in silent])
                )
            ).all()
            assert "joined" not in kinds, kind  # ...nor a second report of it joining the first
        escalated = s.scalars(
            select(IncidentEntry.recipient).where(IncidentEntry.kind == "escalated")
        ).all()
    assert escalated, "the missed deadlines escalated"
    assert len(escalated) == len(set(escalated))  # each recipient's deadline escalated once


def test_while_nats_is_down_a_replica_still_alerts_its_own_screens(
    world: World, cluster: Settings, camera_secret: str, nats_server: NatsServer
) -> None:
    hub = _replica(cluster)
    phone = StreamListener(hub.url, world.tokens["victim_a"], "phone").start()
    try:
        nats_server.stop()
        r = httpx.post(
            f"{hub.url}{V1}/device/events",
            data={"event": event(type_="offender_recognized").model_dump_json()},
            headers={"Authorization": f"Bearer {camera_secret}"},
        )
        assert r.status_code == 201, r.text  # the database takes it: NATS is not on this path
        alert = phone.wait_for(_is_alert, 10)
        assert alert is not None, "the phone on the same replica heard nothing"
        assert alert.data["incident"]["type"] == "offender_recognized"
    finally:
        phone.close()
        hub.stop()


def test_the_cluster_demo_runs_two_replicas_and_two_camera_workers(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    video = vtest_path()
    if video is None:
        pytest.skip("vtest.avi is not here: make test fetches it (scripts/fetch-test-video.sh)")
    name = f"safewatch_cluster_demo_test_{os.getpid()}"
    demo = ClusterDemo(
        PG_SERVER, nats_server.url, video, tmp_path / "cluster",
        (free_port(), free_port()), database=name,
    )  # fmt: skip
    said: list[str] = []
    try:
        demo.prepare()
        demo.start(said.append)
        assert [line.split(":")[0] for line in said] == [
            "hub-1", "hub-2", "camera-front", "camera-door",
        ], said  # fmt: skip
        engine = make_engine(demo.database_url)
        try:
            # Each worker shows its camera's view to its replica: both are up and connected.
            _wait(
                lambda: _views(engine) == 2 and all(p.poll() is None for _, p in demo.procs),
                60,
                "both cameras' views",
            )
        finally:
            engine.dispose()
    finally:
        demo.stop()
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _views(engine: Engine) -> int:
    with engine.connect() as c:
        return int(
            c.scalar(
                select(func.count())
                .select_from(CameraSetup)
                .where(CameraSetup.view_at.is_not(None))
            )
            or 0
        )


def test_an_event_too_large_for_nats_goes_to_the_hub_over_http(
    world: World, cluster: Settings, camera_secret: str, tmp_path: Path
) -> None:
    """A snapshot past NATS's message limit must not hold up the outbox for ever."""
    hub = _replica(cluster)
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.3)
    publisher = EventPublisher(NatsConnection(cluster.bus_url, "camera-worker"))
    sender = Sender(outbox, HubClient(hub.url, lambda _camera: camera_secret, publisher))
    sender.start()
    try:
        big = jpeg() + b"\0" * (1024 * 1024 + 10)  # a JPEG with a long tail: 1 MiB and more
        first = event(t=1.0).model_copy(update={"track": 1})
        then = event(t=2.0).model_copy(update={"track": 2})
        outbox.put_event(first, big)
        outbox.put_event(then, jpeg())
        _wait(lambda: outbox.counts() == {"sent": 2}, 20, "both events sent")
        _wait(lambda: _count(world.factory, CameraEventRecord) == 2, 20, "both stored")
        shown = httpx.get(
            f"{hub.url}{V1}/events/{first.id}/snapshot",
            headers={"Authorization": f"Bearer {world.tokens['victim_a']}"},
        )
        assert shown.status_code == 200 and shown.content == big
    finally:
        sender.close()
        sender.client.close()
        outbox.close()
        hub.stop()


def test_an_event_on_the_stream_outlives_a_credential_rotated_after_it_was_sent(
    world: World, cluster: Settings, camera_secret: str
) -> None:
    """Over HTTP the camera sends again with its new credential; a message on the stream
    carries the old one for ever. It was refused for good (terminated: the alert lost,
    while the camera had it as delivered)."""
    connection = NatsConnection(cluster.bus_url, "camera-worker")
    rotated, forged_late = event(), event(t=2.0).model_copy(update={"track": 8})
    try:
        body = jetstream.encode(rotated.model_dump_json(), None)
        EventPublisher(connection).publish(str(rotated.id), camera_secret, body)
        with world.factory() as s:
            device_id = s.scalar(select(Device.id).where(Device.serial == "CAM-CLUSTER-1"))
        time.sleep(1.5)  # beyond the margin allowed between the stream's clock and the hub's
        r = world.post("officer_a", f"/api/v1/devices/{device_id}/credential")  # rotated
        assert r.status_code == 201, r.text
        # The old credential, used after its revocation: refused, and said.
        body = jetstream.encode(forged_late.model_dump_json(), None)
        EventPublisher(connection).publish(str(forged_late.id), camera_secret, body)
        hub = _replica(cluster)  # the replicas were away (a deploy): the stream kept it
        try:
            _wait(lambda: _count(world.factory, CameraEventRecord) == 1, 20, "the event")
            _wait(
                lambda: (
                    _count(world.factory, AuditEntry, AuditEntry.action == "event_refused") == 1
                ),
                20,
                "the refusal recorded",
            )
        finally:
            hub.stop()
    finally:
        connection.close()
    with world.factory() as s:
        assert s.get(CameraEventRecord, rotated.id) is not None
        assert s.get(CameraEventRecord, forged_late.id) is None
        reason = s.scalar(select(AuditEntry.reason).where(AuditEntry.action == "event_refused"))
    assert reason is not None and "revoked" in reason
