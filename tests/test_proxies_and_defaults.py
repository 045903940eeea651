"""The hub's edges and defaults (issue 19): forwarded headers believed only from configured
proxies; production refuses keys, demo accounts and API docs it must not have."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from safewatch.core.config import Settings
from tests.live import LiveHub
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
