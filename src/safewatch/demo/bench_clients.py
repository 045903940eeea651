"""The benchmark's side of the hub: phones and a security console on the SSE stream, camera
workers that raise events (each with a real snapshot JPEG) and send them as the worker's
outbox sender does, over HTTP or to JetStream, and SOS presses."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import httpx
import nats

from safewatch.bus import jetstream
from safewatch.bus.messages import CameraEvent
from safewatch.demo.bench_count import AlertBench
from safewatch.demo.seed import DEMO_PASSWORD
from safewatch.demo.server import Dispatch112
from safewatch.vision.delivery import batch_of
from safewatch.vision.pictures import fitted_jpeg

V1 = "/api/v1"
ZONE = re.compile(r" in z(\d+) ")
SNAPSHOT_FRAME = 150  # 15 s into vtest.avi: people on the path and the lawn


def bench_snapshot(video: Path, frame: int = SNAPSHOT_FRAME) -> bytes:
    """One real frame of ``video`` at its own size, as the worker encodes an event's snapshot
    (JPEG quality 80, fitted to what the hub takes): made once, sent with every event."""
    capture = cv2.VideoCapture(str(video))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, frame)
        ok, image = capture.read()
    finally:
        capture.release()
    if not ok or image is None:
        raise FileNotFoundError(f"no frame {frame} in {video} (make run fetches vtest.avi)")
    return fitted_jpeg(image)


@dataclass(frozen=True)
class Raised:
    """An event a camera raised: its number in the run, the camera's credential, the event."""

    seq: int
    secret: str
    event: CameraEvent


Post = Callable[[list[Raised]], Coroutine[Any, Any, None]]


def bench_event(seq: int) -> CameraEvent:
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


async def listen(url: str, token: str, bench: AlertBench, ready: asyncio.Event) -> None:
    """A phone: counts the first alert of each event that reaches its person."""
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
                opened = datetime.fromisoformat(data["incident"]["opened_at"]).timestamp()
                bench.alerted(int(found.group(1)), now, data["published_at"], opened)


async def console(url: str, token: str, bench: AlertBench, ready: asyncio.Event) -> None:
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


async def login(url: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.post(
            f"{V1}/auth/login", json={"username": username, "password": DEMO_PASSWORD}
        )
        r.raise_for_status()
        return str(r.json()["access_token"])


async def send_events(
    url: str, cameras: list[str], bench: AlertBench, snapshot: bytes, nats_url: str | None
) -> None:
    """The cameras are split among ``bench.workers`` camera workers. Each worker raises its
    share of the rate on a steady clock into its own queue and, like the real outbox sender,
    posts whatever is waiting when its last request returns: one event alone on the
    single-event route, several at once on the batch route (or each to JetStream)."""
    groups = [g for g in (cameras[w :: bench.workers] for w in range(bench.workers)) if g]
    bench.workers = len(groups)  # fewer cameras than workers: each worker its share of the rate
    if nats_url is not None:
        await _stream_events(nats_url, groups, bench, snapshot)
        return
    # Each worker its own connection, made before the clock starts (a client costs ~20 ms).
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for _ in groups]
    try:
        # A hub's first requests run cold code paths (~0.2 s): one uncounted event per
        # worker first, as a camera's heartbeat would have warmed it up in production.
        for http, group in zip(clients, groups, strict=True):
            warm_up = bench_event(0).model_copy(update={"zone": "warm-up", "track": None})
            r = await http.post(
                f"{V1}/device/events",
                data={"event": warm_up.model_dump_json()},
                files=_snapshot_file(snapshot),
                headers={"Authorization": f"Bearer {group[0]}"},
            )
            r.raise_for_status()
        await asyncio.sleep(0.5)
        start = bench.started = time.monotonic()
        bench.started_wall = time.time()
        await asyncio.gather(
            *(
                _worker(functools.partial(_post, http, bench, snapshot), w, group, bench, start)
                for w, (http, group) in enumerate(zip(clients, groups, strict=True))
            )
        )
    finally:
        for http in clients:
            await http.aclose()


def _snapshot_file(snapshot: bytes) -> dict[str, tuple[str, bytes, str]] | None:
    return {"snapshot": ("snapshot.jpg", snapshot, "image/jpeg")} if snapshot else None


