"""The protected person's app lock (issue 23, point 2). After Seoul 2021 — the offender said
the voice from the watch enraged him — an SOS must be possible without anyone noticing: the
duress PIN unlocks the app exactly as the PIN does, and raises a silent SOS."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from safewatch.core import security
from safewatch.core.errors import Forbidden, NotFound
from safewatch.incidents.facts import SignalSource, SosFeedback
from safewatch.incidents.location import Fix
from safewatch.incidents.policy import Routing
from safewatch.models import User
from safewatch.services import cases, incidents
from safewatch.services.context import Caller


def _user(session: Session, caller: Caller) -> User:
    user = session.get(User, caller.user_id)
    if user is None:
        raise NotFound("no such account")
    return user


def is_locked(session: Session, caller: Caller) -> bool:
    return _user(session, caller).app_pin_hash is not None


def set_pins(session: Session, caller: Caller, pin: str, duress_pin: str | None) -> None:
    user = _user(session, caller)
    user.app_pin_hash = security.hash_pin(pin)
    user.duress_pin_hash = security.hash_pin(duress_pin) if duress_pin else None
    caller.record(session, "update", "app_lock", user.id, "app lock set")


def unlock(
    session: Session,
    routing: Routing,
    caller: Caller,
    actor: str,
    pin: str,
    fix: Fix | None,
    now: datetime,
) -> bool:
    """True for the PIN and for the duress PIN alike (the answer must not tell them apart);
    the duress PIN also opens a silent SOS. False for a wrong PIN."""
    user = _user(session, caller)
    if security.pin_matches(pin, user.app_pin_hash):
        return True
    if user.duress_pin_hash is None or not security.pin_matches(pin, user.duress_pin_hash):
        return False
    found, _ = cases.list_cases(session, caller, 1, 1)
    if not found:
        raise Forbidden("no open case is linked to your account")
    incidents.open_sos(
        session,
        routing,
        found[0],
        now,
        SignalSource.phone,
        actor,
        fix,
        user_id=caller.user_id,
        duress=True,
    )
    return True


def sos_feedback(session: Session, caller: Caller) -> SosFeedback:
    found, _ = cases.list_cases(session, caller, 1, 1)
    return found[0].protected_person.sos_feedback if found else SosFeedback.silent


def set_sos_feedback(session: Session, caller: Caller, feedback: SosFeedback) -> None:
    """Her choice of what her watch and app do when she presses SOS (her watch hears it in
    its next heartbeat's answer)."""
    found, _ = cases.list_cases(session, caller, 1, 1)
    if not found:
        raise NotFound("no open case is linked to your account")
    found[0].protected_person.sos_feedback = feedback
    caller.record(session, "update", "sos_feedback", found[0].id, f"SOS feedback: {feedback}")
