"""Malformed requests and wrong files get a clear answer and change nothing."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from safewatch.models import OffenderPhoto
from tests.world import World

V1 = "/api/v1"


def _image(fmt: str, size: tuple[int, int] = (200, 240)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(buf, fmt)
    return buf.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A real 100×100 PNG whose header says it is width×height (a decompression bomb's
    header: nothing is decoded to refuse it)."""
    png = bytearray(_image("PNG", (100, 100)))
    png[16:24] = struct.pack(">II", width, height)  # IHDR's width and height
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))  # and its CRC
    return bytes(png)


def _photo_url(world: World) -> str:
    case = world.get("officer_a", f"{V1}/cases/{world.cases['a']}").json()
    return f"{V1}/cases/{world.cases['a']}/offenders/{case['offenders'][0]['id']}/photos"


def _photos(world: World) -> int:
    with world.factory() as s:
        return s.scalar(select(func.count()).select_from(OffenderPhoto)) or 0


def test_validation_errors_read_like_sentences(world: World) -> None:
    r = world.post("officer_a", f"{V1}/cases", {"protected_person": {"full_name": "X"}})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "protected_person.phone is required" in detail
    assert "protected_person.address is required" in detail
    r = world.post(
        "officer_a",
        f"{V1}/cases",
        {
            "protected_person": {
                "full_name": "X",
                "phone": "call me",
                "address": "Somewhere",
                "shoe_size": 44,
            }
        },
    )
    detail = r.json()["detail"]
    assert "protected_person.phone has the wrong form" in detail
    assert "protected_person.shoe_size is not a known field" in detail


def test_malformed_json_is_refused(world: World) -> None:
    r = world.client.post(
        f"{V1}/cases",
        content=b"{not json",
        headers={**world.h("officer_a"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "JSON" in r.json()["detail"]


def test_order_dates_are_checked(world: World) -> None:
    case = world.get("officer_a", f"{V1}/cases/{world.cases['a']}").json()
    url = f"{V1}/cases/{world.cases['a']}/offenders/{case['offenders'][0]['id']}/orders"
    r = world.post(
        "officer_a",
        url,
        {"kind": "order", "issued_by": "court", "starts_on": "2026-12-01", "ends_on": "2026-11-01"},
    )
    assert r.status_code == 422 and "cannot end before it starts" in r.json()["detail"]


def test_enrolment_photo_is_stored_and_served(world: World) -> None:
    url = _photo_url(world)
    data = _image("JPEG")
    r = world.client.post(
        url, headers=world.h("officer_a"), files={"file": ("face.jpg", data, "image/jpeg")}
    )
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["content_type"] == "image/jpeg" and photo["size_bytes"] == len(data)
    got = world.get("security_a", f"{V1}/cases/{world.cases['a']}/photos/{photo['id']}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["cache-control"] == "no-store"
    assert (
        world.get("security_b", f"{V1}/cases/{world.cases['a']}/photos/{photo['id']}").status_code
        == 403
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "the photo file is empty"),
        (b"GIF89a not really", "not a readable JPEG or PNG"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "not a readable JPEG or PNG"),
        ("gif", "photos must be JPEG or PNG, not GIF"),
        ("tiny", "at least 80 on each side"),
        ("huge", "the limit is"),
        (_png_claiming(65535, 65535), "the photo is too large"),  # was a 500
        (_png_claiming(6000, 6000), "6000×6000 pixels; that is too large"),  # 9 s, 1.8 GB
    ],
)
def test_wrong_photos_are_refused(world: World, payload: object, message: str) -> None:
    if payload == "gif":
        payload = _image("GIF")
    elif payload == "tiny":
        payload = _image("PNG", (40, 40))
    elif payload == "huge":
        payload = b"\xff\xd8\xff" + b"\x00" * (8 * 1024 * 1024 + 10)
    r = world.client.post(
        _photo_url(world),
        headers=world.h("officer_a"),
        files={"file": ("x", payload, "application/octet-stream")},
    )
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]
    assert _photos(world) == 0


def test_unknown_ids_answer_404(world: World) -> None:
    r = world.get("admin", f"{V1}/cases/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and r.json()["detail"] == "no such case"
    r = world.get("admin", f"{V1}/cases/not-a-uuid")
    assert r.status_code == 422


def test_a_nul_character_is_refused_as_input_not_a_server_error(world: World) -> None:
    """Found by the API fuzz on PostgreSQL, whose text columns cannot hold one."""
    url = f"{V1}/cases/{world.cases['a']}/offenders"
    r = world.post("officer_a", url, {"full_name": "Kim\x00 Offender"})
    assert r.status_code == 422
    assert r.json()["detail"] == "full_name may not contain a NUL character"
