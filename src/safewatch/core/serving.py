"""How the hub serves: who may reach it with which key, its API pages, whose forwarded
headers it believes."""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

from safewatch.core.config import DEFAULT_SECRET_KEY, Environment, Settings


def development_key_exposed(settings: Settings, host: str) -> bool:
    """The published development key on an address others can reach: anyone could sign a
    link to a police-only original. Only loopback may serve with it."""
    if settings.secret_key != DEFAULT_SECRET_KEY:
        return False
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it may resolve anywhere
        return True


def api_docs(settings: Settings) -> bool:
    """The API's own pages (/docs, /redoc, /openapi.json): a map of every route for whoever
    asks, so off in production unless asked for."""
    if settings.api_docs is not None:
        return settings.api_docs
    return settings.environment is not Environment.production


class ProxyOptions(NamedTuple):
    proxy_headers: bool
    forwarded_allow_ips: str | None


def proxy_options(settings: Settings) -> ProxyOptions:
    """uvicorn's options for forwarded headers: believed only from the configured proxies
    (uvicorn's own default believes 127.0.0.1, where a load balancer often sits)."""
    trusted = settings.trusted_proxies
    return ProxyOptions(bool(trusted), ",".join(trusted) or None)
