"""A camera's address: its password from the environment, and masked wherever it is shown."""

from __future__ import annotations

import pytest

from safewatch.vision.stream_url import MissingSecret, redacted, resolve, scrub, written_in


def test_a_password_named_by_environment_variable_is_put_in_percent_encoded() -> None:
    env = {"FRONT_PASSWORD": "p@ss:w#rd/1"}
    url = resolve("rtsp://admin:${FRONT_PASSWORD}@10.0.0.5:554/stream1", env)
    assert url == "rtsp://admin:p%40ss%3Aw%23rd%2F1@10.0.0.5:554/stream1"
    # in a query parameter too: "&" or "#" would cut the address there
    assert resolve("http://cam/snap?pwd=${P}", {"P": "a&b#c"}) == "http://cam/snap?pwd=a%26b%23c"
    assert resolve("/videos/front.mp4", {}) == "/videos/front.mp4"


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(MissingSecret, match="FRONT_PASSWORD is not set"):
        resolve("rtsp://admin:${FRONT_PASSWORD}@10.0.0.5/stream1", {})


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("rtsp://admin:s3cret@10.0.0.5:554/stream1", "rtsp://***@10.0.0.5:554/stream1"),
        ("rtsp://admin@10.0.0.5/stream1", "rtsp://***@10.0.0.5/stream1"),
        ("rtsp://10.0.0.5/stream1", "rtsp://10.0.0.5/stream1"),
        (
            "http://10.0.0.5/cgi?user=admin&password=s3cret&channel=1",
            "http://10.0.0.5/cgi?user=***&password=***&channel=1",
        ),
        ("/videos/front.mp4", "/videos/front.mp4"),
        ("rtsp://admin:pw@[fe80::1]:554/s", "rtsp://***@[fe80::1]:554/s"),  # IPv6 kept whole
        ("rstp:/admin:s3cret@10.0.0.5/s", "rstp:/***@10.0.0.5/s"),  # mistyped: masked anyway
        ("RTSP://admin:s3cret@10.0.0.5/s", "rtsp://***@10.0.0.5/s"),
        (  # XMeye-family cameras and DVRs take their login in the path
            "rtsp://10.0.0.5:554/user=admin&password=s3cret&channel=1&stream=0.sdp?",
            "rtsp://10.0.0.5:554/user=***&password=***&channel=1&stream=0.sdp",
        ),
        (
            "rtsp://10.0.0.5/live;user=admin;PWD=s3cret;ch=1",
            "rtsp://10.0.0.5/live;user=***;PWD=***;ch=1",
        ),
        (
            "rtsp://10.0.0.5/user=admin_password=s3cretpw_channel=1_stream=0.sdp",
            "rtsp://10.0.0.5/user=***_password=***_channel=1_stream=0.sdp",
        ),
    ],
)
def test_an_address_is_shown_without_its_login(address: str, shown: str) -> None:
    assert redacted(address) == shown


def test_a_short_password_is_masked_in_the_address_not_everywhere() -> None:
    source = "rtsp://admin:1@10.0.0.5/stream1"
    assert scrub(f"cannot open {source}: timed out after 10 s", source) == (
        "cannot open rtsp://***@10.0.0.5/stream1: timed out after 10 s"
    )


def test_ffmpegs_words_about_a_stream_are_scrubbed() -> None:
    source = "rtsp://admin:p%40ss@10.0.0.5/stream1"
    said = f"Server returned 401 Unauthorized: '{source}' (user admin, password p@ss)"
    clean = scrub(said, source)
    assert "p@ss" not in clean and "p%40ss" not in clean
    assert "rtsp://***@10.0.0.5/stream1" in clean and "401 Unauthorized" in clean


@pytest.mark.parametrize(
    ("source", "written"),
    [
        ("rtsp://admin:${FRONT_PASSWORD}@10.0.0.5/s", False),
        ("rtsp://admin:s3cret@10.0.0.5/s", True),
        ("http://10.0.0.5/snap?user=admin&pwd=${P}", False),
        ("http://10.0.0.5/snap?pwd=s3cret", True),
        ("rtsp://10.0.0.5/user=admin&password=s3cret&channel=1.sdp", True),
        ("rtsp://10.0.0.5/user=admin&password=${P}&channel=1.sdp", False),
        ("rtsp://10.0.0.5/user=admin_password=s3cretpw_channel=1_stream=0.sdp", True),
        ("rtsp://10.0.0.5/s", False),
        ("/videos/front.mp4", False),
    ],
)
def test_a_password_written_in_the_site_file_is_noticed(source: str, written: bool) -> None:
    assert written_in(source) is written


@pytest.mark.parametrize(
    "source",
    [
        "rtsp://10.0.0.5:554/user=admin&password=s3cret&channel=1&stream=0.sdp",
        "rtsp://10.0.0.5:554/user=admin_password=s3cret_channel=1_stream=0.sdp",
    ],
)
def test_ffmpegs_words_about_a_stream_with_its_login_in_the_path_are_scrubbed(source: str) -> None:
    said = f"method DESCRIBE failed: 401 Unauthorized at {source.replace('554/', '554//')}"
    assert "s3cret" not in scrub(said, source)
