"""A camera's address: its password comes from the environment and is never shown.

A site file names a camera's password by environment variable, as Frigate does
(``rtsp://admin:${FRONT_DOOR_PASSWORD}@192.168.1.20:554/stream1``), so the file can be shared
with a caseworker. What the worker logs, writes to ``status.json`` or sends to the hub shows
the address with its user and password masked, and any text FFmpeg gives about the stream
(its errors name the full address) is scrubbed the same way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"
# Query parameters some cameras take their login in (…/stream?user=admin&password=…).
SECRET_PARAMETERS = {"user", "username", "password", "pass", "pwd", "passwd", "token", "auth"}


class MissingSecret(ValueError):
    pass


def resolve(source: str, environ: Mapping[str, str] | None = None) -> str:
    """``source`` with every ``${NAME}`` replaced by that environment variable, percent-encoded
    when it stands in the address's user part (a password may hold ``@`` or ``:``)."""
    env = os.environ if environ is None else environ
    names = ENV_REFERENCE.findall(source)
    if missing := [n for n in names if not env.get(n)]:
        raise MissingSecret(f"the environment variable {', '.join(missing)} is not set")
    if not names:
        return source
    at = source.find("@", source.find("://") + 3) if "://" in source else -1
    out, last = [], 0
    for m in ENV_REFERENCE.finditer(source):
        value = env[m.group(1)]
        out += [source[last : m.start()], quote(value, safe="") if m.start() < at else value]
        last = m.end()
    return "".join(out) + source[last:]


def redacted(source: str) -> str:
    """The address as it may be shown: user, password and login parameters masked."""
    if "://" not in source:
        return source  # a file path
    try:
        parts = urlsplit(source)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not an address urllib can read: show its scheme alone
        return source.split("://", 1)[0] + "://" + MASK
    netloc = (f"{MASK}@" if parts.username or parts.password else "") + host + port
    query = urlencode(
        [(k, MASK if k.lower() in SECRET_PARAMETERS else v) for k, v in parse_qsl(parts.query)],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def secrets_of(source: str) -> list[str]:
    """The pieces of ``source`` that must never be shown, longest first."""
    if "://" not in source:
        return []
    try:
        parts = urlsplit(source)
        found = [parts.username, parts.password]
    except ValueError:
        return [source]
    found += [v for k, v in parse_qsl(parts.query) if k.lower() in SECRET_PARAMETERS]
    pieces = {p for f in found if f for p in (f, unquote(f), quote(f, safe=""))}
    return sorted(pieces, key=len, reverse=True)


def scrub(text: str, source: str) -> str:
    """``text`` (an error FFmpeg gave about ``source``) with the address and its secrets masked."""
    text = text.replace(source, redacted(source))
    for secret in secrets_of(source):
        text = text.replace(secret, MASK)
    return text
