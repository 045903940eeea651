"""Delivery channels: each takes one message for one recipient and says what happened.

``in_app`` hands it to the person's open screens over the bus; ``webhook`` posts a signed JSON
packet to the 112 dispatch system; ``sms`` goes through an SMS gateway (``sens.py``, with
delivery receipts) or, for development only, into a file outbox no phone reads;
``web_push`` rings a locked phone (``web_push.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import httpx

from safewatch.alerts.wording import sms_text
from safewatch.bus.base import EventBus, Notice
from safewatch.incidents.facts import EntryReason
from safewatch.incidents.lifecycle import SendOutcome
from safewatch.schemas.alerts import AlertPacket
from safewatch.store.files import atomic_write
from safewatch.words import Lang

ACCEPTED, DELIVERED, RETRY, FAILED = (
    SendOutcome.accepted,
    SendOutcome.delivered,
    SendOutcome.retry,
    SendOutcome.failed,
)


@dataclass(frozen=True)
class PushTarget:
    endpoint: str
    p256dh: str
    auth: str
    lang: Lang = "ko"  # the phone's owner's: the lock screen speaks it


@dataclass(frozen=True)
class Message:
    delivery_id: uuid.UUID
    kind: str  # alert | escalation | update
    recipient: str
    address: str | None  # bus address of the recipient group
    phone: str | None
    packet: AlertPacket
    push_targets: tuple[PushTarget, ...] = ()  # the recipients' phones (web push)


@dataclass(frozen=True)
class Result:
    outcome: SendOutcome
    detail: str = ""
    gone: tuple[str, ...] = ()  # web push endpoints the browser has unsubscribed
    # The detail as facts, for the timeline the screens word themselves.
    reason: EntryReason | None = None
    count: int | None = None  # screens or phones reached
    code: int | None = None  # an HTTP answer
    ref: str | None = None  # the gateway's id for it: its delivery receipt is asked by it


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> Result: ...


@runtime_checkable
class BatchChannel(Channel, Protocol):
    """A channel that sends many messages at once for about the price of one (a file
    outbox synced once per batch)."""

    def send_batch(self, messages: list[Message]) -> list[Result]: ...


class InAppChannel:
    name = "in_app"

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def send(self, message: Message) -> Result:
        return self.send_batch([message])[0]

    def send_batch(self, messages: list[Message]) -> list[Result]:
        results: list[Result | None] = []
        notices = []
        for message in messages:
            if message.address is None:
                results.append(
                    Result(
                        FAILED,
                        f"no {message.recipient} account to reach",
                        reason=EntryReason.no_account,
                    )
                )
                continue
            payload = {
                "kind": message.kind,
                "recipient": message.recipient,
                # When the hub let go of it: the time a screen takes to show it starts here.
                "published_at": time.time(),
                **message.packet.wire(),
            }
            notices.append(Notice(frozenset({message.address}), payload))
            results.append(None)
        reached = iter(self.bus.publish_many(notices))
        return [r if r is not None else _reached(next(reached)) for r in results]


def _reached(screens: int) -> Result:
    """Delivered means a connected screen's stream took it: a screen whose queue was full
    does not count (it is dropped and reconnects; the alert is tried again)."""
    if screens == 0:
        return Result(
            RETRY, "no screen connected (or its queue was full)", reason=EntryReason.no_screen
        )
    return Result(
        DELIVERED,
        f"delivered to {screens} screen{'s' if screens > 1 else ''}",
        reason=EntryReason.screens_reached,
        count=screens,
    )


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    """The 112 centre's dispatch system: a JSON packet signed with the shared secret
    (``X-Safewatch-Signature: sha256=<hex HMAC of the body>``); a 2xx is the receipt."""

    name = "webhook"

    def __init__(self, url: str, secret: str, timeout: float = 5.0) -> None:
        self.url, self.secret = url, secret
        self.http = httpx.Client(timeout=timeout)

    def send(self, message: Message) -> Result:
        body = json.dumps(
            {
                "delivery_id": str(message.delivery_id),
                "kind": message.kind,
                **message.packet.wire(),
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Safewatch-Signature": signature(self.secret, body),
            "X-Safewatch-Delivery": str(message.delivery_id),
        }
        try:
            response = self.http.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Result(
                RETRY,
                f"112 system not reachable: {exc}"[:300],
                reason=EntryReason.police_system_unreachable,
            )
        code = response.status_code
        if 200 <= code < 300:
            return Result(
                ACCEPTED,
                f"accepted by the 112 system ({code})",
                reason=EntryReason.police_system_accepted,
                code=code,
            )
        return Result(
            RETRY,
            f"112 system answered {code}",
            reason=EntryReason.police_system_refused,
            code=code,
        )


class SmsFileChannel:
    """Development only: text messages in a folder, one file per batch, one JSON line per
    message (``{"to", "text", "delivery_id"}``). No phone receives them; every screen that
    shows such a text says so (``reason.sms_accepted``)."""

    name = "sms"

    def __init__(self, folder: Path, lang: Lang = "ko") -> None:
        self.folder, self.lang = folder, lang  # texts in the region's language

    def send(self, message: Message) -> Result:
        return self.send_batch([message])[0]

    def send_batch(self, messages: list[Message]) -> list[Result]:
        lines, results = [], []
        for message in messages:
            if not message.phone:
                results.append(
                    Result(FAILED, "no phone number", reason=EntryReason.no_phone_number)
                )
                continue
            text = sms_text(message.packet, message.recipient, self.lang)
            record = {"to": message.phone, "text": text, "delivery_id": str(message.delivery_id)}
            lines.append(json.dumps(record, ensure_ascii=False))
            results.append(
                Result(
                    ACCEPTED,
                    f"accepted by the SMS gateway's outbox for {message.phone}",
                    reason=EntryReason.sms_accepted,
                )
            )
        if lines:
            first = next(m for m in messages if m.phone)
            data = ("\n".join(lines) + "\n").encode()
            atomic_write(self.folder / f"{first.delivery_id}.jsonl", data)
        return results


def is_local(channel: Channel) -> bool:
    """A channel that makes no network round trip (a queue in memory, a file): the writer of
    an incident may send on it the moment it commits; the alert loop sends on the others."""
    return isinstance(channel, InAppChannel | SmsFileChannel)
