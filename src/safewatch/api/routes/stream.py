"""The real-time stream (Server-Sent Events): a screen connects once and hears every alert and
change addressed to its person, starting with the open incidents it should already show."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic_core import to_json
from sqlalchemy.orm import Session

from safewatch.api.deps import (
    STAFF,
    AlertingDep,
    Credentials,
    allow,
    in_transaction,
    request_secret,
)
from safewatch.api.stream_guard import ENDED, StreamGuard
from safewatch.core import security
from safewatch.core.errors import Unauthorized
from safewatch.core.roles import Role
from safewatch.incidents.addresses import listener_addresses, recipient_of
from safewatch.incidents.lifecycle import Recipient
from safewatch.services import accounts, incident_reads, incidents, police
from safewatch.services.access import sign_in_address
from safewatch.services.context import Caller
from safewatch.services.packets import build_packet, case_facts, events_by_incident

router = APIRouter(tags=["real time"])
KEEPALIVE_SECONDS = 15.0

Listener = Annotated[
    Caller, allow(*STAFF, Role.security_operator, Role.dispatcher, Role.protected_person)
]


def sse(event: str, data: dict[str, Any]) -> str:
    # pydantic-core's encoder: a fifth of json.dumps' time, on the event loop of every stream
    return f"event: {event}\ndata: {to_json(data, fallback=str).decode()}\n\n"


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def stream(
    request: Request,
    caller: Listener,
    credentials: Credentials,
    alerting: AlertingDep,
    follow: bool = True,
) -> StreamingResponse:
    """``event: alert|escalation|update`` with the incident packet as ``data``; ``backlog``
    first for incidents already open, then ``live`` (empty) once the backlog is complete.
    Send the sign-in token as a bearer header. ``follow=false`` sends the backlog and ends
    (a polling fallback). ``ended`` (with its reason) is the last event of a stream whose
    access ended: signed out, the account disabled or changed, the sign-in expired, or a case
    taken from this person or company — the screen checks its sign-in and reconnects."""
    secret = request_secret(request, credentials)

    def backlog(session: Session) -> tuple[datetime, list[dict[str, Any]]]:
        # Up to 200 incidents: their cases and events in one query each, not per incident
        # (a hub restart reconnects every phone at once).
        open_now = incident_reads.open_incidents_for(session, caller)
        cases = case_facts(session, {i.case_id for i in open_now})
        events = events_by_incident(session, {i.id for i in open_now})
        requests = police.requests_by_incident(session, open_now)
        items = []
        shown_with_person: dict[uuid.UUID, list[str]] = defaultdict(list)
        for incident in open_now:
            case = cases[incident.case_id]
            who = recipient_of(caller.actor, case.scope, case.officer_id) or Recipient.officer
            packet = build_packet(
                incident,
                case,
                events[incident.id],
                who,
                alerting.links,
                requests[incident.id],
                caller.user_id,
            )
            shown = incident_reads.shown_on_connect(session, incident, who, alerting.clock())
            if shown and who is Recipient.police:  # now on a 112 screen: the others hear it
                incidents.tell_screens(session, alerting.routing, incident, alerting.clock())
            # When this person answered "I've seen it" (the screen shows it after a reload).
            answered = next(
                (r.acknowledged_at for r in incident.recipients if r.recipient is who), None
            )
            items.append(
                {"kind": "backlog", "recipient": who.value, "answered_at": answered, **packet}
            )
            if "protected_person" in packet:  # her name, phone and address were read
                shown_with_person[incident.case_id].append(incident.reference)
        for case_id, references in shown_with_person.items():
            what = f"open incident(s) shown when a screen connected: {', '.join(references)}"
            caller.record(session, "read", "incident", None, what[:300], case_id)
        return accounts.expiry_of(session, secret), items

    async def events() -> AsyncIterator[str]:
        addresses = listener_addresses(caller.actor)
        sub = alerting.bus.subscribe(addresses)
        guard: StreamGuard = request.app.state.stream_guard
        watched = guard.watch(
            addresses | {sign_in_address(security.secret_digest(secret))},
            datetime.max.replace(tzinfo=UTC),
            sub.queue,
        )
        try:
            yield "retry: 2000\n\n"
            try:  # checked again now that the guard watches: nothing ends unseen in between
                watched.expires_at, items = await in_transaction(request, backlog)
            except Unauthorized as exc:
                yield sse(ENDED, {"reason": str(exc)})
                return
            for item in items:
                yield sse("backlog", item)
            yield ": live\n\n"  # a comment (EventSource ignores it): the backlog is done
            # ...and the same as an event, for a screen that must drop what closed while it
            # was away (the backlog holds only what is open now)
            yield sse("live", {})
            while follow and not sub.overflowed:
                left = (watched.expires_at - alerting.clock()).total_seconds()
                if left <= 0:
                    watched.end("the sign-in expired")
                try:
                    # asyncio.timeout, not wait_for: no task made per notice (2,000 streams)
                    async with asyncio.timeout(max(0.0, min(KEEPALIVE_SECONDS, left))):
                        notice = await sub.queue.get()
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if watched.reason:  # its access ended: nothing more goes out on it
                    yield sse(ENDED, {"reason": watched.reason})
                    return
                yield sse(str(notice.payload.get("kind", "update")), notice.payload)
            # Overflowed: a screen this far behind ends its stream; EventSource reconnects
            # and the backlog shows it what it missed (what it missed was not receipted).
        finally:
            guard.forget(watched)
            sub.close()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
