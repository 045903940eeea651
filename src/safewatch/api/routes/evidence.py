"""An incident's evidence: the signed package, the hold past retention, and its media by
short-lived signed link."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from safewatch.api.deps import (
    AlertingDep,
    ClipStoreDep,
    KeysDep,
    SessionDep,
    SettingsDep,
    allow,
    public,
)
from safewatch.core.errors import Invalid, NotFound
from safewatch.core.roles import Role
from safewatch.models import CameraEventRecord
from safewatch.schemas.incidents import (
    HoldIn,
)
from safewatch.services import evidence, incident_actions
from safewatch.services.camera_events import media_name, read_media
from safewatch.services.context import Caller
from safewatch.store import audit, signing

router = APIRouter(tags=["incidents"])


@router.get(
    "/incidents/{incident_id}/evidence",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def export_evidence(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.admin, Role.officer)],
    store: ClipStoreDep,
    settings: SettingsDep,
    alerting: AlertingDep,
    keys: KeysDep,
    incident_id: uuid.UUID,
) -> Response:
    """The incident's evidence package (zip): record, timeline, events with their snapshots
    and clips, the audit extract, and a signed hash manifest (``safewatch evidence verify``).
    The reason goes in the X-Safewatch-Reason header; the export is audited."""
    if not caller.stated_reason:
        raise Invalid("say why the evidence is exported (X-Safewatch-Reason header)")
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident.evidence_hold = True  # what went to court is not purged from under it
    package = evidence.build(
        session,
        store,
        signing.load_or_create(settings.evidence_key_file),
        incident,
        case,
        incident_actions.actor_of(session, caller),
        caller.stated_reason,
        alerting.clock(),
        keys if caller.role is Role.officer else None,  # unblurred faces: police eyes only
    )
    caller.record(
        session,
        "export",
        "incident",
        incident.id,
        f"evidence exported (manifest sha256 {package.manifest_sha256})",
        case.id,
    )
    return Response(
        package.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{package.name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/incidents/{incident_id}/hold")
def hold_as_evidence(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.admin, Role.officer)],
    incident_id: uuid.UUID,
    data: HoldIn,
) -> dict[str, bool]:
    """Hold an incident's snapshots and clips as evidence (they outlive the retention
    period), or release them. The reason goes in the X-Safewatch-Reason header."""
    if not caller.stated_reason:
        raise Invalid("say why (X-Safewatch-Reason header)")
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident.evidence_hold = data.hold
    what = "held as evidence" if data.hold else "released from the evidence hold"
    caller.record(session, "update", "incident", incident.id, what, case.id)
    return {"evidence_hold": incident.evidence_hold}


@router.get(
    "/media/{token}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}, "video/mp4": {}}}},
    dependencies=[public],
)
def media(
    session: SessionDep, store: ClipStoreDep, keys: KeysDep, alerting: AlertingDep, token: str
) -> Response:
    """A snapshot or clip by a short-lived signed link (what a <video> tag or the 112 system
    can open); every opening is audited."""
    grant = alerting.links.verify(token)
    record = session.get(CameraEventRecord, grant.event_id)
    name = None if record is None else media_name(record, grant.media)
    if record is None or name is None:
        raise NotFound(f"this event has no {grant.media.replace('_', ' ')}")
    # Who opened it is whoever holds the link: the trail names whom it was made for.
    made = f"made for {grant.audience}" + ("" if grant.by else " by an alert's delivery")
    audit.append(
        session,
        audit.AuditRecord(
            actor_id=grant.by,
            actor_role="signed_link",
            action="read",
            entity=f"event_{grant.media}",
            entity_id=str(record.id),
            reason=f"opened by a signed link {made}",
            case_id=record.case_id,
        ),
    )
    media_type = "image/jpeg" if grant.media.endswith("snapshot") else "video/mp4"
    headers = {"Cache-Control": "private, no-store"}
    if name in (record.original_snapshot_name, record.original_clip_name):  # sealed at rest
        return Response(read_media(store, keys, name), media_type=media_type, headers=headers)
    return FileResponse(store.path(name), media_type=media_type, headers=headers)
