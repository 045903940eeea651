"""Mutated videos through ``safewatch analyze``: each in its own forked process with a time
limit, so a crash of the decoder or a hang is seen as such, not as a failed test run.

The children are forked from a fork server (a fresh process started once, with the analysis
and its models loaded: tests/vision/fuzz_server.py), not from the test process: a fork of
pytest's process inherits the state of its other threads at that instant — locks they held,
the thread pools earlier tests started (OpenCV's, ONNX Runtime's) — and such a child could wait
forever: a "hang" that is the test's, not the analysis's (seen in CI: 14 of 35 inputs, all of
them ones the analysis decodes)."""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.context
import random
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import yaml

from tests.vision.sites import WHOLE_VIEW

TIME_LIMIT = 60.0  # s per input: the seeds analyse in well under a second


def _frames(n: int, w: int, h: int) -> list[np.ndarray]:
    """A grey street with a dark figure walking across: the detector has something to do."""
    out = []
    for i in range(n):
        img = np.full((h, w, 3), 120, np.uint8)
        x = int(i * (w - 20) / max(n - 1, 1))
        img[h // 4 : h - 4, x : x + 12] = 30
        out.append(img)
    return out


def make_seeds(folder: Path) -> list[Path]:
    """Small valid videos in the containers and codecs cameras and recorders use."""
    folder.mkdir(parents=True, exist_ok=True)
    specs = [
        ("seed.mp4", "mp4", "libx264", "yuv420p"),
        ("seed.ts", "mpegts", "libx264", "yuv420p"),
        ("seed.avi", "avi", "mjpeg", "yuvj420p"),
        ("seed.mkv", "matroska", "mpeg4", "yuv420p"),
        ("seed.webm", "webm", "libvpx", "yuv420p"),
    ]
    seeds = []
    for name, fmt, codec, pix in specs:
        path = folder / name
        with av.open(str(path), "w", format=fmt) as out:
            s = out.add_stream(codec, rate=10)
            s.width, s.height, s.pix_fmt = 96, 72, pix
            for i, img in enumerate(_frames(15, 96, 72)):
                frame = av.VideoFrame.from_ndarray(img, format="bgr24")
                frame.pts, frame.time_base = i, Fraction(1, 10)
                out.mux(s.encode(frame))
            out.mux(s.encode(None))
        seeds.append(path)
    return seeds


Mutation = Callable[[bytes, random.Random], bytes]


def truncated(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(0, len(data))]


def bit_flipped(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 8, 64, 512])):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def header_damaged(data: bytes, rng: random.Random) -> bytes:
    """The first KiB, where containers keep their sizes and codec ids."""
    out = bytearray(data)
    for _ in range(rng.randrange(1, 16)):
        i = rng.randrange(min(1024, len(out)))
        out[i] = rng.randrange(256)
    return bytes(out)


def chunks_shuffled(data: bytes, rng: random.Random) -> bytes:
    size = max(1, len(data) // 16)
    parts = [data[i : i + size] for i in range(0, len(data), size)]
    i, j = rng.randrange(len(parts)), rng.randrange(len(parts))
    parts[i], parts[j] = parts[j], parts[i]
    if rng.random() < 0.5:
        parts.insert(rng.randrange(len(parts)), parts[rng.randrange(len(parts))])
    return b"".join(parts)


def zero_size(data: bytes, rng: random.Random) -> bytes:
    return b""


def wrong_codec(data: bytes, rng: random.Random) -> bytes:
    """Something else under a video's name: a photo, text, noise behind a video's magic."""
    noise = rng.randbytes(rng.randrange(1, 4096))
    return rng.choice(
        [
            b"\xff\xd8\xff\xe0" + noise,  # a JPEG's start
            b"\x00\x00\x00\x18ftypmp42" + noise,  # an MP4's first box, then nothing of it
            b"RIFF" + struct.pack("<I", 1000) + b"WAVEfmt " + noise,
            b"\x1a\x45\xdf\xa3" + noise,  # Matroska's magic
            ("<html>" + "x" * 200).encode(),
        ]
    )


def huge_dimensions(data: bytes, rng: random.Random) -> bytes:
    """A raw stream whose header claims a picture of gigabytes."""
    w, h = rng.choice([(60000, 60000), (12000, 12000), (9000, 9000), (100000, 2)])
    return f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\nFRAME\n".encode() + data[:4096]


MUTATIONS: dict[str, Mutation] = {
    "truncated": truncated,
    "bit_flipped": bit_flipped,
    "header_damaged": header_damaged,
    "chunks_shuffled": chunks_shuffled,
    "zero_size": zero_size,
    "wrong_codec": wrong_codec,
    "huge_dimensions": huge_dimensions,
}


@dataclass
class Outcome:
    name: str
    kind: str  # analysed | refused (exit 1 with a message) | crashed | died | hung
    detail: str = ""


def _child(video: Path, site: Path, conn: object) -> None:
    from typer.testing import CliRunner

    from safewatch.cli import app

    try:
        result = CliRunner().invoke(app, ["analyze", str(video), "--site", str(site)])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            out = ("crashed", f"{type(result.exception).__name__}: {result.exception}")
        elif result.exit_code == 0:
            out = ("analysed", "")
        elif result.exit_code == 1 and result.output.strip():
            out = ("refused", result.output.strip().splitlines()[-1][:200])
        else:
            out = ("crashed", f"exit {result.exit_code} without a message")
    except BaseException as exc:  # reported to the parent, whatever it is
        out = ("crashed", f"{type(exc).__name__}: {exc}")
    conn.send(out)  # type: ignore[attr-defined]


@functools.cache
def _fork_server() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.vision.fuzz_server", "tests.vision.fuzz"])
    return ctx


def analyse_in_child(video: Path, site: Path) -> Outcome:
    ctx = _fork_server()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(video, site, child))
    proc.start()
    child.close()
    if not parent.poll(TIME_LIMIT):
        proc.kill()
        proc.join()
        return Outcome(video.name, "hung", f"no answer in {TIME_LIMIT:.0f} s")
    try:
        kind, detail = parent.recv()
    except EOFError:
        proc.join()
        return Outcome(video.name, "died", f"exit code {proc.exitcode}")
    proc.join()
    return Outcome(video.name, kind, detail)


@dataclass
class FuzzReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self) -> Counter[str]:
        return Counter(o.kind for o in self.outcomes)

    def bad(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind in ("crashed", "died", "hung")]


def fuzz(folder: Path, inputs: int, seed: int = 2026) -> FuzzReport:
    rng = random.Random(seed)
    seeds = make_seeds(folder / "seeds")
    site = folder / "site.yaml"
    site.write_text(yaml.safe_dump(WHOLE_VIEW.model_dump(mode="json")))
    names = sorted(MUTATIONS)
    report = FuzzReport()
    for n in range(inputs):
        base = seeds[n % len(seeds)]
        how = names[(n // len(seeds)) % len(names)]
        data = MUTATIONS[how](base.read_bytes(), rng)
        video = folder / f"{n:04d}-{how}{base.suffix}"
        video.write_bytes(data)
        report.outcomes.append(analyse_in_child(video, site))
        video.unlink()
    return report
