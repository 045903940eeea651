"""The hub's edges and defaults (issue 19): forwarded headers believed only from configured
proxies; production refuses keys, demo accounts and API docs it must not have; the hub posts
Web Push only to known push services."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.alerts.channels import Message, PushTarget
from safewatch.alerts.web_push import WebPushChannel, known_push_service, load_or_create_vapid
from safewatch.api.app import create_app
from safewatch.core.config import Environment, Settings, new_secret
from safewatch.incidents.lifecycle import SendOutcome
from safewatch.models import SignInFailures
from tests.live import LiveHub, alert_packet
from tests.sens_fake import PRODUCTION_SMS
from tests.world import World

V1 = "/api/v1"


def _hub(settings: Settings, factory: sessionmaker[Session], **changes: object) -> LiveHub:
    return LiveHub(
        settings.model_copy(update={"failed_sign_in_rate": "3/minute", **changes}), factory
    )


@pytest.fixture
def hubs(session_factory: sessionmaker[Session]) -> Iterator[list[LiveHub]]:
    started: list[LiveHub] = []
    yield started
    for hub in started:
        hub.stop()


def _failed_sign_ins(hub: LiveHub, forwarded: list[str]) -> list[int]:
    """One wrong password per name (no name gets locked: only an address can be refused)."""
    return [
        httpx.post(
            f"{hub.url}{V1}/auth/login",
            json={"username": f"nobody-{k}-{address}", "password": "wrong-password"},
            headers={"X-Forwarded-For": address},
            timeout=10,
        ).status_code
        for k, address in enumerate(forwarded)
    ]


def test_a_rotated_x_forwarded_for_does_not_escape_the_sign_in_limit(
    world: World, settings: Settings, session_factory: sessionmaker[Session], hubs: list[LiveHub]
) -> None:
    hub = _hub(settings, session_factory)  # no trusted proxy: the default
    hubs.append(hub)
    hub.start()
    answers = _failed_sign_ins(hub, [f"203.0.113.{k}" for k in range(1, 7)])
    assert 429 in answers, answers  # one client, whatever the header says


def test_a_configured_proxy_is_believed(
    world: World, settings: Settings, session_factory: sessionmaker[Session], hubs: list[LiveHub]
) -> None:
    hub = _hub(settings, session_factory, trusted_proxies=["127.0.0.1"])
    hubs.append(hub)
    hub.start()
    # Six people behind the load balancer, one wrong password each: none is refused...
    assert 429 not in _failed_sign_ins(hub, [f"203.0.113.{k}" for k in range(1, 7)])
    # ...and one of them who keeps trying is.
    assert 429 in _failed_sign_ins(hub, ["198.51.100.9"] * 6)


@pytest.mark.parametrize(
    "weak",
    [
        "aaaaaaaaaaaaaaaa",  # accepted before
        "a" * 64,
        "my hub's secret key, which is quite long really",
        "0123456789abcdef0123456789abcdef",  # 16 bytes in hex: too short
    ],
)
def test_production_refuses_a_weak_secret_key(weak: str) -> None:
    with pytest.raises(ValueError, match="too weak for production"):
        Settings(environment="production", secret_key=weak, **PRODUCTION_SMS)  # type: ignore[arg-type]


def test_production_takes_32_random_bytes_however_written() -> None:
    for secret in (secrets.token_hex(32), secrets.token_urlsafe(32), new_secret()):
        Settings(environment="production", secret_key=secret, **PRODUCTION_SMS)  # type: ignore[arg-type]


def test_the_api_docs_are_off_in_production_unless_asked_for(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    production = {"environment": Environment.production, "secret_key": new_secret()}
    for changes, served in (
        ({}, True),
        (production, False),
        ({**production, "api_docs": True}, True),
    ):
        client = TestClient(create_app(settings.model_copy(update=changes), session_factory))
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (client.get(path).status_code == 200) is served, (changes, path)


DEFAULT_SERVICES = Settings().web_push_services


@pytest.mark.parametrize(
    ("endpoint", "known"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc:APA91", True),
        ("https://updates.push.services.mozilla.com/wpush/v2/gAAA", True),
        ("https://wns2-par02p.notify.windows.com/w/?token=BQYA", True),
        ("https://web.push.apple.com/QGuQyavXutnMH", True),
        ("http://fcm.googleapis.com/fcm/send/abc", False),  # not https
        ("https://fcm.googleapis.com:8443/fcm/send/abc", False),  # another port
        ("https://fcm.googleapis.com:443/fcm/send/abc", True),  # https's own, spelt out
        ("https://fcm.googleapis.com.evil.example/send", False),
        ("https://evilpush.services.mozilla.com/wpush", False),
        ("https://user:pw@fcm.googleapis.com/fcm/send/abc", False),
        ("http://127.0.0.1:8000/api/v1/me/sos", False),  # the hub itself
        ("https://10.0.0.5/", False),  # the intranet
    ],
)
def test_push_endpoints_only_on_known_push_services(endpoint: str, known: bool) -> None:
    assert known_push_service(endpoint, DEFAULT_SERVICES) is known


def test_a_push_subscription_to_a_loopback_address_is_refused(world: World) -> None:
    subscription = {
        "endpoint": "http://127.0.0.1:9/push/abc",
        "keys": {"p256dh": "B" * 87, "auth": "a" * 22},
    }
    r = world.post("victim_a", f"{V1}/me/push-subscriptions", subscription)
    assert r.status_code == 422 and "known push service" in r.text
    real = {**subscription, "endpoint": "https://fcm.googleapis.com/fcm/send/abc:APA91"}
    assert world.post("victim_a", f"{V1}/me/push-subscriptions", real).status_code == 201


@pytest.mark.parametrize("field", ["username", "password"])
def test_sign_in_fields_are_bounded(world: World, field: str) -> None:
    body = {"username": "nobody", "password": "wrong-password", field: "x" * 1_000_000}
    r = world.client.post(f"{V1}/auth/login", json=body)
    assert r.status_code == 422, r.text
    with world.factory() as s:
        assert s.scalar(select(func.max(func.length(SignInFailures.username)))) in (None, 6)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1\\.notify.windows.com/w/?token=attack",  # found by the attack run
        "https://localhost\\.push.apple.com/x",
        "https://fcm.googleapis.com/fcm/send/a\\b",
        "https://fcm.googleapis.com%2e127.0.0.1/x",
        "https://fcm.googleapis.com",  # no path
        "https://fcm.googleapis.com/a b",
    ],
)
def test_push_endpoints_two_parsers_could_read_differently_are_refused(endpoint: str) -> None:
    assert not known_push_service(endpoint, DEFAULT_SERVICES)


class _Redirector(BaseHTTPRequestHandler):
    target = ""
    hits: list[str] = []  # noqa: RUF012 - shared by the handler instances of one test

    def do_POST(self) -> None:
        _Redirector.hits.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(307)
            self.send_header("Location", _Redirector.target)
            self.end_headers()
        else:
            self.send_response(201)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_web_push_follows_no_redirect_and_one_failing_phone_silences_no_other(
    tmp_path: Path,
) -> None:
    """A push service answers, it does not redirect: an allowed endpoint must not send the
    hub's POST elsewhere. A phone whose service fails in TLS (not a WebPushException) must
    not keep the person's other phones from ringing."""
    import base64 as b64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    server = HTTPServer(("127.0.0.1", 0), _Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    _Redirector.target, _Redirector.hits = f"{base}/inside", []
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    p256dh = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )

    def phone(endpoint: str) -> PushTarget:
        raw = b64.urlsafe_b64encode
        return PushTarget(endpoint, raw(p256dh).decode(), raw(os.urandom(16)).decode())

    channel = WebPushChannel(load_or_create_vapid(tmp_path / "vapid.pem"), "mailto:x@example.org")
    packet = alert_packet("critical")
    try:
        redirected = Message(
            uuid.uuid4(), "alert", "victim", None, None, packet, (phone(f"{base}/redirect"),)
        )
        result = channel.send(redirected)
        assert result.outcome is SendOutcome.retry and "/inside" not in _Redirector.hits
        broken_tls = f"https://127.0.0.1:{server.server_port}/tls"  # a plain server: TLS fails
        both = Message(
            uuid.uuid4(),
            "alert",
            "victim",
            None,
            None,
            packet,
            (phone(broken_tls), phone(f"{base}/ok")),
        )
        result = channel.send(both)
        assert result.outcome is SendOutcome.accepted and "/ok" in _Redirector.hits
    finally:
        server.shutdown()
