"""Web Push: a locked phone rings. VAPID keys are made on first start and kept in the data
folder; the payload says only that something needs attention — no names, no place — because
it can show on a lock screen that the offender may see."""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from safewatch.alerts.channels import ACCEPTED, FAILED, RETRY, Message, Result
from safewatch.alerts.wording import lock_screen
from safewatch.incidents.facts import EntryReason
from safewatch.words import Lang

log = logging.getLogger(__name__)
GONE = (404, 410)  # the browser unsubscribed


# What a push service's endpoint looks like: a plain host name (no user, no backslash, no
# escapes that two URL parsers could read differently), an optional port, a printable path.
_ENDPOINT = re.compile(
    r"(?P<scheme>https?)://(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?/[!-\[\]-~]*"
)


def known_push_service(endpoint: str, services: list[str]) -> bool:
    """The endpoint is on one of the allowed push services (scheme, host and port as listed;
    '*.' allows subdomains). Anything else would make the hub POST wherever a subscriber
    says — its own loopback, the intranet. Checked on a strict form of the URL: the checker
    and the HTTP library must not read two different hosts from it."""
    url = _ENDPOINT.fullmatch(endpoint)
    if url is None:
        return False
    default = {"https": 443, "http": 80}
    host = url["host"].lower()
    port = int(url["port"]) if url["port"] else default[url["scheme"]]
    for service in services:
        allowed = urlsplit(service)
        listed = allowed.hostname or ""
        wildcard = listed.startswith("*.")
        same_host = host.endswith(listed[1:]) if wildcard else host == listed
        listed_port = allowed.port or default.get(allowed.scheme)
        if url["scheme"] == allowed.scheme and same_host and port == listed_port:
            return True
    return False


def load_or_create_vapid(path: Path) -> Vapid:
    if path.is_file():
        return Vapid.from_file(str(path))
    vapid = Vapid()
    vapid.generate_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    vapid.save_key(str(path))
    path.chmod(0o600)
    return vapid


def application_server_key(vapid: Vapid) -> str:
    """The public key a browser subscribes with (uncompressed point, base64url)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def lock_screen_text(message: Message, lang: Lang) -> dict[str, str]:
    title, body = lock_screen(message.packet, lang)
    return {
        "title": title,
        "body": body,
        "incident_id": str(message.packet.incident.id),
        "kind": message.kind,
    }


class WebPushChannel:
    name = "web_push"

    def __init__(self, vapid: Vapid, contact: str, timeout: float = 5.0) -> None:
        self.vapid, self.contact, self.timeout = vapid, contact, timeout
        # A push service answers; it does not redirect. Following one would let an endpoint
        # on an allowed host send the hub's POST anywhere.
        self.session = requests.Session()
        self.session.max_redirects = 0

    def send(self, message: Message) -> Result:
        if not message.push_targets:
            return Result(
                FAILED, "no phone has enabled notifications", reason=EntryReason.no_push_phone
            )
        accepted, errors, gone = 0, [], []
        for target in message.push_targets:
            data = json.dumps(lock_screen_text(message, target.lang))
            info = {
                "endpoint": target.endpoint,
                "keys": {"p256dh": target.p256dh, "auth": target.auth},
            }
            try:
                webpush(
                    info,
                    data=data,
                    vapid_private_key=self.vapid,
                    vapid_claims={"sub": self.contact},
                    timeout=self.timeout,
                    ttl=300,
                    headers={"Urgency": "high"},
                    requests_session=self.session,
                )
                accepted += 1  # the push service took it; the phone may be off
            except WebPushException as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status in GONE:
                    gone.append(target.endpoint)
                errors.append("gone" if status in GONE else f"{status or 'no answer'}")
            except requests.RequestException as exc:  # TLS, connection, a redirect refused
                # one phone's service failing must not keep the person's other phones silent
                errors.append(type(exc).__name__)
        if accepted:
            phones = f"{accepted} phone{'s' if accepted > 1 else ''}"
            return Result(
                ACCEPTED,
                f"accepted by web push for {phones}",
                tuple(gone),
                reason=EntryReason.push_accepted,
                count=accepted,
            )
        if len(gone) == len(message.push_targets):
            return Result(
                FAILED,
                "every phone has turned notifications off",
                tuple(gone),
                reason=EntryReason.push_turned_off,
            )
        return Result(
            RETRY,
            "push service: " + ", ".join(errors),
            tuple(gone),
            reason=EntryReason.push_failed,
        )
