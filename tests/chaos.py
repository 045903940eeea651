"""The real chain under faults, for tests/test_chaos.py: a camera worker process playing real
video into a hub process through a link the test can cut, a phone on the stream, and the
faults a home camera meets in the field, each injected as it really happens."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from safewatch.demo.server import free_port
from safewatch.vision.config import DetectorConfig

WHOLE = [[0, 0], [1, 0], [1, 1], [0, 1]]
FAULT_FLAG = "SAFEWATCH_CHAOS_DETECTOR_FLAG"  # a file: while it exists, the detector fails


def flaky_detector(config: DetectorConfig) -> Any:
    """The shipped detector, failing with OpenCV's own error while the flag file exists
    (a model that breaks on what the camera sends). Loaded by the worker as a plugin."""
    import cv2

    from safewatch.vision.detectors.ssd import SsdPersonDetector

    flag = Path(os.environ[FAULT_FLAG])
    real = SsdPersonDetector(config.confidence)

    class Flaky:
        name = "flaky ssd"

        def detect(self, frame_bgr: np.ndarray) -> sv.Detections:
            if flag.exists():
                cv2.resize(np.zeros((0, 0, 3), np.uint8), (8, 8))  # raises cv2.error
            return real.detect(frame_bgr)

    return Flaky()


class Link:
    """A TCP relay between the worker and the hub; ``cut`` drops every connection and
    refuses new ones, as a home's internet going down does."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._up = threading.Event()
        self._up.set()
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            if not self._up.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        try:
            while self._up.is_set() and not self._stop.is_set():
                for key, _ in sel.select(0.2):
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            sel.close()
            a.close()
            b.close()

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._conns.clear()

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        self._stop.set()
        self._server.close()


class WorkerProcess:
    """``safewatch camera run`` as its own process, killed with SIGKILL when a fault says."""

    def __init__(self, site: Path, env: dict[str, str], cwd: Path) -> None:
        self.site, self.env, self.cwd = site, env, cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = cwd / "worker.log"
        self.starts = 0

    def start(self) -> None:
        cmd = [sys.executable, "-c", "from safewatch.cli import app; app()", "camera", "run"]
        cmd += ["--site", str(self.site)]
        root = str(Path(__file__).parents[1])  # tests.chaos is importable: the plugin
        env = {**os.environ, **self.env, "PYTHONPATH": root}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log, stderr=log)  # noqa: S603
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGINT)  # as Ctrl-C or systemd's stop
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class SmallDisk:
    """The worker's data folder on a small tmpfs, which ``fill`` fills to the last byte."""

    def __init__(self, folder: Path, megabytes: int = 128) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(  # noqa: S603
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)],  # noqa: S607
            capture_output=True,
            check=False,
        )
        self.mounted = done.returncode == 0
        self.why = done.stderr.decode().strip()
        self.filler = folder / "filler"

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for chunk in (1024 * 1024, 4096, 1):  # to the last byte
                with contextlib.suppress(OSError):  # ENOSPC: full at this size
                    while True:
                        os.write(fd, b"\0" * chunk)
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], check=False)  # noqa: S603,S607


def write_site(
    path: Path,
    data_dir: Path,
    hub_url: str,
    video: Path,
    cameras: list[str],
    events_url: str | None = None,
) -> None:
    """The site file: each camera plays the video (looping, as a live camera never ends),
    the whole view a boundary, the detector the flaky one."""
    site = {
        "site": "chaos-home",
        "data_dir": str(data_dir),
        "hub": {"url": hub_url, "heartbeat_seconds": 1, "events_url": events_url},
        "cameras": [
            {
                "name": name,
                "source": str(video),
                "credential_env": f"SW_CHAOS_{name.upper()}",
                "pre_roll_seconds": 2,
                "post_roll_seconds": 2,
                "offline_after_seconds": 30,
                "detector": {"type": "plugin", "plugin": "tests.chaos:flaky_detector"},
                "zones": [
                    {
                        "name": "yard",
                        "kind": "boundary",
                        "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]],
                    }
                ],
            }
            for name in cameras
        ],
    }
    path.write_text(json.dumps(site, indent=1))


def wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.2)
