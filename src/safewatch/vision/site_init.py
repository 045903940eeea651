"""``safewatch site init``: a starter site file and a gridded snapshot to draw zones on."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import yaml

from safewatch.vision.config import SiteConfig
from safewatch.vision.source import open_video


def _frame_at(video: Path, at: float) -> av.VideoFrame:
    with open_video(str(video)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError:
                continue
            for frame in frames:
                if frame.time is not None and float(frame.time) >= at:
                    return frame
    raise ValueError(f"{video} has no decodable frame at or after {at} s")


def init_site(video: Path, out: Path, name: str, at: float = 0.0) -> Path:
    frame = _frame_at(video, at)
    img = frame.to_ndarray(format="bgr24")
    h, w = img.shape[:2]
    for i in range(1, 10):
        x, y = round(w * i / 10), round(h * i / 10)
        cv2.line(img, (x, 0), (x, h), (255, 255, 255), 1)
        cv2.line(img, (0, y), (w, y), (255, 255, 255), 1)
        cv2.putText(img, f"{i / 10:.1f}", (x + 2, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 255))
        cv2.putText(img, f"{i / 10:.1f}", (2, y - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 255))
    snapshot = out.with_suffix(".png")
    if not cv2.imwrite(str(snapshot), img):
        raise OSError(f"cannot write {snapshot}")
    site = {
        "site": name,
        "cameras": [
            {
                "name": "front",
                "source": str(video),
                "zones": [
                    {
                        "name": "yard",
                        "kind": "boundary",
                        "polygon": [[0.0, 0.6], [1.0, 0.6], [1.0, 1.0], [0.0, 1.0]],
                    },
                    {
                        "name": "street",
                        "kind": "perimeter",
                        "loiter_seconds": 20,
                        "polygon": [[0.0, 0.3], [1.0, 0.3], [1.0, 0.6], [0.0, 0.6]],
                    },
                ],
            }
        ],
    }
    SiteConfig.model_validate(site)  # what we write must load
    header = f"# Starter site file for {video.name} ({w}×{h}). Zones are fractions of width and\n"
    header += f"# height; see {snapshot.name} for a 10 % grid. Redraw them for this camera.\n"
    out.write_text(header + yaml.safe_dump(site, sort_keys=False, allow_unicode=True))
    return snapshot
