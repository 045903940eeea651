"""Starts, kills and restarts the real RTSP server (``rtsp_server.py``) for tests and benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from safewatch.demo.server import free_port

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, which has python3-gi
SCRIPT = Path(__file__).with_name("rtsp_server.py")
INSTALL = "scripts/install-rtsp.sh"

Codec = Literal["h264", "h265"]


class RtspUnavailable(RuntimeError):
    pass


def unavailable() -> str | None:
    """Why the server cannot run here, or None."""
    if shutil.which(SYSTEM_PYTHON) is None:
        return f"{SYSTEM_PYTHON} is not here: run {INSTALL}"
    probe = (
        "import gi; gi.require_version('GstRtspServer', '1.0'); "
        "from gi.repository import GstRtspServer; from gi.repository import Gst; Gst.init(None); "
        "assert Gst.ElementFactory.find('rtph265pay') and Gst.ElementFactory.find('h265parse')"
    )
    done = subprocess.run(  # noqa: S603 - a fixed command
        [SYSTEM_PYTHON, "-c", probe], capture_output=True, check=False
    )
    if done.returncode:
        return f"GStreamer's RTSP server is not installed: run {INSTALL}"
    return None


@dataclass
class RtspServer:
    """One server process serving files as camera streams, with a digest login."""

    streams: dict[str, tuple[Codec, Path]]
    user: str = "camera"
    password: str = "door-camera-pass"  # a test camera's
    drop: float = 0.0  # share of coded frames lost on the way
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    log: Path | None = None  # what the server says on stderr

    def url(self, mount: str, password: str | None = None) -> str:
        """The stream's address; a password written as "${NAME}" is left for the worker to
        take from the environment, any other is percent-encoded."""
        secret = self.password if password is None else password
        if not secret.startswith("${"):
            secret = quote(secret, safe="")
        return f"rtsp://{self.user}:{secret}@127.0.0.1:{self.port}/{mount}"

    def start(self, timeout: float = 15.0) -> RtspServer:
        args = [SYSTEM_PYTHON, str(SCRIPT), "--port", str(self.port)]
        args += ["--user", self.user, "--password", self.password, "--drop", str(self.drop)]
        for name, (codec, path) in self.streams.items():
            args += ["--mount", f"{name}={codec}:{path}"]
        deadline = time.monotonic() + timeout
        while True:  # the port of a server just killed may take a moment to be free again
            # GStreamer's warnings go to a file: a pipe nobody reads would fill and stop it
            with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
                self.log = Path(log.name)
            self.process = subprocess.Popen(  # noqa: S603 - our own script
                args, stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True
            )
            line = self._first_line(deadline)
            if line == "ready":
                return self
            self.stop()
            if time.monotonic() > deadline:
                said = self.log.read_text()[-500:]
                raise RtspUnavailable(f"the RTSP server did not start: {line} {said}")
            time.sleep(0.2)

    def _first_line(self, deadline: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        found: list[str] = []
        reader = threading.Thread(
            target=lambda: found.append(self.process.stdout.readline().strip()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(max(deadline - time.monotonic(), 0.1))
        return found[0] if found else "no answer"

    def stop(self) -> None:
        """Killed, as a camera that loses power: no goodbye to its clients."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
