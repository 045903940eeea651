"""The offender's electronic monitor: the monitoring centre's feed of his device's positions,
each measured against the protected person's places (issue 23, point 4)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from safewatch.api.deps import AlertingDep, DeviceDep, SessionDep, SettingsDep, ThrottleDep
from safewatch.core.errors import Forbidden, Invalid
from safewatch.models.resources import DeviceKind
from safewatch.schemas.incidents import MonitorReceipt, PositionIn
from safewatch.services import devices, proximity

router = APIRouter(tags=["incidents"])


@router.post("/device/monitor")
def monitor_position(
    session: SessionDep,
    device: DeviceDep,
    alerting: AlertingDep,
    settings: SettingsDep,
    data: PositionIn,
    throttle: ThrottleDep,
) -> MonitorReceipt:
    """One position of the offender's monitor (its credential is the feed's): within the
    case's radius of her home, safe accommodation or last known place it opens or joins the
    case's proximity incident; the answer says which (none: not near)."""
    throttle.hit("location", f"device:{device.id}")
    if device.kind is not DeviceKind.offender_monitor:
        raise Forbidden("only an offender's electronic monitor sends its positions here")
    if device.case_id is None:
        raise Invalid("this monitor is not linked to any case")
    now = alerting.clock()
    devices.heard_from(device, now, data.battery_percent)
    fix = data.fix(data.latitude, data.longitude, now)
    assert fix is not None
    incident = proximity.monitor_position(
        session,
        alerting.routing,
        device,
        fix,
        now,
        settings.proximity_radius_m,
        timedelta(minutes=settings.last_fix_fresh_minutes),
    )
    return MonitorReceipt(
        incident_id=incident.id if incident else None, stale=proximity.stale(fix, now)
    )
