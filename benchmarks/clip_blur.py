"""What one event clip costs with bystanders' faces blurred, step by step, with nothing else
running: the original (remux or transcode), looking for faces, encoding the shown clip (at
most ``privacy.clip_max_side``, 720p by default).

Usage: .venv/bin/python benchmarks/clip_blur.py VIDEO [VIDEO ...]  (a 20 s window from 40 s in)
Figures go in docs/performance.md.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import av

from safewatch.vision.clips import decoded, write_clip, write_edited
from safewatch.vision.config import PrivacyConfig
from safewatch.vision.detectors.ssd import SsdPersonDetector
from safewatch.vision.privacy import Redactor, frame_edit, sighting
from safewatch.vision.ring import PacketRing


def measure(video: str, start: float = 40.0, seconds: float = 20.0) -> str:
    with av.open(video) as container:
        stream = container.streams.video[0]
        ring = PacketRing(start + seconds + 60)
        for packet in container.demux(stream):
            if packet.pts is not None and float(packet.pts * packet.time_base) > start + seconds:
                break
            ring.push(packet)
        packets = ring.window(start, start + seconds)
        redactor = Redactor.from_config(PrivacyConfig(), 5)
        assert redactor is not None
        # What the live analysis saw (the person detector at 5 fps): the blur searches around
        # these people between whole-frame looks (not timed: the analysis paid for it).
        detector = SsdPersonDetector()
        seen = [
            sighting(float(f.time), detector.detect(f.to_ndarray(format="bgr24")))
            for k, f in enumerate(decoded(stream, packets))
            if f.time is not None and k % max(1, round(float(stream.average_rate or 15) / 5)) == 0
        ]
        with tempfile.TemporaryDirectory() as tmp:
            original, shown = Path(tmp) / "original.mp4", Path(tmp) / "shown.mp4"
            cpu0, t0 = time.process_time(), time.perf_counter()
            write_clip(stream, packets, original)
            t1 = time.perf_counter()
            plan = redactor.clip("s1", decoded(stream, packets), seen)  # frames keep stream times
            t2 = time.perf_counter()
            edit = frame_edit(plan, stream.codec_context.width)
            write_edited(original, shown, edit, max_side=redactor.clip_max_side)
            t3, cpu = time.perf_counter(), time.process_time() - cpu0
    blurred = sum(not r.empty for r in plan)
    return (
        f"{video}: {len(plan)} frames ({blurred} with faces blurred): original {t1 - t0:.2f} s, "
        f"look for faces {t2 - t1:.2f} s, encode the shown clip {t3 - t2:.2f} s, "
        f"total {t3 - t0:.2f} s ({cpu:.2f} CPU s)"
    )


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(measure(path))
