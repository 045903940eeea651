"""Sending the outbox to the hub with each camera's device credential, in order, with backoff."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from safewatch.bus import jetstream
from safewatch.bus.jetstream import EventPublisher
from safewatch.bus.messages import CameraHealth, OutboxKind, retry_later
from safewatch.schemas.events import MAX_BATCH_CAMERAS
from safewatch.vision.outbox import Outbox, OutboxItem
from safewatch.vision.supervisor import Supervised

log = logging.getLogger(__name__)
T = TypeVar("T")
# An item that fails in the worker itself (not at the hub) this often is set aside with its
# reason, so that it does not hold back the alerts behind it.
MAX_WORKER_ERRORS = 3
BATCH = 100  # events per request when more than one is waiting (and at most
# MAX_BATCH_CAMERAS cameras: the hub takes that many credentials in one request)


class DeliveryError(Exception):
    """``status``: what the hub answered; None when it could not be reached."""

    def __init__(self, message: str, retry: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retry, self.status = retry, status


class UnknownCamera(DeliveryError):
    """An item of a camera no longer in the site file (renamed or removed): without its
    credential it cannot be sent; it is kept, quarantined, until the camera is back."""

    def __init__(self, camera: str) -> None:
        super().__init__(
            f"camera '{camera}' is no longer in the site file, so its credential is unknown "
            "(put it back, or rename it back, and run `safewatch camera retry`)",
            False,
        )


def credentials_of(secrets: dict[str, str]) -> Callable[[str], str]:
    """Camera name → its device secret; an unknown name is an ``UnknownCamera``."""

    def credential(camera: str) -> str:
        try:
            return secrets[camera]
        except KeyError:
            raise UnknownCamera(camera) from None

    return credential


class HubClient:
    def __init__(
        self,
        base_url: str,
        credential: Callable[[str], str],
        events: EventPublisher | None = None,
        timeout: float = 10,
    ) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/api/v1", timeout=timeout)
        self.credential = credential  # camera name → its device secret
        self.events = events  # cluster mode: events to the JetStream stream, not over HTTP

    def close(self) -> None:
        self.http.close()
        if self.events is not None:
            self.events.connection.close()

    def _stream(self, item: OutboxItem) -> DeliveryError | None:
        """An event onto the cluster's stream; None once JetStream has it on disk."""
        assert self.events is not None
        try:
            body = jetstream.encode(item.payload or "{}", item.snapshot)
        except ValueError as exc:
            return DeliveryError(f"event not sendable: {exc}", False)
        if not self.events.fits(len(body)):
            # Larger than NATS takes (a big snapshot): over HTTP to the hub instead, or it
            # would be refused for ever and hold up the events behind it.
            try:
                self._send_http(item)
            except DeliveryError as exc:
                return exc
            return None
        try:
            secret = self.credential(item.camera)
        except UnknownCamera as exc:
            return exc
        try:
            self.events.publish(str(item.event_id), secret, body)
        except Exception as exc:  # the broker is down or slow: the outbox keeps the event
            return DeliveryError(f"event stream not reachable: {type(exc).__name__}: {exc}", True)
        return None

    def _headers(self, camera: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential(camera)}"}

    def _check(self, response: httpx.Response, retry_missing: bool = False) -> None:
        """Raises DeliveryError unless the hub took it. ``retry_missing``: a clip or original
        whose event the hub does not have yet (in cluster mode the event is still on its way
        through the stream) is tried again."""
        if response.status_code < 300:
            return
        try:
            detail = str(response.json().get("detail"))
        except ValueError:
            detail = response.text[:200]
        status = response.status_code
        retry = retry_later(status) or (retry_missing and status == 404)
        raise DeliveryError(f"hub answered {response.status_code}: {detail}", retry, status)

    def heartbeat(self, camera: str, body: dict[str, Any]) -> None:
        """Raises DeliveryError (the hub not reachable, or refusing)."""
        self._request("POST", "/device/heartbeat", camera, json=body)

    def face_lists(self, camera: str) -> dict[str, Any]:
        """The camera's watch and allow lists from the hub (raises DeliveryError)."""
        try:
            response = self.http.get("/device/face-lists", headers=self._headers(camera))
        except httpx.HTTPError as exc:
            raise DeliveryError(f"hub not reachable: {exc}", True) from exc
        self._check(response)
        result: dict[str, Any] = response.json()
        return result

    def _request(
        self,
        method: str,
        path: str,
        camera: str,
        content: bytes | None = None,
        json: dict[str, Any] | None = None,
        content_type: str | None = None,
    ) -> httpx.Response:
        headers = self._headers(camera)
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            response = self.http.request(method, path, headers=headers, content=content, json=json)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"hub not reachable: {exc}", True) from exc
        self._check(response)
        return response

    def send_view(self, camera: str, jpeg: bytes) -> bool:
        """A picture of what the camera sees (for drawing its zones on, and the live view of
        an incident); True while someone watches it live."""
        response = self._request("PUT", "/device/view", camera, jpeg, content_type="image/jpeg")
        return bool(response.json().get("live"))

    def zones(self, camera: str) -> list[dict[str, Any]] | None:
        """The zones drawn for the camera in the hub; None while none are drawn."""
        zones: list[dict[str, Any]] | None = self._request("GET", "/device/zones", camera).json()[
            "zones"
        ]
        return zones

    def send_events(self, items: list[OutboxItem]) -> list[DeliveryError | None]:
        """Several events of this worker's cameras in one request; each gets its own answer
        (None: stored at the hub, or on the cluster's stream). The header lists the
        cameras' credentials."""
        if self.events is not None:
            return [self._stream(item) for item in items]
        answers: list[DeliveryError | None] = [None] * len(items)
        sendable: list[tuple[int, OutboxItem]] = []
        for k, item in enumerate(items):
            try:
                self.credential(item.camera)
                sendable.append((k, item))
            except UnknownCamera as exc:
                answers[k] = exc
        if sendable:
            for (k, _), answer in zip(sendable, self._batch([i for _, i in sendable]), strict=True):
                answers[k] = answer
        return answers

    def _batch(self, items: list[OutboxItem]) -> list[DeliveryError | None]:
        cameras = list(dict.fromkeys(item.camera for item in items))
        body = {
            "events": [
                {
                    "camera": cameras.index(item.camera),
                    "event": json.loads(item.payload or "{}"),
                    "snapshot": base64.b64encode(item.snapshot).decode() if item.snapshot else None,
                }
                for item in items
            ]
        }
        secrets = ",".join(self.credential(camera) for camera in cameras)
        try:
            response = self.http.post(
                "/device/events/batch", json=body, headers={"Authorization": f"Bearer {secrets}"}
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"hub not reachable: {exc.__class__.__name__}: {exc}", True
            ) from exc
        self._check(response)
        answers: list[DeliveryError | None] = []
        for answer in response.json()["results"]:
            status = int(answer["status"])
            if status < 300:
                answers.append(None)
            else:
                retry = retry_later(status)
                answers.append(
                    DeliveryError(f"hub answered {status}: {answer['error']}", retry, status)
                )
        return answers

    def send(self, item: OutboxItem) -> None:
        if item.kind is OutboxKind.event and self.events is not None:
            if (error := self._stream(item)) is not None:
                raise error
            return
        self._send_http(item)

    def _put(
        self, item: OutboxItem, where: str, media_type: str, content: bytes | None
    ) -> httpx.Response:
        return self.http.put(
            f"/device/events/{item.event_id}/{where}",
            headers={**self._headers(item.camera), "Content-Type": media_type},
            content=content or b"",
        )

    def _send_http(self, item: OutboxItem) -> None:
        try:
            if item.kind is OutboxKind.event:
                files = {"snapshot": ("snapshot.jpg", item.snapshot or b"", "image/jpeg")}
                response = self.http.post(
                    "/device/events",
                    headers=self._headers(item.camera),
                    data={"event": item.payload or ""},
                    files=files,
                )
            elif item.kind is OutboxKind.original_snapshot:
                response = self._put(item, "original/snapshot", "image/jpeg", item.snapshot)
            elif item.blob_path:
                content = Path(item.blob_path).read_bytes()
                where = "clip" if item.kind is OutboxKind.clip else "original/clip"
                response = self._put(item, where, "video/mp4", content)
            else:
                response = self.http.post(
                    f"/device/events/{item.event_id}/clip-missing",
                    headers=self._headers(item.camera),
                    json={"reason": item.error or "unknown"},
                )
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"hub not reachable: {exc.__class__.__name__}: {exc}", True
            ) from exc
        except FileNotFoundError as exc:
            raise DeliveryError(f"clip file is gone: {exc.filename}", False) from exc
        self._check(response, retry_missing=item.kind is not OutboxKind.event)


