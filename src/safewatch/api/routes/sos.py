"""The protected person's SOS from the app, a smartwatch's or an emergency bell's SOS, and
the devices' location while an SOS is open."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from sqlalchemy import select

from safewatch.api.deps import (
    AlertingDep,
    DeviceDep,
    SessionDep,
    ThrottleDep,
    allow,
)
from safewatch.api.presenters import incident_summary
from safewatch.core.errors import Forbidden, Invalid, NotFound
from safewatch.core.roles import Role
from safewatch.incidents.facts import SignalSource
from safewatch.models import CameraEventRecord, Case
from safewatch.models.resources import DeviceKind
from safewatch.schemas.incidents import (
    AppLockIn,
    AppLockState,
    IncidentSummary,
    LocationIn,
    SosFeedbackSetting,
    SosIn,
    SosReceipt,
    Unlocked,
    UnlockIn,
)
from safewatch.services import app_lock, cases, devices, incident_actions, incidents, proximity
from safewatch.services.context import Caller

router = APIRouter(tags=["incidents"])


def _latest_clip(
    session: SessionDep, alerting: AlertingDep, case: Case, caller: Caller
) -> str | None:
    record = session.scalar(
        select(CameraEventRecord)
        .where(CameraEventRecord.case_id == case.id, CameraEventRecord.clip_name.is_not(None))
        .order_by(CameraEventRecord.occurred_at.desc())
        .limit(1)
    )
    return alerting.links.url(record.id, "clip", "victim", by=caller.user_id) if record else None


@router.post("/me/sos", status_code=201)
def my_sos(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.protected_person)],
    alerting: AlertingDep,
    data: SosIn,
    throttle: ThrottleDep,
) -> SosReceipt:
    """The app's SOS button: the security company and 112 are told at once, with the location
    and the latest clip; the app then dials 112."""
    throttle.hit("sos", f"person:{caller.user_id}")
    found, _ = cases.list_cases(session, caller, 1, 1)
    if not found:
        raise NotFound("no open case is linked to your account")
    case = found[0]
    incident = incidents.open_sos(
        session,
        alerting.routing,
        case,
        alerting.clock(),
        SignalSource.phone,
        incident_actions.actor_of(session, caller),
        data.fix(data.latitude, data.longitude, alerting.clock()),
        data.battery_percent,
        user_id=caller.user_id,
    )
    return SosReceipt(
        incident=incident_summary(incident),
        call="tel:112",
        latest_clip_url=_latest_clip(session, alerting, case, caller),
    )


def _wearer_case(session: SessionDep, device: DeviceDep) -> Case:
    if device.kind not in (DeviceKind.smartwatch, DeviceKind.bell):
        raise Forbidden("only a smartwatch or an emergency bell sends an SOS")
    if device.case_id is None:
        raise Invalid("this device is not issued to any case")
    case = incidents.alert_case(session, device.case_id)
    assert case is not None
    return case


@router.post("/device/sos", status_code=201)
def device_sos(
    session: SessionDep,
    device: DeviceDep,
    alerting: AlertingDep,
    data: SosIn,
    throttle: ThrottleDep,
) -> IncidentSummary:
    """A smartwatch's or an emergency bell's SOS (a bell without GPS: the home address)."""
    throttle.hit("sos", f"device:{device.id}")
    case = _wearer_case(session, device)
    now = alerting.clock()
    devices.heard_from(device, now, data.battery_percent)
    source = SignalSource.watch if device.kind is DeviceKind.smartwatch else SignalSource.bell
    incident = incidents.open_sos(
        session,
        alerting.routing,
        case,
        now,
        source,
        f"{source} {device.serial}",
        data.fix(data.latitude, data.longitude, alerting.clock()),
        data.battery_percent,
        device=device,
    )
    return incident_summary(incident)


@router.post("/device/location")
def device_location(
    session: SessionDep,
    device: DeviceDep,
    alerting: AlertingDep,
    data: LocationIn,
    throttle: ThrottleDep,
) -> dict[str, str | None]:
    """Where the watch is: her last known place (what an offender's monitor is measured
    against); while an SOS is open its incident follows the wearer."""
    throttle.hit("location", f"device:{device.id}")
    case = _wearer_case(session, device)
    now = alerting.clock()
    devices.heard_from(device, now, data.battery_percent)
    fix = data.fix(data.latitude, data.longitude, alerting.clock())
    assert fix is not None
    proximity.keep_her_fix(case.protected_person, fix, now, alerting.routing.trust)
    incident = incidents.update_location(session, alerting.routing, case, device.serial, fix, now)
    return {"status": "ok", "incident_id": str(incident.id) if incident else None}


@router.post("/me/location")
def my_location(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.protected_person)],
    alerting: AlertingDep,
    data: LocationIn,
    throttle: ThrottleDep,
) -> dict[str, str | None]:
    """Where the phone is while its SOS is open ("follow me", every few seconds): the
    incident follows her, and the consoles draw each fix as it comes. It is also her last
    known place, which only an offender's monitor is measured against."""
    throttle.hit("location", f"person:{caller.user_id}")
    found, _ = cases.list_cases(session, caller, 1, 1)
    if not found:
        raise NotFound("no open case is linked to your account")
    fix = data.fix(data.latitude, data.longitude, alerting.clock())
    assert fix is not None
    proximity.keep_her_fix(found[0].protected_person, fix, alerting.clock(), alerting.routing.trust)
    who = "phone"
    incident = incidents.update_location(
        session, alerting.routing, found[0], who, fix, alerting.clock()
    )
    return {"status": "ok", "incident_id": str(incident.id) if incident else None}


