"""An incident's evidence package: what an officer exports is what a court can check — every
file against a signed manifest, any change, addition or removal named."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from typer.testing import CliRunner

from safewatch.cli import app as cli
from safewatch.core.config import Settings, get_settings
from safewatch.models import AuditEntry
from safewatch.services import evidence
from safewatch.store import signing
from tests.live import event, jpeg, send_with_media, tiny_mp4
from tests.world import World

V1 = "/api/v1"
REASON = {"X-Safewatch-Reason": "prosecution file 2026-77"}


@pytest.fixture
def incident(world: World, tmp_path: Path) -> dict[str, Any]:
    """An intrusion with its snapshot and clip, as a camera sends them."""
    e = event()
    clip = tiny_mp4(tmp_path / "clip.mp4").read_bytes()
    send_with_media(
        world.client, world.device("camera", "CAM-EV"), e, jpeg(seed="at the gate"), clip
    )
    [found] = world.get("officer_a", f"{V1}/incidents").json()["items"]
    return {"incident": found, "event": str(e.id), "clip": clip}


def _export(world: World, incident_id: str, tmp_path: Path) -> Path:
    r = world.client.get(
        f"{V1}/incidents/{incident_id}/evidence", headers=world.h("officer_a", **_reason())
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    path = tmp_path / "evidence.zip"
    path.write_bytes(r.content)
    return path


def _reason() -> dict[str, str]:
    return {"reason": REASON["X-Safewatch-Reason"]}


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    """The package with some files replaced (bytes), removed (None) or added."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as out:
        for name in z.namelist():
            if name in change:
                data = change[name]
                if data is not None:
                    out.writestr(name, data)
            else:
                out.writestr(name, z.read(name))
        for name, data in change.items():
            if name not in z.namelist() and data is not None:
                out.writestr(name, data)
    return dst


def test_an_officer_exports_an_incident_and_the_package_verifies(
    world: World, incident: dict[str, Any], tmp_path: Path, settings: Settings
) -> None:
    path = _export(world, incident["incident"]["id"], tmp_path)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        assert z.read(f"media/{incident['event']}.mp4") == incident["clip"]
        assert z.read(f"media/{incident['event']}.jpg") == jpeg(seed="at the gate")
        record = json.loads(z.read("incident.json"))
        events = json.loads(z.read("events.json"))
        audit = json.loads(z.read("audit.json"))
    assert names == {
        "manifest.json",
        "manifest.sig",
        "incident.json",
        "events.json",
        "audit.json",
        f"media/{incident['event']}.jpg",
        f"media/{incident['event']}.mp4",
    }
    assert manifest["incident"]["reference"] == incident["incident"]["reference"]
    assert manifest["reason"] == "prosecution file 2026-77"
    assert "officer" in manifest["exported_by"]
    assert [e["kind"] for e in record["timeline"]][:1] == ["created"]
    assert {r["recipient"] for r in record["recipients"]} >= {"victim", "security"}
    assert [e["id"] for e in events] == [incident["event"]]
    assert any(a["entity"] == "incident" and a["action"] == "read" for a in audit)

    result = evidence.verify(path)
    assert result.ok, result.problems
    assert result.files == 5 and result.incident == incident["incident"]["reference"]
    # The export is in the audit trail, with the manifest's hash.
    with world.factory() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "export"))
    assert result.manifest_sha256 in entry.reason and "prosecution file" in entry.reason

    # From the command line, against the hub's own public key.
    pem = tmp_path / "hub.pem"
    key = signing.load_or_create(settings.evidence_key_file).public_key()
    pem.write_text(signing.public_pem(key))
    out = CliRunner().invoke(cli, ["evidence", "verify", str(path), "--public-key", str(pem)])
    assert out.exit_code == 0, out.output
    assert "evidence intact" in out.output and signing.fingerprint(key) in out.output


def test_a_changed_added_or_removed_file_is_named(
    world: World, incident: dict[str, Any], tmp_path: Path
) -> None:
    path = _export(world, incident["incident"]["id"], tmp_path)
    clip = f"media/{incident['event']}.mp4"
    cases = {
        "changed": ({clip: incident["clip"][:-1] + b"\0"}, f"{clip}: its content differs"),
        "removed": ({clip: None}, f"{clip}: in the manifest but missing"),
        "added": ({"media/other.jpg": jpeg()}, "media/other.jpg: in the package but not"),
    }
    for what, (change, message) in cases.items():
        result = evidence.verify(_rewrite(path, tmp_path / f"{what}.zip", change))
        assert not result.ok and any(message in p for p in result.problems), what
        out = CliRunner().invoke(cli, ["evidence", "verify", str(tmp_path / f"{what}.zip")])
        assert out.exit_code == 1 and message in out.output

    # Editing the manifest to match a changed file breaks its signature.
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
    manifest["reason"] = "something else"
    forged = _rewrite(
        path, tmp_path / "forged.zip", {"manifest.json": json.dumps(manifest).encode()}
    )
    assert "signature does not match" in " ".join(evidence.verify(forged).problems)

    # Re-signed with another key: consistent on its own, refused against the hub's key.
    other = Ed25519PrivateKey.generate()
    manifest["public_key"] = base64.b64encode(signing.public_raw(other.public_key())).decode()
    raw = json.dumps(manifest).encode()
    sig = base64.b64encode(other.sign(raw))
    resigned = _rewrite(
        path, tmp_path / "resigned.zip", {"manifest.json": raw, "manifest.sig": sig}
    )
    assert evidence.verify(resigned).ok
    with zipfile.ZipFile(path) as z:
        hub_key = signing.load_public(json.loads(z.read("manifest.json"))["public_key"].encode())
    refused = evidence.verify(resigned, trusted=hub_key)
    assert any("not by the trusted key" in p for p in refused.problems)
    assert "not a readable evidence package" in evidence.verify(tmp_path / "clip.mp4").problems[0]


def test_an_export_needs_a_reason_and_a_police_role(world: World, incident: dict[str, Any]) -> None:
    url = f"{V1}/incidents/{incident['incident']['id']}/evidence"
    r = world.client.get(url, headers=world.h("officer_a"))
    assert r.status_code == 422 and "say why" in r.json()["detail"]
    for user in ("caseworker_a", "security_a", "victim_a", "dispatcher"):
        assert world.client.get(url, headers=world.h(user, **_reason())).status_code == 403
    # Another agency's officer cannot export this case's incident.
    assert world.client.get(url, headers=world.h("officer_b", **_reason())).status_code == 403


def test_the_command_line_exports_by_reference(
    world: World, incident: dict[str, Any], tmp_path: Path, settings: Settings
) -> None:
    env = {"SAFEWATCH_DATA_DIR": str(settings.data_dir)}
    env["SAFEWATCH_DATABASE_URL"] = settings.sqlalchemy_url
    get_settings.cache_clear()
    try:
        reference = incident["incident"]["reference"]
        args = ["evidence", "export", reference, "--reason", "court order 12", "--out"]
        out = CliRunner().invoke(cli, [*args, str(tmp_path)], env=env)
        missing = CliRunner().invoke(cli, ["evidence", "export", "INC-0", "--reason", "x"], env=env)
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    package = tmp_path / f"evidence-{reference}.zip"
    assert evidence.verify(package).ok
    assert missing.exit_code == 1 and "no incident INC-0" in missing.output
    with zipfile.ZipFile(io.BytesIO(package.read_bytes())) as z:
        assert json.loads(z.read("manifest.json"))["exported_by"] == "command line"