class Sender:
    """Drains the outbox until stopped, in a supervised thread: whatever fails, it comes back."""

    def __init__(self, outbox: Outbox, client: HubClient) -> None:
        self.outbox, self.client = outbox, client
        self.stop = threading.Event()
        self.part = Supervised("outbox sender", self._run, self.stop)

    def start(self) -> None:
        self.part.start()

    def close(self, timeout: float = 5) -> None:
        self.stop.set()
        self.outbox.changed.set()
        self.part.join(timeout)

    def drain_once(self) -> bool:
        """Try the head of the queue once; True if something was delivered. Events that
        are waiting together (a backlog, a busy moment) go in one request."""
        events = batch_of(self.outbox.next_due_events(BATCH), lambda item: item.camera)
        if len(events) > 1:
            try:
                answers = self.client.send_events(events)
            except DeliveryError as exc:
                if exc.retry:
                    for item in events:
                        self._failed(item, exc)
                    return False
                # The hub refused the batch as a whole: never lose its events for that;
                # send them one by one, each with its own answer.
                log.error("batch of %d events refused (%s); sending each alone", len(events), exc)
                return any([self._send_one(item) for item in events])
            except Exception as exc:  # a fault of the worker's own: each alone, each judged
                log.exception("batch of %d events failed in the worker", len(events))
                self.part.report(CameraHealth.degraded, f"sending failed: {exc}")
                return any([self._send_one(item) for item in events])
            for item, answer in zip(events, answers, strict=True):
                if answer is None:
                    self.outbox.mark_sent(item)
                else:
                    self._failed(item, answer)
            return any(answer is None for answer in answers)
        head, _ = self.outbox.next_due()
        return head is not None and self._send_one(head)

    def _send_one(self, item: OutboxItem) -> bool:
        try:
            self.client.send(item)
        except DeliveryError as exc:
            self._failed(item, exc)
            return False
        except Exception as exc:  # a bug or a local fault: retried, then set aside, never lost
            log.exception("%s %s failed in the worker", item.kind, item.event_id)
            retry = item.attempts + 1 < MAX_WORKER_ERRORS
            self._failed(item, DeliveryError(f"worker error: {type(exc).__name__}: {exc}", retry))
            return False
        self.outbox.mark_sent(item)
        return True

    def _failed(self, item: OutboxItem, exc: DeliveryError) -> None:
        if exc.retry:
            delay = self.outbox.mark_failed(item, str(exc))
            log.warning(
                "%s %s not delivered (retry in %.0f s): %s", item.kind, item.event_id, delay, exc
            )
            self.part.report(CameraHealth.degraded, f"not delivering, trying again: {exc}")
        else:
            self.outbox.quarantine(item, str(exc))
            log.error("%s %s quarantined: %s", item.kind, item.event_id, exc)

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if self.drain_once():
                self.part.report(CameraHealth.ok)
                continue
            head, wait = self.outbox.next_due()
            if head is None and self.outbox.counts().get("pending", 0) == 0:
                self.part.report(CameraHealth.ok)  # nothing waits: nothing is failing
            self.outbox.changed.wait(timeout=min(max(wait, 0.05), 5.0))
            self.outbox.changed.clear()


def batch_of(waiting: Sequence[T], camera: Callable[[T], str]) -> list[T]:
    """The head of what waits that one batch request may carry: at most BATCH events, of at
    most MAX_BATCH_CAMERAS cameras (the hub takes that many credentials in one request)."""
    cameras: set[str] = set()
    for k, item in enumerate(waiting[:BATCH]):
        cameras.add(camera(item))
        if len(cameras) > MAX_BATCH_CAMERAS:
            return list(waiting[:k])
    return list(waiting[:BATCH])
