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
PASSWORD_PARAMETERS = {"password", "pass", "pwd", "passwd", "token", "auth"}
SECRET_PARAMETERS = {"user", "username", *PASSWORD_PARAMETERS}  # masked when shown
# …and some in the path (XMeye-family cameras and DVRs: /user=admin&password=…&channel=1.sdp,
# or with underscores: /user=admin_password=…_channel=1_stream=0.sdp). A value ends at the
# next separator, or at "_name=" in the underscore form.
PATH_LOGIN = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(sorted(SECRET_PARAMETERS)) + r")="
    r"((?:(?!_[A-Za-z]+=)[^&;?/#])*)",
    re.IGNORECASE,
)


class MissingSecret(ValueError):
    pass


def resolve(source: str, environ: Mapping[str, str] | None = None) -> str:
    """``source`` with every ``${NAME}`` replaced by that environment variable, percent-encoded
    (a password may hold ``@``, ``:``, ``&`` or ``#``, which would cut the address)."""
    env = os.environ if environ is None else environ
    names = ENV_REFERENCE.findall(source)
    if missing := [n for n in names if not env.get(n)]:
        raise MissingSecret(f"the environment variable {', '.join(missing)} is not set")
    return ENV_REFERENCE.sub(lambda m: quote(env[m.group(1)], safe=""), source)


# "user:password@" where an address is mistyped ("rstp:/admin:pw@…"): masked all the same.
LOGIN = re.compile(r"[^\s/@]+:[^\s/]*@")


def redacted(source: str) -> str:
    """The address as it may be shown: user, password and login parameters masked."""
    if "://" not in source:
        return LOGIN.sub(f"{MASK}@", source)  # a file path, or an address mistyped
    try:
        parts = urlsplit(source)
    except ValueError:  # not an address urllib can read: show its scheme alone
        return source.split("://", 1)[0] + "://" + MASK
    _, at, host_port = parts.netloc.rpartition("@")  # an IPv6 host keeps its brackets
    netloc = (f"{MASK}@" if at else "") + host_port
    query = urlencode(
        [(k, MASK if k.lower() in SECRET_PARAMETERS else v) for k, v in parse_qsl(parts.query)],
        safe="*",
    )
    path = PATH_LOGIN.sub(lambda m: f"{m.group(1)}={MASK}", parts.path)
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def secrets_of(source: str) -> list[str]:
    """The pieces of ``source`` that must never be shown, longest first."""
    if "://" not in source:
        return []
    try:
        parts = urlsplit(source)
        found = [parts.password]  # the user name alone opens nothing, and is often "admin"
    except ValueError:
        return [source]
    found += [v for k, v in parse_qsl(parts.query) if k.lower() in PASSWORD_PARAMETERS]
    found += [v for k, v in PATH_LOGIN.findall(parts.path) if k.lower() in PASSWORD_PARAMETERS]
    pieces = {p for f in found if f for p in (f, unquote(f), quote(f, safe=""))}
    return sorted(pieces, key=len, reverse=True)


def written_in(source: str) -> bool:
    """Whether the site file holds the password itself rather than naming its variable."""
    return any(not ENV_REFERENCE.fullmatch(unquote(s)) for s in secrets_of(source))


MIN_SECRET = 4  # a shorter piece is masked only inside the address (else "1" masks every 1)


def scrub(text: str, source: str) -> str:
    """``text`` (an error FFmpeg gave about ``source``) with the address and its secrets masked."""
    text = text.replace(source, redacted(source))
    for secret in secrets_of(source):
        if len(secret) >= MIN_SECRET:
            text = text.replace(secret, MASK)
    return LOGIN.sub(f"{MASK}@", text)