# --- The app's lock: the duress PIN ------------------------------------------------------------

Person = Annotated[Caller, allow(Role.protected_person)]


@router.get("/me/app-lock")
def app_lock_state(session: SessionDep, caller: Person) -> AppLockState:
    """Whether the app asks for a PIN when it opens."""
    return AppLockState(locked=app_lock.is_locked(session, caller))


@router.put("/me/app-lock", status_code=204)
def set_app_lock(session: SessionDep, caller: Person, data: AppLockIn) -> None:
    """The PIN, and a duress PIN: it unlocks the app the same way and raises a silent SOS."""
    app_lock.set_pins(session, caller, data.pin, data.duress_pin)


@router.get("/me/sos-feedback")
def sos_feedback(session: SessionDep, caller: Person) -> SosFeedbackSetting:
    """What her watch and app do when she presses SOS: silent unless she chose."""
    return SosFeedbackSetting(feedback=app_lock.sos_feedback(session, caller))


@router.put("/me/sos-feedback", status_code=204)
def set_sos_feedback(session: SessionDep, caller: Person, data: SosFeedbackSetting) -> None:
    app_lock.set_sos_feedback(session, caller, data.feedback)


@router.post("/me/unlock")
def unlock(
    session: SessionDep,
    caller: Person,
    alerting: AlertingDep,
    data: UnlockIn,
    throttle: ThrottleDep,
) -> Unlocked:
    """The app's PIN. The duress PIN gets the same answer (nothing on the screen changes) and
    the security company and 112 are told at once, silently. A wrong PIN is refused; so many
    that they look like guessing wait a while."""
    if throttle.over("unlock", f"person:{caller.user_id}"):
        raise throttle.refusal("unlock", f"person:{caller.user_id}")
    actor = incident_actions.actor_of(session, caller)
    fix = data.fix(data.latitude, data.longitude, alerting.clock())
    now = alerting.clock()
    if not app_lock.unlock(session, alerting.routing, caller, actor, data.pin, fix, now):
        throttle.hit("unlock", f"person:{caller.user_id}")
        raise Forbidden("wrong PIN")
    return Unlocked(unlocked=True)