async def _stream_events(
    nats_url: str, groups: list[list[str]], bench: AlertBench, snapshot: bytes
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
        picture = base64.b64encode(snapshot) if snapshot else b""

        async def post(w: int, batch: list[Raised]) -> None:
            bench.requests += 1
            acks = await asyncio.gather(
                *(
                    streams[w].publish(
                        jetstream.SUBJECT,
                        _message(r.event, picture),
                        headers={
                            jetstream.CREDENTIAL_HEADER: r.secret,
                            "Nats-Msg-Id": str(r.event.id),
                        },
                        stream=jetstream.STREAM,
                    )
                    for r in batch
                ),
                return_exceptions=True,
            )
            bench.accept(
                [
                    r.seq
                    for r, a in zip(batch, acks, strict=True)
                    if not isinstance(a, BaseException)
                ]
            )
            bench.send_errors += sum(1 for a in acks if isinstance(a, BaseException))

        await asyncio.gather(
            *(
                _worker(functools.partial(post, w), w, group, bench, start)
                for w, group in enumerate(groups)
            )
        )
    finally:
        for c in connections:
            await c.close()


def _message(event: CameraEvent, picture: bytes) -> bytes:
    """``jetstream.encode``'s bytes, the snapshot's base64 made once for the run: 200
    cameras' encoding is this one process's, where each camera would do its own."""
    snapshot = b'"' + picture + b'"' if picture else b"null"
    return b'{"event":' + event.model_dump_json().encode() + b',"snapshot":' + snapshot + b"}"


async def _worker(post: Post, w: int, cameras: list[str], bench: AlertBench, start: float) -> None:
    """Raises events on a steady clock and sends what waits; stops sending at the run's
    deadline (what still waits then was never accepted)."""
    interval = bench.workers / bench.rate
    end = start + bench.seconds  # every worker raises within the run's one window
    start += w * interval / bench.workers  # the workers' cameras are not in step
    waiting: list[Raised] = []
    raised = 0
    done = False

    async def raise_events() -> None:
        nonlocal raised, done
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        while time.monotonic() < end:
            seq = raised * bench.workers + w
            waiting.append(Raised(seq, cameras[raised % len(cameras)], bench_event(seq)))
            bench.raised_at[seq] = time.time()
            bench.sent += 1
            raised += 1
            due = min(start + raised * interval, end)  # not past the window
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        done = True

    producer = asyncio.create_task(raise_events())
    while not (done and not waiting) and time.monotonic() < bench.deadline:
        if not waiting:
            await asyncio.sleep(0.001)
            continue
        batch = batch_of(waiting, lambda r: r.secret)  # as the worker's sender
        del waiting[: len(batch)]
        try:
            await post(batch)
        except httpx.HTTPError:
            bench.send_errors += len(batch)
    await producer


async def _post(
    http: httpx.AsyncClient, bench: AlertBench, snapshot: bytes, batch: list[Raised]
) -> None:
    bench.requests += 1
    if len(batch) == 1:
        r = await http.post(
            f"{V1}/device/events",
            data={"event": batch[0].event.model_dump_json()},
            files=_snapshot_file(snapshot),
            headers={"Authorization": f"Bearer {batch[0].secret}"},
        )
        statuses = [r.status_code]
    else:
        secrets = list(dict.fromkeys(one.secret for one in batch))
        picture = base64.b64encode(snapshot).decode() if snapshot else None
        body = {
            "events": [
                {
                    "camera": secrets.index(one.secret),
                    "event": one.event.model_dump(mode="json"),
                    "snapshot": picture,
                }
                for one in batch
            ]
        }
        r = await http.post(
            f"{V1}/device/events/batch",
            json=body,
            headers={"Authorization": "Bearer " + ",".join(secrets)},
        )
        statuses = [a["status"] for a in r.json()["results"]] if r.status_code == 200 else []
    accepted = [one.seq for one, status in zip(batch, statuses, strict=False) if status == 201]
    bench.accept(accepted)
    bench.send_errors += len(batch) - len(accepted)


async def sos_phase(
    url: str, victims: list[str], presses: int, bench: AlertBench, receiver: Dispatch112
) -> None:
    """Victims press SOS one after another; when does the security console see each, and
    when does the 112 system's webhook receive it?"""
    console_token = await login(url, "security")
    seen: dict[str, float] = {}
    ready = asyncio.Event()

    async def watch() -> None:
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

    task = asyncio.create_task(watch())
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
