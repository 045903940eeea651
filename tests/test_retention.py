"""Retention: clips and snapshots go after the retention period unless held as evidence, an
offender's face templates go when the protection order has ended — each deletion audited,
nothing deleted twice, nothing held deleted."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from typer.testing import CliRunner

from safewatch.cli import app as cli
from safewatch.core.config import Settings, get_settings
from safewatch.models import AuditEntry, CameraEventRecord
from safewatch.services.retention import purge
from tests.live import event, jpeg, send_with_media, tiny_mp4
from tests.world import World

V1 = "/api/v1"


def _event_with_media(world: World, camera: str, track: int, tmp: Path) -> str:
    e = event().model_copy(update={"track": track})
    clip = tiny_mp4(tmp / f"{track}.mp4").read_bytes()
    send_with_media(world.client, camera, e, jpeg(seed=str(track)), clip)
    return str(e.id)


def _age(world: World, event_id: str, days: int) -> None:
    with world.factory() as s, s.begin():
        s.execute(
            update(CameraEventRecord)
            .where(CameraEventRecord.id == uuid.UUID(event_id))
            .values(received_at=datetime.now(UTC) - timedelta(days=days))
        )


def _purge(world: World, settings: Settings, now: datetime | None = None) -> Any:
    app: Any = world.client.app
    return purge(
        world.factory,
        app.state.clip_store,
        app.state.enrolment.templates,
        settings.clip_retention_days,
        now or datetime.now(UTC),
    )


def _deletions(world: World) -> list[tuple[str, str | None]]:
    with world.factory() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "delete"))
        return sorted((a.entity, a.entity_id) for a in rows)


def test_media_past_retention_is_deleted_unless_held_as_evidence(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    camera = world.device("camera", "CAM-R")
    old = _event_with_media(world, camera, 1, tmp_path)
    held = _event_with_media(world, camera, 2, tmp_path)
    fresh = _event_with_media(world, camera, 3, tmp_path)
    for e in (old, held):
        _age(world, e, settings.clip_retention_days + 1)
    _age(world, fresh, settings.clip_retention_days - 1)
    incidents = world.get("officer_a", f"{V1}/incidents").json()["items"]
    with world.factory() as s:
        incident_of = {str(r.id): str(r.incident_id) for r in s.scalars(select(CameraEventRecord))}
    held_incident = incident_of[held]
    assert held_incident in {i["id"] for i in incidents}
    url = f"{V1}/incidents/{held_incident}/hold"
    assert world.post("officer_a", url, {"hold": True}).status_code == 422  # no reason given
    r = world.client.post(url, json={"hold": True}, headers=world.h("officer_a", "court case 9"))
    assert r.status_code == 200 and r.json() == {"evidence_hold": True}

    done = _purge(world, settings)
    assert (done.snapshots, done.clips) == (1, 1)
    assert not (settings.clip_dir / f"{old}.jpg").exists()
    assert not (settings.clip_dir / f"{old}.mp4").exists()
    for kept in (held, fresh):
        assert (settings.clip_dir / f"{kept}.jpg").exists()
        assert (settings.clip_dir / f"{kept}.mp4").exists()
    assert _deletions(world) == [("event_clip", old), ("event_snapshot", old)]
    with world.factory() as s:
        record = s.get(CameraEventRecord, uuid.UUID(old))
        assert record is not None and record.media_purged_at is not None
        assert record.clip_name is None and record.snapshot_name is None
    # The event is still there, and says its media is gone.
    events = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/events").json()["items"]
    by_id = {e["id"]: e for e in events}
    assert by_id[old]["has_clip"] is False and by_id[fresh]["has_clip"] is True

    again = _purge(world, settings)
    assert (again.snapshots, again.clips) == (0, 0) and len(_deletions(world)) == 2

    # Released from the hold: the next purge takes it.
    r = world.client.post(url, json={"hold": False}, headers=world.h("officer_a", "case closed"))
    assert r.json() == {"evidence_hold": False}
    assert (_purge(world, settings).clips, len(_deletions(world))) == (1, 4)


def test_an_exported_incident_is_held(world: World, settings: Settings, tmp_path: Path) -> None:
    camera = world.device("camera", "CAM-X")
    exported = _event_with_media(world, camera, 5, tmp_path)
    _age(world, exported, settings.clip_retention_days + 30)
    [incident] = world.get("officer_a", f"{V1}/incidents").json()["items"]
    r = world.client.get(
        f"{V1}/incidents/{incident['id']}/evidence", headers=world.h("officer_a", "trial")
    )
    assert r.status_code == 200
    assert _purge(world, settings).clips == 0
    assert (settings.clip_dir / f"{exported}.mp4").exists()


def test_templates_go_when_the_protection_order_has_ended(world: World, settings: Settings) -> None:
    case = world.get("officer_a", f"{V1}/cases/{world.cases['a']}").json()
    offender = case["offenders"][0]
    url = f"{V1}/cases/{world.cases['a']}/offenders/{offender['id']}/photos"
    r = world.client.post(
        url,
        headers=world.h("officer_a"),
        files={"file": ("face.jpg", jpeg(size=(120, 120), seed="o"), "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    r = world.post(
        "caseworker_a",
        f"{V1}/cases/{world.cases['a']}/allowed-people",
        {"full_name": "Kim Mother", "relation": "mother"},
    )
    mother = r.json()["id"]
    r = world.client.post(
        f"{V1}/cases/{world.cases['a']}/allowed-people/{mother}/photos",
        headers=world.h("caseworker_a"),
        files={"file": ("face.jpg", jpeg(size=(120, 120), seed="m"), "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    templates: Any = world.client.app.state.enrolment.templates  # type: ignore[attr-defined]
    ends = date.fromisoformat(offender["orders"][0]["ends_on"])

    on_the_last_day = datetime.combine(ends, datetime.min.time(), UTC)
    assert _purge(world, settings, on_the_last_day).templates == 0
    assert templates.get(uuid.UUID(offender["id"])) is not None

    after = on_the_last_day + timedelta(days=1)
    assert _purge(world, settings, after).templates == 1
    assert templates.get(uuid.UUID(offender["id"])) is None
    assert templates.get(uuid.UUID(mother)) is not None  # familiar people have no order
    [deleted] = [d for d in _deletions(world) if d[0] == "face_template"]
    assert deleted == ("face_template", offender["id"])
    assert _purge(world, settings, after).templates == 0  # once


def test_the_command_line_purges_and_says_what_it_deleted(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    camera = world.device("camera", "CAM-C")
    old = _event_with_media(world, camera, 8, tmp_path)
    _age(world, old, 400)
    env = {
        "SAFEWATCH_DATA_DIR": str(settings.data_dir),
        "SAFEWATCH_DATABASE_URL": settings.sqlalchemy_url,
    }
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(cli, ["purge"], env=env)
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert "deleted 1 snapshots, 1 clips and 0 face templates" in out.output
    assert not (settings.clip_dir / f"{old}.mp4").exists()


def test_where_she_went_and_where_the_guards_were_go_after_the_retention_period(
    world: World, settings: Settings
) -> None:
    """Her SOS's track and the guards' positions are as sensitive as her address: they go with
    the incident's media; her last known place (only used while fresh) goes after a day."""
    from safewatch.models import GuardPosition, Incident, IncidentFix, ProtectedPerson

    fix = {"latitude": 33.51, "longitude": 126.52, "accuracy_m": 12, "source": "gps"}
    r = world.post("victim_a", f"{V1}/me/sos", fix)
    incident_id = r.json()["incident"]["id"]
    assert world.post("victim_a", f"{V1}/me/location", fix).status_code == 200
    guard = {"unit": "G-1", "latitude": 33.5, "longitude": 126.5}
    r = world.post("security_a", f"{V1}/incidents/{incident_id}/guards", guard)
    assert r.status_code == 200, r.text
    resolved = {"outcome": "resolved", "reason": "she is safe"}
    r = world.post("security_a", f"{V1}/incidents/{incident_id}/resolve", resolved)
    assert r.status_code == 200, r.text

    def kept() -> tuple[int, int, bool]:
        with world.factory() as s:
            track = len(s.scalars(select(IncidentFix)).all())
            guards = len(s.scalars(select(GuardPosition)).all())
            people = s.scalars(select(ProtectedPerson)).all()
            return track, guards, any(p.last_fix_at is not None for p in people)

    assert kept() == (2, 1, True)
    _purge(world, settings)
    assert kept() == (2, 1, True)  # closed today
    later = datetime.now(UTC) + timedelta(days=settings.clip_retention_days + 1)
    with world.factory() as s, s.begin():
        s.execute(update(Incident).values(closed_at=datetime.now(UTC) - timedelta(days=1)))
    assert _purge(world, settings, later).positions == 2  # the incident, and her last place
    assert kept() == (0, 0, False)
    assert ("incident_positions", incident_id) in _deletions(world)
