"""The camera commands as an installer or an analyst runs them."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from safewatch.cli import app
from safewatch.vision.config import load_site

runner = CliRunner()
LAWN = Path(__file__).parent.parent / "data" / "vtest_lawn.yaml"


def test_analyze_prints_one_json_line_per_event(vtest_short: Path, tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    raw = yaml.safe_load(LAWN.read_text())
    raw["cameras"][0]["zones"][0]["polygon"] = [[0, 0], [1, 0], [1, 1], [0, 1]]  # everyone
    site.write_text(yaml.safe_dump(raw))
    r = runner.invoke(
        app,
        [
            "analyze",
            str(vtest_short),
            "--site",
            str(site),
            "--json",
            "--clips",
            str(tmp_path / "clips"),
        ],
    )
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert len(lines) >= 3
    for line in lines:
        assert {"type", "t", "track", "zone", "identity", "score", "clip"} <= set(line)
        assert line["type"] == "intrusion" and 0 <= line["t"] <= 12
        assert line["clip"] and Path(line["clip"]).is_file()


def test_analyze_reports_a_bad_site_file(vtest_short: Path, tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("site: x\ncameras:\n  - name: c\n    source: v\n    zones: [{name: z}]\n")
    r = runner.invoke(app, ["analyze", str(vtest_short), "--site", str(site)])
    assert r.exit_code == 2
    assert "cameras[0].zones[0].kind: Field required" in r.output


def test_site_init_writes_a_loadable_site_and_a_gridded_snapshot(
    vtest_short: Path, tmp_path: Path
) -> None:
    out = tmp_path / "home.yaml"
    r = runner.invoke(app, ["site", "init", str(vtest_short), "--out", str(out), "--name", "home"])
    assert r.exit_code == 0, r.output
    site = load_site(out)
    assert site.site == "home" and site.cameras[0].source == str(vtest_short)
    import cv2

    snapshot = cv2.imread(str(out.with_suffix(".png")))
    assert snapshot is not None and snapshot.shape[:2] == (576, 768)


def test_bench_camera_reports_costs_beside_decode_only(vtest_short: Path) -> None:
    r = runner.invoke(app, ["bench", "camera", str(vtest_short), "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["frames_decoded"] == 120
    assert result["frames_analysed"] == 60  # 5 fps of a 10 fps video
    for key in (
        "realtime_factor",
        "cpu_seconds_per_video_second",
        "peak_rss_mb",
        "decode_only_cpu_seconds_per_video_second",
        "ratio_to_decode_only",
        "trigger_to_outbox_ms_p99",
        "clip_ready_ms_max",
    ):
        assert result[key] is not None and result[key] > 0, key
