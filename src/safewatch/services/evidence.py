"""An incident's evidence package for the police and the courts: its record and timeline,
the camera events with their snapshots and clips as stored, and the audit extract — with a
manifest of SHA-256 hashes signed by the hub's evidence key (Ed25519). ``safewatch evidence
verify`` then shows that nothing was changed, added or left out since the export; the export
itself is in the hash-chained audit trail with the manifest's hash."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safewatch import __version__
from safewatch.models import (
    AuditEntry,
    AuditHead,
    CameraEventRecord,
    Case,
    Delivery,
    Incident,
    IncidentEntry,
    IncidentRecipient,
)
from safewatch.store import signing
from safewatch.store.clips import ClipStore
from safewatch.store.sealing import KeyRing, open_or_legacy

FORMAT = "safewatch-evidence/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"


def _value(v: Any) -> Any:
    if isinstance(v, UUID):
        return str(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, BaseModel):  # an incident's or a timeline line's facts
        return v.model_dump(mode="json", exclude_none=True)
    return v


def _row(obj: Any) -> dict[str, Any]:
    """Every column of a row, as stored."""
    return {c.key: _value(getattr(obj, c.key)) for c in obj.__table__.columns}


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode()


@dataclass(frozen=True)
class Package:
    data: bytes  # the zip
    name: str
    manifest_sha256: str


def build(
    session: Session,
    store: ClipStore,
    key: Ed25519PrivateKey,
    incident: Incident,
    case: Case,
    exported_by: str,
    reason: str,
    now: datetime,
    originals: KeyRing | None,
) -> Package:
    """The package as a zip, in memory (an incident's clips are a few tens of MB at most).
    ``originals``: the keys to add the unblurred snapshots and clips with (a police
    exporter), opened from their seal; None: the shown ones only."""
    events = list(
        session.scalars(
            select(CameraEventRecord)
            .where(CameraEventRecord.incident_id == incident.id)
            .order_by(CameraEventRecord.occurred_at)
        )
    )
    files: dict[str, bytes] = {
        "incident.json": _json(
            {
                "incident": _row(incident),
                "case": {"reference": case.reference, "risk_level": _value(case.risk_level)},
                "recipients": [
                    _row(r)
                    for r in session.scalars(
                        select(IncidentRecipient).where(
                            IncidentRecipient.incident_id == incident.id
                        )
                    )
                ],
                "timeline": [
                    _row(e)
                    for e in session.scalars(
                        select(IncidentEntry)
                        .where(IncidentEntry.incident_id == incident.id)
                        .order_by(IncidentEntry.at, IncidentEntry.id)
                    )
                ],
                "deliveries": [
                    _row(d)
                    for d in session.scalars(
                        select(Delivery)
                        .where(Delivery.incident_id == incident.id)
                        .order_by(Delivery.created_at)
                    )
                ],
            }
        ),
        "events.json": _json([_row(e) for e in events]),
    }
    for e in events:
        for name in (e.snapshot_name, e.clip_name):
            path = store.path(name) if name else None
            if path is not None and path.is_file():
                files[f"media/{name}"] = path.read_bytes()
        if originals is None:
            continue
        for name in (e.original_snapshot_name, e.original_clip_name):
            path = store.path(name) if name else None
            if name is not None and path is not None and path.is_file():
                files[f"media/{name}"] = open_or_legacy(originals, path.read_bytes(), name)
    touched = [str(incident.id), *(str(e.id) for e in events)]
    audit = session.scalars(
        select(AuditEntry)
        .where(or_(AuditEntry.case_id == case.id, AuditEntry.entity_id.in_(touched)))
        .order_by(AuditEntry.seq)
    )
    files["audit.json"] = _json([_row(a) for a in audit])
    head = session.get(AuditHead, 1)
    manifest = _json(
        {
            "format": FORMAT,
            "incident": {"id": str(incident.id), "reference": incident.reference},
            "case": case.reference,
            "exported_at": now.isoformat(),
            "exported_by": exported_by,
            "reason": reason,
            "unblurred_originals": originals is not None,
            "hub_version": __version__,
            "audit_head": {"seq": head.seq, "hash": head.hash} if head else None,
            "public_key": base64.b64encode(signing.public_raw(key.public_key())).decode(),
            "files": [
                {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                for name, data in sorted(files.items())
            ],
        }
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(files.items()):
            z.writestr(name, data)
        z.writestr(MANIFEST, manifest)
        z.writestr(SIGNATURE, base64.b64encode(key.sign(manifest)).decode() + "\n")
    return Package(
        buf.getvalue(),
        f"evidence-{incident.reference}.zip",
        hashlib.sha256(manifest).hexdigest(),
    )


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    files: int = 0
    incident: str = ""
    signed_by: str = ""  # the signing key's fingerprint
    manifest_sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(path: Path, trusted: Ed25519PublicKey | None = None) -> Verification:
    """Every file against the manifest, the manifest against its signature; with ``trusted``,
    the signature must be that key's (not merely the key the package names)."""
    out = Verification()
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        out.problems.append(f"not a readable evidence package: {exc}")
        return out
    with z:
        names = set(z.namelist())
        if MANIFEST not in names or SIGNATURE not in names:
            out.problems.append("the manifest or its signature is missing")
            return out
        raw = z.read(MANIFEST)
        out.manifest_sha256 = hashlib.sha256(raw).hexdigest()
        try:
            manifest = json.loads(raw)
            key = signing.load_public(manifest["public_key"].encode())
            signature = base64.b64decode(z.read(SIGNATURE))
        except (ValueError, KeyError, TypeError) as exc:
            out.problems.append(f"the manifest cannot be read: {exc}")
            return out
        out.incident = str(manifest.get("incident", {}).get("reference", ""))
        out.signed_by = signing.fingerprint(key)
        if not signing.signs(key, signature, raw):
            out.problems.append("the manifest's signature does not match: it was changed")
        if trusted is not None and signing.public_raw(trusted) != signing.public_raw(key):
            out.problems.append(
                f"signed by key {out.signed_by}, not by the trusted key "
                f"{signing.fingerprint(trusted)}"
            )
        listed = {f["path"]: f for f in manifest.get("files", [])}
        for name in sorted(names - listed.keys() - {MANIFEST, SIGNATURE}):
            out.problems.append(f"{name}: in the package but not in the manifest (added)")
        for name, entry in sorted(listed.items()):
            if name not in names:
                out.problems.append(f"{name}: in the manifest but missing (removed)")
                continue
            if hashlib.sha256(z.read(name)).hexdigest() != entry["sha256"]:
                out.problems.append(f"{name}: its content differs from the manifest (changed)")
            out.files += 1
    return out
