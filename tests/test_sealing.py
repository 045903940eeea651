"""Face photos and templates are encrypted at rest: nothing a stolen disk or a database dump
holds shows a face, keys rotate without losing a photo, and tampering is refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from safewatch.cli import app as cli
from safewatch.core.config import Settings, get_settings
from safewatch.models import AuditEntry, CameraEventRecord, OffenderPhoto
from safewatch.store.base import Base
from safewatch.store.sealing import KeyRing, SealError, is_sealed, key_id_of
from tests.live import event, jpeg, send_with_media, tiny_mp4
from tests.world import World

V1 = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()  # the CLI reads the environment each test sets
    yield
    get_settings.cache_clear()


def _upload_offender_photo(world: World, data: bytes) -> tuple[str, str]:
    case = world.get("officer_a", f"{V1}/cases/{world.cases['a']}").json()
    oid = case["offenders"][0]["id"]
    r = world.client.post(
        f"{V1}/cases/{world.cases['a']}/offenders/{oid}/photos",
        headers=world.h("officer_a"),
        files={"file": ("face.jpg", data, "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    return oid, r.json()["id"]


def _photo(world: World, photo_id: str) -> bytes:
    r = world.client.get(
        f"{V1}/cases/{world.cases['a']}/photos/{photo_id}", headers=world.h("officer_a")
    )
    assert r.status_code == 200, r.text
    return r.content


def _everything_stored(world: World, settings: Settings) -> list[tuple[str, bytes]]:
    """Every value in every table and every file under the data folder, as bytes."""
    found: list[tuple[str, bytes]] = []
    with world.factory() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                for column, value in row._mapping.items():
                    if isinstance(value, bytes | str):
                        raw = value.encode() if isinstance(value, str) else value
                        found.append((f"{table.name}.{column}", raw))
    for path in settings.data_dir.rglob("*"):  # SQLite's own files too, free pages included
        if path.is_file():
            found.append((str(path), path.read_bytes()))
    return found


def test_no_plaintext_face_photo_or_template_is_stored_anywhere(
    world: World, settings: Settings
) -> None:
    photo = jpeg(size=(160, 160), seed="the offender's face")
    oid, photo_id = _upload_offender_photo(world, photo)
    templates = world.client.app.state.enrolment.templates.get(oid)  # type: ignore[attr-defined]
    vector = templates.vectors[0].astype(np.float32).tobytes()

    # The people allowed to see the photo see it as it was uploaded.
    assert _photo(world, photo_id) == photo

    stored = _everything_stored(world, settings)
    assert any(name.startswith(str(settings.photo_dir)) for name, _ in stored)
    photo_middle = photo[len(photo) // 2 : len(photo) // 2 + 64]
    for name, raw in stored:
        assert photo_middle not in raw, f"{name} holds the photo in plain"
        assert vector[:64] not in raw, f"{name} holds a face template in plain"
    for folder in (settings.photo_dir, settings.template_dir):
        files = [p for p in folder.iterdir() if p.is_file()]
        assert files and all(is_sealed(p.read_bytes()) for p in files)
    assert (settings.key_file.stat().st_mode & 0o777) == 0o600


def test_a_photo_swapped_or_altered_on_disk_is_refused_not_shown(
    world: World, settings: Settings
) -> None:
    _, first = _upload_offender_photo(world, jpeg(size=(160, 160), seed="one"))
    _, second = _upload_offender_photo(world, jpeg(size=(160, 160), seed="two"))
    with world.factory() as s:
        names = dict(s.execute(select(OffenderPhoto.id, OffenderPhoto.stored_name)).all())
    one, two = (settings.photo_dir / names[uuid.UUID(p)] for p in (first, second))
    one.write_bytes(two.read_bytes())  # one person's sealed photo under another's name
    r = world.client.get(
        f"{V1}/cases/{world.cases['a']}/photos/{first}", headers=world.h("officer_a")
    )
    assert r.status_code == 500
    assert "failed its integrity check" in r.json()["detail"]
    assert _photo(world, second) == jpeg(size=(160, 160), seed="two")

    sealed = two.read_bytes()
    two.write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))  # one bit flipped
    keys = world.client.app.state.keys  # type: ignore[attr-defined]
    with pytest.raises(SealError, match="altered"):
        keys.open(two.read_bytes(), two.name)


def test_keys_rotate_seals_everything_again_and_retires_the_old_key(
    world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = jpeg(size=(160, 160), seed="before rotation")
    oid, photo_id = _upload_offender_photo(world, photo)
    old = json.loads(settings.key_file.read_text())["current"]
    # A photo written before sealing existed (an older version's data folder).
    legacy = settings.photo_dir / "legacy.jpg"
    legacy.write_bytes(photo)

    for name, value in _settings_env(settings).items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    ring = json.loads(settings.key_file.read_text())
    assert old not in ring["keys"] and list(ring["keys"]) == [ring["current"]]
    assert f"retired: {old}" in result.output
    for folder in (settings.photo_dir, settings.template_dir):
        for path in folder.iterdir():
            assert key_id_of(path.read_bytes()) == ring["current"], path

    # The running hub reads the new key from the file: the photo and the templates still work.
    assert _photo(world, photo_id) == photo
    assert world.client.app.state.enrolment.templates.get(oid) is not None  # type: ignore[attr-defined]
    _, later = _upload_offender_photo(world, jpeg(size=(160, 160), seed="after"))
    sealed_later = [p for p in settings.photo_dir.iterdir() if p.name != "legacy.jpg"]
    assert {key_id_of(p.read_bytes()) for p in sealed_later} == {ring["current"]}
    assert _photo(world, later) == jpeg(size=(160, 160), seed="after")

    with world.factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "rotate")).one()
    assert entry.entity == "data_key" and entry.entity_id == ring["current"]
    assert "3 files sealed again" in entry.reason  # two photos (one plain) and a template

    status = CliRunner().invoke(cli, ["keys", "status"])
    assert f"{ring['current']} (current): 4 files" in status.output  # + the later photo


def test_a_key_ring_refuses_keys_it_does_not_hold_and_bad_key_files(tmp_path: Path) -> None:
    ring = KeyRing.open_file(tmp_path / "k.json")
    other = KeyRing.open_file(tmp_path / "other.json")
    blob = other.seal(b"face", "a.jpg")
    with pytest.raises(SealError, match="not on the key ring"):
        ring.open(blob, "a.jpg")
    assert ring.open(ring.seal(b"face", "a.jpg"), "a.jpg") == b"face"
    (tmp_path / "bad.json").write_text('{"current": "x", "keys": {}}')
    with pytest.raises(ValueError, match="not a data key file"):
        KeyRing.open_file(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError):
        KeyRing.open_file(tmp_path / "missing.json", create=False)


def test_keys_from_the_environment_are_used_and_cannot_be_rotated_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ring = KeyRing.open_file(tmp_path / "k.json")
    monkeypatch.setenv("SAFEWATCH_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAFEWATCH_DATA_KEYS", ring.to_json())
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 1
    assert "SAFEWATCH_DATA_KEYS" in result.output
    assert not (tmp_path / "var" / "keys").exists()  # no key file made beside the data


def _settings_env(settings: Settings) -> dict[str, Any]:
    return {
        "SAFEWATCH_DATA_DIR": str(settings.data_dir),
        "SAFEWATCH_DATABASE_URL": settings.sqlalchemy_url,
        "SAFEWATCH_ENVIRONMENT": "test",
    }


def test_replicas_starting_together_end_with_one_key_ring(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "shared" / "data-keys.json"
    with ThreadPoolExecutor(8) as pool:
        rings = list(pool.map(lambda _: KeyRing.open_file(path), range(8)))
    assert len({r.current for r in rings}) == 1  # what one seals, every other opens
    assert rings[3].open(rings[5].seal(b"face", "a.jpg"), "a.jpg") == b"face"
    assert (path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["data-keys.json"]  # no leftovers


def test_unblurred_camera_originals_are_sealed_and_rotate_with_the_keys(
    world: World, settings: Settings, camera_secret: str, tmp_path: Path, monkeypatch: Any
) -> None:
    e = event()
    original = jpeg(size=(160, 120), seed="bystanders as the camera saw them")
    clip = tiny_mp4(tmp_path / "c.mp4").read_bytes()
    send_with_media(world.client, camera_secret, e, jpeg(), clip, (original, clip))
    store = world.client.app.state.clip_store  # type: ignore[attr-defined]
    with world.factory() as s:
        record = s.get(CameraEventRecord, e.id)
        assert record is not None and record.original_snapshot_name
        names = [record.original_snapshot_name, str(record.original_clip_name)]
    stored = [store.path(n) for n in names]
    middle = original[len(original) // 2 : len(original) // 2 + 64]
    assert all(is_sealed(p.read_bytes()) for p in stored)
    assert middle not in stored[0].read_bytes()  # a stolen disk does not show the faces
    old = json.loads(settings.key_file.read_text())["current"]

    for name, value in _settings_env(settings).items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    current = json.loads(settings.key_file.read_text())["current"]
    assert current != old and all(key_id_of(p.read_bytes()) == current for p in stored)
    links = world.post(
        "officer_a", f"{V1}/events/{e.id}/originals", {"reason": "court order 2026-19"}
    ).json()
    opened = world.client.get(links["snapshot_url"])
    assert opened.status_code == 200 and opened.content == original  # police still open it
