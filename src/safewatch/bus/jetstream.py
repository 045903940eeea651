"""Camera events on a durable JetStream stream (cluster mode).

A camera worker publishes each event to ``safewatch.events.camera``; JetStream's
acknowledgement means the event is on the servers' disks, and only then does the worker's
outbox let it go (a broker outage keeps it in the outbox). Hub replicas read the stream as
one durable pull consumer: each message goes to one replica, which acknowledges it after
the transaction that stored the event and opened its incident has committed. A replica
that dies holding messages never acknowledges them; after ``ACK_WAIT`` they go to another.
The event id is the message id (JetStream drops a repeat within its duplicate window) and
the hub's idempotency key, so a redelivered event is stored once.

The message carries the camera's device credential: the hub checks it exactly as on the
HTTP route, so publishing to the stream grants nothing by itself."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from safewatch.bus.messages import CameraEvent
from safewatch.bus.nats import NatsConnection

STREAM = "SAFEWATCH_EVENTS"
SUBJECTS = "safewatch.events.>"
SUBJECT = "safewatch.events.camera"
CONSUMER = "hub"
ACK_WAIT_SECONDS = 10.0  # a replica holds at most one fetch (200) unacknowledged
DUPLICATE_WINDOW_SECONDS = 600.0
CREDENTIAL_HEADER = "Safewatch-Credential"
DEFAULT_MAX_PAYLOAD = 1024 * 1024  # NATS's default, until the server has said


@dataclass(frozen=True)
class StreamedEvent:
    credential: str
    event: CameraEvent
    snapshot: bytes


def encode(event_json: str, snapshot: bytes | None) -> bytes:
    body = {"event": json.loads(event_json), "snapshot": None}
    if snapshot:
        body["snapshot"] = base64.b64encode(snapshot).decode()
    return json.dumps(body, separators=(",", ":")).encode()


def decode(data: bytes, headers: dict[str, str] | None) -> StreamedEvent:
    """Raises ValueError (with the reason) for a message no retry can mend."""
    credential = (headers or {}).get(CREDENTIAL_HEADER, "")
    if not credential:
        raise ValueError("no device credential on the message")
    try:
        body = json.loads(data)
        event = CameraEvent.model_validate(body["event"])
        snapshot = base64.b64decode(body["snapshot"]) if body.get("snapshot") else b""
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a camera event message: {exc}"[:300]) from exc
    return StreamedEvent(credential, event, snapshot)


async def ensure_stream(js: JetStreamContext) -> None:
    """The stream, made by whoever comes first (hub or camera worker)."""
    config = StreamConfig(
        name=STREAM,
        subjects=[SUBJECTS],
        retention=RetentionPolicy.WORK_QUEUE,  # a message is gone once a replica acked it
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        max_msg_size=8 * 1024 * 1024,
    )
    try:
        await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(config)


class EventPublisher:
    """The camera worker's side: publish and wait for JetStream's acknowledgement."""

    def __init__(self, connection: NatsConnection, timeout: float = 5.0) -> None:
        self.connection, self.timeout = connection, timeout
        self.js = connection.client.jetstream(timeout=timeout)
        self._ready = False

    async def _publish(self, event_id: str, credential: str, body: bytes) -> None:
        if not self._ready:
            await ensure_stream(self.js)
            self._ready = True
        headers = {CREDENTIAL_HEADER: credential, "Nats-Msg-Id": event_id}
        await self.js.publish(SUBJECT, body, headers=headers, stream=STREAM)

    def fits(self, size: int) -> bool:
        """Whether NATS takes a message this large (its servers say how large at connect;
        1 MiB by default)."""
        return size <= (self.connection.client.max_payload or DEFAULT_MAX_PAYLOAD) - 1024

    def publish(self, event_id: str, credential: str, body: bytes) -> None:
        """Raises when the event is not durably on the stream (the outbox keeps it)."""
        self.connection.call(self._publish(event_id, credential, body), self.timeout + 1)
