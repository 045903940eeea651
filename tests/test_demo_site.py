"""``make run``'s demo site files are valid site files for the camera worker."""

from __future__ import annotations

from pathlib import Path

from safewatch.demo import camera
from safewatch.vision.config import load_site


def test_the_door_camera_watches_for_the_cases_offender(tmp_path: Path) -> None:
    photo = tmp_path / "clip.enrol_someone.png"
    photo.write_bytes(b"\x89PNG stand-in")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")
    path = camera.write_door_site(
        tmp_path / "door", video, "http://127.0.0.1:8000", photo, "오태석"
    )
    site = load_site(path)
    assert [c.name for c in site.cameras] == ["door"]
    assert site.faces is not None and site.faces.watchlist is not None
    enrolled = site.faces.watchlist / "오태석" / photo.name
    assert enrolled.read_bytes() == photo.read_bytes()
    assert site.cameras[0].credential_env == camera.DOOR_SECRET_ENV


def test_the_garden_camera_has_the_lawn_as_boundary_and_perimeter(tmp_path: Path) -> None:
    video = tmp_path / "vtest.avi"
    video.write_bytes(b"")
    site = load_site(camera.write_site(tmp_path / "garden", video, "http://127.0.0.1:8000"))
    kinds = {z.name: z.kind for z in site.cameras[0].zones}
    # Zones are named in the region's language: the screens show them as they are.
    assert kinds == {"앞마당": "boundary", "앞마당 서성임": "perimeter"}
