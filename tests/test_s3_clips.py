"""Snapshots, clips and camera views in an S3-compatible bucket: two replicas with folders
of their own serve what the other stored. The bucket is moto's S3 server on a local port
(no other S3-compatible server is installable here); the hub talks S3 over HTTP to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from safewatch.api.app import create_app
from safewatch.core.config import Settings
from safewatch.demo.server import BackgroundHub, free_port
from tests.live import event, jpeg, tiny_mp4
from tests.world import World

V1 = "/api/v1"
BUCKET = "safewatch-clips"


@pytest.fixture
def s3_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test-access-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def _replica(settings: Settings, folder: Path, s3_url: str) -> BackgroundHub:
    own = settings.model_copy(
        update={"data_dir": folder, "clip_bucket": BUCKET, "clip_endpoint_url": s3_url}
    )
    hub = BackgroundHub(lambda: create_app(own))
    hub.start()
    return hub


def test_replicas_without_a_shared_folder_serve_each_others_media(
    world: World, settings: Settings, s3_url: str, tmp_path: Path
) -> None:
    camera = world.device("camera", "CAM-S3-1")
    a = _replica(settings, tmp_path / "a", s3_url)
    b = _replica(settings, tmp_path / "b", s3_url)
    cam = {"Authorization": f"Bearer {camera}"}
    victim = {"Authorization": f"Bearer {world.tokens['victim_a']}"}
    try:
        e, snapshot = event(), jpeg(seed="s3")
        r = httpx.post(
            f"{b.url}{V1}/device/events",
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", snapshot, "image/jpeg")},
            headers=cam,
        )
        assert r.status_code == 201, r.text
        clip = tiny_mp4(tmp_path / "c.mp4").read_bytes()
        r = httpx.put(
            f"{a.url}{V1}/device/events/{e.id}/clip",
            content=clip,
            headers={**cam, "Content-Type": "video/mp4"},
        )
        assert r.status_code == 200, r.text
        shown = httpx.get(f"{a.url}{V1}/events/{e.id}/snapshot", headers=victim)
        assert shown.status_code == 200 and shown.content == snapshot
        played = httpx.get(f"{b.url}{V1}/events/{e.id}/clip", headers=victim)
        assert played.status_code == 200 and played.content == clip
        part = httpx.get(
            f"{b.url}{V1}/events/{e.id}/clip", headers={**victim, "Range": "bytes=0-99"}
        )
        assert part.status_code == 206 and part.content == clip[:100]  # a phone can seek
        # Neither replica's own folder holds the other's files: they came from the bucket.
        assert not (tmp_path / "a" / "clips").exists() and not (tmp_path / "b" / "clips").exists()
    finally:
        a.stop()
        b.stop()


def test_a_camera_view_replaced_on_one_replica_is_the_new_one_on_the_other(
    world: World, settings: Settings, s3_url: str, tmp_path: Path
) -> None:
    camera = world.device("camera", "CAM-S3-2")
    device_id = world.get("officer_a", f"{V1}/devices").json()["items"][0]["id"]
    a = _replica(settings, tmp_path / "a", s3_url)
    b = _replica(settings, tmp_path / "b", s3_url)
    cam = {"Authorization": f"Bearer {camera}", "Content-Type": "image/jpeg"}
    officer = {"Authorization": f"Bearer {world.tokens['officer_a']}"}
    try:
        for seed in ("first", "second"):
            view = jpeg(seed=seed)
            r = httpx.put(f"{a.url}{V1}/device/view", content=view, headers=cam)
            assert r.status_code == 200, r.text
            seen = httpx.get(f"{b.url}{V1}/devices/{device_id}/view", headers=officer)
            assert seen.status_code == 200, seen.text
            assert seen.content == view  # not the copy B kept of the first one
    finally:
        a.stop()
        b.stop()
